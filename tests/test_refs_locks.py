"""Lock files a killed writer leaves (built on disk exactly as a kill leaves them) never make a
later write wait, fail or misreport; the reflog only lists moves that happened."""

from __future__ import annotations

import itertools
import os
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentmem import Repo
from conftest import fsck, git, invoke


def _stale(path: Path, content: bytes = b"") -> Path:
    """A lock file as a writer killed 5 s ago left it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    past = time.time() - 5
    os.utime(path, (past, past))
    return path


def _chain(repo: Repo, branch: str = "main") -> None:
    entries = list(reversed(repo.reflog(branch)))
    for before, after in itertools.pairwise(entries):
        assert after.old == before.new, f"{after.message!r} moved from a value the ref never held"
    assert entries[-1].new == repo.resolve(branch)


@pytest.mark.parametrize("verb", ["remember", "reset", "merge", "revert", "tag", "branch"])
def test_a_stale_ref_lock_does_not_block_any_verb(repo: Repo, cli: CliRunner, verb: str) -> None:
    fact = repo.remember("one", agent="a").id
    repo.create_branch("side")
    repo.switch("side")
    repo.remember("two", agent="a")
    repo.switch("main")
    git_dir = repo.root / ".git"
    for name in ("refs/heads/main.lock", "refs/tags/t.lock", "refs/heads/new.lock"):
        _stale(git_dir / name, b"0123456789abcdef\n")
    args = {
        "remember": ["remember", "three"], "reset": ["reset", "HEAD~1"],
        "merge": ["merge", "side"], "revert": ["revert", "HEAD"], "tag": ["tag", "t"],
        "branch": ["branch", "new"],
    }[verb]  # fmt: skip
    start = time.monotonic()
    code, out, err = invoke(cli, *args)
    assert code == 0, err
    assert time.monotonic() - start < 10  # not the 30 s lock wait
    assert not (git_dir / "refs/heads/main.lock").exists() or verb in ("tag", "branch")
    assert "moved" not in out + err
    repo.remember("and the next write", agent="b")
    assert verb in ("reset", "revert") or repo.get(fact).text == "one"
    _chain(repo)
    fsck(repo)


def test_stale_head_and_packed_refs_locks_do_not_block_switch_or_delete(repo: Repo) -> None:
    repo.remember("one", agent="a")
    repo.create_branch("old")
    git(repo, "pack-refs", "--all")
    git_dir = repo.root / ".git"
    _stale(git_dir / "HEAD.lock", b"ref: refs/heads/x\n")
    _stale(git_dir / "packed-refs.lock")
    repo.switch("old")
    repo.switch("main")
    assert repo.delete_branch("old").name == "old"
    assert not (git_dir / "HEAD.lock").exists() and not (git_dir / "packed-refs.lock").exists()


def test_a_move_made_without_a_reflog_line_is_logged_by_the_next_writer(repo: Repo) -> None:
    """As when a writer is killed after renaming the ref lock and before appending the line
    (the ref file is replaced exactly as the rename does)."""
    first = repo.remember("one", agent="a").commit
    repo.remember("two", agent="a")
    assert first is not None
    (repo.root / ".git" / "refs" / "heads" / "main").write_text(first + "\n")
    repo.remember("three", agent="a")
    entries = repo.reflog()
    assert entries[1].message.startswith("recovered:") and entries[1].new == first
    _chain(repo)


def test_partial_packs_of_a_dead_writer_are_removed_by_the_next_write(repo: Repo) -> None:
    pack_dir = repo.root / ".git" / "objects" / "pack"
    pack_dir.mkdir(parents=True, exist_ok=True)
    dead = [_stale(pack_dir / f"tmp-agentmem-999999-0000000{i}.pack", b"PACK") for i in range(3)]
    _stale(repo.root / ".git" / "agentmem-write.lock", b"999999\n")
    repo.remember("after the kill", agent="a")
    assert not any(p.exists() for p in dead)
    assert (repo.root / ".git" / "agentmem-write.lock").read_bytes() == b""


def test_reflog_lines_git_writes_without_a_message_are_read(repo: Repo) -> None:
    first = repo.remember("one", agent="a").commit
    repo.remember("two", agent="a")
    assert first is not None
    git(repo, "update-ref", "refs/heads/main", first)  # git logs it with no message (no tab)
    assert repo.reflog()[0].new == first and repo.resolve("@{0}") == first
    repo.remember("three", agent="a")
    _chain(repo)
