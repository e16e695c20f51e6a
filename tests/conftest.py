"""Shared fixtures: every test gets its own real memory repository on disk, and a clean
environment so the developer's git or agentmem settings never leak into a test."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentmem import Repo
from agentmem.cli import app


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith(("GIT_", "AGENTMEM_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo.init(tmp_path / "mem")


@pytest.fixture
def cli(repo: Repo) -> Iterator[CliRunner]:
    """A CLI runner pointed at `repo` through $AGENTMEM_REPO."""
    runner = CliRunner()
    old = os.environ.get("AGENTMEM_REPO")
    os.environ["AGENTMEM_REPO"] = str(repo.root)
    yield runner
    if old is None:
        os.environ.pop("AGENTMEM_REPO", None)
    else:
        os.environ["AGENTMEM_REPO"] = old


def invoke(runner: CliRunner, *args: str, input: str | None = None) -> tuple[int, str, str]:
    """Run the CLI in-process; return (exit code, stdout, stderr)."""
    result = runner.invoke(app, list(args), input=input)
    return result.exit_code, result.stdout, result.stderr


def git(repo: Repo, *args: str) -> str:
    """Run real git on the repository and return its stdout (raises on failure)."""
    return subprocess.run(
        ["git", *args], cwd=repo.root, check=True, capture_output=True, text=True
    ).stdout


def fsck(repo: Repo) -> str:
    """`git fsck --full --strict`; returns its combined output, fails the test on any error."""
    result = subprocess.run(
        ["git", "fsck", "--full", "--strict", "--no-dangling"],
        cwd=repo.root, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


AGENTMEM = [sys.executable, "-m", "agentmem"]
