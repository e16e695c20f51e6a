"""Facts in and out as JSON lines: `import_records` and `export_lines`.

The record is specified in docs/format.md ("JSON lines: import and export"). An export read back
by import into an empty repository gives the same fact files byte for byte, so the same blobs.
An import never surprises: a fact is never moved to another scope, an existing fact with other
content is replaced only when asked (``existing="replace"``), and every line read is counted in
exactly one of the result's lists.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from .errors import AgentmemError, Conflict, InvalidInput
from .fact import FIELDS, Fact, now_iso, parse_scope
from .snapshot import Snapshot
from .transaction import Transaction
from .values import loads_json

EXISTING = ("error", "skip", "replace")
_EMPTY: tuple[Any, ...] = (None, "", [], {})


@dataclass
class Skipped:
    """A line whose fact already exists with other content, left as it is (``existing="skip"``)."""

    line: int
    id: str


@dataclass
class ImportResult:
    """What an import did. ``len(added) + len(updated) + len(unchanged) + len(skipped) + blank
    == lines``: every line read is accounted for once."""

    commit: str | None
    lines: int = 0
    blank: int = 0
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def import_records(
    tx: Transaction, items: Iterable[dict[str, Any] | str | bytes], *, existing: str = "error",
    progress: Callable[[int], None] | None = None,
) -> ImportResult:  # fmt: skip
    """Apply every record to `tx` (committed by the caller). An item is a record (a dict,
    counted as "record N") or one line of JSON-lines text (str or bytes, "line N"; blank lines
    are counted, not read). Any bad record raises with its number and nothing is written."""
    if existing not in EXISTING:
        raise InvalidInput(f"existing must be one of {', '.join(EXISTING)}, not {existing!r}")
    if isinstance(items, str | bytes | os.PathLike) or not isinstance(items, Iterable):
        raise InvalidInput(f"import takes records (dicts) or JSON lines, not one {type(items).__name__}"
                           " (a file: pass it open, as `agentmem import` does)")  # fmt: skip
    result = ImportResult(commit=None)
    for number, item in enumerate(items, 1):
        where = f"record {number}" if isinstance(item, dict) else f"line {number}"
        try:
            if not isinstance(item, dict | str | bytes):
                raise InvalidInput(f"a record is a dict or a line of JSON, not {type(item).__name__}")
            record = item if isinstance(item, dict) else parse_line(item, first=number == 1)
            if record is None:
                result.blank += 1
            else:
                _import_one(tx, record, existing, number, result)
        except AgentmemError as exc:
            raise type(exc)(f"{where}: {exc}") from None
        result.lines = number
        if progress is not None:
            progress(number)
    return result


def parse_line(line: str | bytes, first: bool = False) -> dict[str, Any] | None:
    """One JSON-lines record, or None for a blank line."""
    if isinstance(line, bytes):
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"not valid UTF-8 (byte {exc.start + 1})") from None
    if first:
        line = line.removeprefix("\ufeff")  # a byte-order mark some editors write
    if not line.strip():
        return None
    try:
        record = loads_json(line)
    except json.JSONDecodeError as exc:
        # json's own message may end in "at" ("Invalid control character at"); a record cut
        # short fails past its last character, on the "line" after the newline
        where = "the end of the line" if exc.pos >= len(line.rstrip()) else f"column {exc.colno}"
        raise InvalidInput(f"not JSON ({exc.msg.removesuffix(' at')} at {where})") from None
    except RecursionError:
        raise InvalidInput("JSON nested too deeply") from None
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    if not isinstance(record, dict):
        raise InvalidInput("expected a JSON object, one per line")
    return record



def _import_one(
    tx: Transaction, record: dict[str, Any], existing: str, number: int, result: ImportResult
) -> None:
    fact = _record_fact(tx, record)
    # A content id hashes its scope, so only an explicit id can exist in another scope.
    old = tx.get(fact.id, None if "id" in record else fact.scope)
    if old is None:  # or hidden from the importing agent: then `put` refuses it or stores nothing
        written = tx.put(fact, content_addressed="id" not in record, checked=True)
        (result.added if written.fact is not None else result.unchanged).append(fact.id)
    elif old.scope != fact.scope:
        raise Conflict(
            f"fact {fact.id} exists in scope {old.scope}, not {fact.scope}: an import never "
            "moves a fact (give the record another id)"
        )
    elif old.same_content(fact):
        result.unchanged.append(fact.id)
    elif existing == "skip":
        result.skipped.append(Skipped(number, fact.id))
    elif existing == "replace":
        if "created_at" not in record:
            fact = replace(fact, created_at=old.created_at)
        tx.put(tx.keeping_unseen_sources(fact).validated(), checked=True)
        result.updated.append(fact.id)
    else:
        raise Conflict(
            f"fact {fact.id} already exists with other content (--existing replace to "
            "replace it, --existing skip to keep it)"
        )


def _record_fact(tx: Transaction, record: dict[str, Any]) -> Fact:
    """The fact a record describes, with the defaults of docs/format.md filled in."""
    if "text" not in record:
        raise InvalidInput("missing 'text'")
    values = dict(record)
    values["scope"] = parse_scope(values.get("scope", "shared"))
    if "id" not in values:
        if not isinstance(values["text"], str):
            raise InvalidInput("fact text must be a string")
        values["id"] = tx.content_slot(values["scope"], values["text"])
    if "created_at" not in values:  # a new fact, not a stored one: written now, by the importer
        values["created_at"] = now_iso()
        if values.get("agent") is None:
            values.update(agent=tx.agent, run=tx.run, trace=tx.trace)
    return Fact.from_dict(values).validated()


def export_lines(snapshot: Snapshot, scope: str | None = None) -> Iterator[str]:
    """Every fact of `snapshot` (or of one scope), in path order, one JSON line each."""
    for fact in snapshot.facts(scope):
        yield export_line(fact)


def export_line(fact: Fact) -> str:
    """One record: the fields in front-matter order, then ``text``, then ``extra`` (unknown
    front-matter keys) if any; empty fields left out, as in the fact file."""
    data = {name: getattr(fact, name) for name in FIELDS}
    data = {name: value for name, value in data.items() if value not in _EMPTY and value != ()}
    data["text"] = fact.text
    if fact.extra:
        data["extra"] = fact.extra
    return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")) + "\n"
