"""Facts, scopes and their canonical file form. Pure: no I/O, no git.

A fact is stored as one small UTF-8 file: a front matter block of ``key: <JSON value>`` lines
between ``---`` fences, then the fact's text. Every value is JSON, so the block is also valid
YAML and any tool can read it. The serialisation is canonical (fixed key order, fixed JSON
spelling, empty values left out): the same fact always gives the same bytes, so the same git
blob. Changing `to_bytes` changes every blob id: it is a contract, specified in docs/format.md.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .errors import CorruptObject, InvalidInput

SCOPE_KINDS = ("user", "agent", "run", "app")
MAX_TEXT_BYTES = 256 * 1024
MAX_META_BYTES = 16 * 1024
MAX_LIST_ITEMS = 256
MAX_JSON_DEPTH = 32  # nesting of meta (and of unknown front-matter values)
MAX_MESSAGE_BYTES = 64 * 1024
INT_RANGE = (-(2**63), 2**63 - 1)  # integers in meta: signed 64-bit, so every reader can hold them

_ID_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,127}")
_NAME_RE = re.compile(r"[a-z0-9][a-z0-9._@+-]{0,63}")
_TOKEN_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}")
_TAG_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/+-]{0,63}")
_EXTRA_KEY_RE = re.compile(r"[a-z][a-z0-9_]{0,63}")
# C0 controls but tab and newline, DEL, and C1 controls: never in fact text (docs/format.md).
_TEXT_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_DURATION_RE = re.compile(r"([0-9]{1,9})([dhms])")
_DURATION_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"

# Front matter keys in the one order they are written.
FIELDS = (
    "id", "scope", "kind", "tags", "agent", "run", "trace", "derived_from", "source",
    "created_at", "updated_at", "expires_at", "meta",
)  # fmt: skip


def _short(value: str) -> str:
    return value if len(value) <= 40 else value[:37] + "..."


def validate_id(fact_id: str) -> str:
    """Return `fact_id` if it can name a file safely, else raise `InvalidInput`.

    Ids are lowercase so two ids never collide on a case-insensitive file system when a memory
    repository is checked out, and may not contain '..' or '/' so they never escape their folder.
    """
    if not isinstance(fact_id, str) or not _ID_RE.fullmatch(fact_id) or ".." in fact_id:
        raise InvalidInput(
            f"invalid fact id {_short(repr(fact_id))}: use 1-128 lowercase letters, digits, "
            "'.', '_' or '-', starting with a letter or digit"
        )
    return fact_id


def validate_name(value: str, what: str) -> str:
    """Validate an agent or scope name (it becomes a path component)."""
    if not isinstance(value, str) or not _NAME_RE.fullmatch(value) or ".." in value:
        raise InvalidInput(
            f"invalid {what} {_short(repr(value))}: use 1-64 lowercase letters, digits, "
            "'.', '_', '@', '+' or '-'"
        )
    return value


def validate_token(value: str, what: str) -> str:
    """Validate a run id, trace id or similar opaque token (kept on one line)."""
    if not isinstance(value, str) or not _TOKEN_RE.fullmatch(value):
        raise InvalidInput(f"invalid {what} {_short(repr(value))}: 1-128 printable characters")
    return value


def validate_label(value: str, what: str) -> str:
    """Validate a kind or a tag: a short word, safe in a file and in a search filter."""
    if not isinstance(value, str) or not _TAG_RE.fullmatch(value):
        raise InvalidInput(f"invalid {what} {_short(repr(value))}")
    return value


def validate_labels(values: Any, what: str) -> tuple[str, ...]:
    """A list of tags or fact ids: a list or tuple of strings, never one string (which would
    otherwise become one item per character)."""
    if isinstance(values, str | bytes) or not isinstance(values, list | tuple):
        raise InvalidInput(f"{what} must be a list of strings, not {type(values).__name__}")
    if len(values) > MAX_LIST_ITEMS:
        raise InvalidInput(f"too many {what} (at most {MAX_LIST_ITEMS})")
    return tuple(values)


def validate_unicode(value: str, what: str) -> str:
    """`value` if it encodes as UTF-8: no lone surrogates (which a non-UTF-8 argument or file
    decoded with 'surrogateescape' turns into)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"{what} is not valid UTF-8 text (it holds a lone surrogate)") from None
    return value


