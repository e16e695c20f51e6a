"""The approximate first pass of vector search (agentmem/ann.py) against the exact scan.

    python benchmarks/bench_ann.py            # REALTALK turns, real model
    python benchmarks/bench_ann.py --random 100000

- Default: every REALTALK turn (all ten conversations; read from `$AGENTMEM_REALTALK` or
  ../shared/data/realtalk, never copied) embedded by the real model, its questions as queries:
  recall@10 of the first pass (the exact top 10 of the rows it scores) against the exact top 10
  of every row, and the share of rows scored. Real embeddings cluster; this is the figure.
- ``--random N``: N random unit vectors: the time of `ViewMatrix.nearest` with and without the
  centroids (recall on random vectors means nothing: they do not cluster).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pyarrow as pa
import realtalk

from agentmem import ann
from agentmem.matrix import ViewMatrix


def recall(data: np.ndarray, queries: np.ndarray) -> None:
    centroids = ann.Centroids.train(data)
    clusters = ann.Clusters.of(centroids, centroids.assign(data))
    found = scanned = 0
    for query in queries:
        exact = set(np.argsort(-(data @ query), kind="stable")[:10].tolist())
        rows = clusters.members(centroids.probe(query))
        scores = data[rows] @ query
        found += len(exact & set(rows[np.argsort(-scores, kind="stable")[:10]].tolist()))
        scanned += len(rows)
    probed = len(centroids.probe(queries[0]))
    share = scanned / len(queries) / len(data)
    print(f"| {len(data):,} rows | {len(centroids.vectors)} clusters, {probed} probed | "
          f"recall@10 {found / (10 * len(queries)):.3f} | rows scored {share:.1%} |")


def realtalk_recall() -> None:
    from agentmem.embed import load_embedder

    texts, questions = [], []
    for name in realtalk.DEV + realtalk.TEST:
        conversation = realtalk.load(name, "turn")
        texts += [str(fact["text"]) for fact in conversation.facts]
        questions += [question.query for question in conversation.questions]
    model = load_embedder({"model": "all-MiniLM-L6-v2"})
    recall(model.encode(texts), model.encode(questions))


def random_timing(count: int, rounds: int = 30) -> None:
    rng = np.random.default_rng(5)
    vectors = rng.standard_normal((count, 384), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = pa.array([f"f{n:08d}" for n in range(count)])
    rows = pa.table({"id": ids, "chunk": pa.array([0] * count, pa.int32()), "blob": ids, "scope": ids,
                     "kind": ids, "agent": ids})  # fmt: skip
    matrix = ViewMatrix(1, rows, vectors)
    started = time.perf_counter()
    centroids = ann.Centroids.train(vectors)
    matrix.clusters(centroids)
    print(f"| {count:,} rows | train and assign {time.perf_counter() - started:.1f} s |")
    queries = rng.standard_normal((rounds, 384), dtype=np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    for label, given in (("every row", None), ("first pass", centroids)):
        times = []
        for query in queries:
            started = time.perf_counter()
            matrix.nearest(query, [], 100, given)
            times.append(time.perf_counter() - started)
        print(f"| {count:,} rows | nearest 100, {label} | p50 {statistics.median(times) * 1000:.1f} ms |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--random", type=int, nargs="*", default=None, help="time N random vectors")
    args = parser.parse_args()
    if args.random:
        for count in args.random:
            random_timing(count)
    elif realtalk.folder() is None:
        raise SystemExit("REALTALK not found: set AGENTMEM_REALTALK")
    else:
        realtalk_recall()


if __name__ == "__main__":
    main()
