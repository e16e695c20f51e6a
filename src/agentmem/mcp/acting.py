"""The acting agent's view of a repository: `Repo.as_agent` (the governance session, which
filters every read by the policy and writes read receipts) where this build has it, else a
stand-in over the flat `Repo` methods with the agent fixed, so every tool goes through one door."""

from __future__ import annotations

from typing import Any

from ..errors import InvalidInput, NotFound
from ..fact import validate_name
from ..repo import Repo


def acting(repo: Repo, agent: str) -> Any:
    """The session every MCP tool call runs in; `agent` comes from the server, never the call."""
    validate_name(agent, "agent")
    as_agent = getattr(repo, "as_agent", None)
    if as_agent is not None:
        return as_agent(agent)
    return _FlatSession(repo, agent)


class _FlatSession:
    """Today's flat API with the agent fixed (used until `Repo.as_agent` exists)."""

    def __init__(self, repo: Repo, agent: str) -> None:
        self.repo, self.agent, self.branch = repo, agent, repo.branch

    def get(self, fact_id: str, at: str | None = None) -> Any:
        return self.repo.get(fact_id, at)

    def facts(self, scope: str | None = None, at: str | None = None) -> Any:
        return self.repo.facts(scope, at)

    def search(self, query: str, **kwargs: Any) -> Any:
        return self.repo.search(query, **kwargs)

    def log(self, fact_id: str | None = None, **kwargs: Any) -> Any:
        return self.repo.log(fact_id, **kwargs)

    def blame(self, fact_id: str, at: str | None = None) -> Any:
        return self.repo.blame(fact_id, at)

    def diff(self, old: str | None = None, new: str | None = None, **kwargs: Any) -> Any:
        return self.repo.diff(old, new, **kwargs)

    def trace(self, fact_id: str) -> Any:
        raise NotFound("trace needs the governance session (Repo.as_agent), not in this build")

    def remember(self, text: str, scope: str = "shared", **fields: Any) -> Any:
        return self.repo.remember(text, scope, agent=self.agent, **fields)

    def update(self, fact_id: str, **fields: Any) -> Any:
        return self.repo.update(fact_id, agent=self.agent, **fields)

    def forget(self, fact_id: str, *, message: str = "") -> Any:
        return self.repo.forget(fact_id, agent=self.agent, message=message)

    def promote(self, fact_id: str, to: str, *, propose: bool = False) -> Any:
        raise InvalidInput("promote needs the governance session (Repo.as_agent), not in this build")

    def merge(self, other: str, *, strategy: str | None = None, message: str = "") -> Any:
        return self.repo.merge(other, agent=self.agent, strategy=strategy, message=message)
