"""Search at scale and the per-user service's memory (issue 15).

    python benchmarks/bench_scale.py latency --real 10000 --cached 100000 --synthetic 100000 1000000
    python benchmarks/bench_scale.py memory --repos 5 --facts 200

`latency`:
- ``--real N``: a repository of N facts (benchmarks/_corpus.py) indexed with the real model:
  import time, index build (embedding) throughput beside raw `SentenceTransformer.encode` on the
  same texts, then warm in-process `Repo.search` p50/p95 (query embedding included), k=10.
- ``--cached N``: a real repository of N facts whose embedding cache is filled with random unit
  vectors (building the index embeds nothing), then `Repo.search` end to end with the real model
  embedding each query: the true latency at N, with meaningless ranking.
- ``--synthetic N ...``: the vector side of a search over N random unit vectors in memory (the
  exact matrix product `matrix.ViewMatrix.nearest` runs, with and without a scope filter) plus
  one real query embedding, and the matrix's memory. No repository: these sizes would take hours
  to embed on this machine, so the search latency at N is the sum of the measured parts and
  stated as such.

`memory`: one search service (real model) and R repositories of F facts each; the service's
RSS (from /proc) after a search in the first repository and after a search in each of the R.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from _corpus import PEOPLE, THINGS, VERBS, records

from agentmem import ann

QUERIES = ["who prefers email", "problems with the staging database", "invoice ORD-51234",
           "meeting about the design review", "who fixed the VPN", "backup failures at night",
           "the Berlin office", "waiting on the billing API", "quarterly planning report",
           "support queue complaints"]  # fmt: skip


def pct(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered) * 1000:.1f} / {p95 * 1000:.1f} ms"


def timed(fn: Any) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def real(count: int, rounds: int) -> None:
    from agentmem import Repo
    from agentmem.embed import load_embedder

    root = Path(tempfile.mkdtemp(prefix="bench-scale-")) / "mem"
    repo = Repo.init(root)
    data = records(count)
    took = timed(lambda: repo.import_facts(data, agent="bench", message="bench"))
    print(f"| {count:,} facts | import | {took:.1f} s ({count / took:,.0f} facts/s) |")
    took = timed(lambda: repo.index(daemon=False))
    print(f"| {count:,} facts | index build (embeds every text) | {took:.1f} s "
          f"({count / took:,.0f} facts/s) |")  # fmt: skip
    model = load_embedder(repo.config["embedding"])
    texts = [str(r["text"]) for r in data]
    raw = getattr(model, "model", None)
    if raw is not None:
        took = timed(lambda: raw.encode(texts, batch_size=64, normalize_embeddings=True))
        print(f"| {count:,} facts | raw SentenceTransformer.encode, same texts | {took:.1f} s "
              f"({count / took:,.0f} texts/s) |")  # fmt: skip
    repo.search("warm up", daemon=False)
    times = [timed(lambda q=q: repo.search(q, k=10, daemon=False)) for _ in range(rounds) for q in QUERIES]
    print(f"| {count:,} facts | warm Repo.search p50 / p95 (query embedding included) | {pct(times)} |")
    first = [h.fact.id for h in repo.search(QUERIES[0], at=repo.resolve(), daemon=False)]
    same = all([h.fact.id for h in repo.search(QUERIES[0], at=repo.resolve(), daemon=False)] == first
               for _ in range(5))  # fmt: skip
    print(f"| {count:,} facts | pinned-commit search repeated 5 times gives the same hits | {same} |")
    ann_recall(repo, count)


def ann_recall(repo: Any, count: int, queries: int = 300) -> None:
    """recall@10 of the vector side's first pass (the product's centroids, `ann.py`) against
    the exact scan of every row, over this repository's real vectors; the queries are questions
    in the corpus's words (another seed than its facts)."""
    from agentmem.index import Index

    index = Index(repo.store, repo.local_dir, repo.config["embedding"])
    view = index.view(None)
    matrix = index._matrix(view.table)
    centroids = index.centroids.for_rows(matrix.vectors)
    if centroids is None:
        print(f"| {count:,} facts | ANN first pass | not used below {ann.MIN_ROWS:,} rows |")
        return
    rng = random.Random(11)
    asked = [f"who {rng.choice(VERBS)} {rng.choice(THINGS).format(n=rng.randrange(10000, 99999))}?"
             if n % 2 else f"what does {rng.choice(PEOPLE)} say about {rng.choice(THINGS).format(n=0)}?"
             for n in range(queries)]  # fmt: skip
    vectors = index.embedder.encode(asked)
    found = 0
    for vector in vectors:
        exact = {row["id"] for row in matrix.nearest(vector, [], 10, None)}
        found += len(exact & {row["id"] for row in matrix.nearest(vector, [], 10, centroids)})
    print(f"| {count:,} facts | ANN recall@10 against the exact scan ({queries} questions, "
          f"{len(centroids.vectors)} clusters) | {found / (10 * queries):.3f} |")  # fmt: skip