def validate_text(text: Any) -> str:
    """Fact text: non-blank, valid Unicode, at most 256 KiB, no control characters but tab and
    newline (they would reach terminals raw and carriage returns would hide lines)."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("fact text is empty")
    validate_unicode(text, "fact text")
    if len(text.encode("utf-8")) > MAX_TEXT_BYTES:
        raise InvalidInput(f"fact text is over {MAX_TEXT_BYTES // 1024} KiB")
    bad = _TEXT_CONTROL_RE.search(text)
    if bad:
        raise InvalidInput(
            f"fact text contains control character U+{ord(bad.group()):04X} at offset "
            f"{bad.start()} (only tab and newline are allowed)"
        )
    return text


def validate_message(message: Any) -> str:
    """A commit message: valid Unicode, no NUL or other control character but tab and newline,
    so `git fsck --strict` stays clean and a log never drives the terminal."""
    if not isinstance(message, str):
        raise InvalidInput("commit message must be text")
    validate_unicode(message, "commit message")
    if len(message.encode("utf-8")) > MAX_MESSAGE_BYTES:
        raise InvalidInput(f"commit message is over {MAX_MESSAGE_BYTES // 1024} KiB")
    bad = _TEXT_CONTROL_RE.search(message)
    if bad:
        raise InvalidInput(
            f"commit message contains control character U+{ord(bad.group()):04X} "
            "(only tab and newline are allowed)"
        )
    return message


def validate_json(value: Any, what: str) -> Any:
    """Check a JSON value as stored in front matter: objects with string keys, arrays, strings
    (valid Unicode), finite floats, 64-bit integers, booleans, null; at most MAX_JSON_DEPTH deep.
    Walks iteratively, so a hostile nesting depth never raises RecursionError."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise InvalidInput(f"{what} is nested more than {MAX_JSON_DEPTH} levels deep")
        if item is None or isinstance(item, bool):
            continue
        if isinstance(item, int):
            if not INT_RANGE[0] <= item <= INT_RANGE[1]:
                raise InvalidInput(f"{what} holds an integer outside the signed 64-bit range")
        elif isinstance(item, float):
            if item != item or item in (float("inf"), float("-inf")):
                raise InvalidInput(f"{what} holds NaN or Infinity, which JSON cannot spell")
        elif isinstance(item, str):
            validate_unicode(item, what)
        elif isinstance(item, list | tuple):
            stack.extend((v, depth + 1) for v in item)
        elif isinstance(item, dict):
            for key, v in item.items():
                if not isinstance(key, str):
                    raise InvalidInput(f"{what} has a key that is not a string: {_short(repr(key))}")
                validate_unicode(key, what)
                stack.append((v, depth + 1))
        else:
            raise InvalidInput(f"{what} holds a {type(item).__name__}, which is not JSON")
    return value


@dataclass(frozen=True)
class Scope:
    """Where a fact lives: ``shared``, or ``user:<id>``, ``agent:<id>``, ``run:<id>``, ``app:<id>``."""

    kind: str
    name: str = ""

    @classmethod
    def parse(cls, text: str) -> Scope:
        # Every path lookup parses a scope; the few distinct scopes are parsed once each.
        return _parse_scope(text) if isinstance(text, str) else cls._parse(text)

    @classmethod
    def _parse(cls, text: str) -> Scope:
        if text == "shared":
            return cls("shared")
        kind, sep, name = text.partition(":") if isinstance(text, str) else ("", "", "")
        if not sep or kind not in SCOPE_KINDS:
            raise InvalidInput(
                f"invalid scope {_short(repr(text))}: use 'shared' or one of "
                + ", ".join(f"'{k}:<name>'" for k in SCOPE_KINDS)
            )
        try:
            return cls(kind, validate_name(name, f"{kind} name"))
        except InvalidInput as exc:
            raise InvalidInput(f"invalid scope {_short(repr(text))}: {exc}") from None

    def __str__(self) -> str:
        return self.kind if self.kind == "shared" else f"{self.kind}:{self.name}"

    @property
    def path(self) -> str:
        """Folder of this scope under ``facts/``: ``shared`` or ``<kind>/<name>``."""
        return self.kind if self.kind == "shared" else f"{self.kind}/{self.name}"


