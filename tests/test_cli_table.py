"""The lazy command table (agentmem/cli/commands.py) agrees with the commands themselves, and
running one command imports only its own module."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import subprocess
import sys
from typing import Any

import typer

import agentmem.cli
from agentmem.cli import COMMANDS, app


def _loaded() -> dict[str, Any]:
    """Every command, after importing every module of agentmem.cli (so a command registered in a
    module the table does not name shows up too)."""
    for module in pkgutil.iter_modules(agentmem.cli.__path__):
        importlib.import_module(f"agentmem.cli.{module.name}")
    root: Any = typer.main.get_command(app)
    ctx = root.make_context("agentmem", ["--help"], resilient_parsing=True)
    root.load_all()
    return {name: root.get_command(ctx, name) for name in root.list_commands(ctx)}


def test_every_command_is_in_the_table_with_its_own_summary() -> None:
    loaded = _loaded()
    assert sorted(loaded) == sorted(COMMANDS), "every registered command needs a line in COMMANDS"
    for name, command in loaded.items():
        first_line = inspect.cleandoc(command.help or "").split("\n")[0]
        assert COMMANDS[name].summary == first_line, f"COMMANDS[{name!r}] summary differs"
        # `agentmem --help` shows the first line alone: it must be a whole sentence.
        assert first_line.endswith(".") and first_line.count("`") % 2 == 0, (name, first_line)
        assert command.rich_help_panel == COMMANDS[name].panel


def test_help_shows_readable_value_names() -> None:
    out = typer.testing.CliRunner().invoke(app, ["remember", "--help"], terminal_width=200).stdout
    assert "<list[str]>" not in out and "<str>" not in out and "<bool>" not in out
    assert "--tag" in out and "TAG" in out and "--derived-from" in out


def test_help_paragraphs_are_wrapped_by_the_terminal_not_by_the_docstring() -> None:
    out = typer.testing.CliRunner().invoke(app, ["ls", "--help"], env={"COLUMNS": "200"}).stdout
    assert "--all shows every fact; --json lists every fact unless -n is given." in out
    out = typer.testing.CliRunner().invoke(app, ["trace", "--help"], env={"COLUMNS": "200"}).stdout
    assert "every agent and run that read any of them." in out


PROBE = """
import json, sys
from agentmem.cli import app
from typer.testing import CliRunner
result = CliRunner().invoke(app, sys.argv[1:])
mods = sorted(m for m in sys.modules if m.startswith("agentmem.cli.") or m.split(".")[0] in
              {"pydantic", "rich", "lancedb", "torch"})
print(json.dumps({"code": result.exit_code, "modules": mods, "out": result.stdout}))
"""


def _probe(*args: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True,
                         check=True).stdout  # fmt: skip
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def test_top_level_help_imports_no_command_module() -> None:
    result = _probe("--help")
    assert result["code"] == 0
    assert [m for m in result["modules"] if m.startswith("agentmem.cli.")] == [
        "agentmem.cli.commands", "agentmem.cli.lazy", "agentmem.cli.output"
    ]  # fmt: skip
    for name in COMMANDS:
        assert name in result["out"]


def test_version() -> None:
    result = _probe("--version")
    assert result["code"] == 0 and result["out"].startswith("agentmem 0.")