def cached(count: int, rounds: int) -> None:
    """A real repository of `count` facts whose embedding cache is filled with random unit vectors
    (so building the index embeds nothing), searched end to end with the real model embedding
    each query: the latency of `Repo.search` at a size too large to embed here."""
    from agentmem import Repo
    from agentmem.embedding_cache import text_hash
    from agentmem.index import Index

    root = Path(tempfile.mkdtemp(prefix="bench-cached-")) / "mem"
    repo = Repo.init(root)
    data = records(count)
    took = timed(lambda: repo.import_facts(data, agent="bench", message="bench"))
    print(f"| {count:,} facts | import | {took:.1f} s ({count / took:,.0f} facts/s) |")
    index = Index(repo.store, repo.local_dir, repo.config["embedding"])
    rng = np.random.default_rng(5)
    for start in range(0, count, 50000):
        batch = data[start : start + 50000]
        vectors = rng.standard_normal((len(batch), 384), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        index.cache.store([text_hash(str(r["text"])) for r in batch], [0] * len(batch), vectors)
    took = timed(lambda: repo.index(daemon=False))
    print(f"| {count:,} facts | index build from cached vectors (no embedding) | {took:.1f} s |")
    repo.search("warm up", daemon=False)
    times = [timed(lambda q=q: repo.search(q, k=10, daemon=False)) for _ in range(rounds) for q in QUERIES]
    print(f"| {count:,} facts | warm Repo.search p50 / p95 (real query embedding, random fact vectors) "
          f"| {pct(times)} |")  # fmt: skip
    governed(repo, count, rounds)
    commit = repo.resolve()
    pinned = [repo.search(QUERIES[1], at=commit, daemon=False) for _ in range(5)]
    runs = [[(h.fact.id, h.score) for h in hits] for hits in pinned]
    print(f"| {count:,} facts | pinned-commit search repeated 5 times gives the same hits | "
          f"{all(r == runs[0] for r in runs)} |")  # fmt: skip
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"| {count:,} facts | peak RSS of this process (import, index build, model, searches) "
          f"| {peak:,.0f} MiB |")  # fmt: skip


def governed(repo: Any, count: int, rounds: int) -> None:
    """The same searches by an agent under a read policy: its readable scopes (2 of the corpus's
    5) filter every search (`scope IN (...)`), and every hit is checked against the policy."""
    policy = 'default = "deny"\nadmins = ["admin"]\n[agents.billing]\nread = ["shared", "app:billing"]\n'
    repo.policy.set(policy, agent="admin")
    reader = repo.as_agent("billing")
    reader.search("warm up", daemon=False)
    times = [timed(lambda q=q: reader.search(q, k=10, daemon=False)) for _ in range(rounds) for q in QUERIES]
    print(f"| {count:,} facts | warm search by an agent under a read policy (2 of 5 scopes) p50 / p95 "
          f"| {pct(times)} |")  # fmt: skip


