"""`Repo`'s remote verbs: remotes, fetch, pull, push (`Repo.clone` is with `init` in repo.py).

Thin delegations to remote_config.py (``.git/config``) and remotes.py (see docs/remotes.md),
imported on first use: remotes.py loads dulwich's network client, which no local command needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .repo_base import RepoBase

if TYPE_CHECKING:
    from .merge import MergeResult
    from .remote_config import RemoteInfo
    from .remotes import FetchResult, PullResult, PushResult


class RemoteVerbs(RepoBase):
    """Mixed into `Repo` (repo.py); what it uses of `Repo` is declared in repo_base.py."""

    def remotes(self) -> list[RemoteInfo]:
        from .remote_config import remotes

        return remotes(self.store)

    def add_remote(self, name: str, url: str) -> RemoteInfo:
        from .remote_config import add_remote

        return add_remote(self.store, name, url)

    def remove_remote(self, name: str) -> RemoteInfo:
        from .remote_config import remove_remote

        return remove_remote(self.store, name)

    def fetch(self, remote: str | None = None) -> FetchResult:
        """Bring `remote`'s branches (as ``REMOTE/BRANCH``) and new tags here; default: the
        current branch's upstream remote."""
        from . import remotes as _remotes
        from .remote_config import resolve_target

        name, _ = resolve_target(self.store, remote, None)
        return _remotes.fetch(self.store, name)

    def pull(
        self, remote: str | None = None, branch: str | None = None, *, agent: str = "agentmem",
        strategy: str | None = None, message: str = "",
    ) -> PullResult:  # fmt: skip
        """Fetch and merge fact by fact (default: the upstream). `strategy` ``fail`` refuses
        conflicts outright; ``ours``/``theirs``/``newest`` settle them; none leaves them to
        `resolve_conflict` and `merge_continue`."""
        from . import remotes as _remotes
        from .incoming import PurgeNeeded

        session = self.as_agent(agent)

        def merge(ref: str, how: str | None, text: str) -> MergeResult:
            return session.merge(ref, strategy=how, message=text)

        def pull() -> PullResult:
            return _remotes.pull(self.store, remote, branch, merge, session.merge_abort, strategy, message)

        try:
            return pull()
        except PurgeNeeded as needed:
            if any(i.startswith("(") for i in needed.fact_ids):
                raise
            for fact_id in needed.fact_ids:  # the remote's purge record applies here too
                self.purge(fact_id, agent=agent, yes=True)
            return pull()

    def push(
        self, remote: str | None = None, branch: str | None = None, *, force: bool = False
    ) -> PushResult:
        """Send a branch (default: the current one, to its upstream); a non-fast-forward is
        refused unless `force`. The first push sets the upstream."""
        from . import remotes as _remotes

        return _remotes.push(self.store, remote, branch, force=force)
