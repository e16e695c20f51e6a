"""The stage's recovery rules (docs/format.md, "The stage"), each state built as a killed `commit`
leaves it on disk: a claimed batch that made it into a commit is dropped, one that did not goes
back to the stage, one a live commit holds is left alone."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time

from agentmem import Repo
from agentmem.fact import content_id
from agentmem.signature import parse_trailers
from conftest import fsck


def _claim_by_hand(repo: Repo, batch: str) -> None:
    """What `commit` does first (under the stage lock): rename the open stage file to a claim."""
    os.rename(repo.local_dir / "stage.jsonl", repo.local_dir / f"stage.{batch}.claim")


def _batch() -> str:
    return f"{int(time.time() * 1000):012x}-0badcafe"


def test_commit_names_its_batches_in_a_trailer(repo: Repo) -> None:
    repo.stage({"op": "remember", "text": "one"})
    result = repo.commit_staged(agent="cli")
    assert result.commit is not None and len(result.batches) == 1
    trailers = parse_trailers(repo.store.commit(result.commit.encode()).message)
    assert trailers["staged"] == result.batches[0]
    assert repo.staged() == [] and not list(repo.local_dir.glob("stage.*.claim"))


def test_claim_of_a_killed_commit_that_committed_is_dropped(repo: Repo) -> None:
    repo.stage({"op": "remember", "text": "landed"})
    batch = _batch()
    _claim_by_hand(repo, batch)
    tx = repo.transaction(agent="a")
    tx.remember("landed")
    tx.stage_batches = (batch,)
    tx.commit()  # the commit landed; the process died before deleting its claim
    assert repo.staged() == []
    assert not (repo.local_dir / f"stage.{batch}.claim").exists()
    assert repo.get(content_id("shared", "landed")).text == "landed"


def test_claim_of_a_killed_commit_that_did_not_commit_is_staged_again(repo: Repo) -> None:
    repo.stage({"op": "remember", "text": "first"})
    batch = _batch()
    _claim_by_hand(repo, batch)
    repo.stage({"op": "remember", "text": "second"})  # an add after the claim
    assert [op.text for op in repo.staged()] == ["first", "second"]  # order kept
    assert (repo.local_dir / f"stage.{batch}.returned").exists()
    result = repo.commit_staged(agent="cli")
    assert sorted(result.added) == sorted(content_id("shared", t) for t in ("first", "second"))
    assert batch in result.batches
    assert repo.staged() == [] and sorted(os.listdir(repo.local_dir)).count("stage.jsonl") == 0
    fsck(repo)


LIVE = """
import fcntl, sys, time
handle = open(sys.argv[1])
fcntl.flock(handle, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(60)
"""


def test_claim_held_by_a_live_commit_is_left_alone(repo: Repo) -> None:
    repo.stage({"op": "remember", "text": "in flight"})
    batch = _batch()
    _claim_by_hand(repo, batch)
    claim = repo.local_dir / f"stage.{batch}.claim"
    holder = subprocess.Popen([sys.executable, "-c", LIVE, str(claim)], stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"locked\n"
        assert repo.staged() == [] and claim.exists()  # neither read nor returned
    finally:
        holder.kill()
        holder.wait()
    assert [op.text for op in repo.staged()] == ["in flight"]  # its owner died: back


def test_unstage_drops_returned_batches_too(repo: Repo) -> None:
    repo.stage({"op": "remember", "text": "a"})
    _claim_by_hand(repo, _batch())
    repo.stage({"op": "remember", "text": "b"})
    assert repo.unstage() == 2
    assert repo.staged() == [] and sorted(p.name for p in repo.local_dir.glob("stage.*")) == ["stage.lock"]


def test_lines_without_an_op_id_are_read(repo: Repo) -> None:
    """A stage written by an older agentmem (no `sid`) still commits."""
    line = json.dumps({"op": "remember", "text": "old style", "scope": "shared"})
    (repo.local_dir / "stage.jsonl").write_text(line + "\n")
    assert [op.text for op in repo.staged()] == ["old style"]
    assert repo.commit_staged(agent="cli").added == [content_id("shared", "old style")]


def _holds(pid: int, name: str) -> bool:
    """Whether process `pid` has a file called `name` open (it is then blocked on its lock)."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
        return any(os.readlink(f"/proc/{pid}/fd/{fd}").endswith(name) for fd in fds)
    except OSError:
        return False


def test_stage_lock_is_taken_by_add(repo: Repo) -> None:
    """`add` appends under the same lock `commit` claims under: held, `add` waits."""
    lock = open(repo.local_dir / "stage.lock", "a")  # noqa: SIM115
    fcntl.flock(lock, fcntl.LOCK_EX)
    adder = subprocess.Popen(
        [sys.executable, "-m", "agentmem", "add", "waiting"],
        env={**os.environ, "AGENTMEM_REPO": str(repo.root)},
    )
    deadline = time.monotonic() + 60
    while adder.poll() is None and not _holds(adder.pid, "stage.lock"):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.3)
    assert adder.poll() is None, "add did not wait for the stage lock"
    assert not (repo.local_dir / "stage.jsonl").exists()
    fcntl.flock(lock, fcntl.LOCK_UN)
    lock.close()
    assert adder.wait(timeout=60) == 0
    assert [op.text for op in repo.staged()] == ["waiting"]