def synthetic(count: int, rounds: int) -> None:
    from agentmem.embed import load_embedder
    from agentmem.matrix import ViewMatrix

    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((count, 384), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    scopes = ["shared", "user:alice", "user:bob", "agent:support", "app:billing"]
    rows = pa.table({
        "id": pa.array([f"f{n:07d}" for n in range(count)]), "chunk": pa.array(np.zeros(count, np.int32)),
        "blob": pa.array(["0" * 40] * count), "scope": pa.array([scopes[n % 5] for n in range(count)]),
        "kind": pa.array(["note"] * count), "agent": pa.array(["bench"] * count),
    })  # fmt: skip
    matrix = ViewMatrix(1, rows, vectors)
    model = load_embedder({"model": "all-MiniLM-L6-v2"})
    model.encode(["warm up"])
    embed = [timed(lambda q=q: model.encode([q])) for _ in range(rounds) for q in QUERIES]
    # A query naming a name common in the view is embedded twice, in one batch
    # (`search.search_vector`): whole and without the name.
    named = [(f"What did Kevin say about {q}?", f"What did say about {q}?") for q in QUERIES]
    once, twice = [], []
    for _ in range(rounds):
        for pair in named:
            once.append(timed(lambda pair=pair: model.encode(pair[:1])))
            twice.append(timed(lambda pair=pair: model.encode(list(pair))))
    queries = [model.encode([q])[0] for q in QUERIES]
    plain = [timed(lambda v=v: matrix.nearest(v, [], 100)) for _ in range(rounds) for v in queries]
    scoped = [timed(lambda v=v: matrix.nearest(v, [("scope", "=", "user:alice")], 100))
              for _ in range(rounds) for v in queries]  # fmt: skip
    # hybrid also scores the keyword side's candidates by cosine (`ViewMatrix.similarities`)
    picks = [[f"f{n:07d}" for n in rng.choice(count, 50, replace=False)] for _q in QUERIES]
    similar = [timed(lambda v=v, p=p: matrix.similarities(v, p))
               for _ in range(rounds) for v, p in zip(queries, picks, strict=True)]  # fmt: skip
    total = statistics.median(embed) + statistics.median(plain) + statistics.median(similar)
    print(f"| {count:,} vectors | query embedding p50 / p95 | {pct(embed)} |")
    print(f"| {count:,} vectors | a query naming a common name: embedded once / twice (p50 / p95) | "
          f"{pct(once)}; {pct(twice)} |")  # fmt: skip
    print(f"| {count:,} vectors | exact vector candidates (100) p50 / p95 | {pct(plain)} |")
    print(f"| {count:,} vectors | same with a scope filter | {pct(scoped)} |")
    print(f"| {count:,} vectors | cosines of 50 keyword candidates p50 / p95 | {pct(similar)} |")
    print(f"| {count:,} vectors | embedding + vector side, p50 sum | {total * 1000:.1f} ms |")
    print(f"| {count:,} vectors | matrix memory | {vectors.nbytes / 2**20:,.0f} MiB |")


def rss(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def memory(repos: int, facts: int) -> None:
    from agentmem import Repo
    from agentmem.service import call

    base = Path(tempfile.mkdtemp(prefix="bench-mem-"))
    os.environ["AGENTMEM_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="am-", dir="/tmp")
    opened = []
    for n in range(repos):
        repo = Repo.init(base / f"r{n}")
        repo.import_facts(records(facts, seed=n, prefix=f"r{n}"), agent="bench", message="bench")
        opened.append(repo)
    for n, repo in enumerate(opened, 1):
        took = timed(lambda repo=repo: repo.search("who prefers email", daemon=True))
        pid = int(call(repo.root, "status", {}, start=False)["pid"])
        print(f"| {n} repositories open ({facts} facts each) | first search {took:.1f} s | "
              f"service RSS {rss(pid):,.0f} MiB |")  # fmt: skip
    call(opened[0].root, "stop", {}, start=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    lat = sub.add_parser("latency")
    lat.add_argument("--real", type=int, nargs="*", default=[10000])
    lat.add_argument("--cached", type=int, nargs="*", default=[100000])
    lat.add_argument("--synthetic", type=int, nargs="*", default=[100000, 1000000])
    lat.add_argument("--rounds", type=int, default=3)
    mem = sub.add_parser("memory")
    mem.add_argument("--repos", type=int, default=5)
    mem.add_argument("--facts", type=int, default=200)
    args = parser.parse_args()
    print(f"# {' '.join(sys.argv)}  ({os.cpu_count()} cores)")
    if args.what == "latency":
        for count in args.real:
            real(count, args.rounds)
        for count in args.cached:
            cached(count, args.rounds)
        for count in args.synthetic:
            synthetic(count, args.rounds)
    else:
        memory(args.repos, args.facts)


if __name__ == "__main__":
    main()
