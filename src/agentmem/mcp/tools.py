"""agentmem's own MCP tools. Each is one call on the acting agent's session; what it returns is
plain JSON. An agentmem error becomes an MCP error result (``isError``) naming its kind, and the
server stays up."""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations

from ..errors import AgentmemError

F = TypeVar("F", bound=Callable[..., Any])
# readOnlyHint / destructiveHint / idempotentHint / openWorldHint on the wire.
READ = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False)
DESTROY = ToolAnnotations(read_only_hint=False, destructive_hint=True, open_world_hint=False)
Strategy = Literal["fail", "ours", "theirs", "newest"]


def plain(value: Any) -> Any:
    """Dataclasses (facts, hits, commits, results) as JSON-ready dicts and lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if hasattr(value, "to_dict"):
            return plain(value.to_dict())
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def as_tool_errors(func: F) -> F:
    """Answer with one JSON text block; turn agentmem's refusals into MCP error results
    (``isError``) with a one-line reason naming the error's kind."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> str:
        try:
            return json.dumps(plain(func(*args, **kwargs)), ensure_ascii=False, indent=1)
        except AgentmemError as exc:
            raise ToolError(f"{type(exc).__name__}: {exc}") from None

    return wrapper  # type: ignore[return-value]


def register(server: MCPServer, session: Callable[[], Any]) -> None:
    """Add the tools to `server`; `session()` gives the acting agent's session for this call."""

    def tool(annotations: ToolAnnotations) -> Callable[[F], F]:
        def decorate(func: F) -> F:
            server.tool(annotations=annotations, structured_output=False)(as_tool_errors(func))
            return func

        return decorate

    @tool(WRITE)
    def remember(
        text: str, scope: str = "shared", kind: str | None = None, tags: list[str] | None = None,
        derived_from: list[str] | None = None, run: str | None = None, trace: str | None = None,
    ) -> Any:  # fmt: skip
        """Store a fact in its own commit (the same text in the same scope is a no-op). Returns
        its id and commit."""
        fields = {"kind": kind, "tags": tags, "derived_from": derived_from}
        written = session().remember(text, scope, **{k: v for k, v in fields.items() if v})
        return written

    @tool(WRITE)
    def update(
        id: str, text: str | None = None, kind: str | None = None, tags: list[str] | None = None,
    ) -> Any:  # fmt: skip
        """Change a fact, keeping its id."""
        fields = {"text": text, "kind": kind, "tags": tags}
        return session().update(id, **{k: v for k, v in fields.items() if v is not None})

    @tool(DESTROY)
    def forget(id: str, message: str = "") -> Any:
        """Remove a fact from the current tree (history keeps it)."""
        return session().forget(id, message=message)

    @tool(READ)
    def get(id: str, at: str | None = None) -> Any:
        """One fact by id, at a branch, tag or commit (default: the current branch)."""
        return session().get(id, at)

    @tool(READ)
    def recent(scope: str | None = None, n: int = 20, at: str | None = None) -> Any:
        """The facts changed last, newest first (at most `n`), and how many there are."""
        return session().newest_facts(scope, at, limit=n)

    @tool(READ)
    def search(
        query: str, k: int = 10, scope: str | None = None, kind: str | None = None,
        at: str | None = None, mode: Literal["hybrid", "vector", "keyword"] = "hybrid",
    ) -> Any:  # fmt: skip
        """Facts ranked by meaning and keywords; every hit names the commit it was read from."""
        return session().search(query, k=k, scope=scope, kind=kind, at=at, mode=mode)

    @tool(READ)
    def log(id: str | None = None, n: int = 20, at: str | None = None, scope: str | None = None) -> Any:
        """Commits, newest first; with `id`, only those that touched that fact."""
        return session().log(id, n=n, at=at, scope=scope)

    @tool(READ)
    def blame(id: str, at: str | None = None) -> Any:
        """Who introduced and last changed a fact, and the same for its sources."""
        return session().blame(id, at)

    @tool(READ)
    def trace(id: str) -> Any:
        """A fact's blast radius: what was derived from it and who read it."""
        return session().trace_fact(id)

    @tool(READ)
    def diff(old: str | None = None, new: str | None = None, scope: str | None = None) -> Any:
        """Facts that differ between two commits (default: what the head commit changed)."""
        return session().diff(old, new, scope=scope)

    @tool(WRITE)
    def branch(name: str | None = None, start: str | None = None) -> Any:
        """List branches, or create `name` at `start` (default: the session's branch head)."""
        acting = session()
        return acting.branches() if name is None else acting.create_branch(name, start)

    @tool(WRITE)
    def merge(branch: str, strategy: Strategy = "fail", message: str = "") -> Any:
        """Merge `branch` into the session's branch fact by fact. `fail` (default) merges nothing
        on a conflict and lists the facts; ours/theirs/newest settle conflicts."""
        acting = session()
        result = acting.merge(branch, strategy=None if strategy == "fail" else strategy, message=message)
        if result.status == "conflicts":
            acting.merge_abort()  # the one it just began
            ids = ", ".join(c.id for c in result.conflicts)
            raise ToolError(f"Conflict: merging {branch} conflicts on {ids}; nothing merged "
                            "(pass strategy ours, theirs or newest)")  # fmt: skip
        return result

    @tool(WRITE)
    def promote(id: str, to: str, propose: bool = False) -> Any:
        """Copy a fact to a wider scope (or propose it, when the policy asks for review)."""
        return session().promote(id, to, propose=propose)
