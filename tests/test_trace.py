"""Trace: the blast radius of a fact: origin, derived facts (branch and history, across scopes)
and every agent and run that read one of them."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from agentmem import Repo
from conftest import git, invoke


def test_trace_finds_derived_facts_in_history_and_their_readers(repo: Repo, cli: CliRunner) -> None:
    root = repo.as_agent("support", run="s1").remember("Refunds within 365 days").id
    a = repo.as_agent("billing").remember("Approve old refunds", "agent:billing",
                                          derived_from=[root]).id  # fmt: skip
    b = repo.as_agent("billing").remember("Invoice footer: 365 days", "app:invoices",
                                          derived_from=[root]).id  # fmt: skip
    c = repo.as_agent("planner").remember("Plan refund staffing", "agent:planner",
                                          derived_from=[a]).id  # fmt: skip
    repo.as_agent("x").remember("Unrelated", derived_from=[])
    repo.forget(b, agent="billing")  # gone from the branch, still in the radius
    side_only = repo.as_agent("y").remember("Later derived then forgotten", derived_from=[c]).id
    repo.forget(side_only, agent="y")
    repo.as_agent("reader-1", run="r1").get(root)
    repo.as_agent("reader-2", run="r2").get(c)
    repo.as_agent("reader-3", run="r3").facts("shared")  # lists root (shared): a read of it
    found = repo.as_agent("auditor").trace_fact(root)
    assert found.ids[0] == root and set(found.ids) == {root, a, b, c, side_only}
    present = {d.id: d.present for d in found.derived}
    assert present == {root: True, a: True, b: False, c: True, side_only: False}
    via = {d.id: d.via for d in found.derived}
    assert via[c] == a and via[a] == root and via[side_only] == c
    assert found.readers == [("reader-1", "r1"), ("reader-2", "r2"), ("reader-3", "r3")]
    assert found.origin.introduced.agent == "support" and found.origin.introduced.run == "s1"
    # the trace showed the auditor every text in the radius: its own read, op `trace`
    traced = repo.receipts.read(agent="auditor")
    assert [(r.op, r.query) for r in traced] == [("trace", root)]
    blobs = {d.id: d.blob for d in found.derived}
    assert set(traced[0].facts) == {(found.origin.id, found.origin.blob), *blobs.items()}
    for fact_id, blob in blobs.items():  # the version whose summary was shown
        assert git(repo, "cat-file", "-p", blob).find(fact_id) >= 0
    assert blobs[root] == found.origin.blob
    code, out, _ = invoke(cli, "trace", root, "--json")
    data = json.loads(out)
    assert code == 0 and {d["id"] for d in data["derived"]} == set(found.ids)
    assert {r["agent"] for r in data["reads"]} == {"reader-1", "reader-2", "reader-3", "auditor"}
    code, out, _ = invoke(cli, "trace", root)
    assert code == 0 and "5 facts in the blast radius" in out and "5 readers" in out  # cli read too


def test_trace_of_a_hidden_or_unknown_fact_is_not_found(repo: Repo, cli: CliRunner) -> None:
    repo.policy.set('default = "deny"\n[agents.a]\nread = ["agent:a"]\nwrite = ["agent:a"]\n',
                    agent="boss")  # fmt: skip
    secret = repo.as_agent("a").remember("mine", "agent:a").id
    code, _out, err = invoke(cli, "trace", secret, "--agent", "b")
    code2, _out2, err2 = invoke(cli, "trace", "0" * 26, "--agent", "b")
    assert code == code2 == 3 and err.replace(secret, "0" * 26) == err2


def test_a_trace_leaves_out_what_the_agent_may_not_read(repo: Repo, cli: CliRunner) -> None:
    """The blast radius crosses scopes, but an agent is shown only the facts it may read (and
    their readers): a derived fact in another user's scope printed its text to any agent. A
    quarantine still hides the whole radius, the facts its admin cannot read included."""
    root = repo.as_agent("support").remember("The API limit is 10,000 per minute").id
    private = repo.as_agent("owner").remember("Dana's plan SECRETWORD needs 10,000 calls", "user:dana",
                                              derived_from=[root]).id  # fmt: skip
    grandchild = repo.as_agent("owner").remember("Budget for 10,000 calls", derived_from=[private]).id
    repo.as_agent("owner").get(private)  # a receipt naming the private fact
    policy = ('default = "deny"\nadmins = ["ir"]\n[agents.billing]\nread = ["shared"]\n'
              '[agents.ir]\nread = ["shared"]\n[agents.owner]\nread = ["*"]\n')
    repo.policy.set(policy, agent="admin")
    found = repo.as_agent("billing").trace_fact(root)
    assert found.ids == [root, grandchild] and found.reads == []
    traced = repo.receipts.read(agent="billing")[-1]  # what it was shown, not what was hidden
    assert traced.op == "trace" and set(traced.fact_ids) == {root, grandchild}
    code, out, _err = invoke(cli, "trace", root, "--agent", "billing", "--json")
    assert code == 0 and "SECRETWORD" not in out and "user:dana" not in out
    assert repo.as_agent("owner").trace_fact(root).ids == [root, private, grandchild]
    entry = repo.quarantine.add(root, agent="ir")
    assert set(entry.hidden) == {private, grandchild}
