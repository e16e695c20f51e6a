"""What `Repo` keeps in `.agentmem/` to avoid reading git again: caches derived from git, one
per repository object, each a file of checked lines that may be deleted at any time
(docs/format.md). Mixed into `Repo` (repo.py); `purge` deletes the files and drops these."""

from __future__ import annotations

import contextlib
from functools import cached_property
from typing import TYPE_CHECKING

from .repo_base import RepoBase

if TYPE_CHECKING:
    from .commit_scopes import CommitScopesCache
    from .governance.commit_facts import CommitFacts
    from .listing import FactListing
    from .transaction import Transaction


class DerivedCaches(RepoBase):
    @cached_property
    def commit_scopes(self) -> CommitScopesCache:
        """The scopes each commit changes, kept in `.agentmem/commit-scopes` (commit_scopes.py)."""
        from .commit_scopes import CommitScopesCache

        return CommitScopesCache(self.store, self.local_dir)

    @cached_property
    def commit_facts(self) -> CommitFacts:
        """The fact versions each commit brings and forgets, kept in `.agentmem/commit-facts`."""
        from .governance.commit_facts import CommitFacts

        return CommitFacts(self.store, self.local_dir)

    @cached_property
    def fact_listing(self) -> FactListing:
        """The facts' headers for listings, kept in `.agentmem/fact-listing` (listing.py)."""
        from .listing import FactListing

        return FactListing(self.store, self.local_dir)

    def _list_imported(self, tx: Transaction, commit_id: bytes) -> None:
        """Record the imported facts' headers in `.agentmem/fact-listing`, so that the first
        `ls` after an import of 100,000 facts does not read them all back (listing.py). Only for
        a commit made straight on the transaction's base: one replayed on another writer's
        commit may keep that writer's version of a path. A derived file: when it cannot be
        written, or the base's trees cannot be read, the import stands (it is committed) and the
        next listing reads the facts from git."""
        from .errors import AgentmemError

        with contextlib.suppress(OSError, AgentmemError):
            commit = self.store.commit(commit_id)
            if commit.parents[:1] == [tx.base.commit_id]:
                self.fact_listing.learn(commit.tree, tx.base.tree_id, tx.written)
