"""`agentmem serve --mcp`: one MCP server process per repository (usually one per agent), built
on the official `mcp` SDK. The repository, its search index and the model stay open between
calls. Several processes on one repository lose no write: each commit is a compare-and-swap.

Identity never comes from a tool's arguments. Over stdio it is fixed when the server starts
(``--agent`` or ``$AGENTMEM_AGENT``); over HTTP every request carries a bearer token that the
token file maps to an agent (the SDK answers 401 to a missing or unknown token).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import AnyHttpUrl

from ..errors import InvalidInput
from ..fact import validate_name
from ..repo import Repo
from . import reference, tools
from . import tokens as _tokens
from .acting import acting

INSTRUCTIONS = (
    "agentmem: versioned memory shared by several agents. Facts have ids, scopes and provenance; "
    "`search` finds them, `remember`/`update`/`forget` change them (one commit each), and "
    "`log`/`blame`/`diff` tell their history. Your identity is fixed by the server."
)


class _TokenFile:
    """The SDK's token verifier over the hashed token file (re-read when it changes)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._stamp: float | None = None
        self._tokens: dict[str, str] = {}
        self._reload()

    def _reload(self) -> None:
        stamp = os.stat(self.path).st_mtime
        if stamp != self._stamp:
            self._tokens, self._stamp = _tokens.load(self.path), stamp

    async def verify_token(self, token: str) -> AccessToken | None:
        self._reload()
        agent = _tokens.agent_for(self._tokens, token)
        return None if agent is None else AccessToken(token="", client_id=agent, scopes=["agentmem"])


def build(repo: Repo, *, agent: str | None = None, tokens: str | None = None, url: str = "") -> MCPServer:
    """An MCP server over `repo`: stdio with a fixed `agent`, or HTTP with a `tokens` file."""
    if tokens is None and agent is None:
        raise InvalidInput("name the agent this server speaks for: --agent NAME or $AGENTMEM_AGENT")
    if agent is not None:
        validate_name(agent, "agent")
    kwargs: dict[str, Any] = {}
    if tokens is not None:
        kwargs["token_verifier"] = _TokenFile(tokens)
        kwargs["auth"] = AuthSettings(
            issuer_url=AnyHttpUrl(url or "http://127.0.0.1"),
            resource_server_url=AnyHttpUrl(url) if url else None,
            required_scopes=["agentmem"],
        )
    server = MCPServer("agentmem", instructions=INSTRUCTIONS, **kwargs)

    def session() -> Any:
        if tokens is None:
            assert agent is not None
            return acting(repo, agent)
        token = get_access_token()
        if token is None:
            raise ToolError("PermissionDenied: no bearer token on this request")
        return acting(repo, token.client_id)

    tools.register(server, session)
    reference.register(server, session)
    return server


def serve(
    repo: Repo, *, agent: str | None = None, http: str | None = None, tokens: str | None = None
) -> None:
    """Run until stopped: stdio, or streamable HTTP on ``HOST:PORT`` (path ``/mcp``)."""
    logging.getLogger("mcp").setLevel(logging.WARNING)  # stderr stays for real problems
    if http is None:
        build(repo, agent=agent).run("stdio")
        return
    host, sep, port = http.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise InvalidInput(f"--http wants HOST:PORT, got {http!r}")
    if tokens is None:
        raise InvalidInput("--http needs --tokens FILE (bearer tokens, one per agent)")
    server = build(repo, tokens=tokens, url=f"http://{host}:{port}/mcp")
    server.run("streamable-http", host=host, port=int(port))
