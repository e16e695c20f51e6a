"""`revert`: undo one commit fact by fact; later changes of the same fact conflict."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from agentmem import Repo, merge_state
from conftest import fsck, invoke


def test_revert_undoes_adds_updates_and_forgets(repo: Repo) -> None:
    keep = repo.remember("keep", agent="a", id="keep").id
    edit = repo.remember("v1", agent="a", id="edit").id
    gone = repo.remember("gone", agent="a", id="gone").id
    before = repo.snapshot().tree_id
    with repo.transaction(agent="b", message="mixed") as tx:
        tx.remember("added", id="added")
        tx.update(edit, text="v2")
        tx.forget(gone)
    repo.remember("unrelated later", agent="c", id="later")
    result = repo.revert("HEAD~1", agent="fixer")
    assert result.status == "merged"
    texts = {f.id: f.text for f in repo.facts()}
    assert texts == {keep: "keep", edit: "v1", gone: "gone", "later": "unrelated later"}
    info = repo.commit_info("HEAD")
    assert info.agent == "fixer" and info.message.startswith('revert "mixed"')
    assert len(info.parents) == 1
    repo.revert("HEAD~1")  # the unrelated commit
    assert repo.snapshot().tree_id == before
    fsck(repo)


def test_a_later_change_conflicts_and_uses_the_merge_machinery(repo: Repo, cli: CliRunner) -> None:
    fact = repo.remember("v1", agent="a", id="f").id
    repo.update(fact, agent="a", text="v2")
    bad = repo.resolve()
    repo.update(fact, agent="b", text="v3")
    head = repo.resolve()
    code, out, _ = invoke(cli, "revert", bad)
    assert code == 4 and "changed on both sides" in out and repo.resolve() == head
    assert repo.merge_status().kind == "revert"
    assert invoke(cli, "resolve", fact, "--take", "theirs")[0] == 0
    code, out, _ = invoke(cli, "merge", "--continue")
    assert code == 0 and out.startswith("revert:")
    assert repo.get(fact).text == "v1"
    fsck(repo)


def test_revert_of_a_merge_uses_its_first_parent(repo: Repo) -> None:
    repo.remember("base", agent="a", id="base")
    repo.create_branch("side")
    repo.switch("side")
    repo.remember("from side", agent="s", id="side-fact")
    repo.switch("main")
    repo.remember("from main", agent="m", id="main-fact")
    repo.merge("side")
    repo.revert("HEAD")
    assert {f.id for f in repo.facts()} == {"base", "main-fact"}


def test_nothing_left_to_revert(repo: Repo, cli: CliRunner) -> None:
    fact = repo.remember("v1", agent="a", id="f").id
    repo.forget(fact, agent="a")
    repo.remember("v1", agent="a", id="f")
    head = repo.resolve()
    assert repo.revert("HEAD~1", strategy="ours").status == "nothing"
    assert repo.resolve() == head


@pytest.mark.parametrize(("ref", "code"), [("nope", 3), ("x:y", 2), ("HEAD~99", 3)])
def test_bad_refs(repo: Repo, cli: CliRunner, ref: str, code: int) -> None:
    head = repo.resolve()
    got, _, err = invoke(cli, "revert", ref)
    assert got == code and err.startswith("error: ") and err.count("\n") == 1
    assert repo.resolve() == head and not merge_state.state_paths(repo.local_dir)
