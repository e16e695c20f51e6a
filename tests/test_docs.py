"""docs/cli.md is generated from the commands themselves, so it can never fall behind them.

Regenerate it with ``python tests/test_docs.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from agentmem.cli import app

CLI_MD = Path(__file__).parent.parent / "docs" / "cli.md"
HEADER = """# agentmem command reference

Generated from the commands by `python tests/test_docs.py`; `tests/test_docs.py` fails when it
is out of date. Exit codes: 0 ok, 1 error (a file system refusal too), 2 invalid input, 3 not
found, 4 conflict, 5 permission denied, 6 not a repository, 70 an exception agentmem did not
expect (a bug: one line, the traceback with `--debug`), 130 interrupted. Global options, before the command:
`--repo/-C PATH` (or `$AGENTMEM_REPO`), `--debug` (print the traceback of an error; the
exit code stays the same), `--version`.

Output: tables on a terminal; in a pipe, the title, a header line and one tab-separated line per
row, never wrapped (hints such as "N more not shown" go to stderr). Control characters, terminal
escape sequences and bidirectional overrides in stored text are shown escaped (`\\x1b`), never
sent to the terminal; `--json` output is exact JSON.

Ids: a fact ID may be shortened to any start of at least 4 characters that only one fact the
agent may read has (`show 73amw9`), as a commit id may (docs/version-control.md); `purge` takes
the whole id.
"""


def commands() -> dict[str, Any]:
    """Every top-level command, loaded (the root group imports command modules lazily)."""
    root: Any = typer.main.get_command(app)
    ctx = root.make_context("agentmem", ["--help"], resilient_parsing=True)
    return {name: root.get_command(ctx, name) for name in root.list_commands(ctx)}


def render() -> str:
    parts = [HEADER]
    for name, command in commands().items():
        parts.extend(_render(f"agentmem {name}", command))
    return "\n".join(parts)


def _render(path: str, command: Any) -> list[str]:
    usage = " ".join(_usage(p) for p in command.params if not getattr(p, "hidden", False))
    lines = [f"## {path}", "", f"    {path} {usage}".rstrip(), "", (command.help or "").strip(), ""]
    options = [p for p in command.params if p.param_type_name == "option"]
    if options:
        lines.append("| option | meaning | default |")
        lines.append("|---|---|---|")
        for option in options:
            default = "" if option.default in (None, False, "", ()) else f"`{option.default}`"
            meaning = (option.help or "").replace("|", "\\|")
            lines.append(f"| `{', '.join(option.opts)}` | {meaning} | {default} |")
        lines.append("")
    for name, sub in getattr(command, "commands", {}).items():
        lines.extend(_render(f"{path} {name}", sub))
    return lines


def _usage(param: Any) -> str:
    if param.param_type_name == "argument":
        name = param.metavar or param.name.upper()  # a metavar as written: "ID | release"
        name = name if param.required else f"[{name}]"
        return name + "..." if param.nargs == -1 else name
    return ""


def test_cli_reference_is_up_to_date() -> None:
    assert CLI_MD.read_text(encoding="utf-8") == render(), "run: python tests/test_docs.py"


def test_every_command_has_help() -> None:
    for name, command in commands().items():
        assert command.help, f"agentmem {name} has no help text"


def test_every_usage_line_names_each_argument() -> None:
    """`--help`'s usage line shows every argument, hidden or not: none may print as "[]", and
    none in brackets twice ("[[A]]": Typer brackets an optional argument's metavar itself)."""
    def walk(path: str, command: Any) -> Any:
        yield path, command
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(f"{path} {name}", sub)

    for name, top in commands().items():
        for path, command in walk(f"agentmem {name}", top):
            ctx = typer.Context(command, info_name=path)
            pieces = command.collect_usage_pieces(ctx)
            usage = " ".join(pieces)
            assert all(p.strip("[]{}. ") for p in pieces) and "[[" not in usage, f"{path}: {usage!r}"


if __name__ == "__main__":
    CLI_MD.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {CLI_MD}\n")
