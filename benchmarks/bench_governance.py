"""Governance costs: read receipts on `search` (p50) and on `show`, with and without, measured
side by side in one run; `trace` on a 10,000-commit history (the first, and then from the
`.agentmem/commit-facts` file the first one kept).

Run:  python benchmarks/bench_governance.py [--quick]
(--quick: 1,000 commits and fewer samples, for a smoke run). Search uses the default model
in-process (no service), so the figures are the search itself plus the receipt.

      python benchmarks/bench_governance.py --receipt 100000
times `Receipts.append` of one receipt naming that many facts (an `export` of a large memory)
with the default limits, and the lines and bytes it wrote; run it with PYTHONPATH at another
checkout's src/ to compare two versions on the same machine.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from agentmem import Fact, Repo
from agentmem.fact import content_id, now_iso
from agentmem.layout import fact_path
from agentmem.session import Session


def p50(fn: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def receipts_on_off(repo: Repo, session: Session, fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """p50 with and without receipts, interleaved in rounds so both see the same machine."""
    on: list[float] = []
    off: list[float] = []
    for _round in range(5):
        for enabled, out in ((True, on), (False, off)):
            repo.config["receipts"]["enabled"] = enabled
            out.append(p50(fn, runs // 5))
    repo.config["receipts"]["enabled"] = True
    return statistics.median(on), statistics.median(off)


def fast_import(repo: Repo, root: str, commits: int) -> None:
    """Append `commits` one-fact commits to main with `git fast-import` (seconds, not minutes);
    every 500th fact derives from `root`. The facts are ordinary agentmem fact files."""
    head = repo.resolve()
    chunks: list[bytes] = []
    for number in range(commits):
        now = now_iso()
        fact = Fact(id=content_id("agent:writer", f"History fact {number}"), text=f"History fact {number}",
                    scope="agent:writer", agent="writer", created_at=now, updated_at=now,
                    derived_from=(root,) if number % 500 == 0 else ())  # fmt: skip
        data = fact.to_bytes()
        message = f"remember {fact.id}\n\nAgentmem-Agent: writer\n".encode()
        parent = f"from {head}\n" if number == 0 else ""
        chunks.append(
            f"commit refs/heads/main\ncommitter writer <writer@agentmem> {1_700_000_000 + number} +0000\n"
            f"data {len(message)}\n".encode() + message + parent.encode()
            + f"M 100644 inline {fact_path(fact.scope, fact.id).decode()}\ndata {len(data)}\n".encode()
            + data + b"\n"
        )
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo.root, input=b"".join(chunks), check=True)


def one_large_receipt(facts: int, rounds: int = 5) -> None:
    from agentmem.governance.receipts import Receipt, Receipts

    pairs = [(f"{n:026d}", f"{n:040x}") for n in range(facts)]
    samples, lines, size = [], 0, 0
    for _round in range(rounds):
        with tempfile.TemporaryDirectory() as tmp:
            receipts = Receipts(Path(tmp))
            start = time.perf_counter()
            receipts.append(Receipt("bench", "export", "c" * 40, list(pairs), query="shared"))
            samples.append(time.perf_counter() - start)
            lines = sum(path.read_bytes().count(b"\n") for path in receipts.paths())
            size = max(path.stat().st_size for path in receipts.paths())
    print(f"one receipt of {facts:,} facts: {statistics.median(samples):.3f} s p50 of {rounds} "
          f"(min {min(samples):.3f} s); {lines} line(s), largest file {size:,} bytes")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--receipt", type=int, metavar="FACTS", help="Only time one large receipt.")
    args = parser.parse_args()
    if args.receipt:
        one_large_receipt(args.receipt)
        return
    commits = 1_000 if args.quick else 10_000
    runs = 20 if args.quick else 50
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        repo = Repo.init(Path(tmp) / "mem")
        writer = repo.as_agent("writer")
        root = writer.remember("Root fact: the API limit is 100 per second").id
        with writer.transaction("bulk") as tx:
            for number in range(1_000):
                tx.remember(f"Fact {number} about topic {number % 37} and item {number * 7}")
        reader = repo.as_agent("reader", run="bench")
        reader.search("topic 5 item", k=10, daemon=False)  # loads the model and builds the index
        on, off = receipts_on_off(
            repo, reader, lambda: reader.search("what is the API limit", k=10, daemon=False), runs)
        rows.append(("search p50 (1,001 facts, k=10, hybrid, in-process)", on, off))
        on, off = receipts_on_off(
            repo, reader, lambda: reader.search("topic 5 item", k=10, mode="keyword", daemon=False), runs)
        rows.append(("search p50 (keyword mode: no query embedding)", on, off))
        on, off = receipts_on_off(repo, reader, lambda: reader.get(root), runs * 10)
        rows.append(("show p50 (session.get)", on, off))
        start = time.perf_counter()
        fast_import(repo, root, commits)
        build = time.perf_counter() - start
        repo = Repo(repo.root)
        history = len(repo.log())
        tracer = repo.as_agent("auditor")
        first_ms = p50(lambda: tracer.trace_fact(root), 1)  # no .agentmem/commit-facts yet
        trace_ms = p50(lambda: tracer.trace_fact(root), 3)  # from the file the first one wrote
        found = tracer.trace_fact(root)
    print("| measure | with receipts (ms) | without (ms) | overhead |")
    print("|---|---:|---:|---:|")
    for name, with_, without in rows:
        print(f"| {name} | {with_:.3f} | {without:.3f} | {with_ - without:+.3f} ms "
              f"({(with_ / without - 1) * 100:+.1f}%) |")  # fmt: skip
    print(f"\ntrace on a {history:,}-commit history ({len(found.derived) - 1} derived facts, "
          f"{len(found.reads)} reads): first {first_ms / 1000:.2f} s, then {trace_ms / 1000:.2f} s "
          f"p50 of 3 (.agentmem/commit-facts kept; history built in {build:.0f} s)")  # fmt: skip


if __name__ == "__main__":
    main()
