"""Commands that need no index must not import lancedb, torch or sentence-transformers: they
would start ~8 s slower. Checked in a fresh interpreter per command."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from agentmem import Repo

HEAVY = ("lancedb", "torch", "sentence_transformers", "agentmem.index", "agentmem.embed")

PROBE = """
import json, sys
from typer.testing import CliRunner
from agentmem.cli import app
result = CliRunner().invoke(app, sys.argv[1:])
heavy = [m for m in sys.modules if m.split(".")[0] in {"lancedb", "torch", "sentence_transformers"}
         or m in {"agentmem.index", "agentmem.embed"}]
print(json.dumps({"code": result.exit_code, "heavy": heavy}))
"""


def loaded(repo: Repo, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, "-C", str(repo.root), *args],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return json.loads(out.strip().splitlines()[-1])


def test_importing_the_cli_is_light() -> None:
    code = "import sys, agentmem.cli; print([m for m in sys.modules if m.startswith(%r)])"
    for module in HEAVY:
        out = subprocess.run([sys.executable, "-c", code % module], capture_output=True, text=True)
        assert out.stdout.strip() == "[]", module


@pytest.mark.parametrize(
    "args",
    [("log",), ("remember", "a fact"), ("add", "staged fact"), ("ls",), ("status",)],
)
def test_commands_without_search_stay_light(repo: Repo, args: tuple[str, ...]) -> None:
    result = loaded(repo, *args)
    assert result == {"code": 0, "heavy": []}


def test_commit_stays_light(repo: Repo) -> None:
    assert loaded(repo, "add", "staged fact")["code"] == 0
    assert loaded(repo, "commit", "-m", "one") == {"code": 0, "heavy": []}
