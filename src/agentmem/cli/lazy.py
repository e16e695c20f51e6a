"""A typer group that imports a command's module only when that command runs.

`agentmem log` should not pay for importing every other command (nor their dependencies), so the
root group knows its commands from a static table (`agentmem.cli.COMMANDS`: name -> module, help
panel, one-line help) and imports `agentmem.cli.<module>` on first use. The module registers its
commands on the shared `app` with ``@app.command()`` as usual; this group converts what it
registered into click commands. ``agentmem --help`` lists the table without importing anything.

Two more things happen to every command here, so each module need not repeat them:
- readable value names in help (``--agent AGENT``, ``--tag TAG``, flags show none) instead of
  typer's ``<str>``/``<list[str]>``;
- plain types (str, int, float, Path and lists of them) are converted without pydantic, which
  typer would otherwise import at run time for every option (about 100 ms of start-up).
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption


class Command(NamedTuple):
    """One line of the command table."""

    module: str  # under agentmem.cli
    panel: str  # heading it is listed under in `agentmem --help`
    summary: str  # first line of its help (tests/test_cli_table.py checks it matches)


# Value names in help for options whose parameter name says too little.
METAVARS = {
    "at": "REF", "good": "REF", "bad": "REF", "start": "REF", "repo": "PATH", "derived_from": "ID",
    "update_id": "ID", "forget_id": "ID", "delete": "BRANCH", "meta": "JSON", "expires": "WHEN",
    "threshold": "COSINE", "take": "SIDE", "limit": "N",
}  # fmt: skip


class LazyGroup(TyperGroup):
    """Subclasses set `table` (the command table) and `typer_app` (where modules register)."""

    table: Mapping[str, Command] = {}
    typer_app: typer.Typer | None = None
    package = "agentmem.cli"

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._listing = False
        tidy_params(self)
        for command in self.commands.values():  # already registered in this process
            self._adopt(command)

    def list_commands(self, ctx: Any) -> list[str]:
        return [*self.table, *(name for name in self.commands if name not in self.table)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in self.table:
            entry = self.table[cmd_name]
            if self._listing:  # `agentmem --help`: the table says enough
                return TyperCommand(name=cmd_name, help=entry.summary, rich_help_panel=entry.panel)
            self.load(entry.module)
        return self.commands.get(cmd_name)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in self.table and not args[0].startswith("-"):
            self.load_all()  # an unknown name: let typer suggest from every command
        return super().resolve_command(ctx, args)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def load_all(self) -> None:
        for entry in self.table.values():
            self.load(entry.module)

    def load(self, module: str) -> None:
        """Import `agentmem.cli.<module>` and adopt every command it registered."""
        importlib.import_module(f"{self.package}.{module}")
        app = self.typer_app
        assert app is not None, "LazyGroup subclasses set typer_app"
        options: dict[str, Any] = {
            "pretty_exceptions_short": app.pretty_exceptions_short,
            "rich_markup_mode": app.rich_markup_mode,
        }
        for info in app.registered_commands:
            assert info.callback is not None
            name = info.name or typer.main.get_command_name(info.callback.__name__)
            if name not in self.commands:
                self._adopt(typer.main.get_command_from_info(info, **options))
        for group in app.registered_groups:
            if group.name not in self.commands:
                made = typer.main.get_group_from_info(
                    group, suggest_commands=app.suggest_commands, **options
                )
                self._adopt(made)

    def _adopt(self, command: Any) -> None:
        entry = self.table.get(command.name)
        if entry is not None:
            command.rich_help_panel = entry.panel
        tidy_params(command)
        reflow_help(command)
        self.commands[command.name] = command


def reflow_help(command: Any) -> None:
    """Join the lines of each paragraph of `command`'s help (and its subcommands'): typer's rich
    help keeps a docstring's line breaks past the first paragraph, which then show mid-sentence
    at the terminal's width. A paragraph with a list or an indented line keeps its breaks."""
    if command.help:
        paragraphs = inspect.cleandoc(command.help).split("\n\n")
        command.help = "\n\n".join(
            para if any(line[:1].isspace() or line[:2] in ("- ", "* ") for line in para.splitlines())
            else " ".join(para.split("\n"))
            for para in paragraphs
        )  # fmt: skip
    for sub in getattr(command, "commands", {}).values():
        reflow_help(sub)


def tidy_params(command: Any) -> None:
    """Readable value names and pydantic-free conversion for `command` and its subcommands."""
    for param in command.params:
        _tidy(param)
    make_help_option = command.get_help_option

    def help_option(ctx: Any) -> Any:
        option = make_help_option(ctx)
        if option is not None:
            _tidy(option)
        return option

    command.get_help_option = help_option
    for sub in getattr(command, "commands", {}).values():
        tidy_params(sub)


def _no_type(ctx: Any) -> None:
    return None


def _tidy(param: Any) -> None:
    if isinstance(param, TyperOption):
        if param.is_flag:
            param.metavar = ""
        elif param.metavar is None:
            param.metavar = METAVARS.get(param.name or "", (param.name or "value").upper())
    elif isinstance(param, TyperArgument):
        if param.metavar is None:
            param.metavar = (param.name or "value").upper()
        param.display_type_rich = _no_type  # type: ignore[method-assign]  # the name column already says what it is
    _plain_conversion(param)


def _to_int(value: str) -> int:
    return int(value)


def _to_float(value: str) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(value)
    return number


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in ("1", "true", "yes", "on", "y", "t"):
        return True
    if word in ("0", "false", "no", "off", "n", "f", ""):
        return False
    raise ValueError(value)


_CONVERTERS: dict[Any, tuple[Callable[[Any], Any], str]] = {
    str: (str, "text"), int: (_to_int, "an integer"), float: (_to_float, "a number"),
    Path: (Path, "a path"), bool: (_to_bool, "true or false"),
}  # fmt: skip


def _plain_conversion(param: Any) -> None:
    """Give `param` a converter that needs no pydantic, when its type is a plain one and it has
    no constraints. Uses typer's (private) `RuntimeParam` hook; with another typer it does nothing
    and typer converts as usual."""
    descriptor = getattr(param, "type_descriptor", None)
    if _PlainParam is None or descriptor is None or not hasattr(param, "_runtime_param"):
        return
    annotation = descriptor.annotation
    if getattr(annotation, "__origin__", None) is list:
        (annotation,) = annotation.__args__
    info = descriptor.parameter_info
    constrained = any(getattr(info, name, None) is not None for name in ("parser", "min", "max"))
    if annotation not in _CONVERTERS or constrained or descriptor.is_choice:
        return
    convert, what = _CONVERTERS[annotation]
    param._runtime_param = _PlainParam(info, descriptor.annotation, convert, what)


try:
    from typer._coercion import RuntimeParam as _RuntimeParam
except ImportError:  # another typer: its own conversion applies
    _PlainParam: Any = None
else:

    @dataclasses.dataclass(frozen=True)
    class _PlainParamImpl(_RuntimeParam):
        convert: Callable[[Any], Any]
        what: str

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            if isinstance(value, list | tuple):
                return [self._one(item, param, ctx) for item in value]
            return self._one(value, param, ctx)

        def _one(self, value: Any, param: Any, ctx: Any) -> Any:
            try:
                return self.convert(value)
            except (TypeError, ValueError):
                raise typer.BadParameter(f"{value!r} is not {self.what}", ctx=ctx, param=param) from None

    _PlainParam = _PlainParamImpl
