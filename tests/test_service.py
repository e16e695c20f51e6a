"""The warm search service: started on demand by the CLI, concurrent clients, idle exit, recovery
from a stale socket or a killed service, the short socket path fallback, stepping aside for new
settings, near-duplicate warnings after remember and merge. Uses the fake embedder
(the service still imports lancedb); the real-model comparison is in test_search_model.py."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from agentmem import Repo
from agentmem.service import call, socket_path
from test_search import use_fake_model

pytestmark = pytest.mark.slow


def cli(repo: Repo, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTMEM_")}
    return subprocess.run(
        [sys.executable, "-m", "agentmem", "-C", str(repo.root), *args],
        capture_output=True, text=True, env=env, timeout=180,
    )  # fmt: skip


def service_pid(repo: Repo) -> int | None:
    info = call(repo.root, "status", {}, start=False)
    return None if info is None else int(info["pid"])


def wait_gone(pid: int, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        # a child of ours would linger as a zombie: reap it if so
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return True
        except ChildProcessError:
            pass
        time.sleep(0.1)
    return False


@pytest.fixture
def mem(repo: Repo):
    repo = use_fake_model(repo)
    repo.remember("Alice prefers email over phone calls", "user:alice", agent="support")
    repo.remember("Order ORD-58213 shipped two days late", agent="billing")
    yield repo
    pid = service_pid(repo)
    if pid is not None:
        call(repo.root, "stop", {}, start=False)
        wait_gone(pid)


def test_first_search_starts_the_service_and_later_ones_reuse_it(mem: Repo) -> None:
    assert service_pid(mem) is None
    first = cli(mem, "search", "email", "--json")
    assert first.returncode == 0, first.stderr
    pid = service_pid(mem)
    assert pid is not None
    path = socket_path(mem.root)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert cli(mem, "search", "late", "--json").returncode == 0
    assert service_pid(mem) == pid
    assert "search" in (mem.local_dir / "search.log").read_text()


def test_concurrent_first_searches_start_one_service(mem: Repo) -> None:
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda q: cli(mem, "search", q, "--json"), ["email", "late", "x", "y"]))
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
    log = (mem.local_dir / "search.log").read_text()
    assert log.count("listening on") == 1
    with ThreadPoolExecutor(4) as pool:
        hits = list(pool.map(lambda _: mem.search("Alice prefers email", daemon=True), range(8)))
    assert all(h[0].fact.text == "Alice prefers email over phone calls" for h in hits)


def test_same_hits_with_and_without_the_service(mem: Repo) -> None:
    daemon = mem.search("email phone", daemon=True)
    local = Repo(mem.root).search("email phone", daemon=False)
    assert [(h.fact.id, h.score, h.similarity, h.commit) for h in daemon] == [
        (h.fact.id, h.score, h.similarity, h.commit) for h in local
    ]


def test_idle_service_exits(mem: Repo) -> None:
    config = mem.local_dir / "config"
    config.write_text(config.read_text().replace("idle_timeout = 900", "idle_timeout = 1"))
    mem.search("Alice prefers email", daemon=True)
    pid = service_pid(mem)
    assert pid is not None and wait_gone(pid)
    assert not socket_path(mem.root).exists()
    assert mem.search("Alice prefers email", daemon=True)[0].fact.text.startswith("Alice")  # a new one starts


def test_stale_socket_is_recovered(mem: Repo) -> None:
    path = socket_path(mem.root)
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(path))  # bound, never listening: connections are refused
    stale.close()
    assert path.exists()
    assert mem.search("Alice prefers email", daemon=True)[0].fact.text.startswith("Alice")


def test_killed_service_is_recovered(mem: Repo) -> None:
    mem.search("Alice prefers email", daemon=True)
    pid = service_pid(mem)
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    assert wait_gone(pid)
    assert mem.search("Alice prefers email", daemon=True)[0].fact.text.startswith("Alice")
    assert service_pid(mem) not in (None, pid)


def test_service_sees_new_commits(mem: Repo) -> None:
    mem.search("x", daemon=True)
    mem.remember("The queue runs on Redis", agent="ops")
    hits = mem.search("redis queue", daemon=True)
    assert hits[0].fact.text == "The queue runs on Redis" and hits[0].commit == mem.resolve()


def test_errors_cross_the_socket_as_one_line(mem: Repo) -> None:
    result = cli(mem, "search", "x", "--scope", "x' OR 1=1 --")
    assert result.returncode == 2 and result.stderr.startswith("error: invalid scope")
    assert result.stderr.count("\n") == 1
    result = cli(mem, "search", "x", "--at", "nope")
    assert result.returncode == 3


def test_long_repository_path_uses_a_private_tmp_socket(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    repo = use_fake_model(Repo.init(deep))
    repo.remember("Long paths need short sockets", agent="a")
    path = socket_path(repo.root)
    assert str(path).startswith("/tmp/agentmem-") and len(os.fsencode(path)) < 100
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    try:
        assert repo.search("sockets", daemon=True)[0].fact.text.startswith("Long")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    finally:
        pid = service_pid(repo)
        call(repo.root, "stop", {}, start=False)
        if pid:
            wait_gone(pid)


def test_remember_warns_about_near_duplicates_only_with_a_running_service(mem: Repo) -> None:
    quiet = cli(mem, "remember", "Alice prefers email over phone calls.", "-s", "user:alice")
    assert quiet.returncode == 0 and quiet.stderr == ""  # no service running: no check, no wait
    assert service_pid(mem) is None
    mem.search("x", daemon=True)
    warned = cli(mem, "remember", "Alice prefers email over phone calls!", "-s", "user:alice")
    assert warned.returncode == 0 and len(warned.stdout.strip()) == 26
    assert warned.stderr.startswith(f"warning: {warned.stdout.strip()} is a near-duplicate of")
    skipped = cli(mem, "remember", "Alice prefers email over phone calls?", "-s", "user:alice",
                  "--no-dup-check")  # fmt: skip
    assert skipped.returncode == 0 and skipped.stderr == ""


def test_progress_streams_over_the_socket(mem: Repo) -> None:
    calls: list[tuple[int, int]] = []
    info = mem.index(daemon=True, progress=lambda done, total: calls.append((done, total)))
    assert info["commit"] == mem.resolve() and calls and calls[-1] == (2, 2)


def test_merge_warns_about_near_duplicates_it_brings_in(mem: Repo) -> None:
    mem.create_branch("side")
    mem.switch("side")
    dup = mem.remember("Alice prefers email over phone calls!", "user:alice", agent="intake").id
    mem.switch("main")
    mem.remember("Unrelated: the build runs nightly", agent="ci")
    mem.search("x", daemon=True)  # a warm service answers the check
    merged = cli(mem, "merge", "side")
    assert merged.returncode == 0, merged.stderr
    assert merged.stderr.startswith(f"warning: {dup} is a near-duplicate of")


def test_changed_settings_restart_the_service(mem: Repo) -> None:
    first_hits = mem.search("email", daemon=True)
    first = service_pid(mem)
    assert first is not None
    config = mem.local_dir / "config"
    config.write_text(config.read_text() + "\n# edited\n")
    again = Repo(mem.root).search("email", daemon=True)
    second = service_pid(mem)
    assert second is not None and second != first
    assert wait_gone(first)
    assert [h.fact.id for h in again] == [h.fact.id for h in first_hits]
    assert "stepping aside" in (mem.local_dir / "search.log").read_text()