def test_a_legacy_committing_file_of_a_dead_process_is_staged_again(repo: Repo) -> None:
    """Issue 12.2/12.3: older agentmem left `stage.<pid>.committing` behind when killed, and
    nothing read it. Its operations come back."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    line = json.dumps({"op": "remember", "text": "was lost", "scope": "shared"})
    (repo.local_dir / f"stage.{dead}.committing").write_text(line + "\n")
    assert [op.text for op in repo.staged()] == ["was lost"]
    repo.commit_staged(agent="cli")
    assert repo.get(content_id("shared", "was lost")).text == "was lost"
    assert sorted(p.name for p in repo.local_dir.glob("stage.*")) == ["stage.lock"]


def test_each_agent_stages_in_its_own_folder(repo: Repo) -> None:
    """Agent `cli` (the command line's default) keeps `.agentmem/` itself; another agent stages in
    `.agentmem/stages/<agent>/`, and a folder there no agent name could make is not a stage."""
    repo.stage({"op": "remember", "text": "by cli"})
    repo.stage({"op": "remember", "text": "by b"}, agent="b")
    assert (repo.local_dir / "stage.jsonl").exists()
    assert (repo.local_dir / "stages" / "b" / "stage.jsonl").exists()
    (repo.local_dir / "stages" / "Not A Name").mkdir()
    (repo.local_dir / "stages" / "Not A Name" / "stage.jsonl").write_text("{}\n")
    assert repo.staging_agents() == ["cli", "b"]
    assert [op.text for op in repo.staged("b")] == ["by b"]
    assert [op.text for op in repo.staged()] == ["by cli"]
    result = repo.commit_staged(agent="b")
    assert [repo.get(i).agent for i in result.added] == ["b"] and repo.staged() != []
    assert repo.unstage(None) == 1 and repo.staging_agents() == []


def test_an_agents_stage_recovers_from_a_killed_commit_as_the_default_does(repo: Repo) -> None:
    """The claim protocol runs in each agent's folder: a claim a killed commit left is returned
    if no commit names it, dropped if one does."""
    folder = repo.local_dir / "stages" / "b"
    repo.stage({"op": "remember", "text": "returned"}, agent="b")
    lost = _batch()
    os.rename(folder / "stage.jsonl", folder / f"stage.{lost}.claim")
    repo.stage({"op": "remember", "text": "landed"}, agent="b")
    landed = f"{int(time.time() * 1000) + 1:012x}-0badf00d"
    os.rename(folder / "stage.jsonl", folder / f"stage.{landed}.claim")
    tx = repo.transaction(agent="b")
    tx.remember("landed")
    tx.stage_batches = (landed,)
    tx.commit()  # that commit landed; its process died before deleting its claim
    assert [op.text for op in repo.staged("b")] == ["returned"]
    assert sorted(p.name for p in folder.glob("stage.*")) == sorted(["stage.lock", f"stage.{lost}.returned"])
    assert repo.staged() == []  # the default agent's stage is another
    result = repo.commit_staged(agent="b")
    assert result.added == [content_id("shared", "returned")] and repo.staged("b") == []
