"""The `agentmem` command line: one `Repo` call per command, rendered as a table or JSON.

Every `AgentmemError` becomes one line on stderr and its exit code (see `errors.py`); a traceback
is shown only with `--debug`. Nothing here imports lancedb or torch: the search commands import
them inside their functions, so `agentmem log` starts as fast as dulwich allows.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from ..errors import AgentmemError
from .output import err

_state: dict[str, Any] = {"repo": None, "debug": False}


class _Group(TyperGroup):
    """Turns agentmem's exceptions into a one-line message and an exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except AgentmemError as exc:
            if _state["debug"]:
                raise
            err(f"error: {exc}")
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            err("interrupted")
            raise typer.Exit(130) from None


app = typer.Typer(
    cls=_Group,
    help="Git for the memory of multi-agent AI systems.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _main(
    repo: Annotated[
        str | None,
        typer.Option("--repo", "-C", envvar="AGENTMEM_REPO", help="Memory repository path."),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    _state["repo"] = repo
    _state["debug"] = debug


def open_repo() -> Any:
    """The repository named by --repo / $AGENTMEM_REPO, or found from the current folder."""
    from ..repo import Repo

    return Repo.open(_state["repo"])


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


from . import governance, read, remote, search, serve, vcs, write  # noqa: E402  (registers the commands)

# Group `agentmem --help` by what a command does, in this order, after the module defining it.
_PANELS = {
    write: "Write", read: "Read", vcs: "Version control", remote: "Remotes", search: "Search",
    serve: "Remotes", governance: "Governance",
}  # fmt: skip
_ORDER = list(_PANELS.values())
for _command in app.registered_commands:
    _module = getattr(_command.callback, "__module__", "")
    _command.rich_help_panel = next(p for m, p in _PANELS.items() if _module.startswith(m.__name__))
for _group in app.registered_groups:
    _panel = {"bisect": "Version control", "remote": "Remotes", "policy": "Governance",
              "review": "Governance"}  # fmt: skip
    _group.rich_help_panel = _panel.get(_group.name or "", "Search")
app.registered_commands.sort(key=lambda c: _ORDER.index(c.rich_help_panel or "Write"))
app.registered_groups.sort(key=lambda g: _ORDER.index(g.rich_help_panel or "Write"))
