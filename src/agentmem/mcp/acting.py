"""The acting agent's session for an MCP call: `Repo.as_agent`, so the committed policy filters
every read, read receipts are written, and every write passes the one commit path."""

from __future__ import annotations

from ..repo import Repo
from ..session import Session


def acting(repo: Repo, agent: str) -> Session:
    """The session every MCP tool call runs in; `agent` comes from the server, never the call."""
    return repo.as_agent(agent)
