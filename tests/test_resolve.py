"""REF arguments: short commit ids (as agentmem prints them, git's 7-character form, any unique
prefix of 4+ hex digits) and reflog labels (@{n}, BRANCH@{n}) resolve wherever a REF is taken."""

from __future__ import annotations

import json
import os

import pytest
from dulwich.objects import Blob, Commit
from typer.testing import CliRunner

from agentmem import InvalidInput, NotFound, Repo
from agentmem.errors import AmbiguousRef
from conftest import fsck, git, invoke


def _history(repo: Repo) -> tuple[str, str, str]:
    """Three commits on main; returns (fact id, first remember commit, second) ."""
    first = repo.remember("the cache lives for 60 s", agent="a")
    second = repo.update(first.id, agent="b", text="the cache lives for 90 s")
    assert first.commit and second.commit
    return first.id, first.commit, second.commit


@pytest.mark.parametrize("length", [12, 7, 4])
def test_every_ref_taking_command_accepts_short_ids(repo: Repo, cli: CliRunner, length: int) -> None:
    fact, one, two = _history(repo)
    short = one[:length]
    assert repo.resolve(short) == one and repo.resolve(short.upper()) == one
    assert repo.resolve(f"{two[:length]}~1") == one and repo.resolve(f"{two[:length]}^") == one
    code, out, err = invoke(cli, "ls", "--at", short, "--json")
    assert code == 0, err
    assert [f["text"] for f in json.loads(out)] == ["the cache lives for 60 s"]
    code, out, err = invoke(cli, "show", fact, "--at", short)
    assert code == 0 and "60 s" in out, err
    code, out, err = invoke(cli, "cat-commit", short)
    assert code == 0 and f"commit {one}" in out, err
    code, out, err = invoke(cli, "diff", short, two[:length], "--json")
    assert code == 0, err
    assert invoke(cli, "tag", "t1", short)[0] == 0 and repo.resolve("t1") == one
    assert invoke(cli, "branch", "old", "--from", short)[0] == 0 and repo.resolve("old") == one
    code, out, err = invoke(cli, "bisect", "--contains", "90 s", "--good", short, "--bad", two[:length])
    assert code == 0 and two in out, err
    code, _, err = invoke(cli, "revert", two[:length])
    assert code == 0, err
    assert repo.get(fact).text == "the cache lives for 60 s"
    head = repo.resolve()
    code, out, err = invoke(cli, "reset", "--hard", two[:length])
    assert code == 0 and repo.resolve() == two, err
    assert invoke(cli, "switch", "old")[0] == 0
    code, out, err = invoke(cli, "merge", head[:length])
    assert code == 0 and repo.resolve() == head, err
    fsck(repo)


def test_short_ids_resolve_from_packs_after_git_gc(repo: Repo) -> None:
    _, one, _ = _history(repo)
    git(repo, "gc", "-q", "--prune=now")
    assert not [d for d in os.listdir(repo.root / ".git" / "objects") if len(d) == 2]
    assert repo.resolve(one[:7]) == one and repo.resolve(one[:5]) == one


def _probe(tree: bytes, n: int) -> Commit:
    commit = Commit()
    commit.tree = tree
    commit.author = commit.committer = b"t <t@t>"
    commit.author_time = commit.commit_time = 1_700_000_000
    commit.author_timezone = commit.commit_timezone = 0
    commit.message = f"probe {n}\n".encode()
    return commit


def _collision(repo: Repo, with_blob: bool) -> tuple[bytes, bytes]:
    """Store two objects whose ids share their first 4 hex digits: two commits, or (with_blob)
    a commit and a blob. Returns (commit id, other id)."""
    tree = repo.store.commit(repo.store.resolve()).tree
    commits: dict[bytes, Commit] = {}
    blobs: dict[bytes, Blob] = {}
    for n in range(100_000):
        commit = _probe(tree, n)
        key = commit.id[:4]
        other: Commit | Blob | None = blobs.get(key) if with_blob else commits.get(key)
        if other is None and with_blob:
            blob = Blob.from_string(f"blob {n}".encode())
            blobs[blob.id[:4]] = blob
            if blob.id[:4] in commits:
                commit, other = commits[blob.id[:4]], blob
        if other is not None:
            repo.store.add_object(commit)
            repo.store.add_object(other)
            return commit.id, other.id
        commits[key] = commit
    raise AssertionError("no collision found")


def test_ambiguous_prefix_is_one_line_naming_the_candidates(repo: Repo, cli: CliRunner) -> None:
    a, b = _collision(repo, with_blob=False)
    prefix = a[:4].decode()
    with pytest.raises(AmbiguousRef) as caught:
        repo.resolve(prefix)
    message = str(caught.value)
    assert a.decode()[:12] in message and b.decode()[:12] in message and "\n" not in message
    code, _, err = invoke(cli, "ls", "--at", prefix)
    assert code == 2 and "ambiguous" in err and len(err.strip().splitlines()) == 1
    shared = next(i for i in range(40) if a[i] != b[i])
    assert repo.resolve(a[: max(shared + 1, 4)].decode()) == a.decode()


