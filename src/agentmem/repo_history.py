"""`Repo`'s history verbs: log, commit_info, diff, blame, derived, each read as the owner.

Thin delegations to the owner's `Session` (session_history.py), lineage.py and history.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .repo_base import RepoBase
from .values import author_filter

if TYPE_CHECKING:
    from .diff import DiffResult
    from .history import CommitInfo
    from .lineage import Blame, Derived


class HistoryVerbs(RepoBase):
    """Mixed into `Repo` (repo.py); what it uses of `Repo` is declared in repo_base.py."""

    def log(
        self, fact_id: str | None = None, *, n: int | None = None, author: str | None = None,
        at: str | None = None, scope: str | None = None, agent: str | None = None,
    ) -> list[CommitInfo]:  # fmt: skip
        """Commits of the branch, newest first; with `fact_id`, only those that touched it
        (`author`: only that agent's commits; `agent`: its old name, deprecated)."""
        author = author_filter(author, agent)
        return self._owner().log(fact_id, n=n, at=at, scope=scope, author=author)

    def log_follow(
        self, fact_id: str, *, n: int | None = None, author: str | None = None,
        at: str | None = None, scope: str | None = None, agent: str | None = None,
    ) -> list[CommitInfo]:  # fmt: skip
        """A fact's history including the merge commits that brought its changes in."""
        author = author_filter(author, agent)
        return self._owner().log(fact_id, n=n, at=at, scope=scope, author=author, follow=True)

    def commit_info(self, ref: str) -> CommitInfo:
        """A commit with its provenance and the facts it changed."""
        from .history import commit_info

        return commit_info(self.store, self.store.resolve(ref), with_changes=True)

    def diff(
        self, old: str | None = None, new: str | None = None, *, scope: str | None = None,
        stat: bool = False,
    ) -> DiffResult:  # fmt: skip
        """Facts that differ from `old` to `new` (default HEAD). Without `old`: what `new`
        itself changed against its first parent (the empty tree for a root commit), like
        ``git show``. `stat` skips reading the fact bodies."""
        return self._owner().diff(old, new, scope=scope, stat=stat)

    def blame(self, fact_id: str, at: str | None = None, scope: str | None = None) -> Blame:
        """Who introduced and last changed a fact, and the same for its sources, recursively."""
        return self._owner().blame(fact_id, at, scope)

    def derived(self, fact_id: str, at: str | None = None) -> list[Derived]:
        """The fact and every fact derived from it, transitively (an O(n) scan of the facts)."""
        from . import lineage as _lineage

        return _lineage.derived_from(self.snapshot(at), fact_id)
