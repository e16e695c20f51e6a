"""Version control costs beside the nearest git command on the same repository.

* diff of 10 changed facts in a 100,000-fact repository vs a 1,000-fact one (ratio ~1: the cost
  follows the change, not the repository), and of the import that wrote the 100,000 facts;
* merge of two branches with 1,000 changed facts each;
* blame of a fact in a 10,000-commit history.

Prints a markdown table. Run:  python benchmarks/bench_vcs.py [--quick] [--only diff|merge|blame]
(--quick: 10,000 / 1,000 facts, 200 changes per branch, 1,000 commits, for a smoke run).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from agentmem import Repo
from agentmem.layout import fact_path

ROWS: list[tuple[str, str, str, str]] = []


def timed(fn: Callable[[], object], runs: int = 5) -> float:
    """Median wall time in ms."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def git(root: Path, *args: str) -> Callable[[], object]:
    return lambda: subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def build(root: Path, facts: int) -> Repo:
    repo = Repo.init(root)
    records = ({"id": f"fact-{n:07d}", "text": f"fact number {n}", "created_at": "2026-01-01T00:00:00Z"}
               for n in range(facts))  # fmt: skip
    repo.import_facts(records, agent="bench")
    return repo


def bench_diff(tmp: Path, big: int, small: int) -> None:
    figures = {}
    for size in (small, big):
        start = time.perf_counter()
        repo = build(tmp / f"diff-{size}", size)
        built = time.perf_counter() - start
        with repo.transaction(agent="bench") as tx:
            for n in range(0, size, size // 10)[:10]:
                tx.update(f"fact-{n:07d}", text=f"changed {n}")
        ours = timed(lambda repo=repo: repo.diff("HEAD~1", "HEAD"))  # type: ignore[misc]
        theirs = timed(git(repo.root, "diff-tree", "-r", "HEAD~1", "HEAD"))
        assert len(repo.diff("HEAD~1", "HEAD").changes) == 10
        figures[size] = ours
        ROWS.append((f"diff, 10 changed facts, {size:,}-fact repo (built in {built:.1f} s)",
                     f"{ours:.1f} ms", "git diff-tree -r", f"{theirs:.1f} ms"))  # fmt: skip
    # the import itself: every fact added, each one read (the --stat form reads none)
    repo = Repo.open(tmp / f"diff-{big}")
    assert len(repo.diff("HEAD~2", "HEAD~1", stat=True).changes) == big
    whole = timed(lambda: repo.diff("HEAD~2", "HEAD~1"), runs=3)
    stat = timed(lambda: repo.diff("HEAD~2", "HEAD~1", stat=True), runs=3)
    patch = timed(git(repo.root, "diff", "HEAD~2", "HEAD~1"), runs=3)
    names = timed(git(repo.root, "diff", "--stat", "HEAD~2", "HEAD~1"), runs=3)
    ROWS.append((f"diff of the import, {big:,} facts added: every fact read / --stat",
                 f"{whole / 1000:.1f} s / {stat / 1000:.1f} s", "git diff (patch) / git diff --stat",
                 f"{patch / 1000:.1f} s / {names / 1000:.1f} s"))  # fmt: skip
    ROWS.append((f"ratio diff {big:,} / {small:,} facts", f"{figures[big] / figures[small]:.2f}", "", ""))


def bench_merge(tmp: Path, facts: int, changes: int) -> None:
    repo = build(tmp / "merge", facts)
    repo.create_branch("other")
    for branch, offset in (("other", 0), ("main", 1)):
        repo.switch(branch)
        with repo.transaction(agent=branch) as tx:
            for n in range(changes):
                tx.update(f"fact-{2 * n + offset:07d}", text=f"{branch} changed {n}")
    head = repo.resolve()
    theirs = timed(git(repo.root, "merge-tree", "--write-tree", "main", "other"), runs=3)
    samples = []
    for _ in range(3):
        start = time.perf_counter()
        result = repo.merge("other", agent="bench")
        samples.append((time.perf_counter() - start) * 1000)
        assert result.status == "merged" and len(result.taken) == changes
        repo.reset(head)
    ROWS.append((f"merge, {changes:,} changes per branch, {facts:,}-fact repo",
                 f"{statistics.median(samples):.0f} ms", "git merge-tree --write-tree",
                 f"{theirs:.0f} ms"))  # fmt: skip


def bench_blame(tmp: Path, commits: int) -> None:
    repo = Repo.init(tmp / "blame")
    repo.remember("the blamed fact", agent="first", id="blamed")
    start = time.perf_counter()
    for n in range(commits):
        with repo.transaction(agent=f"agent{n % 3}") as tx:
            if n == commits // 2:
                tx.update("blamed", text="the blamed fact, changed")
            else:
                tx.remember(f"filler {n}", id=f"filler-{n}")
    built = time.perf_counter() - start
    path = fact_path("shared", "blamed").decode()
    result = repo.blame("blamed")
    assert result.introduced.agent == "first" and result.last_changed.agent == f"agent{(commits // 2) % 3}"
    ours = timed(lambda: repo.blame("blamed"), runs=3)
    theirs = timed(git(repo.root, "log", "--format=%H", "--", path), runs=3)
    ROWS.append((f"blame, {commits:,}-commit history (built in {built:.0f} s)", f"{ours:.0f} ms",
                 "git log -- path", f"{theirs:.0f} ms"))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes for a smoke run")
    parser.add_argument("--only", choices=("diff", "merge", "blame"), help="run one of the three")
    args = parser.parse_args()
    big, small, changes, commits = (10_000, 1_000, 200, 1_000) if args.quick else (
        100_000, 1_000, 1_000, 10_000)  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "diff"):
            bench_diff(Path(tmp), big, small)
        if args.only in (None, "merge"):
            bench_merge(Path(tmp), big, changes)
        if args.only in (None, "blame"):
            bench_blame(Path(tmp), commits)
    flag = (" --quick" if args.quick else "") + (f" --only {args.only}" if args.only else "")
    print(f"`python benchmarks/bench_vcs.py{flag}` (Python {sys.version.split()[0]})\n")
    print("| operation | agentmem | git command | git |")
    print("|---|---|---|---|")
    for row in ROWS:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
