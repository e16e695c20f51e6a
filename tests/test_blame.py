"""`blame`: who introduced and last changed a fact, through merges and `derived_from`."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from agentmem import Fact, Repo
from conftest import invoke


def test_blame_names_introducing_and_last_changing_commits(repo: Repo, cli: CliRunner) -> None:
    fact = repo.remember("v1", agent="writer", run="r1", trace="t1", id="f").id
    introduced = repo.resolve()
    repo.remember("noise", agent="other")
    repo.update(fact, agent="editor", run="r2", trace="t2", text="v2")
    changed = repo.resolve()
    repo.remember("more noise", agent="other")
    result = repo.blame(fact)
    assert result.present and result.text == "v2"
    assert result.introduced.id == introduced and result.last_changed.id == changed
    assert (result.introduced.agent, result.introduced.run, result.introduced.trace) == ("writer", "r1", "t1")
    assert (result.last_changed.agent, result.last_changed.run) == ("editor", "r2")
    assert repo.blame(fact, at=introduced).last_changed.id == introduced
    code, out, _ = invoke(cli, "blame", fact)
    assert code == 0 and "introduced " + introduced[:12] in out and "run=r2 trace=t2" in out
    code, out, _ = invoke(cli, "blame", fact, "--json")
    assert json.loads(out)["last_changed"]["id"] == changed


def test_blame_follows_derived_from_recursively_and_is_cycle_safe(repo: Repo) -> None:
    repo.remember("root claim", agent="a", id="root")
    repo.remember("middle", agent="b", id="mid", derived_from=["root"])
    with repo.transaction(agent="c") as tx:  # `put` (import) takes sources it cannot see
        tx.put(Fact(id="leaf", text="leaf", agent="c", derived_from=("mid", "ghost")))
    repo.update("root", agent="a", derived_from=["leaf"])  # a cycle root -> leaf -> mid -> root
    result = repo.blame("leaf")
    assert result.missing == ["ghost"]
    mid = result.sources[0]
    assert mid.id == "mid" and mid.introduced.agent == "b"
    root = mid.sources[0]
    assert root.id == "root" and root.repeated == ["leaf"] and root.last_changed.agent == "a"


def test_blame_through_a_merge_and_of_a_forgotten_fact(repo: Repo) -> None:
    repo.remember("shared base", agent="a", id="f")
    repo.create_branch("side")
    repo.switch("side")
    repo.update("f", agent="side-agent", text="edited on side")
    side_commit = repo.resolve()
    repo.switch("main")
    repo.remember("main work", agent="m")
    repo.merge("side")
    assert repo.blame("f").last_changed.id == side_commit
    repo.forget("f", agent="m")
    gone = repo.blame("f")
    assert not gone.present and gone.last_changed.id == side_commit


def test_bad_inputs(repo: Repo, cli: CliRunner) -> None:
    repo.remember("x", agent="a", id="f")
    for args, want in ((("blame", "nope"), 3), (("blame", "BAD/ID"), 2), (("blame", "f", "--at", "nope"), 3),
                       (("blame", "f", "--scope", "bogus"), 2)):  # fmt: skip
        code, _, err = invoke(cli, *args)
        assert code == want, (args, err)
        assert err.startswith("error: ") and err.count("\n") == 1
