"""Shared fixtures: every test gets its own real memory repository on disk, and a clean
environment so the developer's git or agentmem settings never leak into a test."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentmem import Repo
from agentmem.cli import app
from agentmem.service import code_stamp as service_code_stamp


@pytest.fixture(scope="session")
def service_dir() -> Iterator[Path]:
    """The search service's runtime folder for this test session (short: it holds a socket).
    Whatever service the tests started there is stopped at the end."""
    folder = Path(tempfile.mkdtemp(prefix="am-", dir="/tmp"))
    yield folder
    sock = folder / "search.sock"
    if sock.exists():
        with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX) as conn:
            conn.settimeout(5)
            conn.connect(str(sock))
            conn.sendall(json.dumps({"op": "stop", "code": service_code_stamp()}).encode() + b"\n")
            conn.recv(100)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, service_dir: Path) -> None:
    for name in list(os.environ):
        if name.startswith(("GIT_", "AGENTMEM_", "XDG_RUNTIME_DIR")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("AGENTMEM_RUNTIME_DIR", str(service_dir))  # never the developer's service


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """A fresh repository whose searches run in the test's process (``search.daemon = false``);
    tests of the search service turn it back on."""
    repo = Repo.init(tmp_path / "mem")
    config = repo.local_dir / "config"
    config.write_text(config.read_text().replace("daemon = true", "daemon = false", 1))
    return Repo(repo.root)


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
    return subprocess.run(["git", *args], cwd=repo.root, check=True, capture_output=True, text=True).stdout


def fsck(repo: Repo) -> str:
    """`git fsck --full --strict`; returns its combined output, fails the test on any error."""
    result = subprocess.run(
        ["git", "fsck", "--full", "--strict", "--no-dangling"],
        cwd=repo.root,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


AGENTMEM = [sys.executable, "-m", "agentmem"]
