"""`forget --cascade`: a fact and everything derived from it, in one commit."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from agentmem import Repo
from conftest import fsck, invoke


def _graph(repo: Repo) -> None:
    repo.remember("wrong claim", agent="a", id="bad")
    repo.remember("derived 1", "agent:b", agent="b", id="d1", derived_from=["bad"])
    repo.remember("fine", agent="c", id="fine")
    repo.remember("derived 2", agent="c", id="d2", derived_from=["d1", "fine"])
    repo.remember("loop", agent="c", id="loop", derived_from=["d2"])
    repo.update("loop", agent="c", derived_from=["d2", "loop"])  # a source may only name a fact


def test_dry_run_lists_the_blast_radius_and_changes_nothing(repo: Repo, cli: CliRunner) -> None:
    _graph(repo)
    head = repo.resolve()
    code, out, _ = invoke(cli, "forget", "bad", "--cascade", "--dry-run", "--json")
    data = json.loads(out)
    assert code == 0 and data["dry_run"] and data["commit"] is None
    assert [(f["id"], f["via"]) for f in data["facts"]] == [
        ("bad", None), ("d1", "bad"), ("d2", "d1"), ("loop", "d2"),
    ]  # fmt: skip
    assert repo.resolve() == head


def test_cascade_forgets_in_one_commit_and_nothing_else(repo: Repo, cli: CliRunner) -> None:
    _graph(repo)
    head = repo.resolve()
    code, out, _ = invoke(cli, "forget", "bad", "--cascade", "--agent", "cleaner")
    assert code == 0 and "forgot 4 facts" in out
    assert {f.id for f in repo.facts()} == {"fine"}
    info = repo.commit_info("HEAD")
    assert info.parents == [head] and info.agent == "cleaner"
    assert {c.id for c in info.changes} == {"bad", "d1", "d2", "loop"}
    fsck(repo)


def test_bad_inputs(repo: Repo, cli: CliRunner) -> None:
    _graph(repo)
    head = repo.resolve()
    for args, want in ((("nope", "--cascade"), 3), (("BAD/ID", "--cascade"), 2),
                       (("nope", "--dry-run"), 3)):  # fmt: skip
        code, _, err = invoke(cli, "forget", *args)
        assert code == want and err.startswith("error: ") and err.count("\n") == 1
    assert repo.resolve() == head
