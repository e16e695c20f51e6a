"""Quarantine hides a fact and its blast radius from every read at once (a committed list);
release lifts it. Retention: expiry and scope time to live hide facts; `expire` commits removal."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from agentmem import InvalidInput, NotFound, PermissionDenied, Repo, merge_state
from agentmem import merge as _merge
from agentmem.service import call
from agentmem.signature import Signature
from conftest import invoke
from test_search import use_fake_model


@pytest.fixture
def radius(repo: Repo):
    repo = use_fake_model(repo)
    bad = repo.as_agent("support").remember("The API limit is 10,000 per minute").id
    child = repo.as_agent("billing").remember("Bill for 10,000 calls", "agent:billing",
                                              derived_from=[bad]).id  # fmt: skip
    ok = repo.as_agent("billing").remember("Invoices go out monthly").id
    yield repo, bad, child, ok
    call(repo.root, "stop", {}, start=False)


def test_quarantine_hides_the_radius_everywhere_then_release(radius, cli: CliRunner) -> None:
    repo, bad, child, ok = radius
    code, out, _ = invoke(cli, "quarantine", bad, "--agent", "ir", "--reason", "wrong limit")
    assert code == 0 and "1 derived" in out
    info = repo.commit_info("HEAD")
    assert info.agent == "ir" and [c for c in info.changes] == []
    assert [(e.id, e.hidden, e.reason) for e in repo.quarantine.list()] == [
        (bad, (child,), "wrong limit")
    ]
    later = repo.as_agent("planner").remember("Plan for 10,000", derived_from=[child]).id
    for hidden in (bad, child, later):
        for args in (("show", hidden), ("blame", hidden)):
            code, _out, _err = invoke(cli, *args, "--agent", "anyone")
            assert code == 3, args
    for args in (("ls",), ("search", "10,000 limit"), ("search", "10,000", "--no-daemon"),
                 ("log",), ("diff", "HEAD~5")):
        code, out, _ = invoke(cli, *args, "--json", "--agent", "anyone")
        assert code == 0 and "10,000" not in out, args
    assert ok in {f.id for f in repo.facts()} and bad not in {f.id for f in repo.facts()}
    code, out, _ = invoke(cli, "quarantine", "--json")
    assert [e["id"] for e in json.loads(out)] == [bad]
    code, out, _ = invoke(cli, "quarantine", "release", bad, "--agent", "ir")
    assert code == 0 and repo.get(child).id == child and repo.get(later).id == later
    assert invoke(cli, "quarantine", "release", bad, "--agent", "ir")[0] == 3


def test_the_list_shows_an_agent_only_entries_of_facts_it_may_read(radius, cli: CliRunner) -> None:
    """An entry names a fact and why it was hidden (a reason may quote it): under a policy an
    agent that is not an admin lists only the entries of facts it may read, and its log leaves
    out the commits that quarantined the others."""
    repo, bad, child, _ok = radius
    repo.policy.set('default = "deny"\nadmins = ["ir"]\n[agents.ir]\nread = ["*"]\nwrite = ["*"]\n'
                    '[agents.planner]\nread = ["shared"]\n', agent="ir")  # fmt: skip
    pin = repo.as_agent("ir").remember("Dana's pin is 1111", "user:dana", id="dana-pin").id
    repo.quarantine.add(bad, agent="ir", reason="wrong limit")
    repo.quarantine.add(pin, agent="ir", reason="pin 1111 posted by mistake")
    code, out, _ = invoke(cli, "quarantine", "--json", "--agent", "planner")
    assert code == 0 and "1111" not in out and pin not in out
    assert [(e["id"], e["hidden"]) for e in json.loads(out)] == [(bad, [])]  # child: agent:billing
    code, out, _ = invoke(cli, "quarantine", "--json", "--agent", "ir")
    assert [(e["id"], e["hidden"]) for e in json.loads(out)] == [(bad, [child]), (pin, [])]
    # the commit that quarantined the pin names it: left out of planner's log, as its write is
    code, out, _ = invoke(cli, "log", "--json", "--agent", "planner")
    assert code == 0 and pin not in out and f"quarantine {bad} and" in out
    assert f"quarantine {pin} and" in invoke(cli, "log", "--json", "--agent", "ir")[1]


def test_a_reason_is_one_line_of_text(radius, cli: CliRunner) -> None:
    """The reason is committed in quarantine.json and shown in every listing and on every
    checkout that fetches it: text, one line, at most 1,000 characters. Nothing is committed
    for a reason refused."""
    repo, bad, _child, _ok = radius
    head = repo.resolve()
    for reason, message in ((5, "the reason must be a string, not int"),
                            ("x" * 1001, "the reason is over 1000 characters"),
                            ("wrong\nsee ticket", "must be one line without control .*: it holds U\\+000A"),
                            ("\x1b[31mred", "it holds U\\+001B at offset 0")):  # fmt: skip
        with pytest.raises(InvalidInput, match=message):
            repo.quarantine.add(bad, agent="ir", reason=reason)  # type: ignore[arg-type]
    code, _out, err = invoke(cli, "quarantine", bad, "--reason", "two\nlines", "--agent", "ir")
    assert code == 2 and "must be one line" in err
    assert repo.resolve() == head and repo.quarantine.list() == []
    entry = repo.quarantine.add(bad, agent="ir", reason="wrong refund window, see T-12")
    assert repo.quarantine.list() == [entry] and entry.reason == "wrong refund window, see T-12"


def test_only_admins_quarantine_under_a_policy(radius) -> None:
    repo, bad, _child, _ok = radius
    repo.policy.set('default = "allow"\nadmins = ["ir"]\n', agent="ir")
    head = repo.resolve()
    with pytest.raises(PermissionDenied):
        repo.quarantine.add(bad, agent="billing")
    assert repo.resolve() == head
    repo.quarantine.add(bad, agent="ir")
    with pytest.raises(NotFound):
        repo.as_agent("billing").get(bad)


def test_an_agent_expires_only_facts_it_may_read_and_write(repo: Repo, cli: CliRunner) -> None:
    """Under a policy `expire` removes the expired facts of the scopes the agent may read and
    write, and names no other: another scope's are left for an agent that may."""
    repo.policy.set('default = "deny"\nadmins = ["admin"]\n[agents.admin]\nread = ["*"]\nwrite = ["*"]\n'
                    '[agents.billing]\nread = ["shared"]\nwrite = ["shared"]\n', agent="admin")  # fmt: skip
    past = "2001-01-01T00:00:00Z"
    hidden = repo.as_agent("admin").remember("Dana's code is 42", "user:dana", expires_at=past).id
    shared = repo.as_agent("admin").remember("The old note", expires_at=past).id
    code, out, _ = invoke(cli, "expire", "--dry-run", "--json", "--agent", "billing")
    assert code == 0 and json.loads(out)["ids"] == [shared]
    code, out, err = invoke(cli, "expire", "--agent", "billing")
    assert code == 0 and "removed 1" in out and hidden not in out + err
    assert {c.id for c in repo.commit_info("HEAD").changes} == {shared}
    code, out, _ = invoke(cli, "expire", "--json", "--agent", "admin")
    assert code == 0 and json.loads(out)["ids"] == [hidden]


