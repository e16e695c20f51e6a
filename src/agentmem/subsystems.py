"""Subsystems of a `Repo` as objects: `repo.merges` and `repo.bisect` (as dvc binds
`Metrics(self)`), so the flat `Repo` stays a short list of core verbs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from . import bisect as _bisect
from . import merge as _merge
from . import merge_state
from .bisect import BisectStep
from .errors import Conflict
from .merge import MergeConflict, MergeResult
from .values import DEFAULT_AGENT

if TYPE_CHECKING:
    from .repo import Repo


class Merges:
    """The merges and reverts in progress on this checkout, one per agent (`merge_state`). A call
    that names no agent acts, as the owner, on the one in progress (refused while several are)."""

    def __init__(self, repo: Repo) -> None:
        self.repo = repo

    def status(self, agent: str | None = None) -> MergeResult:
        """`agent`'s merge or revert in progress, with the conflicts it may see; with no agent,
        the one in progress, whole. `NotFound` if none."""
        if agent is None:
            return _merge.pending(self.repo.store, merge_state.only(self.repo.local_dir))
        return self.repo.as_agent(agent).merge_status()

    def in_progress(self, agent: str) -> MergeResult | None:
        """`agent`'s merge or revert in progress as saved, its conflicts whole (for counting:
        nothing is handed out), or None."""
        saved = merge_state.state_path(self.repo.local_dir, agent)
        return _merge.pending(self.repo.store, saved) if saved.exists() else None

    def resolve(
        self, fact_id: str, take: str, text: str | None = None, *, agent: str | None = None
    ) -> MergeConflict:
        """Settle a conflict of `agent`'s merge, as that agent; with no agent, of the one in
        progress, as the agent that began it (its commit is written under that name)."""
        if agent is None:
            agent = str(merge_state.require(merge_state.only(self.repo.local_dir))["agent"])
        result: MergeConflict = self.repo.as_agent(agent).resolve_conflict(fact_id, take, text)
        return result

    def continue_(self, agent: str | None = None) -> MergeResult:
        if agent is not None:
            return self.repo.as_agent(agent).merge_continue()
        return _merge.continue_merge(self.repo.store, merge_state.only(self.repo.local_dir))

    def abort(self, agent: str | None = None) -> MergeResult:
        if agent is not None:
            return self.repo.as_agent(agent).merge_abort()
        return _merge.abort_merge(merge_state.only(self.repo.local_dir))

    def require_idle(self, verb: str) -> None:
        """Switching or resetting the branch is the checkout's, so it waits for every agent's
        merge in progress."""
        paths = merge_state.state_paths(self.repo.local_dir)
        waiting = [(merge_state.read(path) or {}, path) for path in paths]
        if waiting:
            state, path = waiting[0]
            who = ", ".join(str(s.get("agent")) for s, _p in waiting)
            raise Conflict(f"cannot {verb}: a {state.get('kind', 'merge')} is in progress (agent {who}; "
                           f"{merge_state.command(path, '--continue')} or --abort)")  # fmt: skip


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
