"""The acting agent on the command line: `--agent`, `--run`, `--trace`, `--branch` (and their
environment variables). Identity is declared, as a git author is (docs/governance.md)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from . import open_repo
from .output import err

Agent = Annotated[
    str, typer.Option("--agent", "-a", envvar="AGENTMEM_AGENT", help="The acting agent.")
]
Run = Annotated[str | None, typer.Option("--run", envvar="AGENTMEM_RUN", help="Run/session id.")]
Trace = Annotated[
    str | None, typer.Option("--trace", envvar="AGENTMEM_TRACE", help="Conversation/trace id.")
]
Branch = Annotated[
    str | None,
    typer.Option("--branch", envvar="AGENTMEM_BRANCH",
                 help="Branch this agent reads and writes (default: HEAD's)."),
]  # fmt: skip


def session(agent: str, run: str | None = None, trace: str | None = None,
            branch: str | None = None) -> Any:  # fmt: skip
    """Open the repository and make the acting agent's session."""
    return open_repo().as_agent(agent, run=run, trace=trace, branch=branch)


def note_if_blind(reader: Any) -> None:
    """One line on stderr when the policy lets the acting agent read no scope: its lists and
    searches come back empty, which otherwise looks like memory lost. The line names only the
    agent's own rights; a hidden fact still looks exactly like an absent one."""
    if reader.visibility().reads_nothing:
        err(f"note: the policy lets agent {reader.agent} read no scope, so it sees no facts "
            "(act as another agent with --agent or AGENTMEM_AGENT; see agentmem policy show)")
