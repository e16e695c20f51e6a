"""The search service: one per user, started on demand, serving several repositories each from its
own index; concurrent clients, idle exit, recovery from a stale socket or a killed service,
stepping aside for other code, answering only for the repository a request names, near-duplicate
warnings that never hold up a write. Uses the fake embedder (the service still imports lancedb);
the real-model comparison is in test_search_model.py. Kill trials are in test_service_faults.py."""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from agentmem import Repo
from agentmem.errors import InvalidInput
from agentmem.service import call, code_stamp, log_path, repo_identity, socket_path
from test_search import use_fake_model

pytestmark = pytest.mark.slow


def cli(repo: Repo, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("AGENTMEM_")}
    base["AGENTMEM_RUNTIME_DIR"] = os.environ["AGENTMEM_RUNTIME_DIR"]
    return subprocess.run(
        [sys.executable, "-m", "agentmem", "-C", str(repo.root), *args],
        capture_output=True, text=True, env={**base, **(env or {})}, timeout=180,
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
        try:  # a child of ours would linger as a zombie: reap it if so
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return True
        except ChildProcessError:
            pass
        time.sleep(0.1)
    return False


def stop_service(repo: Repo) -> None:
    pid = service_pid(repo)
    if pid is not None:
        call(repo.root, "stop", {}, start=False)
        wait_gone(pid)


def served(repo: Repo) -> Repo:
    """`repo` with the fake model and the search service on (``search.daemon = true``)."""
    repo = use_fake_model(repo)
    config = repo.local_dir / "config"
    config.write_text(config.read_text().replace("daemon = false", "daemon = true"))
    return Repo(repo.root)


@pytest.fixture
def mem(repo: Repo, monkeypatch: pytest.MonkeyPatch):
    """A repository with two facts, and a runtime folder (so a service and log) of its own."""
    folder = Path(tempfile.mkdtemp(prefix="am-", dir="/tmp"))
    monkeypatch.setenv("AGENTMEM_RUNTIME_DIR", str(folder))
    repo = served(repo)
    repo.remember("Alice prefers email over phone calls", "user:alice", agent="support")
    repo.remember("Order ORD-58213 shipped two days late", agent="billing")
    yield repo
    if repo.root.exists():
        stop_service(repo)
    shutil.rmtree(folder, ignore_errors=True)


def test_first_search_starts_the_service_and_later_ones_reuse_it(mem: Repo) -> None:
    assert service_pid(mem) is None
    first = cli(mem, "search", "email", "--json")
    assert first.returncode == 0, first.stderr
    pid = service_pid(mem)
    assert pid is not None
    path = socket_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert cli(mem, "search", "late", "--json").returncode == 0
    assert service_pid(mem) == pid
    assert "search" in log_path().read_text()
    status = cli(mem, "service", "status").stdout
    assert f"pid {pid}, 1 repository open" in status and ", 2 texts embedded" in status


def test_first_search_in_a_pipe_prints_only_results(mem: Repo) -> None:
    """In a pipe nothing stray reaches stdout or stderr (the notes and the progress bar of a first
    search are for a terminal; an error stays one line)."""
    first = cli(mem, "search", "Alice prefers email", "--json")
    assert first.returncode == 0 and first.stderr == ""
    assert json.loads(first.stdout)[0]["fact"]["scope"] == "user:alice"
    table = cli(mem, "search", "Alice prefers email")
    # only the table's legend goes to stderr (one line), never progress or notes
    assert table.stderr.startswith("rank score:") and table.stderr.count("\n") == 1
    assert "Alice prefers email" in table.stdout


def test_concurrent_first_searches_start_one_service(mem: Repo) -> None:
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda q: cli(mem, "search", q, "--json"), ["email", "late", "x", "y"]))
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
    assert log_path().read_text().count("listening on") == 1
    with ThreadPoolExecutor(4) as pool:
        hits = list(pool.map(lambda _: mem.search("Alice prefers email", daemon=True), range(8)))
    assert all(h[0].fact.text == "Alice prefers email over phone calls" for h in hits)


def test_same_hits_with_and_without_the_service(mem: Repo) -> None:
    daemon = mem.search("email phone", daemon=True)
    local = Repo(mem.root).search("email phone", daemon=False)
    assert [(h.fact.id, h.score, h.similarity, h.commit) for h in daemon] == [
        (h.fact.id, h.score, h.similarity, h.commit) for h in local
    ]


