"""Branches, tags, switch, reset --hard and the reflog."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from agentmem import Repo
from conftest import git, invoke


def test_branch_create_list_switch_delete(repo: Repo, cli: CliRunner) -> None:
    first = repo.remember("one", agent="a").commit
    code, out, _ = invoke(cli, "branch", "exp")
    assert code == 0 and "created branch exp" in out
    code, out, _ = invoke(cli, "branch", "old", "--from", "HEAD~1")
    assert code == 0
    assert repo.resolve("old") == repo.resolve("HEAD~1")
    code, out, _ = invoke(cli, "branch", "--json")
    rows = {b["name"]: b for b in json.loads(out)}
    assert set(rows) == {"main", "exp", "old"} and rows["main"]["current"]
    code, out, _ = invoke(cli, "branch")
    assert "* main" in out
    assert invoke(cli, "switch", "exp")[0] == 0
    assert repo.branch == "exp"
    repo.remember("on exp", agent="a")
    assert repo.resolve("main") == first and git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "exp"
    code, out, _ = invoke(cli, "branch", "-d", "old")
    assert code == 0 and "deleted branch old" in out
    assert {b.name for b in repo.branches()} == {"main", "exp"}


def test_tags_and_reading_at_a_tag(repo: Repo, cli: CliRunner) -> None:
    fact = repo.remember("v1", agent="a").id
    assert invoke(cli, "tag", "v1")[0] == 0
    repo.update(fact, agent="a", text="v2")
    assert invoke(cli, "tag", "first", "HEAD~2")[0] == 0
    code, out, _ = invoke(cli, "tag", "--json")
    assert {t["name"] for t in json.loads(out)} == {"v1", "first"}
    assert repo.get(fact, at="v1").text == "v1"
    code, out, _ = invoke(cli, "ls", "--at", "v1", "--json")
    assert code == 0 and [f["text"] for f in json.loads(out)] == ["v1"]


def test_reset_hard_keeps_the_old_head_in_the_reflog(repo: Repo, cli: CliRunner) -> None:
    repo.remember("one", agent="a")
    repo.remember("two", agent="a")
    old = repo.resolve()
    repo.stage({"op": "remember", "text": "staged"})
    repo.stage({"op": "remember", "text": "staged by b"}, agent="b")
    code, out, _ = invoke(cli, "reset", "--hard", "HEAD~1")
    assert code == 0 and "old head in reflog" in out
    assert repo.resolve() == repo.resolve("HEAD") != old and repo.staged() == repo.staged("b") == []
    entries = repo.reflog()
    assert entries[0].message == "reset: moving to HEAD~1" and entries[0].new == repo.resolve()
    assert entries[1].new == old
    assert "two" in {f.text for f in repo.facts(at=old)}
    code, out, _ = invoke(cli, "reflog", "--json")
    assert json.loads(out)[1]["new"] == old
    assert git(repo, "reflog", "show", "main").count("\n") == len(entries)
    invoke(cli, "reset", old)
    assert repo.resolve() == old


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("branch", "../evil"), 2), (("branch", "a b"), 2), (("branch", "-d", "main"), 2),
        (("branch", "main"), 2), (("branch", "x", "--from", "nope"), 3), (("branch", "-d", "nope"), 3),
        (("switch", "nope"), 3), (("switch", "bad..name"), 2), (("tag", "v1", "nope"), 3),
        (("tag", "has space"), 2), (("reset", "--hard", "nope"), 3), (("reset", "x:y"), 2),
        (("reflog", "nope"), 3), (("branch", "HEAD"), 2),
    ],
)  # fmt: skip
def test_bad_inputs(repo: Repo, cli: CliRunner, args: tuple[str, ...], code: int) -> None:
    repo.remember("one", agent="a")
    head, refs = repo.resolve(), git(repo, "show-ref")
    got, _, err = invoke(cli, *args)
    assert got == code, err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert repo.resolve() == head and git(repo, "show-ref") == refs and repo.branch == "main"


def test_an_existing_tag_is_refused(repo: Repo, cli: CliRunner) -> None:
    repo.tag("v1")
    repo.remember("one", agent="a")
    code, _, err = invoke(cli, "tag", "v1")
    assert code == 2 and "already exists" in err
    assert repo.resolve("v1") == repo.resolve("HEAD~1")
