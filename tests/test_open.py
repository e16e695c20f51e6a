"""A memory repository that arrives by a real `git clone` (or a copy without local state) opens:
the first open reads the committed `.agentmem/repo.toml` and creates the local state (issue 11,
item 3)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentmem import NotARepository, Repo
from agentmem.adopt import adopt
from conftest import AGENTMEM, fsck, invoke


def _clone(source: Repo, target: Path, *options: str) -> None:
    subprocess.run(["git", "clone", "-q", *options, str(source.root), str(target)], check=True)


@pytest.fixture
def source(repo: Repo) -> Repo:
    repo.remember("Alice prefers email", "user:alice", agent="support")
    repo.remember("The build runs on Fridays", agent="ops")
    return repo


def test_a_git_clone_opens_and_takes_writes(source: Repo, tmp_path: Path) -> None:
    target = tmp_path / "clone"
    _clone(source, target)
    assert not (target / ".agentmem" / "config").exists()  # local state never travels
    cloned = Repo.open(target)
    assert (target / ".agentmem" / "config").is_file()
    assert sorted(f.text for f in cloned.facts()) == sorted(f.text for f in source.facts())
    assert cloned.resolve() == source.resolve()
    written = cloned.remember("A fact written in the clone", agent="me")
    assert cloned.get(written.id).text == "A fact written in the clone"
    fsck(cloned)
    assert not adopt(target)  # a second adopt has nothing to do


def test_the_checked_out_work_tree_is_tidied_but_changed_files_stay(source: Repo, tmp_path: Path) -> None:
    target = tmp_path / "clone"
    _clone(source, target)
    checked_out = sorted(p for p in (target / "facts").rglob("*.md"))
    assert len(checked_out) == 2
    checked_out[0].write_text(checked_out[0].read_text() + "edited by hand\n")
    Repo.open(target)
    assert [p for p in (target / "facts").rglob("*.md")] == [checked_out[0]]  # only the edited one
    bare = subprocess.run(["git", "-C", str(target), "config", "core.bare"], capture_output=True,
                          text=True, check=True).stdout.strip()  # fmt: skip
    assert bare == "true" and not (target / ".git" / "index").exists()
    assert (target / ".agentmem" / "repo.toml").is_file()


def test_the_cli_finds_a_clone_from_inside_it(source: Repo, tmp_path: Path) -> None:
    target = tmp_path / "clone"
    _clone(source, target)
    result = subprocess.run([*AGENTMEM, "ls", "--json"], cwd=target, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "Alice prefers email" in result.stdout


def test_init_on_a_clone_adopts_it(source: Repo, tmp_path: Path) -> None:
    target = tmp_path / "clone"
    _clone(source, target)
    code, _out, err = invoke(CliRunner(), "init", str(target))
    assert code == 0, err
    assert Repo.open(target).resolve() == source.resolve()
    code, _, err = invoke(CliRunner(), "init", str(target))
    assert code == 2 and "already holds a repository" in err


def test_a_bare_clone_under_dot_git_opens(source: Repo, tmp_path: Path) -> None:
    target = tmp_path / "clone"
    _clone(source, target / ".git", "--bare")
    opened = Repo.open(target)
    assert len(opened.facts()) == 2
    assert repr(opened) == f"Repo({str(target.resolve())!r})"  # where it is, as a session says who


def test_a_copy_without_local_state_opens(source: Repo, tmp_path: Path) -> None:
    target = tmp_path / "copy"
    shutil.copytree(source.root / ".git", target / ".git")
    assert len(Repo.open(target).facts()) == 2


def test_what_is_not_a_memory_repository_is_refused(source: Repo, tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    _clone(source, bare, "--bare")
    with pytest.raises(NotARepository, match="bare git repository"):
        Repo.open(bare)
    plain = tmp_path / "plain"
    subprocess.run(["git", "init", "-q", str(plain)], check=True)
    with pytest.raises(NotARepository):
        Repo.open(plain)
    result = subprocess.run([*AGENTMEM, "init", str(plain)], capture_output=True, text=True)
    assert result.returncode == 2 and "not agentmem's" in result.stderr
    assert not (plain / ".agentmem").exists()


def test_an_unknown_committed_format_is_refused(source: Repo, tmp_path: Path) -> None:
    work = tmp_path / "work"
    _clone(source, work)
    (work / ".agentmem" / "repo.toml").write_text("format = 99\n")
    git = ["git", "-C", str(work), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "commit", "-qam", "future format"], check=True)
    target = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(work), str(target)], check=True)
    result = subprocess.run([sys.executable, "-m", "agentmem", "-C", str(target), "ls"],
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 6 and "unsupported repository format 99" in result.stderr
    assert not (target / ".agentmem" / "config").exists()