def test_retention_hides_expired_facts_and_expire_commits_removal(repo: Repo, cli: CliRunner) -> None:
    old = repo.as_agent("a").remember("Temporary token", "run:r1").id
    own = repo.as_agent("a").remember("Until 2001", expires_at="2001-01-01T00:00:00Z").id
    kept = repo.as_agent("a").remember("Forever").id
    assert repo.get(old).id == old  # no retention yet
    repo.policy.set('default = "allow"\n[retention]\n"run:*" = "0s"\n', agent="admin")
    for fact_id in (old, own):  # found by id, marked expired (issue 11); hidden from lists
        assert repo.get(fact_id).id == fact_id
        assert invoke(cli, "show", fact_id)[0] == 0
    assert {f.id for f in repo.facts()} == {kept}
    code, out, _ = invoke(cli, "expire", "--dry-run", "--json")
    assert code == 0 and set(json.loads(out)["ids"]) == {old, own}
    head = repo.resolve()
    code, out, _ = invoke(cli, "expire", "--agent", "janitor")
    assert code == 0 and "removed 2" in out
    info = repo.commit_info("HEAD")
    assert info.agent == "janitor" and {c.id for c in info.changes} == {old, own}
    assert repo.snapshot(head).find(old) is not None  # history keeps it


def test_a_merge_hides_a_conflict_on_a_quarantined_fact(radius, cli: CliRunner) -> None:
    """A conflict shows its versions' texts: on a quarantined fact, or one derived from it, it
    is left out as the fact is left out of every read, and cannot be resolved by id."""
    repo, bad, child, _ok = radius
    repo.create_branch("side")
    side = repo.as_agent("billing", branch="side")
    side.update(bad, text="The API limit is 12,000 per minute")
    side.update(child, text="Bill for 12,000 calls")
    main = repo.as_agent("billing")
    main.update(bad, text="The API limit is 11,000 per minute")
    main.update(child, text="Bill for 11,000 calls")
    repo.quarantine.add(bad, agent="ir", reason="wrong limit")
    code, out, err = invoke(cli, "merge", "side", "--agent", "billing", "--json")
    # ",000": the versions' texts (a bare "000" can occur in a commit id the output names)
    assert code == 4 and out == "" and ",000" not in err and "2 facts agent billing may not see" in err
    assert repo.receipts.read(agent="billing", fact_id=bad) == []
    with pytest.raises(NotFound):
        repo.merges.status()  # it could never be finished: dropped
    # a merge begun below the sessions (no reader) stays, its agent's; billing is shown none of it
    ir = merge_state.state_path(repo.local_dir, "ir")
    _merge.merge(repo.store, ir, b"refs/heads/main", "side", Signature("ir", "merge"), None)
    code, out, err = invoke(cli, "merge", "--agent", "billing", "--json")
    assert code == 3 and ",000" not in out + err and bad not in out + err and child not in out + err
    code, _out, err = invoke(cli, "resolve", child, "--take", "ours", "--agent", "billing")
    assert code == 3 and "no merge or revert in progress for agent billing" in err
    assert len(repo.merges.status().conflicts) == 2  # the owner's view: both still open


