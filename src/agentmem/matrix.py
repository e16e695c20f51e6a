"""A view's vectors held in memory as one float32 matrix: cosine search by a matrix-vector product
(~12 ms over 100,000 x 384 on this machine, against ~320 ms for LanceDB's flat scan).

Every row is scored, except where the index passes centroids (views of `ann.MIN_ROWS` rows or
more): then the rows of the query's nearest clusters are, exactly. Either way a search pinned to
a commit returns the same hits every time. Ties are broken by (id, chunk), never by row order.
The matrix is loaded from the view's LanceDB table once per table version and kept up to date by
the index as it applies diffs.

Products run on one BLAS thread: after a parallel call OpenBLAS's idle threads spin for a while,
and on a small machine they took the cores from the query embedding that follows (21 -> 51 ms on
2 cores at 100,000 rows). A matrix-vector product is memory-bound: a second thread gains little.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .ann import Centroids, Clusters
from .embed import Vectors

SCALARS = ("id", "chunk", "blob", "scope", "kind", "agent")
Conditions = list[tuple[str, str, str | int | tuple[str, ...]]]
MAX_MASKS = 8  # filters whose masks a matrix keeps
_RUN = 32  # consecutive rows read in place rather than gathered
# One condition of the filters `search.where_clause` writes (column, operator, a quoted or whole
# value) or of a reader's scopes (`scope IN ('a', 'b')`, governance/visibility.py).
_QUOTED = r"'(?:[^']|'')*'"
_CONDITION = re.compile(
    rf"\s*(\w+)\s*(?:(!=|=)\s*(?:({_QUOTED})|(\d+))|IN\s*\(((?:\s*{_QUOTED}\s*,)*\s*{_QUOTED})\s*\))\s*(?:AND\b|$)"
)


@cache
def _blas() -> Any:
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def product(vectors: Vectors, query: Vectors) -> Any:
    """`vectors @ query` on one BLAS thread (see the module's note)."""
    with _blas().limit(limits=1, user_api="blas"):
        return vectors @ np.asarray(query, np.float32)


def product_of_rows(vectors: Vectors, rows: np.ndarray, query: Vectors) -> Any:
    """`vectors[rows] @ query` for ascending row numbers, on one BLAS thread. Runs of consecutive
    rows (a cluster, in a matrix ordered by cluster) are read in place; only the scattered rest is
    gathered: at 1,000,000 rows the gather had cost more than the product."""
    breaks = np.flatnonzero(np.diff(rows) != 1) + 1
    firsts, ends = np.concatenate([[0], breaks]), np.concatenate([breaks, [len(rows)]])
    scores = np.empty(len(rows), np.float32)
    scattered = []
    with _blas().limit(limits=1, user_api="blas"):
        for first, end in zip(firsts.tolist(), ends.tolist(), strict=True):
            if end - first >= _RUN:
                start = int(rows[first])
                scores[first:end] = vectors[start : start + end - first] @ query
            else:
                scattered.append(np.arange(first, end))
        if scattered:
            picked = np.concatenate(scattered)
            scores[picked] = vectors[rows[picked]] @ query
    return scores


def parse_where(where: str) -> Conditions | None:
    """``scope = 'a' AND id != 'b' AND chunk = 0 AND scope IN ('a', 'c')`` as (column, op, value)
    triples (an IN's value a tuple); None when the filter has any other form (the caller then
    lets LanceDB evaluate it)."""
    conditions: Conditions = []
    position = 0
    while position < len(where):
        match = _CONDITION.match(where, position)
        if match is None or match.end() == position:
            return None
        column, op, text, number, listed = match.groups()
        if column not in SCALARS:
            return None
        if listed is not None:
            values = tuple(_unquote(v) for v in re.findall(_QUOTED, listed))
            conditions.append((column, "IN", values))
        else:
            conditions.append((column, op, int(number) if number is not None else _unquote(text)))
        position = match.end()
    return conditions


def _unquote(quoted: str) -> str:
    return quoted[1:-1].replace("''", "'")


def vector_matrix(rows: pa.Table) -> Vectors:
    """The `vector` column of some rows as one float32 matrix."""
    dim = rows.schema.field("vector").type.list_size
    return np.asarray(rows["vector"].combine_chunks().flatten().to_numpy(), np.float32).reshape(-1, dim)


@dataclass
class ViewMatrix:
    """The scalar columns (an Arrow table) and vectors (a float32 matrix) of one view table."""

    version: int
    rows: pa.Table
    vectors: Vectors
    checked: bool = False  # `duplicated` was run on this version (it costs a pass over the ids)
    _clusters: Clusters | None = field(default=None, repr=False)  # rows by cluster (ann.py)
    # The masks of the last few filters, for these rows: a reader under a policy filters every
    # search by the same readable scopes (a pass over every row's scope: ~2 ms at 100,000 rows).
    _masks: dict[tuple[Any, ...], tuple[pa.Table, np.ndarray]] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, table: Any) -> ViewMatrix:
        data = table.to_arrow().select([*SCALARS, "vector"])
        return cls.of(int(table.version), data)

    @classmethod
    def of(cls, version: int, data: pa.Table) -> ViewMatrix:
        vectors = np.ascontiguousarray(vector_matrix(data))
        return cls(version, data.select(list(SCALARS)).combine_chunks(), vectors)

    def __len__(self) -> int:
        return int(self.rows.num_rows)

    def duplicated(self) -> int:
        """Rows beyond the first for some (id, chunk): 0 in a faithful view."""
        keys = pc.binary_join_element_wise(self.rows["id"], pc.cast(self.rows["chunk"], pa.string()), ":")
        return len(self) - len(pc.unique(keys))

    def replace(self, version: int, removed: list[str], added: pa.Table) -> None:
        """Apply what the index just did to its table: rows of `removed` ids out, `added` in."""
        keep = pc.invert(pc.is_in(self.rows["id"], pa.array(removed, pa.string())))
        mask = np.asarray(keep.to_numpy(zero_copy_only=False), dtype=bool)
        fresh = ViewMatrix.of(version, added) if added.num_rows else None
        rows = [self.rows.filter(keep)] + ([fresh.rows] if fresh else [])
        vectors = [self.vectors[mask]] + ([fresh.vectors] if fresh else [])
        self.rows = pa.concat_tables(rows).combine_chunks()
        self.vectors = np.ascontiguousarray(np.concatenate(vectors))
        if self._clusters is not None:
            self._clusters = self._clusters.replaced(mask, vectors[1] if fresh else self.vectors[:0])
        self.version = version
        self.checked = False
        self._masks.clear()

    def mask(self, conditions: Conditions) -> np.ndarray | None:
        """The rows `conditions` keep (read-only), None for no conditions."""
        if not conditions:
            return None
        key = tuple(conditions)
        held = self._masks.get(key)
        if held is not None and held[0] is self.rows:
            return held[1]
        if held is not None or len(self._masks) >= MAX_MASKS:
            self._masks.clear()  # the rows changed (or too many filters): start again
        found = self._mask(conditions)
        found.setflags(write=False)
        self._masks[key] = (self.rows, found)
        return found

    def _mask(self, conditions: Conditions) -> np.ndarray:
        combined = None
        for column, op, value in conditions:
            if isinstance(value, tuple):  # IN
                test = pc.is_in(self.rows[column], pa.array(value, self.rows[column].type))
            else:
                test = pc.equal(self.rows[column], value)
                test = pc.invert(test) if op == "!=" else test
            combined = test if combined is None else pc.and_(combined, test)
        return np.asarray(pc.fill_null(combined, False).to_numpy(zero_copy_only=False), dtype=bool)

    def similarities(self, query: Vectors, ids: list[str]) -> dict[str, tuple[float, int]]:
        """Each of `ids`' best chunk cosine with `query` and that chunk's number (ids the view
        lacks are left out)."""
        if not len(self) or not ids:
            return {}
        wanted = pc.is_in(self.rows["id"], pa.array(ids, pa.string()))
        picked = np.nonzero(np.asarray(wanted.to_numpy(zero_copy_only=False), dtype=bool))[0]
        scores = product(self.vectors[picked], query)
        taken = self.rows.take(pa.array(picked))
        best: dict[str, tuple[float, int]] = {}
        for score, fact_id, chunk in zip(scores.tolist(), taken["id"].to_pylist(), taken["chunk"].to_pylist(),
                                         strict=True):  # fmt: skip
            if fact_id not in best or (score, -chunk) > (best[fact_id][0], -best[fact_id][1]):
                best[fact_id] = (score, chunk)
        return best

    def nearest(
        self, query: Vectors, conditions: Conditions, n: int, centroids: Centroids | None = None
    ) -> list[dict[str, Any]]:
        """The `n` rows of highest cosine with `query` (unit vectors), as LanceDB would return them
        (``_distance`` = 1 - cosine), best first; ties by (id, chunk). With `centroids` (the index
        gives them for a view of `ann.MIN_ROWS` rows or more), only the rows of the query's
        nearest clusters are scored, exactly; a filter leaving fewer than `n` of them there falls
        back to every row."""
        if not len(self) or n <= 0:
            return []
        query = np.asarray(query, np.float32)
        clusters = None if centroids is None else self.clusters(centroids)  # may reorder the rows
        allowed = self.mask(conditions)
        if clusters is not None:
            rows = clusters.members(clusters.centroids.probe(query))
            if allowed is not None:
                rows = rows[allowed[rows]]
            if len(rows) >= n:
                return self._best(rows, product_of_rows(self.vectors, rows, query), n)
        rows = np.arange(len(self)) if allowed is None else np.nonzero(allowed)[0]
        scores = product(self.vectors, query) if allowed is None else product(self.vectors[rows], query)
        return self._best(rows, scores, n)

    def _best(self, rows: np.ndarray, scores: np.ndarray, n: int) -> list[dict[str, Any]]:
        """The `n` best of `rows` (row numbers) by `scores` (theirs), ties by (id, chunk)."""
        count = min(n, len(rows))
        if count <= 0:
            return []
        # Every row scoring at least the count-th best, so a tie at the cut is resolved by id.
        cut = np.partition(scores, len(scores) - count)[len(scores) - count]
        among = np.nonzero(scores >= cut)[0]
        taken = self.rows.take(pa.array(rows[among]))
        ids, chunks, blobs = (taken[c].to_pylist() for c in ("id", "chunk", "blob"))
        found = sorted(
            zip(scores[among].tolist(), ids, chunks, blobs, strict=True),
            key=lambda row: (-row[0], row[1], row[2]),
        )[:count]
        return [{"id": i, "chunk": c, "blob": b, "_distance": 1.0 - score} for score, i, c, b in found]

    def clusters(self, centroids: Centroids) -> Clusters:
        """Each row's cluster under `centroids`, computed once per matrix and kept through
        `replace`. Computing them reorders the rows by cluster, so that a cluster's vectors lie
        together (rows added later go at the end; row order never decides a result)."""
        if self._clusters is None or self._clusters.centroids is not centroids:
            assignment = centroids.assign(self.vectors)
            order = np.argsort(assignment, kind="stable")
            self.vectors = np.ascontiguousarray(self.vectors[order])
            self.rows = self.rows.take(pa.array(order))
            self._masks.clear()
            self._clusters = Clusters.of(centroids, assignment[order])
        return self._clusters
