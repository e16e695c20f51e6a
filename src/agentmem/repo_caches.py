"""What `Repo` keeps in `.agentmem/` to avoid reading git again: caches derived from git, one
per repository object, each a file of checked lines that may be deleted at any time
(docs/format.md). Mixed into `Repo` (repo.py); `purge` deletes the files and drops these."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from .repo_base import RepoBase

if TYPE_CHECKING:
    from .commit_scopes import CommitScopesCache
    from .governance.commit_facts import CommitFacts
    from .listing import FactListing


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
