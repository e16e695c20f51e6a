"""Start-up of the command line beside its floor and git, measured side by side in one run.

Each round runs every command once, in turn (so a busy machine slows them alike), on a memory
repository of 200 commits; the table gives the median and spread over the rounds:

* ``python -c pass``: the interpreter alone, the floor under any Python command;
* ``agentmem log -n 10`` with stdout a pipe (tab-separated output: rich is not imported);
* ``agentmem log -n 10`` on a pseudo-terminal (a drawn table: rich is imported);
* ``agentmem --help`` (lists the command table; no command module is imported);
* ``python -c "import typer, dulwich.repo"``: the floor under any agentmem command, its two
  dependencies (the CLI framework and the git library) imported and nothing run;
* ``git log -n 10`` on the same repository.

Bytecode is compiled first (as ``pip install`` does), so that an environment with
``PYTHONDONTWRITEBYTECODE`` set does not time the compiler.

With ``--baseline SRC`` (another checkout's ``src``, e.g. before a change) its
``agentmem log -n 10`` runs in the same rounds, for a ratio measured side by side.

Run:  PYTHONPATH=src python benchmarks/bench_startup.py [--rounds 30] [--baseline ../main/src]
"""

from __future__ import annotations

import argparse
import compileall
import os
import pty
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from agentmem import Repo


def run_piped(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, capture_output=True, check=True)
    return time.perf_counter() - start


def run_on_terminal(argv: list[str], env: dict[str, str]) -> float:
    leader, follower = pty.openpty()
    start = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdin=follower, stdout=follower, stderr=follower)
    os.close(follower)
    while True:
        try:
            if not os.read(leader, 65536):
                break
        except OSError:
            break
    code = process.wait()
    elapsed = time.perf_counter() - start
    os.close(leader)
    if code != 0:
        raise SystemExit(f"{argv} exited with {code}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--baseline", help="src folder of another checkout to compare with")
    args = parser.parse_args()
    import agentmem

    folders = [Path(agentmem.__file__).parent]
    if args.baseline:
        folders.append(Path(args.baseline).resolve() / "agentmem")
    for folder in folders:
        compileall.compile_dir(str(folder), quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        repo = Repo.init(Path(tmp) / "mem")
        for number in range(200):
            repo.remember(f"fact number {number}", agent=f"agent{number % 4}")
        env = {**os.environ, "AGENTMEM_REPO": str(repo.root), "COLUMNS": "120"}
        agentmem = [sys.executable, "-m", "agentmem"]
        cases = [
            ("python -c pass", run_piped, [sys.executable, "-c", "pass"]),
            ("agentmem log -n 10 (pipe)", run_piped, [*agentmem, "log", "-n", "10"]),
            ("agentmem log -n 10 (terminal)", run_on_terminal, [*agentmem, "log", "-n", "10"]),
            ("agentmem --help", run_piped, [*agentmem, "--help"]),
            ("python -c 'import typer, dulwich.repo'", run_piped,
             [sys.executable, "-c", "import typer, dulwich.repo"]),
            ("git log -n 10", run_piped, ["git", "-C", str(repo.root), "log", "-n", "10"]),
        ]
        if args.baseline:
            baseline = str(Path(args.baseline).resolve())
            cases.append(("baseline: agentmem log -n 10 (pipe)",
                          lambda argv, env: run_piped(argv, {**env, "PYTHONPATH": baseline}),
                          [*agentmem, "log", "-n", "10"]))  # fmt: skip
        for _name, runner, argv in cases:  # warm the disk cache and .pyc files
            runner(argv, env)
        samples: dict[str, list[float]] = {name: [] for name, _, _ in cases}
        for _ in range(args.rounds):
            for name, runner, argv in cases:
                samples[name].append(runner(argv, env) * 1000)
    floor = statistics.median(samples["python -c pass"])
    print(f"{args.rounds} rounds, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs\n")
    print("| command | median ms | p10-p90 ms | minus `python -c pass` |")
    print("|---|---|---|---|")
    for name, values in samples.items():
        deciles = statistics.quantiles(values, n=10)
        median = statistics.median(values)
        print(f"| `{name}` | {median:.0f} | {deciles[0]:.0f}-{deciles[-1]:.0f} | {median - floor:+.0f} |")


if __name__ == "__main__":
    main()
