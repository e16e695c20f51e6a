"""The approximate first pass of vector search on large views (ann.py), with the fake embedder
and the size threshold lowered so a small repository uses it: every score is exact, a search
repeats in another process (the centroids are shared), a selective filter falls back to every
row, and damaged centroids are retrained."""

from __future__ import annotations

import pytest

from agentmem import Repo, ann
from agentmem.index import Index
from test_search import index_of, use_fake_model

WORDS = ["harbour", "crane", "billing", "invoice", "email", "staging", "database", "backup", "office",
         "planning", "queue", "vpn"]  # fmt: skip


@pytest.fixture
def big(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> Repo:
    monkeypatch.setattr(ann, "MIN_ROWS", 400)
    repo = use_fake_model(repo)
    with repo.transaction(agent="bulk") as tx:
        for n in range(900):
            words = " ".join(WORDS[(n * k) % len(WORDS)] for k in (1, 3, 7))
            tx.remember(f"note {n} about {words}", "app:rare" if n % 150 == 0 else "shared")
    return repo


def exact(repo: Repo, query: str) -> list[tuple[str, float]]:
    """The 10 nearest facts by scoring every row (no centroids)."""
    index = index_of(repo)
    rows = index._matrix(index.view(None).table).nearest(index.embed_query(query), [], 10)
    return [(r["id"], 1.0 - r["_distance"]) for r in rows]


QUERIES = ["crane billing", "email backup office", "vpn queue", "staging database planning"]


def test_scores_are_exact_and_a_search_repeats_in_another_index(big: Repo) -> None:
    first = {q: [(h.fact.id, h.similarity) for h in big.search(q, mode="vector")] for q in QUERIES}
    assert (big.local_dir / "index" / ann.CENTROIDS_NAME).is_file()
    whole = {q: dict(exact(big, q)) for q in QUERIES}
    for q in QUERIES:
        cosines = index_of(big).similarities(index_of(big).view(None), index_of(big).embed_query(q),
                                             [i for i, _s in first[q]])  # fmt: skip
        assert [s for _i, s in first[q]] == pytest.approx([cosines[i][0] for i, _s in first[q]], abs=1e-6)
        assert sum(i in whole[q] for i, _s in first[q]) >= 5  # a first pass, not a random one
    again = Repo(big.root)  # a new Index: loads the saved centroids
    for q in QUERIES:
        assert [(h.fact.id, h.similarity) for h in again.search(q, mode="vector")] == first[q]


def test_a_selective_filter_falls_back_to_every_row(big: Repo) -> None:
    hits = big.search("crane billing", scope="app:rare", mode="vector")
    assert len(hits) == 6 and all(h.fact.scope == "app:rare" for h in hits)


def test_damaged_centroids_are_trained_again(big: Repo) -> None:
    before = [h.fact.id for h in big.search("vpn queue", mode="vector")]
    path = big.local_dir / "index" / ann.CENTROIDS_NAME
    saved = path.read_bytes()
    path.write_bytes(b"not numpy")
    fresh = Repo(big.root)
    assert [h.fact.id for h in fresh.search("vpn queue", mode="vector")] == before
    assert path.read_bytes() == saved  # the same seed and rows train the same centroids


def test_below_the_threshold_every_row_is_scored(repo: Repo) -> None:
    repo = use_fake_model(repo)
    repo.remember("a small memory", agent="a")
    repo.search("small")
    assert not (repo.local_dir / "index" / ann.CENTROIDS_NAME).exists()
    assert isinstance(index_of(repo), Index)


def test_rows_added_after_the_clusters_are_found_and_scored_exactly(big: Repo) -> None:
    """The matrix is ordered by cluster when its clusters are computed; rows a later commit adds
    go at the end, scattered among the clusters, and are scored from there."""
    big.search("crane billing", mode="vector")  # clusters computed, rows reordered
    with big.transaction(agent="bulk") as tx:
        added = {tx.remember(f"zebra quartz harbour report {n}").id for n in range(40)}
    hits = big.search("zebra quartz", k=20, mode="vector")
    assert {h.fact.id for h in hits} <= added and len(hits) == 20
    index = index_of(big)
    view = index.view(None)
    cosines = index.similarities(view, index.embed_query("zebra quartz"), [h.fact.id for h in hits])
    assert [h.similarity for h in hits] == pytest.approx([cosines[h.fact.id][0] for h in hits], abs=1e-6)
    scoped = big.search("crane billing", scope="app:rare", mode="vector")
    assert len(scoped) == 6 and all(h.fact.scope == "app:rare" for h in scoped)


def test_a_filters_rows_are_found_again_after_the_rows_change() -> None:
    """A matrix keeps the masks of recent filters; they follow its rows when rows are replaced
    or reordered by cluster, so a filtered search never reads another row set's mask."""
    import numpy as np
    import pyarrow as pa

    from agentmem.matrix import ViewMatrix

    def rows(ids: list[str], scopes: list[str], vectors: np.ndarray) -> pa.Table:
        return pa.table({
            "id": ids, "chunk": pa.array([0] * len(ids), pa.int32()), "blob": ids, "scope": scopes,
            "kind": ["note"] * len(ids), "agent": [""] * len(ids),
            "vector": pa.array(list(vectors), pa.list_(pa.float32(), 2)),
        })  # fmt: skip

    rng = np.random.default_rng(3)
    first = rng.standard_normal((40, 2)).astype(np.float32)
    first /= np.linalg.norm(first, axis=1, keepdims=True)
    ids = [f"f{n:02d}" for n in range(40)]
    matrix = ViewMatrix.of(1, rows(ids, ["shared", "user:a"] * 20, first))
    readable = [("scope", "IN", ("user:a",))]

    def found(query: np.ndarray) -> set[str]:
        return {row["id"] for row in matrix.nearest(query, readable, 40)}

    query = np.array([1.0, 0.0], np.float32)
    assert found(query) == {i for n, i in enumerate(ids) if n % 2}
    matrix.replace(2, ids[:10], rows([f"g{n}" for n in range(6)], ["user:a"] * 6, first[:6]))
    assert found(query) == {i for n, i in enumerate(ids) if n % 2 and n >= 10} | {f"g{n}" for n in range(6)}
    centroids = ann.Centroids(np.array([[0.0, 1.0], [1.0, 0.0]], np.float32), 36)
    matrix.clusters(centroids)  # reorders the rows by cluster
    assert found(query) == {i for n, i in enumerate(ids) if n % 2 and n >= 10} | {f"g{n}" for n in range(6)}
    now = matrix.rows
    fresh = ViewMatrix.of(3, rows(now["id"].to_pylist(), now["scope"].to_pylist(), matrix.vectors))
    assert matrix.nearest(query, readable, 3) == fresh.nearest(query, readable, 3)
