"""What an agent's `Session` asks of the search service, on its one read path: every request
carries the agent's identity, so the service drops what the agent may not read before anything
leaves it (`service.handle`), and what comes back is handed out here (read receipts).

Near-duplicates are searches too: a fact's neighbours in its scope are facts, and their texts
are shown (the warning after a write, `agentmem dedupe`)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from dulwich.objects import Blob

from .errors import NotFound
from .fact import Fact, validate_id

if TYPE_CHECKING:
    from .governance.visibility import Visibility
    from .search import SearchHit
    from .session import Session
    from .visibility import Actor


def search(
    session: Session, params: dict[str, Any], daemon: bool | None, progress: Any, note: Any
) -> list[SearchHit]:
    from .search import SearchHit, check_query, where_clause

    check_query(params["query"], params["k"], params["mode"])  # before a service is started for it
    where_clause(None, params.get("agent"), params.get("kind"))  # the filters' values, likewise
    at, scope = params["at"], params["scope"]
    session.reading(at)  # refused here before a service starts; the service checks it too
    vis = session.visibility()
    if scope is not None:
        vis.require_scope(scope)
    found = session.repo._search_call("search", params, daemon, _actor(session), progress=progress, note=note)
    hits = [SearchHit.from_dict(hit) for hit in found]
    commit = hits[0].commit if hits else session.snapshot(at).commit
    session.hand_out("search", commit, _handed(hits), params["query"])
    return _shown(session, vis, hits)


def near_duplicates(
    session: Session, fact_id: str, at: str | None, threshold: float | None, k: int,
    daemon: bool | None, start: bool,
) -> list[SearchHit] | None:  # fmt: skip
    """The neighbours of a fact this agent may read (one it may not is "no fact", as absent)."""
    validate_id(fact_id)
    snap = session.snapshot(at)
    fact, vis = snap.find(fact_id), session.visibility()
    if fact is None or not vis.shows(fact):
        raise NotFound(f"no fact {fact_id}")
    hits = session.repo.near_duplicates(
        fact_id, at=snap.commit, threshold=threshold, k=k, daemon=daemon, start=start, actor=_actor(session)
    )  # fmt: skip
    if hits:
        session.hand_out("near-duplicates", snap.commit, _handed(hits), fact_id)
    return None if hits is None else _shown(session, vis, hits)


def duplicates(
    session: Session, scope: str, at: str | None, threshold: float | None, daemon: bool | None
) -> tuple[str, list[tuple[str, str, float]]]:
    """Pairs in a scope this agent may read, both facts shown to it (the service drops the rest)."""
    session.visibility().require_scope(scope)
    commit = session.snapshot(at).commit
    commit, pairs = session.repo.duplicates(scope, at=commit, threshold=threshold, daemon=daemon,
                                            actor=_actor(session))  # fmt: skip
    if pairs:
        from .snapshot import Snapshot

        snap = Snapshot(session.repo.store, commit.encode())
        ids = dict.fromkeys(i for a, b, _s in pairs for i in (a, b))
        blobs = [(i, blob.decode()) for i in ids if (blob := snap.blob_of(i, scope)) is not None]
        session.hand_out("dedupe", commit, blobs, scope)
    return commit, pairs


def _shown(session: Session, vis: Visibility, hits: list[SearchHit]) -> list[SearchHit]:
    """Hits with their facts' `derived_from` as the agent is shown it (`shown_sources`)."""
    if not vis.restricted or not any(hit.fact.derived_from for hit in hits):
        return hits
    from .snapshot import Snapshot

    snaps = {c: Snapshot(session.repo.store, c.encode()) for c in {hit.commit for hit in hits}}
    return [replace(hit, fact=vis.shown_fact(hit.fact, snaps[hit.commit])) for hit in hits]


def _actor(session: Session) -> Actor:
    from .visibility import Actor

    return Actor(session.agent if session.governed else None, session.run, session.trace, session.branch)


def _handed(hits: list[SearchHit]) -> list[tuple[str, str]]:
    return [(hit.fact.id, hit.blob or _blob_id(hit.fact)) for hit in hits]


def _blob_id(fact: Fact) -> str:
    """The git blob id of a fact's canonical file (what a search hit handed out)."""
    blob_id: bytes = Blob.from_string(fact.to_bytes()).id
    return blob_id.decode()
