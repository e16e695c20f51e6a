"""Search benchmarks (issues 4 and 8): latency at 10,000 and 100,000 facts (query embedding
included and excluded), cold CLI search through the warm service beside in-process API search,
catch-up after a 10-fact commit beside a full rebuild, and embedding throughput of agentmem
against calling `SentenceTransformer.encode` directly on the same texts.

    python benchmarks/bench_search.py                 # 10,000 and 100,000 facts
    python benchmarks/bench_search.py --sizes 10000   # one size

Repositories are built once under benchmarks/out/search-<n>/ (see _corpus.py) and reused.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _corpus import bench_repo, records

from agentmem import Repo
from agentmem.search import run_search
from agentmem.service import call

QUERIES = ["who prefers email", "problems with the staging database", "invoice ORD-51234",
           "meeting about the design review", "who fixed the VPN", "backup failures at night",
           "the Berlin office", "waiting on the billing API", "quarterly planning report",
           "support queue complaints"]  # fmt: skip
BIN = Path(sys.executable).parent / "agentmem"
AGENTMEM = [str(BIN)] if BIN.exists() else [sys.executable, "-m", "agentmem"]


def pct(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered) * 1000:.0f} / {p95 * 1000:.0f}"


def timed(fn: Any) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def open_index(repo: Repo) -> Any:
    """The repository's in-process index, opened and with the model loaded."""
    repo.search("warm up")
    return repo.__dict__["_search_index"]


def latency(repo: Repo, rounds: int) -> dict[str, str]:
    index = open_index(repo)
    total, embed, rest = [], [], []
    for _ in range(rounds):
        for query in QUERIES:
            total.append(timed(lambda q=query: repo.search(q, k=10)))
            started = time.perf_counter()
            vector = index.embed_query(query)
            embed.append(time.perf_counter() - started)
            rest.append(timed(lambda q=query, v=vector: run_search(index, q, k=10, query_vector=v)))
    return {"api search (embedding included)": pct(total), "query embedding alone": pct(embed),
            "api search (embedding excluded)": pct(rest)}  # fmt: skip


def cold_cli(repo: Repo, rounds: int) -> dict[str, str]:
    call(repo.root, "stop", {}, start=False)
    time.sleep(1.5)
    env = {**os.environ, "AGENTMEM_REPO": str(repo.root)}
    run = lambda q: subprocess.run([*AGENTMEM, "search", q, "--json"], env=env,  # noqa: E731
                                   capture_output=True, check=True)  # fmt: skip
    first = timed(lambda: run("first search starts the service"))
    times = [timed(lambda q=q: run(q)) for _ in range(rounds) for q in QUERIES]
    return {"cold CLI: first call (starts the service)": f"{first * 1000:.0f}",
            "cold CLI: later calls (new process each)": pct(times)}  # fmt: skip


def catch_up(repo: Repo) -> dict[str, str]:
    index = open_index(repo)
    stamp = time.time_ns()
    new = [{"text": f"Benchmark fact {stamp}-{n}: Zoe reviewed server srv-{n} today."} for n in range(10)]
    repo.import_facts(new, agent="bench", message="10 new facts")
    before = index.embedded_texts
    catch = timed(lambda: repo.index())
    embedded = index.embedded_texts - before
    rebuild = timed(lambda: repo.index(rebuild=True))
    return {"catch-up after a 10-fact commit": f"{catch * 1000:.0f} ({embedded} texts embedded)",
            "full rebuild of the view (embeddings cached)": f"{rebuild * 1000:.0f}"}  # fmt: skip


def throughput(repo: Repo, count: int) -> dict[str, str]:
    index = open_index(repo)
    texts = [f"{r['text']} (run {time.time_ns()})" for r in records(count, seed=99, prefix="t")]
    model = index.embedder.model
    model.encode(texts[:256], batch_size=64)  # warm-up, so neither side pays it
    direct = timed(lambda: model.encode(texts, batch_size=64, normalize_embeddings=True))
    from agentmem.embedding_cache import text_hash

    ours = timed(lambda: index.vectors_for({text_hash(t): t for t in texts}))
    return {
        f"embed {count} new texts: SentenceTransformer.encode": f"{direct:.1f} s ({count / direct:.0f}/s)",
        f"embed {count} new texts: agentmem (chunk, encode, cache)": f"{ours:.1f} s ({count / ours:.0f}/s)",
        "agentmem overhead ratio": f"{ours / direct:.2f}x",
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--throughput", type=int, default=10_000)
    args = parser.parse_args()
    for size in args.sizes:
        repo = bench_repo(size)
        figures = latency(repo, args.rounds)
        figures.update(cold_cli(repo, max(1, args.rounds - 1)))
        figures.update(catch_up(repo))
        report(f"{size} facts", figures)
        call(repo.root, "stop", {}, start=False)
    if args.throughput:
        report("throughput", throughput(bench_repo(args.sizes[0]), args.throughput))


def report(name: str, figures: dict[str, str]) -> None:
    print(f"\n### {name} (milliseconds, p50 / p95 where two figures)\n")
    print("| measure | value |\n|---|---:|")
    for measure, value in figures.items():
        print(f"| {measure} | {value} |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
