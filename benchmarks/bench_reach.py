"""Issue 14 figures, each side by side in one run:

* MCP ``search`` round trip (official client -> ``agentmem serve --mcp`` over stdio, warm) against
  the same query through the Python API in this process (warm), at 10,000 facts.
* ``agentmem push`` / ``pull`` of 1,000 new facts (100 commits of 10) against plain ``git push``
  / ``git pull`` of identical copies of the same repositories, over a local bare remote.

    python benchmarks/bench_reach.py [--facts 10000] [--rounds 30] [--new 1000] [--fake]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import bench_repo, records

from agentmem import Repo

QUERIES = ["who prefers email", "problems with the staging database", "invoice approvals",
           "nightly backup failures", "weekly updates on the billing API"]  # fmt: skip


def p50(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.1f} ms"


def search_figures(count: int, rounds: int, fake: bool) -> None:
    """The two are measured interleaved (API, MCP, API, MCP...) so that load from other
    processes falls on both alike. `fake`: the deterministic fake embedder (``fake:384``), which
    leaves only the plumbing (index, ranking, transport) to measure."""
    repo = _fake_repo(count) if fake else bench_repo(count)
    api, mcp = asyncio.run(_rounds(repo, rounds))
    model = "fake:384 embedder" if fake else "all-MiniLM-L6-v2"
    print(f"| search p50, {count:,} facts, {model} | Python API (in process, warm) | {p50(api)} |")
    print(f"| search p50, {count:,} facts, {model} | MCP stdio round trip (warm server) | {p50(mcp)} |")


def _fake_repo(count: int) -> Repo:
    root = Path(__file__).resolve().parent / "out" / f"reach-fake-{count}"
    if (root / ".agentmem" / "config").exists():
        return Repo(root)
    repo = Repo.init(root)
    config = repo.local_dir / "config"
    config.write_text(config.read_text().replace('model = "all-MiniLM-L6-v2"', 'model = "fake:384"'))
    repo = Repo(root)
    repo.import_facts(records(count), agent="bench", message=f"{count} benchmark facts")
    repo.index()
    return repo


async def _rounds(repo: Repo, rounds: int) -> tuple[list[float], list[float]]:
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "agentmem", "-C", str(repo.root), "serve", "--mcp", "--agent", "bench"],
        env={**os.environ},
    )  # fmt: skip
    api: list[float] = []
    mcp: list[float] = []
    async with stdio_client(params) as streams, ClientSession(streams[0], streams[1]) as session:
        await session.initialize()
        await session.call_tool("search", {"query": QUERIES[0]})  # warm the server
        repo.search(QUERIES[0])  # and this process
        for i in range(rounds):
            query = QUERIES[i % len(QUERIES)]
            started = time.perf_counter()
            repo.search(query, k=10)
            api.append(time.perf_counter() - started)
            started = time.perf_counter()
            result = await session.call_tool("search", {"query": query, "k": 10})
            mcp.append(time.perf_counter() - started)
            assert not result.is_error, result.content
    return api, mcp


def git(*args: str, cwd: Path | None = None) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def timed(fn: object) -> float:
    started = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - started


def transfer_figures(new: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-reach-"))
    try:
        git("init", "-q", "--bare", "-b", "main", str(work / "remote.git"))
        a = Repo.init(work / "a")
        a.import_facts(records(1000, seed=3, prefix="base"), agent="bench")
        a.add_remote("origin", str(work / "remote.git"))
        a.push()
        Repo.clone(str(work / "remote.git"), work / "b")
        git("clone", "-q", str(work / "remote.git"), str(work / "b-plain"))
        fresh = records(new, seed=11, prefix="new")
        for start in range(0, new, 10):
            a.import_facts(fresh[start : start + 10], agent="writer")
        a.close()
        # identical copies: agentmem works on one set, plain git on the other
        for name in ("remote.git", "a", "b-plain"):
            shutil.copytree(work / name, work / f"{name}-git", symlinks=True)
        remote_git = str(work / "remote.git-git")
        git("--git-dir", str(work / "a-git" / ".git"), "remote", "set-url", "origin", remote_git)
        git("-C", str(work / "b-plain-git"), "remote", "set-url", "origin", remote_git)
        a = Repo(work / "a")
        push_am = timed(lambda: a.push())
        a_git = str(work / "a-git" / ".git")
        push_git = timed(lambda: git("--git-dir", a_git, "push", "-q", "origin", "main"))
        b = Repo(work / "b")
        pull_am = timed(lambda: b.pull())
        pull_git = timed(lambda: git("-C", str(work / "b-plain-git"), "pull", "-q", "--ff-only"))
        assert len(b.facts()) == 1000 + new
        what = f"{new:,} new facts (100 commits)"
        print(f"| push {what} | agentmem push | {push_am:.2f} s |")
        print(f"| push {what} | git push | {push_git:.2f} s |")
        print(f"| pull {what} | agentmem pull (fact-level merge) | {pull_am:.2f} s |")
        print(f"| pull {what} | git pull --ff-only (work tree checkout) | {pull_git:.2f} s |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--facts", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--new", type=int, default=1000)
    parser.add_argument("--skip-search", action="store_true")
    parser.add_argument("--skip-transfer", action="store_true")
    parser.add_argument("--fake", action="store_true", help="fake embedder: plumbing only")
    args = parser.parse_args()
    print("| what | through | p50 / time |")
    print("|---|---|---|")
    if not args.skip_transfer:
        transfer_figures(args.new)
    if not args.skip_search:
        search_figures(args.facts, args.rounds, args.fake)


if __name__ == "__main__":
    main()
