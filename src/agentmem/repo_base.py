"""What `Repo` (repo.py) provides to the verbs mixed into it: repo_vcs.py, repo_history.py,
repo_remotes.py, repo_search.py and repo_caches.py each subclass `RepoBase`, so the attributes
and methods they use are declared once, here, for the type checker."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .governance.purge import Purged
    from .index import Index
    from .merge import MergeResult
    from .session import Session
    from .snapshot import Snapshot
    from .store import GitStore
    from .subsystems import Bisection, Merges


class RepoBase:
    """Declarations only: `Repo.__init__` sets the attributes, `Repo` defines the methods."""

    root: Path
    local_dir: Path
    store: GitStore
    config: dict[str, dict[str, Any]]
    _search_index: Index | None

    if TYPE_CHECKING:

        @property
        def merges(self) -> Merges: ...

        @property
        def bisect(self) -> Bisection: ...

        def as_agent(
            self, agent: str, *, run: str | None = None, trace: str | None = None,
            branch: str | None = None,
        ) -> Session: ...  # fmt: skip

        def _owner(self) -> Session: ...

        def snapshot(self, at: str | None = None) -> Snapshot: ...

        def unstage(self, agent: str | None = ...) -> int: ...

        def merge_abort(self, agent: str | None = ...) -> MergeResult: ...

        def purge(self, fact_id: str, *, agent: str, yes: bool = False) -> Purged: ...
