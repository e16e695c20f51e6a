"""Benchmark of the core (issue 2): commit cost vs repository size, bulk import, start-up time,
concurrent writers. Prints a markdown report; every ratio is measured side by side in one run.

    python benchmarks/bench_core.py            # full run: 1,000 vs 100,000 facts (a few minutes)
    python benchmarks/bench_core.py --quick    # smoke run with small sizes

Repositories are built under ``--out`` (default: a fresh folder under ``benchmarks/out/``, which
git ignores) and left there for inspection. Uses only the standard library, agentmem and real git.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from agentmem import Repo
from agentmem.errors import Conflict
from agentmem.layout import FACTS_DIR

HEAVY = ("lancedb", "torch", "sentence_transformers")
BIN = Path(sys.executable).parent / "agentmem"
AGENTMEM = [str(BIN)] if BIN.exists() else [sys.executable, "-m", "agentmem"]


# -- helpers ---------------------------------------------------------------------------------


def git(root: Path, *args: str, stdin: bytes | None = None) -> str:
    result = subprocess.run(["git", *args], cwd=root, input=stdin, capture_output=True, check=True)
    return result.stdout.decode()


def fsck(root: Path) -> str:
    """'clean' or git's complaint: `git fsck --full --strict` must report nothing at all."""
    result = subprocess.run(
        ["git", "fsck", "--full", "--strict", "--no-dangling"], cwd=root, capture_output=True, text=True
    )
    output = (result.stdout + result.stderr).strip()
    return "clean" if result.returncode == 0 and not output else f"FAILED: {output[:300]}"


def median_ms(samples: Sequence[float]) -> float:
    return statistics.median(samples) * 1000


def wall(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def loose_objects(root: Path) -> int:
    objects = root / ".git" / "objects"
    return sum(len(os.listdir(d)) for d in objects.iterdir() if len(d.name) == 2)


def commit_objects(root: Path) -> tuple[int, int]:
    """(commit objects stored, commits reachable from any ref): the difference counts commits
    made by compare-and-swap attempts that lost the race (orphans left for `git gc`)."""
    kinds = git(root, "cat-file", "--batch-all-objects", "--batch-check=%(objecttype)").split()
    reachable = int(git(root, "rev-list", "--all", "--count"))
    return kinds.count("commit"), reachable


def pack_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in (root / ".git" / "objects" / "pack").iterdir())


def largest_tree(repo: Repo) -> tuple[int, str]:
    """The most entries any tree under facts/ holds, and its path."""
    store = repo.store
    top = store.lookup(store.commit(store.resolve()).tree, FACTS_DIR.encode())
    best, where, stack = 0, "", [(FACTS_DIR, top)]
    while stack:
        path, sha = stack.pop()
        tree = store.tree(sha) if sha is not None else None
        if tree is None:
            continue
        if len(tree) > best:
            best, where = len(tree), path
        stack.extend((f"{path}/{e.path.decode()}", e.sha) for e in tree.iteritems() if e.mode == 0o40000)
    return best, where


def records(n: int, tag: str) -> Any:
    for i in range(n):
        yield {"text": f"{tag} fact {i}: the build of service {i % 97} uses cache {i * 7919 % 10007}"}


def build(path: Path, n: int) -> tuple[Repo, float]:
    repo = Repo.init(path)
    start = time.perf_counter()
    repo.import_facts(records(n, path.name), agent="bench", message=f"import {n} facts")
    return repo, time.perf_counter() - start


# -- 2. commit cost against repository size --------------------------------------------------


def commit_cost(repo: Repo, commits: int, cli_runs: int) -> dict[str, float]:
    times, objects = [], []
    for i in range(commits):
        before = loose_objects(repo.root)
        start = time.perf_counter()
        repo.remember(f"one more fact number {i} in {repo.root.name}", agent="bench")
        times.append(time.perf_counter() - start)
        objects.append(loose_objects(repo.root) - before)
    env = {**os.environ, "AGENTMEM_REPO": str(repo.root)}
    cli = [wall([*AGENTMEM, "remember", f"cli fact {i}", "-a", "bench"], repo.root, env)
           for i in range(cli_runs)]  # fmt: skip
    return {"api_ms": median_ms(times), "objects": statistics.median(objects), "cli_ms": median_ms(cli)}


