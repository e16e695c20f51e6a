"""Rendering: tables for people, tab-separated lines in a pipe, JSON for programs, one-line errors
on stderr.

Everything shown to a person passes `visible()`: fact texts, commit messages and agent names come
from other agents (or, once pulled, from other people), so a terminal escape sequence in them must
be shown, never obeyed. JSON stays exact JSON (control characters are JSON escapes there).

rich is imported only when a table is drawn on a terminal (or a progress bar runs), which keeps
`agentmem log` in a pipe quick to start.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from collections.abc import Iterable
from typing import Any

# C0 controls but tab and newline, DEL, C1 controls, bidirectional overrides and isolates (which
# reorder what a reader sees), and lone surrogates (which cannot be written as UTF-8).
_UNSAFE = "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_UNSAFE_MULTILINE = re.compile(f"[{_UNSAFE}]")
_UNSAFE_ONE_LINE = re.compile(f"[\t\n{_UNSAFE}]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, *, one_line: bool = False) -> str:
    """`text` with every character that could drive a terminal shown as an escape (``\\x1b``).
    Newlines and tabs stay unless `one_line` (then they show as ``\\n`` and ``\\t``)."""
    pattern = _UNSAFE_ONE_LINE if one_line else _UNSAFE_MULTILINE
    return pattern.sub(_escape, text)


def is_terminal() -> bool:
    return sys.stdout.isatty()


class _Console:
    """What renderers print with. Strings are escaped (`visible`) and written as they are, so a
    pipe gets full lines and a terminal wraps them itself; anything else (a rich table, a progress
    bar) goes to a rich Console made on first use."""

    def __init__(self, stderr: bool = False) -> None:
        self._stderr = stderr
        self._rich: Any = None

    @property
    def rich(self) -> Any:
        if self._rich is None:
            from rich.console import Console

            # markup off: fact text may contain "[...]", which rich would otherwise eat.
            self._rich = Console(markup=False, emoji=False, highlight=False, stderr=self._stderr)
        return self._rich

    def print(self, *objects: Any, sep: str = " ", end: str = "\n", **options: Any) -> None:
        if all(isinstance(item, str) for item in objects):
            stream = sys.stderr if self._stderr else sys.stdout
            stream.write(visible(sep.join(objects)) + end)
            stream.flush()
        else:
            self.rich.print(*objects, sep=sep, end=end, **options)

    def __getattr__(self, name: str) -> Any:  # what rich's Progress and Live ask of a console
        return getattr(self.rich, name)

    def __enter__(self) -> Any:
        return self.rich.__enter__()

    def __exit__(self, *exc_info: Any) -> None:
        self.rich.__exit__(*exc_info)


console: Any = _Console()
err_console: Any = _Console(stderr=True)  # progress bars and notes that must not reach stdout


def plural(count: int, word: str) -> str:
    """``1 fact``, ``2 facts``; ``1 repository``, ``2 repositories``."""
    if count == 1:
        return f"{count} {word}"
    if word.endswith("y") and word[-2:-1] not in ("a", "e", "o", "u"):
        return f"{count} {word[:-1]}ies"
    return f"{count} {word}s"


def err(message: str) -> None:
    """One line on stderr."""
    sys.stderr.write(visible(message, one_line=True) + "\n")
    sys.stderr.flush()


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


# json.dumps(ensure_ascii=False) leaves these raw; as \\u escapes they are the same JSON value.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def print_json(value: Any) -> None:
    text = json.dumps(to_jsonable(value), ensure_ascii=False, indent=2)
    text = _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    sys.stdout.write(text + "\n")


NUMERIC_COLUMNS = ("score", "kw", "vec", "chunk", "cos", "cosine", "rows", "rank score")


def table(
    columns: Iterable[str], rows: Iterable[Iterable[Any]], title: str | None = None,
    footer: str | None = None,
) -> None:  # fmt: skip
    """A table: drawn with rich on a terminal (long cells wrap at word boundaries, never cut);
    in a pipe, the title line, a header line and one tab-separated line per row, never wrapped;
    the footer (a hint for people) goes to stderr there."""
    columns = list(columns)
    cells = [["" if v is None else visible(str(v), one_line=True) for v in row] for row in rows]
    if not is_terminal():
        lines = ["\t".join(columns), *("\t".join(row) for row in cells)]
        if title:
            lines.insert(0, visible(title, one_line=True))
        sys.stdout.write("\n".join(lines) + "\n")
        if footer:
            err(footer)
        return
    from rich.table import Table

    grid = Table(title=title, caption=footer, header_style="bold")
    for number, column in enumerate(columns):
        # ids and commit ids are never cut: people copy them into the next command.
        # Numbers are never broken across lines either; texts wrap at word boundaries.
        grid.add_column(column, no_wrap=number == 0 or column in NUMERIC_COLUMNS, overflow="fold")
    for row in cells:
        grid.add_row(*row)
    console.rich.print(grid)


def fact_rows(facts: Iterable[Any]) -> list[list[Any]]:
    return [[f.id, f.scope, f.kind, f.agent, f.updated_at[:19], f.summary] for f in facts]


FACT_COLUMNS = ("id", "scope", "kind", "agent", "updated", "text")


def commit_rows(commits: Iterable[Any]) -> list[list[Any]]:
    return [[c.id[:12], c.time, c.agent, c.run, c.subject] for c in commits]


COMMIT_COLUMNS = ("commit", "time", "agent", "run", "message")
