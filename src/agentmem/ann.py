"""An inverted file over a view's vectors: the approximate first pass of a vector search on a large
view, whose candidates are then scored exactly (issue 15: 50 ms at 100,000 facts).

k-means centroids split the rows into clusters; a query scores the centroids, then only the rows
of its nearest clusters (about `PROBE_SHARE` of them). Every score a search returns is the exact
cosine of a row; what is approximate is which rows get scored: benchmarks/bench_ann.py
measures that against the exact scan (recall@10).

The centroids are trained once per index (from the first view that reaches `MIN_ROWS`), saved
beside views.json, and used by every view and process: a row's cluster is a function of its
vector and that file, so a search pinned to a commit returns the same hits every time, in any
process. They are trained again, once, when a view has grown to `RETRAIN_GROWTH` times the rows
they were trained on (and on ``agentmem index --rebuild``): hits may change at that moment.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .embed import Vectors

CENTROIDS_NAME = "centroids.npy"  # in the index folder, beside views.json
MIN_ROWS = 50_000  # below this a view is scanned whole (exact, and fast enough)
PROBE_SHARE = 0.08  # share of the clusters a query scans
MIN_PROBE = 8
RETRAIN_GROWTH = 4.0
_SAMPLE = 20_000  # rows k-means trains on
_ROUNDS = 8


@dataclass
class Centroids:
    """k-means centroids (unit rows) and how many rows they were trained on."""

    vectors: Vectors
    trained_on: int

    @classmethod
    def train(cls, vectors: Vectors, seed: int = 0) -> Centroids:
        """Spherical k-means over a seeded sample of `vectors`: sqrt(rows) clusters."""
        rng = np.random.default_rng(seed)
        count = len(vectors)
        sample = vectors[np.sort(rng.choice(count, size=min(count, _SAMPLE), replace=False))]
        clusters = max(1, min(len(sample), round(math.sqrt(count))))
        centroids = sample[np.sort(rng.choice(len(sample), size=clusters, replace=False))].copy()
        for _round in range(_ROUNDS):
            nearest = np.argmax(sample @ centroids.T, axis=1)
            sums = np.zeros_like(centroids)
            np.add.at(sums, nearest, sample)
            norms = np.linalg.norm(sums, axis=1, keepdims=True)
            filled = norms[:, 0] > 0  # an empty cluster keeps its old centroid
            centroids[filled] = sums[filled] / norms[filled]
        return cls(np.ascontiguousarray(centroids, np.float32), count)

    def assign(self, vectors: Vectors) -> np.ndarray:
        """Each row's cluster (its nearest centroid; ties to the lower number)."""
        if not len(vectors):
            return np.zeros(0, np.int32)
        step = 8192
        found = [np.argmax(vectors[s : s + step] @ self.vectors.T, axis=1)
                 for s in range(0, len(vectors), step)]
        return np.concatenate(found).astype(np.int32)

    def probe(self, query: Vectors) -> np.ndarray:
        """The clusters a query scans: the nearest `PROBE_SHARE` of them (ties by number)."""
        count = len(self.vectors)
        take = min(count, max(MIN_PROBE, math.ceil(PROBE_SHARE * count)))
        scores = self.vectors @ query
        order = np.lexsort((np.arange(count), -scores))
        return np.sort(order[:take])

    def stale(self, rows: int) -> bool:
        return rows > RETRAIN_GROWTH * self.trained_on

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp.npy")
        with open(tmp, "wb") as handle:
            np.save(handle, np.vstack([np.full((1, self.vectors.shape[1]), self.trained_on, np.float32),
                                       self.vectors]))  # fmt: skip
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path, dim: int) -> Centroids | None:
        """The saved centroids, or None (missing, unreadable, or of another dimension)."""
        try:
            data = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError):
            return None
        if data.ndim != 2 or data.shape[1] != dim or len(data) < 2 or not np.isfinite(data).all():
            return None
        return cls(np.ascontiguousarray(data[1:], np.float32), int(data[0, 0]))


class SavedCentroids:
    """The index's centroids file, shared by every view and process: read again only when the
    file changed (another process trained them, or a rebuild deleted them), trained and saved
    under `locked` (the index's file lock) when missing or outgrown."""

    def __init__(self, path: Path, locked: Callable[[], AbstractContextManager[None]]) -> None:
        self.path = path
        self._locked = locked
        self._loaded: tuple[tuple[int, int, int] | None, Centroids | None] | None = None

    def for_rows(self, vectors: Vectors) -> Centroids | None:
        """The centroids for a view of these vectors; None below `MIN_ROWS` (scanned whole)."""
        if len(vectors) < MIN_ROWS:
            return None
        dim = vectors.shape[1]
        stamp = file_stamp(self.path)
        if self._loaded is None or self._loaded[0] != stamp:
            self._loaded = (stamp, Centroids.load(self.path, dim) if stamp is not None else None)
        found = self._loaded[1]
        if found is None or found.stale(len(vectors)):
            with self._locked():
                found = Centroids.load(self.path, dim)  # another process may have trained them
                if found is None or found.stale(len(vectors)):
                    found = Centroids.train(vectors)
                    found.save(self.path)
                self._loaded = (file_stamp(self.path), found)
        return found


def file_stamp(path: Path) -> tuple[int, int, int] | None:
    """A file's inode, mtime and size (None when missing): a replaced file has another."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_ino, found.st_mtime_ns, found.st_size


@dataclass
class Clusters:
    """Each row of one view matrix in its cluster under some centroids."""

    centroids: Centroids
    assignment: np.ndarray  # the cluster of each row
    order: np.ndarray  # row numbers, grouped by cluster
    starts: np.ndarray  # where each cluster's group begins in `order` (one more at the end)

    @classmethod
    def of(cls, centroids: Centroids, assignment: np.ndarray) -> Clusters:
        order = np.argsort(assignment, kind="stable")
        starts = np.searchsorted(assignment[order], np.arange(len(centroids.vectors) + 1))
        return cls(centroids, assignment, order, starts)

    def members(self, clusters: np.ndarray) -> np.ndarray:
        """The row numbers in `clusters`, ascending."""
        groups = [self.order[self.starts[c] : self.starts[c + 1]] for c in clusters.tolist()]
        return np.sort(np.concatenate(groups)) if groups else np.zeros(0, np.int64)

    def replaced(self, kept: np.ndarray, added: Vectors) -> Clusters:
        """After `ViewMatrix.replace`: the kept rows (a mask) keep their clusters, added rows
        get theirs."""
        assignment = np.concatenate([self.assignment[kept], self.centroids.assign(added)])
        return Clusters.of(self.centroids, assignment)