# -- 3. bulk import beside git fast-import ---------------------------------------------------


def fast_import(repo: Repo, target: Path) -> tuple[float, int]:
    """Time `git fast-import` of exactly the fact files of `repo`'s HEAD, same paths and bytes."""
    store = repo.store
    chunks = [b"commit refs/heads/main\ncommitter bench <bench@x> 0 +0000\ndata 6\nimport\n"]
    count = 0
    for path, blob in store.entries(store.commit(store.resolve()).tree):
        data = store.objects[blob].as_raw_string()
        chunks.append(b"M 100644 inline %s\ndata %d\n%s\n" % (path, len(data), data))
        count += 1
    stream = b"".join(chunks) + b"\n"
    subprocess.run(["git", "init", "-q", "--bare", str(target)], check=True)
    start = time.perf_counter()
    subprocess.run(["git", "fast-import", "--quiet"], cwd=target, input=stream, check=True)
    return time.perf_counter() - start, count


# -- 4. start-up -----------------------------------------------------------------------------

_PROBE = """
import sys
sys.argv = ["agentmem", *sys.argv[1:]]
from agentmem.cli import main
try:
    main()
except SystemExit:
    pass
sys.stderr.write("HEAVY:" + ",".join(m for m in %r if m in sys.modules) + "\\n")
"""


def heavy_imports(root: Path, *args: str) -> str:
    env = {**os.environ, "AGENTMEM_REPO": str(root)}
    result = subprocess.run([sys.executable, "-c", _PROBE % (HEAVY,), *args], cwd=root, env=env,
                            capture_output=True, text=True, check=True)  # fmt: skip
    line = [x for x in result.stderr.splitlines() if x.startswith("HEAVY:")][-1]
    return line[len("HEAVY:") :] or "none"


# -- 5. concurrent writers -------------------------------------------------------------------


def _writer(root: str, agent: str, count: int, barrier: Any, out: Any) -> None:
    """One agent process: `count` one-fact commits through the Python API."""
    errors: dict[str, int] = {}
    barrier.wait()
    start = time.perf_counter()
    for i in range(count):
        try:
            Repo.open(root).remember(f"{agent} observation {i}", agent=agent)
        except Exception as exc:
            errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
    out.put((agent, start, time.perf_counter(), errors))


def concurrent_remember(root: Path, procs: int, each: int) -> dict[str, Any]:
    ctx = mp.get_context("fork")
    barrier, out = ctx.Barrier(procs), ctx.Queue()
    before_facts = len(Repo.open(root).facts())
    before_commits, _ = commit_objects(root)
    head = Repo.open(root).resolve()
    workers = [ctx.Process(target=_writer, args=(str(root), f"agent-{i}", each, barrier, out))
               for i in range(procs)]  # fmt: skip
    for w in workers:
        w.start()
    results = [out.get() for _ in workers]
    for w in workers:
        w.join()
    elapsed = max(r[2] for r in results) - min(r[1] for r in results)
    errors: dict[str, int] = {}
    for r in results:
        for name, n in r[3].items():
            errors[name] = errors.get(name, 0) + n
    repo = Repo.open(root)
    new_commits = int(git(root, "rev-list", "--count", f"{head}..HEAD"))
    stored, _ = commit_objects(root)
    return {
        "facts": len(repo.facts()) - before_facts,
        "commits": new_commits,
        "seconds": elapsed,
        "errors": errors,
        "retries": stored - before_commits - new_commits,
        "fsck": fsck(root),
    }


