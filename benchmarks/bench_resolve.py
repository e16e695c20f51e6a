"""Benchmark of REF resolution (issue 11.1): short ids and reflog labels in a 100,000-fact
repository, beside plain `git rev-parse` of the same expressions. Prints a markdown table.

    python benchmarks/bench_resolve.py                 # 100,000 facts (one pack) + 200 loose commits
    python benchmarks/bench_resolve.py --facts 1000    # smoke run

A short id is looked up in the loose-object folder it names and in each pack index's fan-out
range (`DiskObjectStore.iter_prefix`): no scan of all objects. A start of a fact id is
completed among the fact headers of `.agentmem/fact-listing` (listing.py); the last table times
it beside a whole id.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from agentmem import Repo


def median_ms(call: object, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()  # type: ignore[operator]
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--facts", type=int, default=100_000)
    parser.add_argument("--loose", type=int, default=200, help="one-fact commits after the import")
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "mem"
        repo = Repo.init(root)
        start = time.perf_counter()
        packed = repo.import_facts(({"text": f"fact {i}"} for i in range(args.facts)), agent="b")
        built = time.perf_counter() - start
        for i in range(args.loose):
            repo.remember(f"loose {i}", agent="b")
        loose_head = repo.resolve()
        assert packed.commit is not None
        repo = Repo.open(root)
        objects = sum(1 for _ in repo.store.objects)
        print(f"{args.facts:,} facts imported in {built:.1f} s as one pack, then {args.loose} "
              f"one-fact commits (loose objects); {objects:,} objects in all.\n")  # fmt: skip
        cases = [
            ("full id (40 hex), packed commit", packed.commit),
            ("12-char id, packed commit", packed.commit[:12]),
            ("7-char id, packed commit", packed.commit[:7]),
            ("12-char id, loose commit", loose_head[:12]),
            ("7-char id, loose commit", loose_head[:7]),
            ("branch name", "main"),
            ("HEAD~10", "HEAD~10"),
            ("@{1} (reflog label)", "@{1}"),
        ]
        print(f"| expression | `repo.resolve`, ms (median of {args.runs}) "
              "| `git rev-parse` process, ms |")  # fmt: skip
        print("|---|---|---|")
        for label, spec in cases:
            assert repo.resolve(spec)
            ours = median_ms(lambda s=spec: repo.resolve(s), args.runs)  # type: ignore[misc]
            git_spec = "main@{1}" if spec == "@{1}" else spec
            theirs = median_ms(lambda s=git_spec: subprocess.run(  # type: ignore[misc]
                ["git", "rev-parse", "--verify", "-q", s], cwd=root, capture_output=True,
                check=True), min(args.runs, 20))  # fmt: skip
            print(f"| {label} | {ours:.3f} | {theirs:.1f} |")
        prefix = packed.commit[:7].encode()
        naive = median_ms(lambda: [s for s in repo.store.objects if s.startswith(prefix)], 3)
        print(f"| for comparison: a 7-char lookup scanning every object id (median of 3) "
              f"| {naive:.1f} | - |")  # fmt: skip
        fact_ids(root, args.runs)


def fact_ids(root: Path, runs: int) -> None:
    """A fact named by a start of its id (`Session.expand_id`, as `agentmem show 73amw9` does)
    beside its whole id, in-process, and `agentmem show` as a new process."""
    fact = Repo.open(root).newest_facts(limit=1).facts[0].id
    (root / ".agentmem" / "fact-listing").unlink(missing_ok=True)
    reader = Repo.open(root).as_agent("bench")
    start = time.perf_counter()
    assert reader.expand_id(fact[:6]) == fact
    cold = (time.perf_counter() - start) * 1000
    print(f"\n| fact id | `Session.expand_id`, ms (median of {runs}) "
          "| `agentmem show` process, ms (median of 5) |")  # fmt: skip
    print("|---|---|---|")
    for label, given in (("whole id (26 characters)", fact), ("a start of 6 characters", fact[:6])):
        assert reader.expand_id(given) == fact
        ours = median_ms(lambda g=given: reader.expand_id(g), runs)  # type: ignore[misc]
        shown = median_ms(lambda g=given: subprocess.run(  # type: ignore[misc]
            [sys.executable, "-m", "agentmem", "-C", str(root), "show", g], capture_output=True,
            check=True), 5)  # fmt: skip
        print(f"| {label} | {ours:.1f} | {shown:.0f} |")
    print(f"| a start of 6 characters, `.agentmem/fact-listing` deleted first (once) | {cold:.0f} | - |")


if __name__ == "__main__":
    main()
