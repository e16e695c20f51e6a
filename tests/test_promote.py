"""Promotion: a new fact in the target scope derived from the original, the promotion in its
provenance; the promote right is needed (exit 5 otherwise); --propose and review."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from agentmem import PermissionDenied, Repo
from conftest import invoke

POLICY = """
default = "deny"
admins = ["admin"]
[agents.worker]
read = ["shared", "agent:{agent}"]
write = ["agent:{agent}"]
[agents.lead]
read = ["*"]
write = ["agent:{agent}"]
promote = ["shared"]
"""


@pytest.fixture
def team(repo: Repo) -> tuple[Repo, str]:
    repo.policy.set(POLICY, agent="admin")
    note = repo.as_agent("worker").remember("Retry the export at 02:00", "agent:worker",
                                            tags=["ops"]).id  # fmt: skip
    return repo, note


def test_promote_writes_a_derived_fact_with_provenance(team: tuple[Repo, str]) -> None:
    repo, note = team
    lead = repo.as_agent("lead", run="r9")
    result = lead.promote(note, "shared")
    promoted = repo.get(result.id)
    assert promoted.scope == "shared" and promoted.text == "Retry the export at 02:00"
    assert promoted.derived_from == (note,) and promoted.tags == ("ops",)
    assert promoted.source is not None and promoted.source.startswith(f"promote:agent:worker/{note}@")
    assert (promoted.agent, promoted.run) == ("lead", "r9")
    assert repo.commit_info(result.commit or "").subject.startswith(f"promote {note}")
    assert [d.id for d in repo.derived(note)] == [note, result.id]


def test_promote_without_the_right_exits_5_and_changes_nothing(
    team: tuple[Repo, str], cli: CliRunner
) -> None:
    repo, note = team
    head = repo.resolve()
    with pytest.raises(PermissionDenied):
        repo.as_agent("worker").promote(note, "shared")
    code, out, err = invoke(cli, "promote", note, "--to", "shared", "--agent", "worker")
    assert code == 5 and out == "" and err.count("\n") == 1
    # write right is not promote right: lead may write agent:lead, not promote into it
    code, _out, _err = invoke(cli, "promote", note, "--to", "agent:lead", "--agent", "lead")
    assert code == 5
    assert repo.resolve() == head and [b.name for b in repo.branches()] == ["main"]


def test_propose_review_accept_and_reject(team: tuple[Repo, str], cli: CliRunner) -> None:
    repo, note = team
    head = repo.resolve()
    code, out, _ = invoke(cli, "promote", note, "--to", "shared", "--agent", "worker", "--propose",
                          "--json")  # fmt: skip
    assert code == 0 and repo.resolve() == head
    proposed = json.loads(out)["id"]
    other = repo.as_agent("worker").remember("Disk alarms at 90%", "agent:worker").id
    invoke(cli, "promote", other, "--to", "shared", "--agent", "worker", "--propose")
    head = repo.resolve()
    code, out, _ = invoke(cli, "review", "--json")
    listed = json.loads(out)
    assert code == 0 and listed[0]["branch"] == "proposals/worker"
    assert {c["id"] for c in listed[0]["changes"]} >= {proposed}
    # a worker cannot accept (no promote right on shared); the lead can, fact by fact
    code, _out, _err = invoke(cli, "review", "accept", "worker", proposed, "--agent", "worker")
    assert code == 5 and repo.resolve() == head
    code, out, _ = invoke(cli, "review", "accept", "worker", proposed, "--agent", "lead")
    assert code == 0 and repo.get(proposed).scope == "shared"
    assert repo.commit_info("HEAD").agent == "lead"
    shared = {f.id for f in repo.facts("shared")}
    assert proposed in shared and len(shared) == 1
    code, _out, _ = invoke(cli, "review", "reject", "worker", "--agent", "lead")
    assert code == 0 and "proposals/worker" not in [b.name for b in repo.branches()], _err
    assert {f.id for f in repo.facts("shared")} == shared