def test_a_blob_sharing_the_prefix_does_not_make_a_commit_ambiguous(repo: Repo) -> None:
    commit, blob = _collision(repo, with_blob=True)
    assert repo.store.objects[blob].type_name == b"blob" and blob[:4] == commit[:4]
    assert repo.resolve(commit[:4].decode()) == commit.decode()


@pytest.mark.parametrize("bad", ["abc", "zzzz", "0000000", "HEAD~99", "@{x}", "@{99}", "nope@{1}"])
def test_unknown_or_malformed_refs_are_clear_errors(repo: Repo, cli: CliRunner, bad: str) -> None:
    with pytest.raises((NotFound, InvalidInput)):
        repo.resolve(bad)
    code, _, err = invoke(cli, "ls", "--at", bad)
    assert code in (2, 3) and len(err.strip().splitlines()) == 1


def test_names_win_over_hex_prefixes(repo: Repo) -> None:
    _, one, two = _history(repo)
    repo.create_branch(two[:6], start=one)
    assert repo.resolve(two[:6]) == one and repo.resolve(two[:7]) == two


def test_reflog_labels_name_what_reflog_lists(repo: Repo, cli: CliRunner) -> None:
    _history(repo)
    repo.create_branch("exp")
    repo.switch("exp")
    repo.remember("on exp", agent="c")
    repo.switch("main")
    for branch in (None, "main", "exp"):
        for entry in repo.reflog(branch):
            label = f"{branch or ''}@{{{entry.index}}}"
            assert repo.resolve(label) == entry.new, label
    assert repo.resolve("HEAD@{1}") == repo.reflog()[1].new
    code, out, _ = invoke(cli, "reflog", "--json")
    listed = {row["index"]: row["new"] for row in json.loads(out)}
    code, out, err = invoke(cli, "ls", "--at", "main@{1}", "--json")
    assert code == 0, err
    assert repo.resolve("main@{1}") == listed[1]


def test_reset_to_a_reflog_label_moves_to_that_entry(repo: Repo, cli: CliRunner) -> None:
    _, one, two = _history(repo)
    repo.create_branch("exp")
    repo.switch("exp")  # writes logs/HEAD, which agentmem's @{n} must not read
    repo.switch("main")
    assert repo.reflog()[1].new == one
    code, out, err = invoke(cli, "reset", "--hard", "@{1}")
    assert code == 0, err
    assert repo.resolve() == one and "dropped 1 commit from main: 1 by b" in out
    code, _, err = invoke(cli, "reset", "main@{1}")
    assert code == 0 and repo.resolve() == two, err
    assert repo.reflog()[0].new == two and repo.reflog()[0].message == "reset: moving to main@{1}"


def test_reset_reports_dropped_commits_per_agent(repo: Repo) -> None:
    base = repo.remember("base", agent="a").commit
    for agent in ("x", "y", "x"):
        repo.remember(f"by {agent} {os.urandom(4).hex()}", agent=agent)
    result = repo.reset(base or "")
    assert result.dropped == 3 and result.dropped_by == {"x": 2, "y": 1}
    forward = repo.reset(result.old)
    assert forward.dropped == 0 and forward.dropped_by == {}


def test_peel_suffixes_and_nested_branch_names(repo: Repo, cli: CliRunner) -> None:
    _, one, two = _history(repo)
    assert repo.resolve("HEAD^{}") == two and repo.resolve("HEAD~1^{commit}") == one
    repo.create_branch("team")
    with pytest.raises(InvalidInput, match="a ref above it exists"):
        repo.create_branch("team/alice")
    repo.create_branch("agents/bob")
    code, _, err = invoke(cli, "branch", "agents")
    assert code == 2 and "refs below it exist" in err
    assert {b.name for b in repo.branches()} == {"main", "team", "agents/bob"}


def test_reflog_labels_in_a_long_reflog(repo: Repo) -> None:
    """@{n} reads the newest n+1 lines from the end of the file; far entries still resolve."""
    _, one, two = _history(repo)
    log = repo.root / ".git" / "logs" / "refs" / "heads" / "main"
    lines = log.read_bytes().splitlines(keepends=True)
    old_line = next(line for line in lines if line.split()[1].decode() == one)
    log.write_bytes(old_line * 10_000 + b"".join(lines))
    assert repo.resolve("@{0}") == two and repo.resolve("@{1}") == one
    assert repo.resolve("@{9000}") == one and len(repo.reflog(n=3)) == 3
    assert len(repo.reflog()) == 10_000 + len(lines)
    with pytest.raises(NotFound, match=f"only {10_000 + len(lines)} entries"):
        repo.resolve(f"@{{{20_000}}}")
