"""The `agentmem` command line: one `Repo` call per command, rendered as a table or JSON.

Every `AgentmemError` becomes one line on stderr and its exit code (see `errors.py`); with
`--debug` the traceback is printed first and the exit code stays the same. Anything else is one
line too: an `OSError` (the file system refused) exits 1, any other exception is a bug and exits
70, its traceback shown with `--debug`. A closed output pipe (`agentmem log | head`) exits 141
without a word, as git does.

Commands load lazily (see lazy.py): `COMMANDS` (commands.py) names each command, the module under
`agentmem.cli` that defines it with ``@app.command()`` (or ``app.add_typer``), its panel in
`agentmem --help` and its one-line help. Adding a command is one line in `COMMANDS` plus the
function in its module; tests/test_cli_table.py checks the two agree.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import AgentmemError, InvalidInput
from .commands import COMMANDS
from .lazy import LazyGroup
from .output import err

_state: dict[str, Any] = {"repo": None, "debug": False}


class _Group(LazyGroup):
    """Turns agentmem's exceptions into a one-line message and an exit code."""

    table = COMMANDS

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except AgentmemError as exc:
            if _state["debug"]:
                traceback.print_exc()
            err(f"error: {exc}")
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            err("interrupted")
            raise typer.Exit(130) from None
        except Exception as exc:
            if type(exc).__module__.split(".")[0] in ("typer", "click"):
                raise  # usage errors and exits: typer prints them
            if isinstance(exc, BrokenPipeError):  # `agentmem log | head`: the reader has gone
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no flush error at exit
                raise typer.Exit(141) from None  # as a command killed by SIGPIPE (git)
            if _state["debug"]:
                traceback.print_exc()
            if isinstance(exc, OSError):  # the file system refused (a file in the way, no space...)
                err(f"error: {os_message(exc)}")
                raise typer.Exit(1) from None
            err(f"error: unexpected {type(exc).__name__}: {exc} (a bug in agentmem: please report it "
                "with the output of --debug)")  # fmt: skip
            raise typer.Exit(70) from None  # EX_SOFTWARE


def os_message(exc: OSError) -> str:
    """What the file system refused, in one line a person reads: "file name too long: PATH"
    rather than "[Errno 36] File name too long: 'PATH'", a path of thousands of characters cut
    in the middle."""
    if not exc.strerror:
        return str(exc)
    paths = [_shown(p) for p in (exc.filename, exc.filename2) if p is not None]
    reason = exc.strerror[:1].lower() + exc.strerror[1:]
    return f"{reason}: {' -> '.join(paths)}" if paths else reason


def _shown(path: Any, width: int = 120) -> str:
    text = os.fsdecode(path) if isinstance(path, bytes | os.PathLike) else str(path)
    return text if len(text) <= width else f"{text[:60]}...{text[-40:]} ({len(text)} characters)"


app = typer.Typer(
    cls=_Group,
    help="Git for the memory of multi-agent AI systems.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
_Group.typer_app = app


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        sys.stdout.write(f"agentmem {__version__}\n")
        raise typer.Exit()


@app.callback()
def _main(
    repo: Annotated[
        str | None,
        typer.Option("--repo", "-C", envvar="AGENTMEM_REPO", help="Memory repository path."),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Print the traceback of an error (exit code unchanged).")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", is_eager=True, callback=_version, help="Print the version and exit."),
    ] = False,
) -> None:
    _state["repo"] = repo
    _state["debug"] = debug


def open_repo() -> Any:
    """The repository named by --repo / $AGENTMEM_REPO, or found from the current folder."""
    from ..repo import Repo

    return Repo.open(_state["repo"])


def input_file(name: str) -> Path:
    """A file named on the command line, or `InvalidInput` saying why it is not one."""
    path = Path(name)
    if path.is_dir():
        raise InvalidInput(f"{name} is a folder, not a file")
    if not path.is_file():
        raise InvalidInput(f"no such file: {name}")
    return path


def input_text(name: str) -> str:
    """The UTF-8 text of the file named on the command line ('-': standard input)."""
    data = sys.stdin.buffer.read() if name == "-" else input_file(name).read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        where = "standard input" if name == "-" else name
        raise InvalidInput(f"{where} is not UTF-8 text (byte {exc.start + 1})") from None


def main() -> None:
    # An argument that is not UTF-8 arrives with lone surrogates ('surrogateescape'): refuse it
    # here, once for every command, instead of deep inside one (a fact, a query, a --meta).
    for number, arg in enumerate(sys.argv[1:], 1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            err(f"error: argument {number} is not valid UTF-8 text")
            raise SystemExit(2) from None
    app()
