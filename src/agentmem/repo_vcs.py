"""`Repo`'s version-control verbs: merge, revert, branches, tags, reset, reflog, bisect.

Thin delegations: merges and reverts go through the acting agent's `Session` (so the policy gate
sees them), refs through refs.py, a merge in progress and bisect through `repo.merges` and
`repo.bisect` (subsystems.py). Each subsystem is imported inside the method that uses it, so a
command that only reads does not load them (docs/benchmarks.md, start-up).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .repo_base import RepoBase

if TYPE_CHECKING:
    from .bisect import BisectStep
    from .merge import MergeConflict, MergeResult
    from .refs import RefInfo, ReflogEntry, ResetResult


class VersionControlVerbs(RepoBase):
    """Mixed into `Repo` (repo.py); what it uses of `Repo` is declared in repo_base.py."""

    def merge(
        self, other: str, *, agent: str = "agentmem", strategy: str | None = None,
        message: str = "", run: str | None = None, trace: str | None = None,
    ) -> MergeResult:  # fmt: skip
        """Three-way merge of `other` into the current branch, fact by fact. Conflicts without a
        strategy: nothing committed, state saved for `resolve_conflict`/`merge_continue`."""
        session = self.as_agent(agent, run=run, trace=trace)
        return session.merge(other, strategy=strategy, message=message)

    def revert(
        self, commit: str, *, agent: str = "agentmem", strategy: str | None = None,
        message: str = "", run: str | None = None, trace: str | None = None,
    ) -> MergeResult:  # fmt: skip
        """A new commit undoing `commit` fact by fact; later changes of its facts conflict."""
        session = self.as_agent(agent, run=run, trace=trace)
        return session.revert(commit, strategy=strategy, message=message)

    def merge_status(self, agent: str | None = None) -> MergeResult:
        """`agent`'s merge in progress (each agent has its own), or with none the one in
        progress (`Merges`)."""
        return self.merges.status(agent)

    def resolve_conflict(
        self, fact_id: str, take: str, text: str | None = None, *, agent: str | None = None
    ) -> MergeConflict:
        return self.merges.resolve(fact_id, take, text, agent=agent)

    def merge_continue(self, agent: str | None = None) -> MergeResult:
        return self.merges.continue_(agent)

    def merge_abort(self, agent: str | None = None) -> MergeResult:
        return self.merges.abort(agent)

    def branches(self) -> list[RefInfo]:
        from . import refs as _refs

        return _refs.branches(self.store)

    def create_branch(self, name: str, start: str | None = None) -> RefInfo:
        """A new branch at `start` (default HEAD), governed as HEAD's branch: see
        `Session.create_branch`."""
        return self._owner().create_branch(name, start)

    def delete_branch(self, name: str) -> RefInfo:
        from . import refs as _refs

        return _refs.delete_branch(self.store, name)

    def switch(self, name: str) -> RefInfo:
        from . import refs as _refs

        self.merges.require_idle("switch")
        return _refs.switch(self.store, name)

    def tag(self, name: str, target: str | None = None) -> RefInfo:
        from . import refs as _refs

        return _refs.create_tag(self.store, name, target)

    def tags(self) -> list[RefInfo]:
        from . import refs as _refs

        return _refs.tags(self.store)

    def reset(self, target: str, *, hard: bool = True) -> ResetResult:
        """Move the current branch to `target` (old head kept in the reflog); `hard` also drops
        the staged writes (every agent's), as ``git reset --hard`` drops the index."""
        from . import refs as _refs
        from .values import validate_flag

        validate_flag(hard, "hard")
        self.merges.require_idle("reset")
        result = _refs.reset(self.store, target)
        if hard:
            self.unstage(None)
        return result

    def reflog(self, branch: str | None = None, n: int | None = None) -> list[ReflogEntry]:
        from . import refs as _refs

        return _refs.reflog(self.store, branch, n)

    def bisect_start(self, *, good: str | None = None, bad: str = "HEAD") -> BisectStep:
        return self.bisect.start(good=good, bad=bad)

    def bisect_mark(self, verdict: str, ref: str | None = None) -> BisectStep:
        """Record ``good``, ``bad`` or ``skip`` for `ref` (default: the current candidate)."""
        return self.bisect.mark(verdict, ref)

    def bisect_status(self) -> BisectStep:
        return self.bisect.status()

    def bisect_run(self, argv: list[str]) -> BisectStep:
        return self.bisect.run(argv)

    def bisect_reset(self) -> bool:
        return self.bisect.reset()
