"""`agentmem log` starts fast (issue 11, item 15): run as a real process with stdout a pipe, it
imports neither the other command modules nor rich, pydantic or the search stack. The time
itself is measured by benchmarks/bench_startup.py (docs/benchmarks.md), never asserted here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agentmem import Repo

PROBE = """
import atexit, json, os, sys
def report():
    with open(os.environ["PROBE_OUT"], "w") as out:
        json.dump(sorted(sys.modules), out)
atexit.register(report)
sys.argv = ["agentmem", *sys.argv[1:]]
from agentmem.cli import main
main()
"""

NEVER = ("rich", "pydantic", "lancedb", "torch", "sentence_transformers", "pyarrow", "numpy")


def _modules(repo: Repo, tmp_path: Path, *args: str) -> list[str]:
    out = tmp_path / "modules.json"
    env = {**os.environ, "AGENTMEM_REPO": str(repo.root), "PROBE_OUT": str(out)}
    result = subprocess.run([sys.executable, "-c", PROBE, *args], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    modules: list[str] = json.loads(out.read_text())
    return modules


@pytest.mark.parametrize("args", [("log", "-n", "10"), ("log", "--oneline"), ("show", "f1"), ("ls",)])
def test_reading_commands_in_a_pipe_stay_light(repo: Repo, tmp_path: Path, args: tuple[str, ...]) -> None:
    repo.remember("one fact", agent="a", id="f1")
    modules = _modules(repo, tmp_path, *args)
    assert [m for m in modules if m.split(".")[0] in NEVER] == []
    commands = {m for m in modules if m.startswith("agentmem.cli.")}
    assert commands == {"agentmem.cli.commands", "agentmem.cli.identity", "agentmem.cli.lazy",
                        "agentmem.cli.output", "agentmem.cli.read"}  # fmt: skip


# Subsystems a read does not use: `Repo` imports them inside the methods that need them.
NOT_FOR_READING = ("agentmem.merge", "agentmem.remotes", "agentmem.staging", "agentmem.search",
                   "agentmem.lineage", "agentmem.diff", "agentmem.transaction", "agentmem.exchange",
                   "agentmem.bisect", "agentmem.subsystems", "dulwich.client")  # fmt: skip


@pytest.mark.parametrize("args", [("log", "-n", "10"), ("show", "f1"), ("ls",)])
def test_reading_commands_skip_the_other_subsystems(
    repo: Repo, tmp_path: Path, args: tuple[str, ...]
) -> None:
    repo.remember("one fact", agent="a", id="f1")
    modules = set(_modules(repo, tmp_path, *args))
    assert [m for m in NOT_FOR_READING if m in modules] == []


def test_the_package_imports_the_library_on_first_use() -> None:
    probe = "import agentmem, sys; print(sorted(m for m in sys.modules if m.startswith('agentmem')))"
    lean = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert lean.stdout.strip() == "['agentmem', 'agentmem.errors']"
    probe = "from agentmem import Repo, Fact, WriteResult; print(Repo.__module__, Fact.__module__)"
    used = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert used.stdout.split() == ["agentmem.repo", "agentmem.fact"]
