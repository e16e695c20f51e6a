"""Search: each ranker's candidates from the index, ranked (`ranking`), as typed hits.

Pure Python over `Index` queries; importing this module imports neither lancedb nor torch, so
the CLI client can rebuild `SearchHit`s from the service's JSON. How the default ``hybrid`` mode
fuses keyword (BM25) and vector (cosine) candidates is in `ranking`; what the vector side embeds
is `vector_text`.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from .errors import InvalidInput
from .fact import Fact, parse_scope, validate_label, validate_name
from .ranking import (
    COMMON_NAME_FACTS,
    COMMON_NAME_SCORE,
    COMMON_NAME_SHARE,
    Candidates,
    entities,
    names,
    rank,
    without,
)
from .values import validate_str, validate_unicode

if TYPE_CHECKING:
    from .index import Index
    from .view_table import View

MODES = ("hybrid", "vector", "keyword")
FUSION: dict[str, float] = {"candidates": 50.0}  # facts fetched from each ranker
MAX_K = 1000
MAX_QUERY_CHARS = 4096


@dataclass
class SearchHit:
    """One fact found, with the commit it was read from and how each ranker placed it."""

    fact: Fact
    score: float
    commit: str
    keyword_rank: int | None = None
    vector_rank: int | None = None
    chunk: int | None = None  # the fact's best-matching chunk (vector side)
    similarity: float | None = None  # cosine of that chunk and the query
    blob: str | None = None  # the git blob id of the fact's file, as the index holds it

    def to_dict(self) -> dict[str, Any]:
        return {
            "fact": self.fact.to_dict(), "score": self.score, "commit": self.commit,
            "keyword_rank": self.keyword_rank, "vector_rank": self.vector_rank,
            "chunk": self.chunk, "similarity": self.similarity, "blob": self.blob,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SearchHit:
        values = dict(data)
        values["fact"] = Fact.from_dict(values["fact"])
        return cls(**values)


def where_clause(scope: str | None = None, agent: str | None = None, kind: str | None = None,
                 extra: str | None = None) -> str | None:  # fmt: skip
    """A LanceDB prefilter from user values: each is validated (so it cannot carry SQL) and
    then quoted with '' escaping anyway."""
    parts = []
    if scope is not None:
        parts.append(f"scope = {quote(parse_scope(scope))}")
    if agent is not None:
        parts.append(f"agent = {quote(validate_name(agent, 'agent name'))}")
    if kind is not None:
        parts.append(f"kind = {quote(validate_label(kind, 'kind'))}")
    if extra:
        parts.append(extra)
    return " AND ".join(parts) or None


def quote(value: str) -> str:
    """A SQL string literal for a LanceDB filter (values are validated before this too)."""
    return "'" + value.replace("'", "''") + "'"


def keyword_text(fact: Fact) -> str:
    """What BM25 reads for a fact: its text, then its tags and the values (not the keys) of its
    meta, one per line, so a speaker, a date or a title kept beside the text is searchable by
    keyword. Vectors are computed from the text alone."""
    values: list[str] = list(fact.tags)
    pending: list[Any] = [fact.meta]
    while pending:
        value = pending.pop(0)
        if isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, str | int | float) and not isinstance(value, bool):
            values.append(str(value))
    return "\n".join([fact.text, *values])


def check_query(query: str, k: int, mode: str) -> None:
    """A search's query, `k` and mode, checked where the search is asked for (before a search
    service is started) and again where it runs."""
    if not validate_unicode(validate_str(query, "search query"), "search query").strip():
        raise InvalidInput("empty search query")
    if len(query) > MAX_QUERY_CHARS:
        raise InvalidInput(f"search query is over {MAX_QUERY_CHARS} characters")
    if "\0" in query:
        raise InvalidInput("search query contains a NUL character")
    check_k(k)
    if not isinstance(mode, str) or mode not in MODES:
        raise InvalidInput(f"invalid mode {str(mode)[:20]!r}: use {', '.join(MODES)}")


def check_k(k: int) -> int:
    """How many hits a search or a duplicate check returns: a whole number from 1 to `MAX_K`."""
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise InvalidInput(f"-k must be a whole number between 1 and {MAX_K}, not {repr(k)[:20]}")
    return k


@cache
def _pool() -> ThreadPoolExecutor:
    """Threads that run searches' keyword sides beside their query embeddings."""
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="agentmem-keyword")


