"""Subsystems of a `Repo` as objects: `repo.merges` and `repo.bisect` (as dvc binds
`Metrics(self)`), so the flat `Repo` stays a short list of core verbs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from . import bisect as _bisect
from . import merge as _merge
from .bisect import BisectStep
from .errors import Conflict
from .merge import MergeConflict, MergeResult
from .values import DEFAULT_AGENT

if TYPE_CHECKING:
    from .repo import Repo


class Merges:
    """The merge or revert in progress on this checkout (``.agentmem/merge.json``)."""

    def __init__(self, repo: Repo) -> None:
        self.repo = repo

    def status(self, agent: str | None = None) -> MergeResult:
        """The merge or revert in progress, with its conflicts (those `agent` may see);
        `NotFound` if none."""
        if agent is None:
            return _merge.pending(self.repo.store, self.repo.local_dir)
        return self.repo.as_agent(agent).merge_status()

    def resolve(
        self, fact_id: str, take: str, text: str | None = None, *, agent: str = "agentmem"
    ) -> MergeConflict:
        result: MergeConflict = self.repo.as_agent(agent).resolve_conflict(fact_id, take, text)
        return result

    def continue_(self) -> MergeResult:
        return _merge.continue_merge(self.repo.store, self.repo.local_dir)

    def abort(self) -> MergeResult:
        return _merge.abort_merge(self.repo.local_dir)

    def require_idle(self, verb: str) -> None:
        state = _merge.merge_state(self.repo.local_dir)
        if state is not None:
            raise Conflict(f"cannot {verb}: a {state['kind']} is in progress "
                           "(agentmem merge --continue or --abort)")  # fmt: skip


class Bisection:
    """`repo.bisect(pattern)` finds the first commit holding a matching fact; `start`, `mark`,
    `status`, `run`, `reset` drive a manual bisection (``.agentmem/bisect.json``)."""

    def __init__(self, repo: Repo) -> None:
        self.repo = repo

    def __call__(
        self, pattern: str, *, scope: str | None = None, good: str | None = None,
        bad: str | None = None, agent: str | None = None,
    ) -> BisectStep:  # fmt: skip
        """The first commit (first-parent chain) where a fact matching `pattern` exists
        (among the facts `agent` may see, when given: `Session.bisect`)."""
        if agent is not None:
            return self.repo.as_agent(agent).bisect(pattern, scope=scope, good=good, bad=bad)
        return _bisect.contains(self.repo.store, pattern, scope=scope, good=good, bad=bad)

    def start(self, *, good: str | None = None, bad: str = "HEAD", agent: str = DEFAULT_AGENT) -> BisectStep:
        """Start `agent`'s manual bisection (each agent has its own); `good` defaults to before
        the root commit (every commit of the first-parent chain up to `bad` is a candidate)."""
        return _bisect.start(self.repo.store, self._state(agent), good, bad)

    def mark(self, verdict: str, ref: str | None = None, *, agent: str = DEFAULT_AGENT) -> BisectStep:
        """Record ``good``, ``bad`` or ``skip`` for `ref` (default: the current candidate)."""
        return _bisect.mark(self.repo.store, self._state(agent), verdict, ref)

    def status(self, *, agent: str = DEFAULT_AGENT) -> BisectStep:
        return _bisect.status(self.repo.store, self._state(agent))

    def active(self, *, agent: str = DEFAULT_AGENT) -> bool:
        """Whether `agent` has a bisection under way on this checkout."""
        return _bisect.load(self._state(agent)) is not None

    def run(self, argv: list[str], *, agent: str = DEFAULT_AGENT) -> BisectStep:
        return _bisect.run(self.repo.store, self._state(agent), self.repo.root, argv)

    def reset(self, *, agent: str = DEFAULT_AGENT) -> bool:
        return _bisect.reset(self._state(agent))

    def _state(self, agent: str) -> Path:
        return _bisect.state_path(self.repo.local_dir, agent)
