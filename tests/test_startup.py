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