def test_a_quarantine_reaches_agents_on_every_branch(radius, cli: CliRunner) -> None:
    """An agent reads the list committed on its own branch, and agents often work on branches of
    their own: a quarantine (and its release) is committed on every local branch, unless one is
    named, and on none when the policy of one of them would refuse it."""
    repo, bad, child, ok = radius
    repo.create_branch("billing")
    repo.create_branch("later")
    on_billing = repo.as_agent("billing", branch="billing")
    code, out, _err = invoke(cli, "quarantine", bad, "--agent", "ir")
    assert code == 0 and "on 3 branches: billing, later, main" in out
    assert repo.quarantine.holding(bad) == ["billing", "later", "main"]
    assert {f.id for f in on_billing.facts()} == {ok}
    with pytest.raises(NotFound):
        on_billing.get(child)
    on_billing.remember("Invoices go out on the 1st")
    repo.as_agent("w").remember("Refunds take five days")
    assert repo.merge("billing").status == "merged"  # the same list on both sides: no conflict
    code, out, _err = invoke(cli, "quarantine", "release", bad, "--agent", "ir")
    assert code == 0 and "on 3 branches" in out and repo.quarantine.holding(bad) == []
    assert on_billing.get(child).id == child
    repo.quarantine.add(bad, agent="ir", branch="later")  # one branch, named
    assert repo.quarantine.holding(bad) == ["later"]
    repo.policy.set('default = "allow"\nadmins = ["someone"]\n', agent="ir", branch="billing")
    heads = {ref.name: ref.commit for ref in repo.branches()}
    with pytest.raises(PermissionDenied, match="billing"):
        repo.quarantine.add(ok, agent="ir")
    assert {ref.name: ref.commit for ref in repo.branches()} == heads


def test_a_fact_known_only_on_an_agents_branch_is_quarantined_everywhere(repo: Repo) -> None:
    """Quarantining on every branch traces the fact where it exists: a fact learned on an
    agent's own branch was "never existed" from main, and --branch then reached one branch."""
    repo.create_branch("billing")
    on_billing = repo.as_agent("billing", branch="billing")
    bad = on_billing.remember("Refunds allowed for 365 days").id
    derived = on_billing.remember("Approve a refund from last year", derived_from=[bad]).id
    entry = repo.quarantine.add(bad, agent="ir")
    assert entry.hidden == (derived,) and repo.quarantine.holding(bad) == ["billing", "main"]
    assert on_billing.facts() == []
    with pytest.raises(NotFound, match="never existed"):
        repo.quarantine.add("0" * 26, agent="ir")


def test_the_hidden_ids_are_worked_out_once_per_list_of_entries() -> None:
    """A listing asks `hidden` once per fact, and a blast radius can hold thousands of ids (a
    100,000-fact `ls` under one such entry took 7.4 s building the set 100,000 times, 0.7 s
    now): the set is kept while the entries are the same objects, and follows every change."""
    from agentmem.governance.quarantine import QuarantineEntry, QuarantineList

    radius = tuple(f"derived{n}" for n in range(2_000))
    listed = QuarantineList([QuarantineEntry("root", radius, "admin", "2026-11-27T00:00:00Z")])
    first = listed.hidden
    assert listed.hidden is first and len(first) == 2_001 and "derived7" in first
    listed.add(QuarantineEntry("other", ("child",), "admin", "2026-11-27T00:00:00Z"))
    assert listed.hidden == first | {"other", "child"}
    listed.release("root")
    assert listed.hidden == {"other", "child"}
    listed.entries.append(QuarantineEntry("third", (), "admin", "2026-11-27T00:00:00Z"))
    assert listed.hidden == {"other", "child", "third"}
    listed.entries[0] = QuarantineEntry("fourth", (), "admin", "2026-11-27T00:00:00Z")
    assert listed.hidden == {"fourth", "third"}
    parsed = QuarantineList.parse(listed.to_text())
    assert parsed == listed and parsed.hidden == listed.hidden
