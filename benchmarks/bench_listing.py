"""Reads that must not cost the whole memory, at scale: `ls -n 10` from `.agentmem/fact-listing`
beside reading and sorting every fact (what `ls` did before the file), for the owner and for a
reader whose policy lets it read two of the five scopes; and, with --compare, command lines of
this checkout and another timed alternately on the same repository.

Run:  python benchmarks/bench_listing.py [--facts 100000] [--rounds 5] [--compare OTHER/src]
Builds a repository of that many facts in a temporary folder (one import commit; the corpus of
the search benchmarks, five scopes). Each figure is the median of --rounds runs, each on a new
`Repo` (as a new command line process opens it) unless said:
  old           sorted(session.facts()) and the first 10: every fact file read (one run)
  first         newest_facts(limit=10) with no fact-listing file: reads every fact and writes it
  warm          the same with the file
  after commit  the same after a commit that changes one fact (a new commit each round)
  cli           `agentmem ls -n 10` as a process, start-up included (the owner's row as admin)
--after-import: only this, alternately: an import that records its facts in the file (as
`import_facts` does), and one that does not, each into a new repository; the import's time, and
the first and second newest_facts(limit=10) after it.
--radius N with --compare: instead of the commands below, a fact N facts derive from is
quarantined, and RADIUS_COMMANDS run alternately as below.
--compare: then one fact is quarantined, 64 commits follow, and each command of COMMANDS runs
as a process with PYTHONPATH at this checkout's src/ and at OTHER/src, alternately, after one
untimed run of each (which fills this checkout's caches): the median of --rounds runs; each of
ONCE (a bisection) runs once.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import records

from agentmem import Repo
from agentmem.listing import CACHE_NAME
from agentmem.session import Session

POLICY = """default = "deny"
admins = ["admin"]
[agents.admin]
read = ["*"]
write = ["*"]
[agents.billing]
read = ["shared", "app:billing"]
write = ["shared"]
"""


def seconds(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def opened(root: Path, agent: str | None) -> Session:
    """A new `Repo`, as a new command line process opens it: its owner, or `agent`."""
    repo = Repo(root)
    return repo._owner() if agent is None else repo.as_agent(agent)


def newest(root: Path, agent: str | None) -> float:
    return seconds(lambda: opened(root, agent).newest_facts(limit=10))


def every_sorted(root: Path, agent: str | None) -> float:
    reader = opened(root, agent)
    return seconds(lambda: sorted(reader.facts(), key=lambda f: (f.updated_at, f.id), reverse=True)[:10])


def command_line(root: Path, agent: str) -> float:
    run = [sys.executable, "-m", "agentmem", "-C", str(root), "ls", "-n", "10", "--agent", agent]
    return seconds(lambda: subprocess.run(run, check=True, capture_output=True))


COMMANDS = [
    ["ls", "-n", "10", "--agent", "billing"],
    ["log", "--scope", "shared", "-n", "3", "--agent", "billing"],
    ["log", "-n", "10", "--agent", "admin"],  # under a quarantine: every commit shown is checked
    ["log", "--agent", "admin"],  # the whole history: the import commit too
    ["cat-commit", "{import}", "--agent", "billing"],  # refused: it changes scopes billing may not read
    ["expire", "--dry-run", "--agent", "admin"],
]
# Run once each (no cache to fill: a bisection searches its commits afresh): the needle is
# written 40 commits into 64 after the import.
ONCE = [["bisect", "--contains", "refund window is 365", "--agent", "billing"]]


def alternately(root: Path, command: list[str], sources: list[str], runs: int) -> None:
    """`command` as a process with each checkout's code in turn, `runs` rounds after an untimed
    one (0: one timed run each); prints each one's median and exit status (5 counts: a refusal)."""
    times: dict[str, list[float]] = {src: [] for src in sources}
    status: dict[str, int] = {}
    for n in range(runs + 1):
        for src in sources:
            run = [sys.executable, "-m", "agentmem", "-C", str(root), *command]
            env = {**os.environ, "PYTHONPATH": src}
            start = time.perf_counter()
            status[src] = subprocess.run(run, env=env, capture_output=True).returncode
            if n or not runs:
                times[src].append(time.perf_counter() - start)
    shown = " | ".join(f"{src}: {statistics.median(t):.2f} s (exit {status[src]})"
                       for src, t in times.items())  # fmt: skip
    print(f"agentmem {' '.join(command)}: {shown}", flush=True)


