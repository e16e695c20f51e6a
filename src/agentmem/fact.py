"""Facts, scopes and their canonical file form. Pure: no I/O, no git.

A fact is stored as one small UTF-8 file: a front matter block of ``key: <JSON value>`` lines
between ``---`` fences, then the fact's text. Every value is JSON, so the block is also valid
YAML and any tool can read it. The serialisation is canonical (fixed key order, fixed JSON
spelling, empty values left out): the same fact always gives the same bytes, so the same git
blob. Changing `to_bytes` changes every blob id: it is a contract, specified in docs/format.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from .errors import CorruptObject, InvalidInput

SCOPE_KINDS = ("user", "agent", "run", "app")
MAX_TEXT_BYTES = 256 * 1024
MAX_META_BYTES = 16 * 1024
MAX_LIST_ITEMS = 256

_ID_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,127}")
_NAME_RE = re.compile(r"[a-z0-9][a-z0-9._@+-]{0,63}")
_TOKEN_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}")
_TAG_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/+-]{0,63}")
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


@dataclass(frozen=True)
class Scope:
    """Where a fact lives: ``shared``, or ``user:<id>``, ``agent:<id>``, ``run:<id>``, ``app:<id>``."""

    kind: str
    name: str = ""

    @classmethod
    def parse(cls, text: str) -> Scope:
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


def parse_scope(text: str) -> str:
    """Validate a scope string and return its canonical spelling."""
    return str(Scope.parse(text))


def now_iso() -> str:
    """UTC time with millisecond precision, the one timestamp spelling in fact files."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def validate_time(value: str, what: str) -> str:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, AttributeError, TypeError):
        raise InvalidInput(f"invalid {what} {_short(repr(value))}: use ISO 8601") from None
    if parsed.tzinfo is None:
        raise InvalidInput(f"invalid {what} {value!r}: include a time zone, e.g. 'Z'")
    parsed = parsed.astimezone(UTC)
    return parsed.strftime("%Y-%m-%dT%H:%M:%S.") + f"{parsed.microsecond // 1000:03d}Z"


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
    """One memory record: text plus scope, kind, tags, metadata and provenance."""

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

    def validated(self) -> Fact:
        """Check every field; return a copy with normalised values (sorted tags, UTC times)."""
        validate_id(self.id)
        scope = parse_scope(self.scope)
        if not isinstance(self.text, str) or not self.text.strip():
            raise InvalidInput("fact text is empty")
        if "\0" in self.text:
            raise InvalidInput("fact text contains a NUL character")
        if len(self.text.encode("utf-8", "surrogatepass")) > MAX_TEXT_BYTES:
            raise InvalidInput(f"fact text is over {MAX_TEXT_BYTES // 1024} KiB")
        try:
            self.text.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidInput("fact text is not valid Unicode") from None
        validate_label(self.kind, "kind")
        for tag in self.tags:
            validate_label(tag, "tag")
        tags = tuple(sorted(set(self.tags)))
        derived = tuple(dict.fromkeys(self.derived_from))
        for source_id in derived:
            validate_id(source_id)
        if len(tags) > MAX_LIST_ITEMS or len(derived) > MAX_LIST_ITEMS:
            raise InvalidInput(f"too many tags or sources (at most {MAX_LIST_ITEMS})")
        if self.agent is not None:
            validate_name(self.agent, "agent name")
        for value, what in ((self.run, "run id"), (self.trace, "trace id")):
            if value is not None:
                validate_token(value, what)
        if self.source is not None and (
            not isinstance(self.source, str) or "\n" in self.source or len(self.source) > 2048
        ):
            raise InvalidInput("invalid source: one line of at most 2048 characters")
        if not isinstance(self.meta, dict) or not all(isinstance(k, str) for k in self.meta):
            raise InvalidInput("meta must be a JSON object")
        try:
            meta_json = json.dumps(self.meta, sort_keys=True, ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"meta is not JSON-serialisable: {exc}") from None
        if len(meta_json.encode()) > MAX_META_BYTES:
            raise InvalidInput(f"meta is over {MAX_META_BYTES // 1024} KiB")
        created = validate_time(self.created_at, "created_at") if self.created_at else now_iso()
        updated = validate_time(self.updated_at, "updated_at") if self.updated_at else created
        expires = validate_time(self.expires_at, "expires_at") if self.expires_at else None
        return replace(
            self, scope=scope, tags=tags, derived_from=derived, created_at=created,
            updated_at=updated, expires_at=expires, meta=json.loads(meta_json),
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form (lists, not tuples), every field present."""
        data = {name: getattr(self, name) for name in FIELDS}
        data["text"] = self.text
        data["tags"] = list(self.tags)
        data["derived_from"] = list(self.derived_from)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fact:
        unknown = set(data) - set(FIELDS) - {"text"}
        if unknown:
            raise InvalidInput(f"unknown fact field(s): {', '.join(sorted(unknown))}")
        values = dict(data)
        values["tags"] = tuple(values.get("tags") or ())
        values["derived_from"] = tuple(values.get("derived_from") or ())
        values["meta"] = values.get("meta") or {}
        for name in ("id", "text"):
            if name not in values:
                raise InvalidInput(f"fact is missing '{name}'")
        return cls(**values)

    def to_bytes(self) -> bytes:
        """Canonical file form. Assumes a `validated()` fact."""
        lines = ["---"]
        for name, value in self.to_dict().items():
            if name == "text" or value in (None, "", [], {}):
                continue
            lines.append(f"{name}: {_json(value)}")
        lines.append("---")
        return ("\n".join(lines) + "\n" + self.text + "\n").encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> Fact:
        """Parse a fact file; raise `CorruptObject` for anything not written by `to_bytes`."""
        try:
            text = data.decode("utf-8")
            if not text.startswith("---\n"):
                raise ValueError("no front matter")
            head, sep, body = text[4:].partition("\n---\n")
            if not sep or not body.endswith("\n"):
                raise ValueError("unterminated front matter")
            values: dict[str, Any] = {}
            for line in head.split("\n"):
                key, colon, raw = line.partition(": ")
                if not colon or key not in FIELDS or key in values:
                    raise ValueError(f"bad front matter line {_short(line)!r}")
                values[key] = json.loads(raw)
            values["text"] = body[:-1]
            return cls.from_dict(values)
        except (ValueError, InvalidInput, TypeError) as exc:
            raise CorruptObject(f"unreadable fact file: {exc}") from None
        except RecursionError:
            raise CorruptObject("unreadable fact file: JSON nested too deeply") from None

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


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))