@functools.lru_cache(maxsize=4096)
def _parse_scope(text: str) -> Scope:
    return Scope._parse(text)  # an invalid scope raises, and raising is never cached


def parse_scope(text: str) -> str:
    """Validate a scope string and return its canonical spelling."""
    return str(Scope.parse(text))


def now_iso() -> str:
    """UTC time with millisecond precision, the one timestamp spelling in fact files."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _spell_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def validate_time(value: str, what: str) -> str:
    """An ISO 8601 time with a time zone, spelt the one way fact files use (UTC, milliseconds)."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, AttributeError, TypeError):
        raise InvalidInput(f"invalid {what} {_short(repr(value))}: use ISO 8601") from None
    if parsed.tzinfo is None:
        raise InvalidInput(f"invalid {what} {_short(repr(value))}: include a time zone, e.g. 'Z'")
    try:
        parsed = parsed.astimezone(UTC)
    except OverflowError:
        raise InvalidInput(f"invalid {what} {_short(repr(value))}: out of range") from None
    return _spell_time(parsed)


def parse_expiry(value: str, now: datetime | None = None) -> str:
    """An expiry as given to ``--expires``: an ISO 8601 time with a zone, a date (midnight
    UTC), or a duration from now (``7d``, ``12h``, ``30m``, ``45s``). Returns the stored spelling."""
    if not isinstance(value, str):
        raise InvalidInput(f"invalid expiry {_short(repr(value))}")
    duration = _DURATION_RE.fullmatch(value.strip())
    if duration:
        amount, unit = int(duration.group(1)), duration.group(2)
        try:
            moment = (now or datetime.now(UTC)) + timedelta(**{_DURATION_UNITS[unit]: amount})
        except OverflowError:
            raise InvalidInput(f"invalid expiry {value!r}: too far in the future") from None
        return _spell_time(moment)
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise InvalidInput(f"invalid expiry {value!r}: not a date") from None
        return _spell_time(datetime(day.year, day.month, day.day, tzinfo=UTC))
    try:
        return validate_time(value, "expiry")
    except InvalidInput:
        raise InvalidInput(
            f"invalid expiry {_short(repr(value))}: use an ISO 8601 time with a zone, "
            "a date (YYYY-MM-DD, midnight UTC) or a duration such as 7d, 12h, 30m, 45s"
        ) from None


def _base32(data: bytes, length: int) -> str:
    number = int.from_bytes(data, "big")
    chars = []
    for _ in range(length):
        chars.append(_CROCKFORD[number & 31])
        number >>= 5
    return "".join(reversed(chars))


def new_id() -> str:
    """A ULID-like id: 48-bit millisecond time + 80 random bits, 26 lowercase base32 chars."""
    stamp = int(time.time() * 1000).to_bytes(6, "big")
    return _base32(stamp + os.urandom(10), 26)


def content_id(scope: str, text: str, attempt: int = 0) -> str:
    """The id `remember` gives a text in a scope, so the same text maps to the same fact.

    `attempt` > 0 gives the next candidate when the first id is taken by a fact whose text
    has since been changed.
    """
    digest = hashlib.sha256(f"{scope}\0{text}\0{attempt}".encode()).digest()
    return _base32(digest[:17], 26)


