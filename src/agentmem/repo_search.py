"""`Repo`'s search verbs: search, near duplicates, duplicates, the index and its status.

`daemon=True` sends the request to the user's warm search service (started on demand;
see service.py); `False` loads the model and index in this process; None (the default)
follows ``search.daemon`` in the config. Both run `service.dispatch`, so they give the
same answer, and both pass every hit through the acting identity's visibility test
(`actor`, default from $AGENTMEM_AGENT / _RUN / _TRACE).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from .errors import InvalidInput
from .repo_base import RepoBase
from .values import author_filter, short, validate_flag

if TYPE_CHECKING:
    from .repo import Repo
    from .search import SearchHit
    from .visibility import Actor


class SearchVerbs(RepoBase):
    """Mixed into `Repo` (repo.py); what it uses of `Repo` is declared in repo_base.py."""

    def search(
        self, query: str, *, at: str | None = None, scope: str | None = None,
        author: str | None = None, kind: str | None = None, k: int = 10, mode: str = "hybrid",
        daemon: bool | None = None, progress: Callable[[int, int], None] | None = None,
        note: Callable[[str], None] | None = None, actor: Actor | None = None,
        agent: str | None = None,
    ) -> list[SearchHit]:  # fmt: skip
        """Facts ranked by meaning and keywords at `at` (default: the current branch). Every
        hit names the commit it was read from: searching `at` that commit gives the same hits.
        `author` keeps only facts that agent wrote; `actor` is who is asking (default: the
        owner, or $AGENTMEM_AGENT when set; to search AS an agent: `as_agent(...).search`).
        `agent` is the old name of `author` (deprecated: it never meant "search as")."""
        author = author_filter(author, agent)
        actor = _acting(actor)
        searcher = self._owner() if actor.agent is None else self.as_agent(
            actor.agent, run=actor.run, trace=actor.trace)
        return searcher.search(query, at=at, scope=scope, author=author, kind=kind, k=k, mode=mode,
                               daemon=daemon, progress=progress, note=note)  # fmt: skip

    def near_duplicates(
        self, fact_id: str, *, at: str | None = None, threshold: float | None = None, k: int = 10,
        daemon: bool | None = None, start: bool = True, actor: Actor | None = None,
    ) -> list[SearchHit] | None:  # fmt: skip
        """Facts in `fact_id`'s scope within `threshold` cosine of it (default
        ``search.duplicate_threshold``). With the service and `start` false (the check after a
        write), None when no service runs or it is busy: the check is skipped, never waited for."""
        from .search import SearchHit, check_k

        limit = self._threshold(threshold)
        params = {"fact_id": fact_id, "at": at, "threshold": limit, "k": check_k(k)}
        found = self._search_call("near_duplicates", params, daemon, actor, start=start, quick=not start)
        return None if found is None else [SearchHit.from_dict(hit) for hit in found]

    def duplicates(
        self, scope: str, *, at: str | None = None, threshold: float | None = None,
        daemon: bool | None = None, actor: Actor | None = None,
    ) -> tuple[str, list[tuple[str, str, float]]]:  # fmt: skip
        """(commit, pairs of facts in `scope` within `threshold` cosine, most similar first)."""
        limit = self._threshold(threshold)
        params = {"scope": scope, "at": at, "threshold": limit}
        found = self._search_call("duplicates", params, daemon, actor)
        return found["commit"], [(a, b, float(s)) for a, b, s in found["pairs"]]

    def index(
        self, *, at: str | None = None, rebuild: bool = False, daemon: bool | None = None,
        progress: Callable[[int, int], None] | None = None, note: Callable[[str], None] | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Bring the search index of `at` up to date (from scratch with `rebuild`); return
        what is indexed."""
        params = {"at": at, "rebuild": validate_flag(rebuild, "rebuild")}
        found: dict[str, Any] = self._search_call("index", params, daemon, None, progress=progress, note=note)
        return found

    def index_status(self, *, daemon: bool | None = None) -> dict[str, Any]:
        """The index's views (branch or commit, indexed commit, rows) and cache size. A running
        service answers at once; while it is busy with this repository (or when none runs) the
        index is read here."""
        result: dict[str, Any] | None = self._search_call("status", {}, daemon, None, start=False)
        if result is not None and "views" in result:
            return result
        local: dict[str, Any] = self._search_call("status", {}, False, None)
        return local

    def _threshold(self, threshold: float | None) -> float:
        """The cosine above which two facts are near duplicates: `threshold`, or the config's."""
        value = self.config["search"]["duplicate_threshold"] if threshold is None else threshold
        if isinstance(value, bool) or not isinstance(value, int | float) or not -1.0 <= value <= 1.0:
            raise InvalidInput(f"the threshold must be a cosine between -1 and 1, not {short(repr(value))}")
        return float(value)

    def _search_call(
        self, op: str, params: dict[str, Any], daemon: bool | None, actor: Actor | None, *,
        start: bool = True, quick: bool = False, progress: Callable[[int, int], None] | None = None,
        note: Callable[[str], None] | None = None,
    ) -> Any:  # fmt: skip
        from . import service
        from .visibility import visible

        if daemon is not None:
            validate_flag(daemon, "daemon")
        validate_flag(start, "start")
        actor = _acting(actor)
        if service.daemon_enabled(self.config) if daemon is None else daemon:
            return service.call(self.root, op, params, actor=actor, start=start, progress=progress,
                                note=note, quick=quick)  # fmt: skip
        if self._search_index is None:
            from .index import Index  # lancedb: only when a search runs in this process

            location = self.config["search"].get("index_location")
            self._search_index = Index(self.store, self.local_dir, self.config["embedding"], location)
        test = visible(cast("Repo", self), actor)
        return service.dispatch(self._search_index, op, params, progress, note, test)


def _acting(actor: Actor | None) -> Actor:
    """Who is asking: `actor`, else the agent named in the environment ($AGENTMEM_AGENT...)."""
    from .visibility import Actor

    if actor is not None and not isinstance(actor, Actor):
        raise InvalidInput(f"actor must be an agentmem.visibility.Actor, not {type(actor).__name__}")
    return actor or Actor.from_env()