def test_the_api_follows_search_daemon_and_refuses_a_non_boolean(mem: Repo) -> None:
    mem.search("email")  # daemon unset: the config says true
    assert service_pid(mem) is not None
    config = mem.local_dir / "config"
    config.write_text(config.read_text().replace("daemon = true", 'daemon = "no"'))
    with pytest.raises(InvalidInput, match=r"search\.daemon.*must be true or false"):
        Repo(mem.root).search("email")
    result = cli(mem, "search", "email")
    assert result.returncode == 2 and result.stderr.startswith("error: ")
    assert "search.daemon" in result.stderr and result.stderr.count("\n") == 1
    # a broken setting is refused when the config is read, by every command, before any write
    head = mem.resolve()
    written = cli(mem, "remember", "A write with a broken config")
    assert written.returncode == 2 and written.stderr.count("\n") == 1 and mem.resolve() == head


def test_one_service_serves_two_repositories_without_mixing_them(mem: Repo, tmp_path: Path) -> None:
    other = served(Repo.init(tmp_path / "other"))
    other.remember("Bob prefers phone calls over email", "user:bob", agent="support")
    try:
        mine = mem.search("email phone", daemon=True)
        theirs = other.search("email phone", daemon=True)
        assert service_pid(mem) == service_pid(other)
        assert {h.fact.scope for h in mine} == {"user:alice", "shared"}
        assert [h.fact.text for h in theirs] == ["Bob prefers phone calls over email"]
        assert all(h.commit == other.resolve() for h in theirs)
        info = call(mem.root, "status", {}, start=False)
        assert sorted(r["root"] for r in info["repositories"]) == sorted([str(mem.root), str(other.root)])
        assert "2 repositories open" in cli(mem, "service", "status").stdout
    finally:
        stop_service(other)


def test_a_moved_repository_and_a_new_one_in_its_place_are_never_mixed(mem: Repo, tmp_path: Path) -> None:
    mem.search("email", daemon=True)
    old_root = tmp_path / "mem-old"
    os.rename(mem.root, old_root)
    new = served(Repo.init(mem.root))  # `mv repo repo-old && agentmem init repo`
    new.remember("Only in the new repository: the cache is warm", agent="ops")
    old = Repo(old_root)
    assert [h.fact.text for h in new.search("email cache", daemon=True)] == [
        "Only in the new repository: the cache is warm"
    ]
    assert "Alice prefers email over phone calls" in [h.fact.text for h in old.search("email", daemon=True)]
    assert not (new.local_dir / "index" / "views.json").read_text().count(old.resolve())
    assert repo_identity(old.root) != repo_identity(new.root)


def test_service_closes_a_deleted_repository_and_exits(mem: Repo) -> None:
    mem.search("email", daemon=True)
    pid = service_pid(mem)
    assert pid is not None
    shutil.rmtree(mem.root)
    assert wait_gone(pid)
    assert "the repository was deleted or moved" in log_path().read_text()


def test_idle_repository_is_closed_and_the_service_exits(mem: Repo) -> None:
    config = mem.local_dir / "config"
    config.write_text(config.read_text().replace("idle_timeout = 900", "idle_timeout = 1"))
    mem = Repo(mem.root)
    mem.search("Alice prefers email", daemon=True)
    pid = service_pid(mem)
    assert pid is not None and wait_gone(pid)
    assert not socket_path().exists()
    assert mem.search("Alice prefers email", daemon=True)[0].fact.text.startswith("Alice")  # a new one starts


def test_stale_socket_is_recovered(mem: Repo) -> None:
    path = socket_path()
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


def test_a_service_running_other_code_steps_aside(mem: Repo) -> None:
    mem.search("email", daemon=True)
    first = service_pid(mem)
    assert first is not None
    with socket.socket(socket.AF_UNIX) as conn:  # a client of some other agentmem version
        conn.connect(str(socket_path()))
        request = {"op": "search", "params": {"query": "email"}, "code": "other-code"}
        conn.sendall(json.dumps(request).encode() + b"\n")
        assert json.loads(conn.makefile().readline()) == {"ok": False, "error": "Stale"}
    assert wait_gone(first)
    assert mem.search("Alice prefers email", daemon=True)[0].fact.scope == "user:alice"  # a fresh one
    assert service_pid(mem) not in (None, first)
    assert "stepping aside" in log_path().read_text()