@dataclass(frozen=True)
class Fact:
    """One memory record: text plus scope, kind, tags, metadata and provenance.

    `extra` holds front-matter keys this version does not know (written by a later version):
    they are kept and written back unchanged, after the known keys (docs/format.md).
    """

    id: str
    text: str
    scope: str = "shared"
    kind: str = "note"
    tags: tuple[str, ...] = ()
    agent: str | None = None
    run: str | None = None
    trace: str | None = None
    derived_from: tuple[str, ...] = ()
    source: str | None = None
    created_at: str = ""
    updated_at: str = ""
    expires_at: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def validated(self) -> Fact:
        """Check every field; return a copy with normalised values (sorted tags, UTC times)."""
        validate_id(self.id)
        scope = parse_scope(self.scope)
        validate_text(self.text)
        validate_label(self.kind, "kind")
        tags = validate_labels(self.tags, "tags")
        for tag in tags:
            validate_label(tag, "tag")
        derived = validate_labels(self.derived_from, "derived_from")
        for source_id in derived:
            validate_id(source_id)
        if self.agent is not None:
            validate_name(self.agent, "agent name")
        for value, what in ((self.run, "run id"), (self.trace, "trace id")):
            if value is not None:
                validate_token(value, what)
        if self.source is not None and (
            not isinstance(self.source, str) or len(self.source) > 2048
            or _TEXT_CONTROL_RE.search(self.source) or "\n" in self.source
        ):  # fmt: skip
            raise InvalidInput("invalid source: one line of at most 2048 characters, no controls")
        if self.source is not None:
            validate_unicode(self.source, "source")
        meta = _normalised_object(self.meta, "meta")
        extra = _normalised_object(self.extra, "unknown front-matter keys")
        for key in extra:
            if not _EXTRA_KEY_RE.fullmatch(key) or key in FIELDS or key in ("text", "extra"):
                raise InvalidInput(f"invalid front-matter key {_short(repr(key))}")
        created = validate_time(self.created_at, "created_at") if self.created_at else now_iso()
        updated = validate_time(self.updated_at, "updated_at") if self.updated_at else created
        expires = parse_expiry(self.expires_at) if self.expires_at else None
        return replace(
            self, scope=scope, tags=tuple(sorted(set(tags))), derived_from=tuple(dict.fromkeys(derived)),
            created_at=created, updated_at=updated, expires_at=expires, meta=meta,
            extra={k: v for k, v in sorted(extra.items()) if v not in _EMPTY},
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form (lists, not tuples), every field present; ``extra`` only when
        the fact has unknown front-matter keys."""
        data = {name: getattr(self, name) for name in FIELDS}
        data["text"] = self.text
        data["tags"] = list(self.tags)
        data["derived_from"] = list(self.derived_from)
        if self.extra:
            data["extra"] = dict(self.extra)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fact:
        """A fact from `to_dict`'s form (missing fields take their defaults). Unknown keys are an
        error naming them; a string where a list belongs is an error, never one item per letter."""
        if not isinstance(data, dict):
            raise InvalidInput("a fact must be a JSON object")
        unknown = sorted(set(data) - set(FIELDS) - {"text", "extra"})
        if unknown:
            raise InvalidInput(
                f"unknown key{'s' if len(unknown) > 1 else ''} "
                + ", ".join(repr(k) for k in unknown)
                + " (known: text, " + ", ".join(FIELDS) + ", extra)"
            )
        for name in ("id", "text"):
            if name not in data:
                raise InvalidInput(f"fact is missing '{name}'")
        values = dict(data)
        for name in ("tags", "derived_from"):
            values[name] = () if values.get(name) is None else validate_labels(values[name], name)
        for name in ("meta", "extra"):
            values[name] = {} if values.get(name) is None else values[name]
        return cls(**values)

    def to_bytes(self) -> bytes:
        """Canonical file form. Assumes a `validated()` fact."""
        lines = ["---"]
        for name, value in self.to_dict().items():
            if name in ("text", "extra") or value in _EMPTY:
                continue
            lines.append(f"{name}: {_json(value)}")
        for name in sorted(self.extra):
            if self.extra[name] not in _EMPTY:
                lines.append(f"{name}: {_json(self.extra[name])}")
        lines.append("---")
        return ("\n".join(lines) + "\n" + self.text + "\n").encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes, name: str = "") -> Fact:
        """Parse a fact file; raise `CorruptObject` (naming `name`, e.g. its blob id) for
        anything not written by `to_bytes`. Unknown keys are kept in `extra`."""
        try:
            text = data.decode("utf-8")
            if not text.startswith("---\n"):
                raise ValueError("no front matter")
            head, sep, body = text[4:].partition("\n---\n")
            if not sep or not body.endswith("\n"):
                raise ValueError("unterminated front matter")
            values: dict[str, Any] = {}
            extra: dict[str, Any] = {}
            for line in head.split("\n"):
                key, colon, raw = line.partition(": ")
                known = key in FIELDS
                if (
                    not colon or key in values or key in extra
                    or not (known or (_EXTRA_KEY_RE.fullmatch(key) and key not in ("text", "extra")))
                ):  # fmt: skip
                    raise ValueError(f"bad front matter line {_short(line)!r}")
                value = json.loads(raw, parse_constant=_no_constant)
                (values if known else extra)[key] = value
            values["text"] = body[:-1]
            values["extra"] = extra
            fact = cls.from_dict(values)
            _check_stored(fact)
            return fact
        except RecursionError:
            raise CorruptObject(f"unreadable fact file{_named(name)}: nested too deeply") from None
        except (ValueError, InvalidInput, TypeError) as exc:
            raise CorruptObject(f"unreadable fact file{_named(name)}: {exc}") from None

    def same_content(self, other: Fact) -> bool:
        """Whether two versions say the same thing: equal but for who wrote them and when
        (agent, run, trace, created_at, updated_at). Two agents that make the same change
        agree; that is not a conflict."""
        def content(fact: Fact) -> Fact:
            return replace(fact, agent=None, run=None, trace=None, created_at="", updated_at="")

        return content(self) == content(other)

    @property
    def summary(self) -> str:
        """First line of the text, cut to 72 characters, for tables and commit subjects."""
        line = self.text.strip().split("\n", 1)[0]
        return line if len(line) <= 72 else line[:69] + "..."


_EMPTY: tuple[Any, ...] = (None, "", [], {}, ())
_STRING_FIELDS = ("kind", "agent", "run", "trace", "source", "created_at", "updated_at", "expires_at")


def _named(name: str) -> str:
    return f" {name}" if name else ""


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _normalised_object(value: Any, what: str) -> dict[str, Any]:
    """A validated JSON object, as JSON gives it back (tuples become lists), size-limited."""
    if not isinstance(value, dict):
        raise InvalidInput(f"{what} must be a JSON object, not {_json_type(value)}")
    if not value:
        return {}
    validate_json(value, what)
    spelt = json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False)
    if len(spelt.encode("utf-8")) > MAX_META_BYTES:
        raise InvalidInput(f"{what} is over {MAX_META_BYTES // 1024} KiB")
    result: dict[str, Any] = json.loads(spelt)
    return result


def _json_type(value: Any) -> str:
    names = {list: "an array", tuple: "an array", str: "a string", bool: "a boolean",
             int: "a number", float: "a number", type(None): "null"}  # fmt: skip
    return names.get(type(value), type(value).__name__)


def _check_stored(fact: Fact) -> None:
    """Types and names of a fact read from a file, so a hand-made file with ``id: 123`` or
    ``tags: "abc"`` is refused where it is read, not deep inside a later command."""
    validate_id(fact.id)
    parse_scope(fact.scope)
    for name in _STRING_FIELDS:
        value = getattr(fact, name)
        if value is not None and not isinstance(value, str):
            raise InvalidInput(f"{name} must be a string, not {_json_type(value)}")
    validate_label(fact.kind, "kind")
    for tag in fact.tags:
        validate_label(tag, "tag")
    for source_id in fact.derived_from:
        validate_id(source_id)
    if not isinstance(fact.meta, dict):
        raise InvalidInput(f"meta must be a JSON object, not {_json_type(fact.meta)}")
    validate_json(fact.meta, "meta")
    validate_json(fact.extra, "unknown front-matter keys")


def _json(value: Any) -> str:
    return json.dumps(
        value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "), allow_nan=False
    )
