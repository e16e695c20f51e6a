"""The options and arguments of the commands that write (cli/write.py): each a typed
annotation, and what turns their values into a write's fields (``--meta`` JSON, ``-`` for
stdin, ``--derived-from`` and ``--update`` starts of ids, a note for an expiry already past)."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from ..errors import InvalidInput
from ..values import loads_json, now_iso
from .output import err

Agent = Annotated[
    str, typer.Option("--agent", "-a", envvar="AGENTMEM_AGENT", help="Agent making the write.")
]
Run = Annotated[str | None, typer.Option("--run", envvar="AGENTMEM_RUN", help="Run/session id.")]
Trace = Annotated[
    str | None, typer.Option("--trace", envvar="AGENTMEM_TRACE", help="Conversation/trace id.")
]
Message = Annotated[str, typer.Option("--message", "-m", help="Commit message.")]
Scope = Annotated[str, typer.Option("--scope", "-s", help="shared, user:ID, agent:ID, run:ID, app:ID.")]
DerivedFrom = Annotated[
    list[str] | None, typer.Option("--derived-from", "-d", help="Id of a source fact (repeat).")
]
Tags = Annotated[list[str] | None, typer.Option("--tag", "-t", help="Tag (repeat).")]
Kind = Annotated[str | None, typer.Option("--kind", "-k", help="Kind of fact (default: note).")]
Meta = Annotated[str | None, typer.Option("--meta", help="Metadata as a JSON object.")]
Source = Annotated[str | None, typer.Option("--source", help="Where the fact came from.")]
Expires = Annotated[
    str | None,
    typer.Option(
        "--expires", metavar="WHEN",
        help="Expiry: ISO 8601 time with a zone, a date (midnight UTC) or a duration (7d, 12h, 30m, 45s).",
    ),
]  # fmt: skip
FactId = Annotated[str | None, typer.Option("--id", help="Readable id instead of a generated one.")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def text_arg(text: str) -> str:
    """The text argument, or stdin for '-', read strictly as UTF-8."""
    if text != "-":
        return text
    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"stdin is not valid UTF-8 (byte {exc.start + 1})") from None


def meta_arg(text: str) -> Any:
    try:
        value = loads_json(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"--meta is not JSON: {exc}") from None
    except RecursionError:
        raise InvalidInput("--meta is nested too deeply") from None
    except ValueError as exc:
        raise InvalidInput(f"--meta is not JSON: {exc}") from None
    if not isinstance(value, dict):
        kind = "an array" if isinstance(value, list) else "a string"
        kind = kind if isinstance(value, list | str) else "a number or a literal"
        raise InvalidInput(f"--meta must be a JSON object ({{...}}), not {kind}")
    return value


def fact_fields(
    kind: str | None, tags: list[str] | None, meta: str | None, derived_from: list[str] | None,
    source: str | None, expires: str | None,
) -> dict[str, Any]:  # fmt: skip
    fields: dict[str, Any] = {}
    if kind is not None:
        fields["kind"] = kind
    if tags:
        fields["tags"] = tags
    if meta is not None:
        fields["meta"] = meta_arg(meta)
    if derived_from:
        fields["derived_from"] = derived_from
    if source is not None:
        fields["source"] = source
    if expires is not None:
        fields["expires_at"] = expires
    return fields


def note_if_expired(expires_at: str | None, fact: str) -> None:
    """A note on stderr when the expiry just given has already passed (a year mistyped, or
    ``--expires 0s``): reads hide the fact from now on, which otherwise looks like a lost write."""
    if expires_at is not None and expires_at <= now_iso():
        err(f"note: {fact} expires at {expires_at}, which has passed: ls and search hide it from now on "
            f"(show still shows it)")  # fmt: skip


def complete_sources(
    actor: Any, fields: dict[str, Any], staged: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """`fields` with each --derived-from given as a start of an id completed (`expand_id`)."""
    if "derived_from" in fields:
        fields["derived_from"] = [expand_id(actor, source, staged) for source in fields["derived_from"]]
    return fields


def expand_id(actor: Any, fact_id: str, staged: frozenset[str] = frozenset()) -> str:
    """`fact_id` completed from a start of a committed fact's id (`Session.expand_id`), unless
    it is the id of a fact the agent has staged: `add --update plan-2` after `add --id plan-2`
    means the staged fact, not a committed ``plan-2b``."""
    return fact_id if fact_id in staged else actor.expand_id(fact_id)
