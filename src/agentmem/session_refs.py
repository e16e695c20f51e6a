"""`Session`'s branch, ref and merge verbs: thin methods over `session_vcs`, which loads only
when one is called (a command that only reads facts does not import merge)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from .bisect import BisectStep
    from .history import CommitInfo
    from .merge import MergeConflict, MergeResult
    from .refs import RefInfo, ReflogEntry, ResetResult
    from .session import Session


class BranchesAndMerges:
    """Mixed into `Session`: what an agent does with branches, refs and merges."""

    def _acting(self) -> Session:
        return cast("Session", self)

    def branches(self) -> list[RefInfo]:
        """Every branch, its tip's subject left empty where this agent may not see that commit."""
        from . import session_vcs

        return session_vcs.branches(self._acting())

    def tags(self) -> list[RefInfo]:
        """Every tag, its subject left empty as in `branches`."""
        from . import session_vcs

        return session_vcs.tags(self._acting())

    def reflog(self, branch: str | None = None, n: int | None = None) -> list[ReflogEntry]:
        """A branch's moves (default: this session's), labels of hidden commits left empty."""
        from . import session_vcs

        return session_vcs.reflog(self._acting(), branch or self._acting().branch, n)

    def commit_info(self, ref: str) -> CommitInfo:
        """A commit and the facts it changed; `PermissionDenied` if it touches a hidden fact."""
        from . import session_vcs

        return session_vcs.commit_info(self._acting(), ref)

    def reset(self, target: str, *, hard: bool = True) -> ResetResult:
        """`Repo.reset` of HEAD's branch; under its policy, by an admin only."""
        from . import session_vcs

        return session_vcs.reset(self._acting(), target, hard)

    def delete_branch(self, name: str) -> RefInfo:
        """`Repo.delete_branch`; under the branch's policy, by an admin only."""
        from . import session_vcs

        return session_vcs.delete_branch(self._acting(), name)

    def create_branch(self, name: str, start: str | None = None) -> RefInfo:
        """A new branch at `start` (default: the session's branch), a commit this agent may read."""
        from . import session_vcs

        return session_vcs.create_branch(self._acting(), name, start)

    def merge(self, other: str, *, strategy: str | None = None, message: str = "") -> MergeResult:
        """Three-way merge of `other` into the session's branch, fact by fact."""
        from . import session_vcs

        return session_vcs.merge(self._acting(), other, strategy, message)

    def revert(self, commit: str, *, strategy: str | None = None, message: str = "") -> MergeResult:
        """A new commit on the session's branch undoing `commit` fact by fact."""
        from . import session_vcs

        return session_vcs.revert(self._acting(), commit, strategy, message)

    def merge_status(self) -> MergeResult:
        """The merge or revert in progress, with the conflicts this agent may see."""
        from . import session_vcs

        return session_vcs.merge_status(self._acting())

    def merge_continue(self) -> MergeResult:
        """Commit the merge or revert in progress once every conflict is resolved."""
        from . import session_vcs

        return session_vcs.merge_continue(self._acting())

    def merge_abort(self) -> MergeResult:
        """Drop the merge or revert in progress: this agent's, or any as an admin."""
        from . import session_vcs

        return session_vcs.merge_abort(self._acting())

    def resolve_conflict(self, fact_id: str, take: str, text: str | None = None) -> MergeConflict:
        """Settle one conflict of the merge in progress (one this agent may see)."""
        from . import session_vcs

        return session_vcs.resolve_conflict(self._acting(), fact_id, take, text)

    def bisect(
        self, pattern: str, *, scope: str | None = None, good: str | None = None, bad: str | None = None
    ) -> BisectStep:
        """The first commit (first-parent chain, after `good`, up to `bad`: default the session's
        branch) where a fact this agent may see matches `pattern`; the first bad commit as
        `bisect_shown` leaves it."""
        from . import session_vcs

        return session_vcs.bisect(self._acting(), pattern, scope, good, bad)

    def bisect_start(self, *, good: str | None = None, bad: str = "HEAD") -> BisectStep:
        """Start this agent's manual bisection (`repo.bisect.start`; each agent has its own)."""
        acting = self._acting()
        return self.bisect_shown(acting.repo.bisect.start(good=good, bad=bad, agent=acting.agent))

    def bisect_mark(self, verdict: str, ref: str | None = None) -> BisectStep:
        """Record ``good``, ``bad`` or ``skip`` for `ref` (default: the current candidate)."""
        acting = self._acting()
        return self.bisect_shown(acting.repo.bisect.mark(verdict, ref, agent=acting.agent))

    def bisect_status(self) -> BisectStep:
        acting = self._acting()
        return self.bisect_shown(acting.repo.bisect.status(agent=acting.agent))

    def bisect_run(self, argv: list[str]) -> BisectStep:
        acting = self._acting()
        return self.bisect_shown(acting.repo.bisect.run(argv, agent=acting.agent))

    def bisect_reset(self) -> bool:
        """End this agent's manual bisection; False if it had none."""
        acting = self._acting()
        return acting.repo.bisect.reset(agent=acting.agent)

    def bisect_shown(self, step: BisectStep) -> BisectStep:
        """`step` as this agent is shown it: a first bad commit it may not see (its subject may
        quote a fact it may not read) without its subject and changes."""
        from . import session_vcs

        return session_vcs.bisect_shown(self._acting(), step)