def test_a_request_for_a_replaced_repository_is_refused(mem: Repo) -> None:
    with socket.socket(socket.AF_UNIX) as conn:
        mem.search("email", daemon=True)
        conn.connect(str(socket_path()))
        forged = {"root": str(mem.root), "identity": "0123:1"}
        request = {"op": "search", "params": {"query": "email"}, "code": code_stamp(), "repo": forged}
        conn.sendall(json.dumps(request).encode() + b"\n")
        reply = json.loads(conn.makefile().readline())
    assert reply["ok"] is False and reply["error"] == "NotARepository"


def test_two_users_of_a_shared_repository_keep_their_own_services(mem: Repo) -> None:
    """Each user's socket lives in that user's private runtime folder, never in the repository,
    so one user's search cannot remove another's live socket (two runtime folders stand for two
    users here)."""
    os.chmod(mem.local_dir, 0o2775)
    other_dir = Path(tempfile.mkdtemp(prefix="am-b-", dir="/tmp"))
    try:
        assert cli(mem, "search", "email", "--json").returncode == 0
        mine = socket_path()
        other_user = {"AGENTMEM_RUNTIME_DIR": str(other_dir)}
        assert cli(mem, "search", "late", "--json", env=other_user).returncode == 0
        assert mine.exists() and (other_dir / "search.sock").exists()
        assert not list(mem.local_dir.glob("*.sock"))
        assert cli(mem, "search", "email", "--json").returncode == 0
        assert log_path().read_text().count("listening on") == 1
    finally:
        with socket.socket(socket.AF_UNIX) as conn:
            conn.connect(str(other_dir / "search.sock"))
            conn.sendall(json.dumps({"op": "stop", "code": code_stamp()}).encode() + b"\n")
            conn.recv(100)
        shutil.rmtree(other_dir, ignore_errors=True)


def test_service_sees_new_commits(mem: Repo) -> None:
    mem.search("x", daemon=True)
    mem.remember("The queue runs on Redis", agent="ops")
    hits = mem.search("redis queue", daemon=True)
    assert hits[0].fact.text == "The queue runs on Redis" and hits[0].commit == mem.resolve()


def test_changed_settings_reopen_the_repository_in_the_same_service(mem: Repo) -> None:
    first_hits = mem.search("email", daemon=True)
    pid = service_pid(mem)
    config = mem.local_dir / "config"
    config.write_text(config.read_text() + "\n# edited\n")
    again = Repo(mem.root).search("email", daemon=True)
    assert service_pid(mem) == pid
    assert [h.fact.id for h in again] == [h.fact.id for h in first_hits]
    assert log_path().read_text().count(f"opened {mem.root}") == 2


def test_errors_cross_the_socket_as_one_line(mem: Repo) -> None:
    mem.search("x", daemon=True)
    result = cli(mem, "search", "x", "--scope", "x' OR 1=1 --")
    assert result.returncode == 2 and result.stderr.startswith("error: invalid scope")
    assert result.stderr.count("\n") == 1
    result = cli(mem, "search", "x", "--at", "nope")
    assert result.returncode == 3 and result.stderr.count("\n") == 1