def find_candidates(
    index: Index, query: str, *, at: str | None = None, where: str | None = None, pool: int = 50,
    mode: str = "hybrid", query_vector: Any = None, progress: Any = None,
) -> tuple[View, Candidates]:  # fmt: skip
    """The view of `at` (caught up first) and the `pool` best candidates of each ranker that
    `mode` uses."""
    from .view_table import keyword_candidates  # pyarrow: only when a search runs

    if mode != "keyword" and query_vector is None:
        _ = index.embedder  # the model loads (and says so) before the view catches up
    wanted = entities(query)

    def fetch(view: View) -> Candidates:
        # The keyword side runs in another thread (LanceDB's, mostly) while this one embeds the
        # query: on 2 cores a search took their sum before, about the longer of the two now.
        keyword = None
        if mode != "vector":
            # Texts are read only where mentions count: a query naming a name or a code.
            keyword = _pool().submit(keyword_candidates, view, query, where, pool, bool(wanted))
        vector, near = None, []
        try:
            if mode != "keyword":
                vector = query_vector
                if vector is None:
                    vector = search_vector(index, view, query, where)
                # Several chunks of one fact may come back: fetch extra rows, keep each fact's best.
                near = index.vector_candidates(view, vector, where, pool * 2)
        finally:
            matched = [] if keyword is None else keyword.result()
        found = Candidates.from_rows(near, matched, pool, wanted)
        if vector is not None:  # the keyword side's facts get their real cosine, not a floor
            found.add_similarities(index.similarities(view, vector, found.unscored()))
        return found

    return index.read(at, fetch, progress)


def vector_text(view: View, query: str, where: str | None = None, facts: int = 0) -> str:
    """The query as the vector side embeds it: without the names common among the facts searched
    (such as a chat's speakers). Such a name pulls the query's embedding towards every fact that
    names it, and says nothing of what is asked; the keyword side still reads it, and `mentions`
    still count it. Over the whole view a name is common when its best BM25 score alone is below
    `COMMON_NAME_SCORE`; under a filter (`where`, matching `facts` facts), when at least
    `COMMON_NAME_FACTS` of those facts hold it, since BM25's statistics span the whole view."""
    from .view_table import best_score, holders

    if where is None:
        common = [name for name in names(query) if 0.0 < best_score(view, name) < COMMON_NAME_SCORE]
    else:
        enough = max(1, math.ceil(COMMON_NAME_FACTS * facts))
        common = [name for name in names(query) if facts and holders(view, name, where, enough) >= enough]
    return without(query, common) if common else query


def search_vector(index: Index, view: View, query: str, where: str | None = None) -> Any:
    """The vector the vector side searches with: the query's embedding, or, when `vector_text`
    leaves common names out, `COMMON_NAME_SHARE` of the whole query's vector and the rest of
    `vector_text`'s (one batch of two for the model)."""
    facts = index.fact_count(view, where) if where is not None and names(query) else 0
    text = vector_text(view, query, where, facts)
    if text == query:
        return index.embed_query(query)
    return mix_query_vectors(*index.embedder.encode([query, text]))


def mix_query_vectors(whole: Any, without_names: Any) -> Any:
    """`COMMON_NAME_SHARE` of `whole` plus the rest of `without_names`, unit length again."""
    import numpy as np

    vector = COMMON_NAME_SHARE * np.asarray(whole) + (1 - COMMON_NAME_SHARE) * np.asarray(without_names)
    return (vector / (float(np.linalg.norm(vector)) or 1.0)).astype(np.float32)


