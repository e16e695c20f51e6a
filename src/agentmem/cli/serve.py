"""`agentmem serve --mcp`: the repository as an MCP server (docs/mcp.md)."""

from __future__ import annotations

from typing import Annotated

import typer

from ..errors import InvalidInput
from . import app, open_repo
from .identity import note_if_blind
from .output import console


@app.command()
def serve(
    mcp: Annotated[bool, typer.Option("--mcp", help="Speak the Model Context Protocol.")] = False,
    http: Annotated[
        str | None, typer.Option("--http", metavar="HOST:PORT", help="Streamable HTTP instead of stdio.")
    ] = None,
    agent: Annotated[
        str | None, typer.Option("--agent", "-a", envvar="AGENTMEM_AGENT", help="The agent (stdio).")
    ] = None,
    tokens: Annotated[
        str | None, typer.Option("--tokens", metavar="FILE", help="Bearer-token file (HTTP).")
    ] = None,
    issue_token: Annotated[
        str | None,
        typer.Option("--issue-token", metavar="AGENT", help="Add a token for AGENT to --tokens; print it."),
    ] = None,
) -> None:  # fmt: skip
    """Serve the memory to agents over MCP (stdio, or --http with bearer tokens)."""
    if issue_token is not None:
        if tokens is None:
            raise InvalidInput("--issue-token needs --tokens FILE")
        from ..mcp.tokens import issue

        console.print(issue(tokens, issue_token))
        return
    if not mcp:
        raise InvalidInput("give --mcp (the only protocol served)")
    if http is None and agent is None:
        raise InvalidInput("name the agent this server speaks for: --agent NAME or $AGENTMEM_AGENT")
    try:
        from ..mcp.server import serve as run
    except ImportError as exc:
        raise InvalidInput(f"the MCP server needs the extra: pip install 'agentmem[mcp]' ({exc})") from None
    repo = open_repo()
    if agent is not None:
        note_if_blind(repo.as_agent(agent))
    run(repo, agent=agent, http=http, tokens=tokens)
