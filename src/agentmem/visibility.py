"""Who may see which fact in search results: the hook every search path applies to every hit.

A search request carries the acting identity (`Actor`: agent, run, trace). The search service,
and the in-process search alike, ask `visible(repo, actor)` for a test and drop every hit that
fails it, so a client never filters for itself. Today every fact is visible; the repository's
policy (governance) fills this function in. Nothing here imports lancedb or torch.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import InvalidInput

if TYPE_CHECKING:
    from .fact import Fact
    from .repo import Repo

_FIELDS = ("agent", "run", "trace", "branch")
_MAX_CHARS = 200


@dataclass(frozen=True)
class Actor:
    """The acting identity of a request, as declared (``--agent`` / ``AGENTMEM_AGENT``)."""

    agent: str | None = None
    run: str | None = None
    trace: str | None = None
    branch: str | None = None  # whose governance state applies (default: $AGENTMEM_BRANCH, HEAD)

    @classmethod
    def from_env(cls) -> Actor:
        return cls(*(os.environ.get(f"AGENTMEM_{name.upper()}") or None for name in _FIELDS))

    def to_dict(self) -> dict[str, str | None]:
        return {name: getattr(self, name) for name in _FIELDS}

    @classmethod
    def from_dict(cls, data: Any) -> Actor:
        """From a request: each field a short string or null, anything else refused."""
        if data is None:
            return cls()
        if not isinstance(data, dict) or set(data) - set(_FIELDS):
            raise InvalidInput("invalid acting identity in request")
        values = [data.get(name) for name in _FIELDS]
        for value in values:
            if value is not None and (not isinstance(value, str) or len(value) > _MAX_CHARS):
                raise InvalidInput("invalid acting identity in request")
        return cls(*values)


def visible(repo: Repo, actor: Actor) -> Callable[[Fact], bool]:
    """The test a fact must pass to be shown to `actor` in `repo`: the repository's policy,
    quarantine list and retention as committed at the tip of the actor's branch
    (governance/visibility.py). An actor without an agent is the repository's owner: the
    policy does not apply, quarantine and retention do. The test also offers the scopes the
    actor may read as an index prefilter (`where`), so ranks never hint at hidden facts."""
    from .governance.visibility import ReadFilter

    return ReadFilter.of(repo, actor.agent, actor.branch)
