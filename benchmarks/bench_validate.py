"""Cost of merge-time validation (issue 12.4): merging a branch that brings 1,000 new facts, with
`validate_incoming` and with it replaced by a no-op, side by side in one run, fast-forward and
three-way, on fresh copies of one repository (median of --rounds).

    python benchmarks/bench_validate.py [--base 10000] [--incoming 1000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from agentmem import Repo
from agentmem import merge as merge_module
from agentmem.validate import validate_incoming


def build(root: Path, base: int, incoming: int) -> None:
    repo = Repo.init(root)
    repo.import_facts(
        ({"text": f"base fact {n}", "scope": ("shared", "user:alice", "agent:x")[n % 3]}
         for n in range(base)), agent="bench",
    )  # fmt: skip
    repo.create_branch("incoming")
    repo.switch("incoming")
    repo.import_facts(
        ({"text": f"incoming fact {n}", "tags": ["t"], "meta": {"n": n},
          "scope": ("shared", "run:r1")[n % 2]} for n in range(incoming)), agent="other",
    )  # fmt: skip
    repo.switch("main")
    repo.close()


def timed(root: Path, three_way: bool, validate: bool) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "mem"
        shutil.copytree(root, copy)
        repo = Repo(copy)
        if three_way:
            repo.remember("ours moved on", agent="bench")
        original: Callable[..., None] = merge_module.validate_incoming
        merge_module.validate_incoming = original if validate else (lambda *_a, **_k: None)  # type: ignore[assignment]
        try:
            started = time.perf_counter()
            result = repo.merge("incoming")
            elapsed = time.perf_counter() - started
        finally:
            merge_module.validate_incoming = original  # type: ignore[assignment]
        assert result.status == ("merged" if three_way else "fast-forward"), result.status
        repo.close()
        return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", type=int, default=10_000)
    parser.add_argument("--incoming", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "mem"
        build(root, args.base, args.incoming)
        repo = Repo(root)
        store = repo.store
        alone = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            validate_incoming(store, store.resolve("main"), store.resolve("incoming"))
            alone.append(time.perf_counter() - started)
        repo.close()
        print(f"base {args.base} facts, incoming {args.incoming} facts, median of {args.rounds}")
        print("| merge | without validation, s | with validation, s | ratio |")
        print("|---|---|---|---|")
        for three_way in (False, True):
            times: dict[bool, list[float]] = {False: [], True: []}
            for _ in range(args.rounds):
                for validate in (False, True):  # interleaved, so load affects both alike
                    times[validate].append(timed(root, three_way, validate))
            off, on = statistics.median(times[False]), statistics.median(times[True])
            name = "three-way" if three_way else "fast-forward"
            print(f"| {name} | {off:.3f} | {on:.3f} | {on / off:.2f} |")
        print(f"validate_incoming alone: {statistics.median(alone):.3f} s")


if __name__ == "__main__":
    main()