def _updater(root: str, fact_id: str, agent: str, barrier: Any, out: Any) -> None:
    """Update the shared fact inside a transaction, then commit at the same moment as the rival:
    both start from the same base, so exactly one must win."""
    text = f"value written by {agent}"
    try:
        with Repo.open(root).transaction(agent=agent) as tx:
            tx.update(fact_id, text=text)
            barrier.wait()
        out.put((agent, "ok", text))
    except Conflict:
        out.put((agent, "Conflict", text))
    except Exception as exc:
        out.put((agent, type(exc).__name__, text))


def same_fact_race(root: Path, rounds: int) -> dict[str, Any]:
    ctx = mp.get_context("fork")
    repo = Repo.open(root)
    fact_id = repo.remember("the contested value", agent="bench").id
    expected = 0
    outcomes: dict[str, int] = {}
    lost = 0
    for r in range(rounds):
        barrier, out = ctx.Barrier(2), ctx.Queue()
        head = repo.resolve()
        workers = [ctx.Process(target=_updater, args=(str(root), fact_id, f"agent-{r}-{i}", barrier, out))
                   for i in range(2)]  # fmt: skip
        for w in workers:
            w.start()
        results = [out.get() for _ in workers]
        for w in workers:
            w.join()
        kinds = sorted(k for _, k, _ in results)
        outcomes[" + ".join(kinds)] = outcomes.get(" + ".join(kinds), 0) + 1
        winners = [text for _, k, text in results if k == "ok"]
        stored = Repo.open(root).get(fact_id).text
        added = int(git(root, "rev-list", "--count", f"{head}..HEAD"))
        if kinds == ["Conflict", "ok"] and stored == winners[0] and added == 1:
            expected += 1
        elif not winners or stored not in winners:
            lost += 1
    return {"rounds": rounds, "expected": expected, "outcomes": outcomes, "lost": lost,
            "fsck": fsck(root)}  # fmt: skip