def test_long_runtime_folder_uses_a_private_short_socket(mem: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    deep = Path(tempfile.mkdtemp(prefix="am-", dir="/tmp")) / ("d" * 60) / ("e" * 60)
    monkeypatch.setenv("AGENTMEM_RUNTIME_DIR", str(deep))
    path = socket_path()
    assert str(path).startswith("/tmp/agentmem-") and len(os.fsencode(path)) < 100
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    try:
        assert mem.search("Alice prefers email", daemon=True)[0].fact.text.startswith("Alice")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    finally:
        stop_service(mem)
        shutil.rmtree(deep.parent.parent, ignore_errors=True)


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


def test_a_write_never_waits_for_a_stopped_service(mem: Repo) -> None:
    """A service that accepts but never answers (SIGSTOP): `remember` commits, prints its id and
    returns, skipping the near-duplicate check."""
    mem.search("x", daemon=True)
    pid = service_pid(mem)
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    try:
        written = cli(mem, "remember", "Alice prefers email over phone calls!", "-s", "user:alice")
    finally:
        os.kill(pid, signal.SIGCONT)
    assert written.returncode == 0 and len(written.stdout.strip()) == 26 and written.stderr == ""
    assert mem.get(written.stdout.strip()).text.endswith("calls!")


def test_status_and_duplicate_checks_never_wait_for_a_catch_up(mem: Repo) -> None:
    """While the service catches up on 4,000 new facts, `service status` answers saying what it
    is doing, and a near-duplicate check is answered "busy" (skipped) rather than queued."""
    mem.search("x", daemon=True)
    with mem.transaction(agent="bulk") as tx:
        for n in range(4000):
            tx.remember(f"Bulk fact number {n} about shipping lane {n % 97}")
    fact_id = mem.facts()[0].id
    done = threading.Event()
    thread = threading.Thread(target=lambda: (mem.search("shipping lane", daemon=True), done.set()))
    thread.start()
    try:
        info = None
        while not done.is_set():
            info = call(mem.root, "status", {}, start=False)
            if info is not None and info["this"] is not None and info["this"]["doing"] == "search":
                break
            time.sleep(0.02)
        assert info is not None and info["this"]["doing"] == "search", "catch-up not observed"
        assert "views" not in info  # the index itself is not read while it is being written
        check = mem.near_duplicates(fact_id, daemon=True, start=False)
        if not done.is_set():
            assert check is None
    finally:
        thread.join()
    # Free again. One quick check may still give up (after `QUICK_DEADLINE`) on a loaded machine,
    # the first on the new view reading its rows: a service that stays busy fails all of them.
    answers = []
    for _attempt in range(5):
        answers.append(mem.near_duplicates(fact_id, daemon=True, start=False))
        if answers[-1] is not None:
            break
    assert answers[-1] is not None, answers


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


def test_near_duplicates_shown_are_only_facts_the_acting_agent_may_read(mem: Repo) -> None:
    """The warning after a write and `dedupe` quote facts' texts: an agent that may write a
    scope but not read it (an inbox) must not read its facts there, nor may anyone read a
    quarantined one. Both go through the agent's session (its filter, its read receipts)."""
    mem.policy.set('admins = ["admin"]\n[agents.support]\nread = ["user:*", "shared"]\n'
                   'write = ["user:*", "shared"]\n[agents.intake]\nread = ["shared"]\nwrite = ["user:*"]\n'
                   '[agents.admin]\nread = ["*"]\n',
                   agent="admin")  # fmt: skip
    original = mem.facts(scope="user:alice")[0]
    mem.search("x", daemon=True)  # a warm service answers the checks
    text = "Alice prefers email over phone calls"
    blind = cli(mem, "remember", text + "!", "-s", "user:alice", "--agent", "intake")
    assert blind.returncode == 0 and blind.stderr == "", blind.stderr  # before: the text of `original`
    warned = cli(mem, "remember", text + "?", "-s", "user:alice", "--agent", "support")
    assert warned.returncode == 0 and f"near-duplicate of {original.id}" in warned.stderr
    reads = (mem.local_dir / "reads" / "reads.jsonl").read_text()
    receipts = [json.loads(line) for line in reads.splitlines()]
    assert receipts[-1]["op"] == "near-duplicates" and receipts[-1]["agent"] == "support"
    assert original.id in [fact_id for fact_id, _blob in receipts[-1]["facts"]]
    refused = cli(mem, "dedupe", "-s", "user:alice", "--agent", "intake")
    assert refused.returncode == 5 and "Alice" not in refused.stdout + refused.stderr
    mem.quarantine.add(original.id, agent="admin", reason="wrong")
    again = cli(mem, "remember", text + "!!", "-s", "user:alice", "--agent", "support")
    assert again.returncode == 0 and "near-duplicate of" in again.stderr and original.id not in again.stderr
    pairs = cli(mem, "dedupe", "-s", "user:alice", "--agent", "support", "--json", "--threshold", "0.5")
    assert pairs.returncode == 0 and '"pairs": [' in pairs.stdout and original.id not in pairs.stdout


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc arenas and trim are glibc's")
def test_the_services_malloc_limits_take_effect_on_glibc() -> None:
    """Without them the service held some 90 MiB more with five repositories open
    (docs/benchmarks.md, "Service memory"); a failed call would silently keep that."""
    from agentmem.server import limit_arenas, release_memory

    assert limit_arenas() and release_memory()