def compare(root: Path, sources: list[str], rounds: int) -> None:
    """Each of COMMANDS with each checkout's code, alternately."""
    repo = Repo(root)
    imported = next(c.id for c in repo.log() if c.subject == "bench")
    repo.quarantine.add(repo.newest_facts(limit=1).facts[0].id, agent="admin")
    admin = repo.as_agent("admin")
    for n in range(64):
        admin.remember("the refund window is 365 days" if n == 40 else f"note {n} on the rollout", "shared")
    for command, runs in [*((c, rounds) for c in COMMANDS), *((c, 0) for c in ONCE)]:
        alternately(root, [imported if a == "{import}" else a for a in command], sources, runs)


RADIUS_COMMANDS = [["ls", "-n", "10", "--agent", "admin"], ["ls", "-n", "10", "--agent", "billing"],
                   ["log", "--scope", "shared", "-n", "3", "--agent", "billing"]]  # fmt: skip


def radius(root: Path, derived: int, sources: list[str], rounds: int) -> None:
    """A fact with `derived` facts derived from it is quarantined; then each of RADIUS_COMMANDS
    runs with each checkout's code, alternately."""
    repo = Repo(root)
    admin = repo.as_agent("admin")
    rule = admin.remember("The refund window is 365 days", "shared").id
    repo.import_facts(({"text": f"Conclusion {n} drawn from the refund rule", "derived_from": [rule]}
                       for n in range(derived)), agent="admin")  # fmt: skip
    repo.quarantine.add(rule, agent="admin")
    print(f"# quarantined: one fact and the {derived} derived from it")
    for command in RADIUS_COMMANDS:
        alternately(root, command, sources, rounds)


def after_import(facts: int, rounds: int) -> None:
    """An import that records its facts in the file, beside one that does not (the first
    listing then reads every fact back), alternately, each into a new repository: the import,
    then the owner's first `newest_facts(limit=10)` on a new `Repo`."""
    recorded = Repo._list_imported
    times: dict[bool, list[tuple[float, float, float]]] = {True: [], False: []}
    for _round in range(rounds):
        for learn in (True, False):
            Repo._list_imported = recorded if learn else lambda self, tx, commit: None  # type: ignore[method-assign, assignment]
            with tempfile.TemporaryDirectory() as tmp:
                root = Path(tmp) / "mem"
                start = time.perf_counter()
                Repo.init(root).import_facts(records(facts), agent="bench", message="bench")
                took = time.perf_counter() - start
                times[learn].append((took, newest(root, None), newest(root, None)))
    Repo._list_imported = recorded  # type: ignore[method-assign]
    for learn, label in ((False, "import, not recorded"), (True, "import, recorded")):
        took, first, warm = (statistics.median(t[n] for t in times[learn]) for n in range(3))
        print(f"{label}: import {took:.2f} s | first listing after it {first:.2f} s | the next "
              f"{warm:.2f} s (median of {rounds})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--facts", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--compare", help="another checkout's src/ folder")
    parser.add_argument("--after-import", action="store_true",
                        help="only: the first listing after an import that records, or not")  # fmt: skip
    parser.add_argument("--radius", type=int, metavar="N",
                        help="with --compare: ls and log, a fact N derive from quarantined")  # fmt: skip
    args = parser.parse_args()
    if args.after_import:
        after_import(args.facts, args.rounds)
        return
    rounds = range(args.rounds)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "mem"
        repo = Repo.init(root)
        took = seconds(lambda: repo.import_facts(records(args.facts), agent="bench", message="bench"))
        repo.policy.set(POLICY, agent="admin")
        print(f"# {args.facts} facts imported in {took:.1f} s")
        listing = root / ".agentmem" / CACHE_NAME
        for agent in () if args.radius else (None, "billing"):
            old = every_sorted(root, agent)
            listing.unlink(missing_ok=True)
            first = newest(root, agent)
            warm = statistics.median(newest(root, agent) for _ in rounds)
            after = []
            for n in rounds:
                Repo(root).as_agent("admin").remember(f"Changed fact {agent} {n}", "shared")
                after.append(newest(root, agent))
            cli = statistics.median(command_line(root, agent or "admin") for _ in rounds)  # admin reads all
            total = opened(root, agent).newest_facts(limit=0).total
            print(f"{agent or 'owner'}: {total} facts listed | old {old:.2f} s | first {first:.2f} s | "
                  f"warm {warm:.3f} s | after commit {statistics.median(after):.3f} s | cli {cli:.2f} s | "
                  f"file {listing.stat().st_size / 1e6:.1f} MB")  # fmt: skip
        if args.compare and args.radius:
            here = str(Path(__file__).resolve().parent.parent / "src")
            radius(root, args.radius, [here, args.compare], args.rounds)
        elif args.compare:
            here = str(Path(__file__).resolve().parent.parent / "src")
            compare(root, [here, args.compare], args.rounds)


if __name__ == "__main__":
    main()
