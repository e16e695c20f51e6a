"""A fact named by the start of its id, as git takes a short commit id: the commands that act on
a fact complete a start of at least four characters that one fact the agent may find has."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from agentmem import Repo
from agentmem.errors import AmbiguousFactId, InvalidInput
from conftest import invoke
from test_policy import POLICY
from test_search import use_fake_model


@pytest.fixture
def ships(repo: Repo) -> Repo:
    for name in ("ship-alpha", "ship-beta", "deploy", "deploy-key"):
        repo.remember(f"fact {name}", agent="a", id=name)
    return repo


def test_a_unique_start_of_an_id_names_the_fact(ships: Repo, cli: CliRunner) -> None:
    generated = ships.remember("The deploy key rotates every 90 days", agent="a").id
    code, out, _ = invoke(cli, "show", generated[:6])
    assert code == 0 and f'id: "{generated}"' in out
    code, out, _ = invoke(cli, "show", "ship-a")
    assert code == 0 and "fact ship-alpha" in out
    code, out, _ = invoke(cli, "log", "ship-a", "--json")
    assert code == 0 and json.loads(out)[0]["message"]
    code, out, _ = invoke(cli, "blame", "ship-a")
    assert code == 0 and out.startswith("ship-alpha ")
    code, out, _ = invoke(cli, "trace", "ship-a")
    assert code == 0 and out.startswith("ship-alpha introduced")
    assert invoke(cli, "update", "ship-a", "--text", "fact ship-alpha, edited")[0] == 0
    assert ships.get("ship-alpha").text == "fact ship-alpha, edited"
    assert invoke(cli, "add", "--update", "ship-b", "fact ship-beta, edited")[0] == 0
    code, out, _ = invoke(cli, "status", "--json")
    assert [op["id"] for op in json.loads(out)["staged"]] == ["ship-beta"]
    assert invoke(cli, "commit", "-m", "edit")[0] == 0
    assert ships.get("ship-beta").text == "fact ship-beta, edited"
    # a source named by a start of its id, on a write at once and on a staged one
    code, out, _ = invoke(cli, "remember", "derived at once", "--derived-from", "ship-b")
    at_once = out.strip()
    assert code == 0 and ships.get(at_once).derived_from == ("ship-beta",)
    assert invoke(cli, "add", "derived later", "--id", "later", "-d", "ship-b")[0] == 0
    assert invoke(cli, "commit", "-m", "later")[0] == 0
    assert ships.get("later").derived_from == ("ship-beta",)
    code, out, _ = invoke(cli, "update", "later", "--derived-from", "deploy-k")
    assert code == 0 and ships.get("later").derived_from == ("deploy-key",)
    code, out, _ = invoke(cli, "forget", "ship-a")
    assert code == 0 and out.startswith("forgot ship-alpha ")
    assert {f.id for f in ships.facts()} == {"ship-beta", "deploy", "deploy-key", generated, at_once, "later"}
    # an id that is exactly a fact's is that fact, though another id starts with it
    code, out, _ = invoke(cli, "show", "deploy")
    assert code == 0 and 'id: "deploy"' in out


def test_a_start_several_facts_have_is_refused_and_changes_nothing(ships: Repo, cli: CliRunner) -> None:
    head = ships.resolve()
    code, _, err = invoke(cli, "show", "ship")
    assert code == 2
    assert err.strip() == "error: fact id ship is ambiguous: ship-alpha, ship-beta; give more characters"
    for args in (["forget", "ship"], ["update", "ship", "x"], ["add", "--forget", "ship"],
                 ["quarantine", "ship", "--reason", "bad"], ["blame", "ship"]):  # fmt: skip
        code, _, err = invoke(cli, *args)
        assert code == 2 and "ambiguous" in err, args
    assert ships.resolve() == head
    assert ships.stage_contents("cli").ops == []
    assert ships.quarantine.list() == []
    # under four characters is never completed: the fact is not found, as before
    code, _, err = invoke(cli, "show", "shi")
    assert code == 3 and "no fact shi " in err


def test_only_facts_the_agent_may_find_complete_a_start(repo: Repo, cli: CliRunner) -> None:
    repo = use_fake_model(repo)
    repo.policy.set(POLICY, agent="admin")
    repo.as_agent("support").remember("Card rule for everyone", "shared", id="card-public")
    repo.as_agent("support").remember("Card PIN is 4242", "agent:support", id="card-secret")
    # billing may not read support's scope: the hidden fact neither completes nor ambiguates
    code, out, err = invoke(cli, "show", "card", "--agent", "billing")
    assert code == 0 and "Card rule for everyone" in out
    code, out, err = invoke(cli, "show", "card-s", "--agent", "billing")
    assert code == 3 and "4242" not in out + err and "card-secret" not in out + err
    assert repo.as_agent("billing").expand_id("card-s") == "card-s"
    code, _, err = invoke(cli, "show", "card", "--agent", "support")
    assert code == 2 and "card-public, card-secret" in err
    # a quarantined fact is found by no read, so it completes nothing; release completes it
    # among the quarantined facts
    assert invoke(cli, "quarantine", "card-p", "--reason", "checking", "--agent", "admin")[0] == 0
    assert [e.id for e in repo.quarantine.list()] == ["card-public"]
    code, out, _ = invoke(cli, "show", "card", "--agent", "admin")
    assert code == 0 and "Card PIN is 4242" in out
    code, out, _ = invoke(cli, "quarantine", "release", "card-p", "--agent", "admin")
    assert code == 0 and out.startswith("released card-public ")
    assert repo.quarantine.list() == []


def test_completing_a_start_reads_nothing_and_checks_what_it_is_given(ships: Repo) -> None:
    reader = ships.as_agent("reader")
    before = len(ships.receipts.read())
    assert reader.expand_id("ship-a") == "ship-alpha"
    assert reader.expand_id("nothing-starts-so") == "nothing-starts-so"
    assert len(ships.receipts.read()) == before  # the read that follows leaves the receipt
    with pytest.raises(AmbiguousFactId, match="ship-alpha, ship-beta"):
        reader.expand_id("ship")
    for bad in ("../ship", "", "SHIP", 5):
        with pytest.raises(InvalidInput):
            reader.expand_id(bad)  # type: ignore[arg-type]


def test_release_completes_among_the_quarantine_of_every_branch(ships: Repo, cli: CliRunner) -> None:
    ships.create_branch("side")
    ships.quarantine.add("ship-alpha", agent="a", reason="checking", branch="side")
    assert ships.quarantine.list() == []  # main's list is empty: only side holds it
    code, out, _ = invoke(cli, "quarantine", "release", "ship-al")
    assert (code, out) == (0, "released ship-alpha and 0 derived facts on branch side\n")
    assert ships.quarantine.list("side") == []


def test_a_start_in_a_scope_the_agent_may_not_read_is_answered_as_a_whole_id(
    repo: Repo, cli: CliRunner
) -> None:
    repo = use_fake_model(repo)
    repo.policy.set(POLICY, agent="admin")
    repo.as_agent("support").remember("Card PIN is 4242", "agent:support", id="card-secret")
    for given in ("card-secret", "card-s"):
        code, out, err = invoke(cli, "show", given, "--scope", "agent:support", "--agent", "billing")
        where = f"in scope agent:support at {repo.resolve()[:12]}"
        assert (code, out, err) == (3, "", f"error: no fact {given} {where}\n")


def test_an_id_the_agent_has_staged_is_that_fact_not_the_start_of_a_committed_one(
    ships: Repo, cli: CliRunner
) -> None:
    """`add --id ship` stages a fact whose id is also a start of committed ids: a later
    `add --update`, `--forget` or `--derived-from` naming it means the staged fact."""
    assert invoke(cli, "add", "the ship sails at dawn", "--id", "ship-a")[0] == 0
    assert invoke(cli, "add", "--update", "ship-a", "the ship sails at noon")[0] == 0
    assert invoke(cli, "add", "the crew boards first", "--id", "crew", "-d", "ship-a")[0] == 0
    code, out, _ = invoke(cli, "status", "--json")
    staged = json.loads(out)["staged"]
    assert [(op["op"], op["id"]) for op in staged] == [("remember", "ship-a"), ("update", "ship-a"),
                                                       ("remember", "crew")]  # fmt: skip
    assert staged[2]["derived_from"] == ["ship-a"]
    assert invoke(cli, "commit", "-m", "ship")[0] == 0
    assert ships.get("ship-a").text == "the ship sails at noon"
    assert ships.get("crew").derived_from == ("ship-a",)
    assert ships.get("ship-alpha").text == "fact ship-alpha"
    # and another agent's stage does not count: its start completes as before
    assert invoke(cli, "add", "beta's twin", "--id", "ship-b", "-a", "other")[0] == 0
    assert invoke(cli, "add", "--forget", "ship-b")[0] == 0
    code, out, _ = invoke(cli, "status", "--json")
    assert code == 0
    assert [(op["op"], op["id"]) for op in json.loads(out)["staged"]] == [("forget", "ship-beta")]