# -- the report ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--out", type=Path, help="folder for the repositories (default: temp)")
    args = parser.parse_args(argv)
    small, large = (200, 5_000) if args.quick else (1_000, 100_000)
    commits, runs, procs, each, rounds = (5, 3, 4, 10, 3) if args.quick else (30, 10, 4, 100, 10)
    default_out = Path(__file__).parent / "out"
    default_out.mkdir(exist_ok=True)
    out = args.out or Path(tempfile.mkdtemp(prefix="core-", dir=default_out))
    out.mkdir(parents=True, exist_ok=True)
    for name in ("small", "large", "fast-import", "concurrent"):
        shutil.rmtree(out / name, ignore_errors=True)
    step: Callable[[str], None] = lambda msg: print(f"... {msg}", file=sys.stderr, flush=True)  # noqa: E731

    step(f"importing {small} and {large} facts")
    small_repo, _ = build(out / "small", small)
    large_repo, import_s = build(out / "large", large)
    pack = pack_bytes(large_repo.root)
    step("git fast-import of the same files")
    fi_s, fi_count = fast_import(large_repo, out / "fast-import")
    fi_pack = sum(p.stat().st_size for p in (out / "fast-import" / "objects" / "pack").iterdir())
    step("largest tree")
    widest, widest_at = largest_tree(large_repo)
    step("one-fact commits")
    cost_small = commit_cost(small_repo, commits, runs)
    cost_large = commit_cost(large_repo, commits, runs)
    step("start-up")
    env = {**os.environ, "AGENTMEM_REPO": str(large_repo.root)}
    root = large_repo.root
    help_s = [wall([*AGENTMEM, "--help"], root, env) for _ in range(runs)]
    log_s = [wall([*AGENTMEM, "log", "-n", "10"], root, env) for _ in range(runs)]
    git_s = [wall(["git", "log", "-n", "10"], root) for _ in range(runs)]
    bare_s = [wall([sys.executable, "-c", "pass"], root) for _ in range(runs)]
    heavy_log, heavy_help = heavy_imports(root, "log", "-n", "10"), heavy_imports(root, "--help")
    step(f"{procs} processes x {each} remembers")
    conc_repo, _ = build(out / "concurrent", small)
    conc = concurrent_remember(conc_repo.root, procs, each)
    step(f"{rounds} rounds of two processes updating one fact")
    race = same_fact_race(conc_repo.root, rounds)
    step("git fsck")
    checks = {name: fsck(r.root) for name, r in (("small", small_repo), ("large", large_repo))}

    cmd = " ".join(["python benchmarks/bench_core.py", *(sys.argv[1:] if argv is None else argv)])
    print(f"Measured {date.today().isoformat()} with `{cmd}` (repositories in `{out}`).\n")
    print("**Commit cost against repository size** (all facts in one scope, `shared`):\n")
    print(f"| one-fact commit | {small:,} facts | {large:,} facts | ratio |")
    print("|---|---|---|---|")
    for key, label in (("api_ms", f"`repo.remember` (median of {commits}), ms"),
                       ("cli_ms", f"`agentmem remember` process (median of {runs}), ms"),
                       ("objects", "objects written per commit (median)")):  # fmt: skip
        a, b = cost_small[key], cost_large[key]
        print(f"| {label} | {a:.1f} | {b:.1f} | {b / a:.2f} |")
    print(f"\nLargest tree in the {large:,}-fact repository: {widest} entries (`{widest_at}`).\n")
    print(f"**Bulk import** of {large:,} facts in one commit:\n")
    print("| | wall time | facts/s | pack on disk |")
    print("|---|---|---|---|")
    print(f"| `repo.import_facts` | {import_s:.1f} s | {large / import_s:,.0f} | {pack / 2**20:.1f} MiB |")
    print(f"| `git fast-import` of the same {fi_count:,} files (same paths and bytes) | {fi_s:.1f} s "
          f"| {fi_count / fi_s:,.0f} | {fi_pack / 2**20:.1f} MiB |")  # fmt: skip
    print(f"\n**Start-up** (new process each time, median of {runs}, {large:,}-fact repository):\n")
    print("| command | ms | imports lancedb/torch/sentence_transformers |")
    print("|---|---|---|")
    print(f"| `agentmem --help` | {median_ms(help_s):.0f} | {heavy_help} |")
    print(f"| `agentmem log -n 10` | {median_ms(log_s):.0f} | {heavy_log} |")
    print(f"| `git log -n 10` | {median_ms(git_s):.0f} | - |")
    print(f"| `python -c pass` (interpreter alone) | {median_ms(bare_s):.0f} | - |")
    print(f"\n**Concurrent writers**: {procs} processes x {each} `Repo.open(path).remember(...)` "
          "on one branch, started together:\n")  # fmt: skip
    total = procs * each
    print("| facts present | new commits | errors | orphan commits (lost CAS races) | wall time | commits/s "
          "| git fsck |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    errs = ", ".join(f"{k}: {v}" for k, v in conc["errors"].items()) or "none"
    print(
        f"| {conc['facts']}/{total} | {conc['commits']}/{total} | {errs} | {conc['retries']} "
        f"| {conc['seconds']:.1f} s | {conc['commits'] / conc['seconds']:.0f} | {conc['fsck']} |"
    )
    outcomes = ", ".join(f"{k}: {v}" for k, v in sorted(race["outcomes"].items()))
    print(f"\n**Same fact, two processes** committing an update from the same base at once, "
          f"{race['rounds']} rounds: {race['expected']}/{race['rounds']} ended with one success and one "
          f"`Conflict`, the winner's text stored and one new commit ({outcomes}); lost writes: "
          f"{race['lost']}; git fsck: {race['fsck']}.\n")  # fmt: skip
    print(f"**git fsck --full --strict** after all writes: small {checks['small']}, large "
          f"{checks['large']}. `git log --oneline -n 5` of the large repository:\n")  # fmt: skip
    print("```\n" + git(large_repo.root, "log", "--oneline", "-n", "5").rstrip() + "\n```")
    for repo in (small_repo, large_repo, conc_repo):
        repo.store.git.close()  # else dulwich's finalisers complain at interpreter exit


if __name__ == "__main__":
    main()