def run_search(
    index: Index, query: str, *, at: str | None = None, scope: str | None = None,
    agent: str | None = None, kind: str | None = None, k: int = 10, mode: str = "hybrid",
    fusion: dict[str, float] | None = None, progress: Any = None, query_vector: Any = None,
    where: str | None = None,
) -> list[SearchHit]:  # fmt: skip
    """Search the view of `at` (caught up first). Every hit names the view's commit.
    `query_vector` skips embedding the query (benchmarks time the two apart; it stands for
    what `search_vector` returns); `fusion` overrides `FUSION` (the candidate pool); `where` is an
    extra prefilter built by the caller from validated values (the reader's scopes)."""
    check_query(query, k, mode)
    pool = max(k, int({**FUSION, **(fusion or {})}["candidates"]))
    view, found = find_candidates(
        index, query, at=at, where=where_clause(scope, agent, kind, where), pool=pool, mode=mode,
        query_vector=query_vector, progress=progress,
    )  # fmt: skip
    keyword_rank = {i: r for r, (i, _s) in enumerate(found.keyword, 1)}
    vector_rank = {i: r for r, (i, _s) in enumerate(found.vector, 1)}
    hits = []
    for fact_id, score in rank(query, found, mode)[:k]:
        hits.append(SearchHit(
            fact=index.store.read_fact(found.blobs[fact_id].encode()), score=score,
            commit=view.commit, keyword_rank=keyword_rank.get(fact_id),
            vector_rank=vector_rank.get(fact_id), chunk=found.chunks.get(fact_id),
            similarity=found.similarity.get(fact_id), blob=found.blobs[fact_id],
        ))  # fmt: skip
    return hits


def near_duplicates(
    index: Index, fact_id: str, *, at: str | None = None, threshold: float = 0.92, k: int = 10,
) -> list[SearchHit]:  # fmt: skip
    """Facts in the same scope whose vectors are within `threshold` cosine of `fact_id`'s."""
    from .fact import validate_id
    from .view_table import matching_rows

    validate_id(fact_id)
    check_k(k)
    view, own = index.read(at, lambda v: matching_rows(v, f"id = {quote(fact_id)}"))
    if not own.num_rows:
        from .errors import NotFound

        raise NotFound(f"no fact {fact_id} at {view.commit[:12]}")
    fact = index.store.read_fact(own["blob"][0].as_py().encode())
    where = where_clause(scope=fact.scope, extra=f"id != {quote(fact_id)}")
    best: dict[str, tuple[float, int, str]] = {}
    for vector in own["vector"].to_pylist():
        for row in index.vector_candidates(view, vector, where, k * 2):
            similarity = 1.0 - float(row["_distance"])
            if similarity >= threshold and similarity > best.get(row["id"], (-2.0, 0, ""))[0]:
                best[row["id"]] = (similarity, int(row["chunk"]), row["blob"])
    ranked = sorted(best.items(), key=lambda item: -item[1][0])[:k]
    return [
        SearchHit(index.store.read_fact(blob.encode()), sim, view.commit, chunk=chunk, similarity=sim,
                  blob=blob)
        for _id, (sim, chunk, blob) in ranked
    ]


def duplicate_pairs(
    index: Index, scope: str, *, at: str | None = None, threshold: float = 0.92,
) -> tuple[str, list[tuple[str, str, float]]]:  # fmt: skip
    """(commit, pairs of fact ids in `scope` whose chunk-0 vectors are within `threshold`)."""
    import numpy as np

    from .matrix import vector_matrix
    from .view_table import matching_rows

    where = f"{where_clause(scope=parse_scope(scope))} AND chunk = 0"  # a scope is required
    view, rows = index.read(at, lambda v: matching_rows(v, where))
    if rows.num_rows < 2:
        return view.commit, []
    ids = rows["id"].to_pylist()
    matrix = vector_matrix(rows)
    pairs = []
    for start in range(0, len(ids), 1024):
        sims = matrix[start : start + 1024] @ matrix.T
        for i, j in zip(*np.nonzero(sims >= threshold), strict=True):
            if start + i < j:
                pairs.append((ids[start + i], ids[j], float(sims[i, j])))
    pairs.sort(key=lambda pair: -pair[2])
    return view.commit, pairs
