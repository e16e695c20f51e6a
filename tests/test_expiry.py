"""A fact past its `expires_at` is hidden from `ls` and `search` at once; `show ID` still shows
it, marked expired (issue 11, item 6)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

from typer.testing import CliRunner

from agentmem import Repo
from agentmem.expiry import is_expired
from conftest import invoke
from test_search import use_fake_model

PAST = "2001-01-01T00:00:00Z"
FUTURE = "2999-01-01T00:00:00Z"


def _facts(repo: Repo) -> dict[str, str]:
    return {
        "old": repo.remember("The old office wifi password is hunter2", agent="a", expires_at=PAST).id,
        "later": repo.remember("The new office wifi password is swordfish", agent="a",
                               expires_at=FUTURE).id,
        "plain": repo.remember("Office hours are nine to five", agent="a").id,
    }


def test_expired_facts_are_hidden_from_listing_but_reachable(repo: Repo) -> None:
    ids = _facts(repo)
    assert {f.id for f in repo.facts()} == {ids["later"], ids["plain"]}
    assert {f.id for f in repo.facts(include_expired=True)} == set(ids.values())
    assert repo.get(ids["old"]).text.startswith("The old office")


def test_expiry_takes_effect_without_any_write(repo: Repo) -> None:
    soon = (datetime.now(UTC) + timedelta(seconds=1.5)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    fact = repo.remember("A short-lived fact", agent="a", expires_at=soon)
    head = repo.resolve()
    assert [f.id for f in repo.facts()] == [fact.id]
    time.sleep(2)
    assert repo.facts() == [] and repo.resolve() == head


def test_is_expired_at_the_instant(repo: Repo) -> None:
    fact = repo.get(repo.remember("x", agent="a", expires_at="2030-06-01T12:00:00Z").id)
    instant = datetime(2030, 6, 1, 12, tzinfo=UTC)
    assert not is_expired(fact, instant - timedelta(milliseconds=1))
    assert is_expired(fact, instant)


def test_cli_ls_hides_and_show_marks(repo: Repo, cli: CliRunner) -> None:
    ids = _facts(repo)
    code, out, _ = invoke(cli, "ls")
    assert code == 0 and ids["old"] not in out and ids["later"] in out and ids["plain"] in out
    code, out, _ = invoke(cli, "ls", "--json")
    assert {f["id"] for f in json.loads(out)} == {ids["later"], ids["plain"]}
    code, out, _ = invoke(cli, "show", ids["old"])
    assert code == 0 and f"# expired at {PAST[:19]}" in out and "hunter2" in out
    code, out, _ = invoke(cli, "show", ids["old"], "--json")
    assert code == 0 and json.loads(out)["expired"] is True
    code, out, _ = invoke(cli, "show", ids["later"], "--json")
    assert json.loads(out)["expired"] is False


def test_search_never_returns_an_expired_fact(repo: Repo, cli: CliRunner) -> None:
    repo = use_fake_model(repo)
    ids = _facts(repo)
    for mode in ("keyword", "hybrid", "vector"):
        hits = repo.search("old office wifi password hunter2", k=1, mode=mode)
        assert [h.fact.id for h in hits] != [ids["old"]] and len(hits) == 1, mode
        assert ids["old"] not in {h.fact.id for h in repo.search("wifi password", k=10, mode=mode)}
    code, out, _ = invoke(cli, "search", "hunter2", "--no-daemon", "--json", "--mode", "keyword")
    assert code == 0 and ids["old"] not in out


def test_an_expiry_that_has_already_passed_is_noted_when_written(repo: Repo, cli: CliRunner) -> None:
    """`--expires 2020-01-01` (a year mistyped) stores a fact that no listing shows: the write
    says so on stderr instead of looking lost. A future expiry says nothing."""
    note = "expires at 2020-01-01T00:00:00.000Z, which has passed: ls and search hide it from now on"
    code, out, err = invoke(cli, "remember", "The old VPN closes", "--expires", "2020-01-01")
    fact = out.strip()
    assert code == 0 and err == f"note: {fact} {note} (show still shows it)\n"
    assert repo.facts() == [] and repo.get(fact).expires_at == "2020-01-01T00:00:00.000Z"
    code, out, err = invoke(cli, "remember", "The new VPN opens", "--expires", "7d")
    assert code == 0 and err == ""
    code, out, err = invoke(cli, "update", out.strip(), "--expires", "2020-01-01")
    assert code == 0 and note in err
    code, out, err = invoke(cli, "add", "A staged one", "--expires", "2020-01-01")
    assert code == 0 and err == f"note: the fact {note} (show still shows it)\n"
    code, out, err = invoke(cli, "remember", "The old VPN closes", "--expires", "2020-01-01")
    assert code == 0 and "already stored" in err and "has passed" not in err  # nothing written
