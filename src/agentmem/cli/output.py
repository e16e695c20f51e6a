"""Rendering: rich tables for people, JSON for programs, one-line errors on stderr."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.table import Table

# markup off: fact text may contain "[...]", which rich would otherwise eat.
console = Console(markup=False, emoji=False, highlight=False)
err_console = Console(stderr=True, markup=False, emoji=False, highlight=False)


def err(message: str) -> None:
    err_console.print(message, soft_wrap=True)


def to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if hasattr(value, "to_dict"):
            return to_jsonable(value.to_dict())
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(to_jsonable(value), ensure_ascii=False, indent=2) + "\n")


NUMERIC_COLUMNS = ("score", "kw", "vec", "chunk", "cos", "rows")


def table(columns: Iterable[str], rows: Iterable[Iterable[Any]], title: str | None = None) -> None:
    grid = Table(title=title, show_lines=False, header_style="bold")
    for number, column in enumerate(columns):
        # ids and commit ids are never cut: people copy them into the next command.
        # Numbers are never broken across lines either.
        grid.add_column(column, no_wrap=number == 0 or column in NUMERIC_COLUMNS, overflow="fold")
    for row in rows:
        grid.add_row(*("" if v is None else str(v) for v in row))
    console.print(grid)


def fact_rows(facts: Iterable[Any]) -> list[list[Any]]:
    return [[f.id, f.scope, f.kind, f.agent, f.updated_at[:19], f.summary] for f in facts]


FACT_COLUMNS = ("id", "scope", "kind", "agent", "updated", "text")


def commit_rows(commits: Iterable[Any]) -> list[list[Any]]:
    return [[c.id[:12], c.time, c.agent, c.run, c.subject] for c in commits]


COMMIT_COLUMNS = ("commit", "time", "agent", "run", "message")
