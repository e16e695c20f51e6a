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
from typing import Any

from .errors import CorruptObject, InvalidInput
from .values import CONTROL_CHARS, loads_json

# The value checks live in values.py; `x as x` re-exports them here for existing imports.
from .values import MAX_LIST_ITEMS as MAX_LIST_ITEMS
from .values import MAX_META_BYTES as MAX_META_BYTES
from .values import MAX_TEXT_BYTES as MAX_TEXT_BYTES
from .values import now_iso as now_iso
from .values import parse_expiry as parse_expiry
from .values import short as _short
from .values import validate_id as validate_id
from .values import validate_json as validate_json
from .values import validate_label as validate_label
from .values import validate_labels as validate_labels
from .values import validate_message as validate_message
from .values import validate_name as validate_name
from .values import validate_text as validate_text
from .values import validate_time as validate_time
from .values import validate_token as validate_token
from .values import validate_unicode as validate_unicode

SCOPE_KINDS = ("user", "agent", "run", "app")

_EXTRA_KEY_RE = re.compile(r"[a-z][a-z0-9_]{0,63}")
_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"

# Front matter keys in the one order they are written.
FIELDS = (
    "id", "scope", "kind", "tags", "agent", "run", "trace", "derived_from", "source",
    "created_at", "updated_at", "expires_at", "meta",
)  # fmt: skip


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
            or CONTROL_CHARS.search(self.source) or "\n" in self.source
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
                value = loads_json(raw)
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
        return first_line(self.text)


def first_line(text: str, width: int = 72) -> str:
    """The first line of `text`, cut to `width` characters (the last three "...")."""
    line = text.strip().split("\n", 1)[0]
    return line if len(line) <= width else line[: width - 3] + "..."


_EMPTY: tuple[Any, ...] = (None, "", [], {}, ())
_STRING_FIELDS = ("kind", "agent", "run", "trace", "source", "created_at", "updated_at", "expires_at")


def _named(name: str) -> str:
    return f" {name}" if name else ""



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
