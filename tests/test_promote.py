"""Promotion: a new fact in the target scope derived from the original, the promotion in its
provenance; the promote right is needed (exit 5 otherwise); --propose and review."""

from __future__ import annotations

import json
import subprocess

import pytest
from typer.testing import CliRunner

from agentmem import PermissionDenied, Repo
from agentmem.governance.promotion import reject
from agentmem.service import call
from agentmem.visibility import Actor
from conftest import git, invoke
from test_search import use_fake_model

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
    code, out, _ = invoke(cli, "review", "--json", "--agent", "lead")
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
    # what is accepted is no longer listed, nor accepted twice (it was both)
    code, out, _ = invoke(cli, "review", "--json", "--agent", "lead")
    assert proposed not in {c["id"] for c in json.loads(out)[0]["changes"]}
    code, _out, err = invoke(cli, "review", "accept", "worker", proposed, "--agent", "lead")
    assert code == 3 and "left to accept" in err
    code, _out, _ = invoke(cli, "review", "reject", "worker", "--agent", "lead")
    assert code == 0 and "proposals/worker" not in [b.name for b in repo.branches()], _err
    assert {f.id for f in repo.facts("shared")} == shared


def test_a_proposal_is_read_only_by_its_proposer_and_reviewers(
    team: tuple[Repo, str], cli: CliRunner
) -> None:
    """Anyone may propose, in any scope: read as memory, a proposal would hand a private fact
    to every reader of the scope it names, unreviewed. Another agent's read, search, diff or
    merge of a proposal's own commits is refused (exit 5); its proposer, admins and reviewers
    (a promote right) read it; the commits it shares with other branches stay readable."""
    repo, note = team
    repo.policy.set(POLICY + '[agents.reader]\nread = ["shared"]\n', agent="admin")
    other = repo.as_agent("reader")
    base = repo.resolve()
    proposed = repo.as_agent("worker").promote(note, "shared", propose=True)
    tip = repo.resolve("proposals/worker")
    denied = [
        lambda: other.get(proposed.id, at="proposals/worker"),
        lambda: other.facts(at=tip[:10]),
        lambda: other.search("export", at="proposals/worker", daemon=False),
        lambda: other.log(at="proposals/worker"),
        lambda: other.blame(proposed.id, at="proposals/worker"),
        lambda: other.diff("main", "proposals/worker"),
        lambda: other.diff("proposals/worker", "main"),
        lambda: other.merge("proposals/worker"),
        lambda: repo.as_agent("reader", branch="proposals/worker").facts(),
    ]
    for read in denied:
        with pytest.raises(PermissionDenied, match="a proposal is not memory"):
            read()
    code, out, err = invoke(cli, "search", "export", "--at", "proposals/worker", "--agent", "reader")
    assert code == 5 and "02:00" not in out + err
    # nor by a branch of its own at the proposal, whose commits it would then share
    code, _out, err = invoke(cli, "branch", "copy", "--from", "proposals/worker", "--agent", "reader")
    assert code == 5 and "a proposal is not memory" in err
    params = {"query": "export", "at": "proposals/worker", "k": 10, "mode": "hybrid"}
    try:  # a client of the search service that names the proposal itself
        with pytest.raises(PermissionDenied, match="a proposal is not memory"):
            call(use_fake_model(repo).root, "search", params, actor=Actor("reader", branch="main"))
    finally:
        call(repo.root, "stop", {}, start=False)
    assert repo.resolve() == base and repo.receipts.read(agent="reader") == []
    for reader in ("worker", "lead"):  # the proposer, a reviewer
        read = repo.as_agent(reader).get(proposed.id, at="proposals/worker")
        assert read.text == "Retry the export at 02:00"
    assert [f.id for f in other.facts(at=base)] == [f.id for f in other.facts()]  # shared history


def test_review_lists_only_what_the_agent_may_read(team: tuple[Repo, str], cli: CliRunner) -> None:
    """`review` hands out proposed texts: before, it listed every proposal whole to anyone and
    left no receipt. Now a reviewer sees every proposal, less the facts in scopes it may not
    read (counted; accepting the rest keeps the branch); another agent sees its own only."""
    repo, note = team
    extra = '[agents.clerk]\nread = ["shared"]\npromote = ["shared"]\n[agents.reader]\nread = ["shared"]\n'
    repo.policy.set(POLICY + extra, agent="admin")
    proposed = repo.as_agent("worker").promote(note, "shared", propose=True).id
    on_proposal = repo.as_agent("worker", branch="proposals/worker")
    private = on_proposal.remember("Worker's own note", "agent:worker").id
    code, out, _ = invoke(cli, "review", "--json", "--agent", "lead")
    assert code == 0 and {c["id"] for c in json.loads(out)[0]["changes"]} == {proposed, private}
    assert [r.op for r in repo.receipts.read(agent="lead")] == ["review"]
    code, out, _ = invoke(cli, "review", "--json", "--agent", "clerk")
    listed = json.loads(out)
    assert [c["id"] for c in listed[0]["changes"]] == [proposed] and listed[0]["hidden"] == 1
    assert private not in out and "own note" not in out
    assert listed[0]["changes"][0]["new"]["derived_from"] == []  # the source is in agent:worker
    code, out, _ = invoke(cli, "review", "--agent", "clerk")
    assert code == 0 and "1 fact agent clerk may not see" in out
    for outsider in ("reader", "cli"):
        code, out, _ = invoke(cli, "review", "--json", "--agent", outsider)
        assert code == 0 and json.loads(out) == [], outsider
        code, out, err = invoke(cli, "review", "--agent", outsider)
        assert out == "No proposals.\n" and f"note: agent {outsider} reviews only its own" in err
        code, _out, err = invoke(cli, "review", "accept", "worker", "--agent", outsider)
        assert code == 3 and "no proposal worker" in err
    code, out, _ = invoke(cli, "review", "--json", "--agent", "worker")  # its own
    assert {c["id"] for c in json.loads(out)[0]["changes"]} == {proposed, private}
    code, out, err = invoke(cli, "review", "accept", "worker", "--agent", "clerk")
    assert code == 0 and proposed in out and private not in out, err
    assert repo.get(proposed).derived_from == (note,)  # accepted whole, its hidden source too
    code, out, _ = invoke(cli, "review", "--json", "--agent", "lead")
    assert [c["id"] for c in json.loads(out)[0]["changes"]] == [private]  # accepted: not listed
    assert "proposals/worker" in [b.name for b in repo.branches()]  # what clerk did not see waits
    code, _out, err = invoke(cli, "review", "reject", "worker", note, "--agent", "lead")
    assert code == 3 and "no fact" in err  # a fact the proposal does not propose


def test_only_the_proposer_and_reviewers_write_on_a_proposal(team: tuple[Repo, str], cli: CliRunner) -> None:
    """A reviewer accepts `proposals/worker` as worker's: another agent's fact written there
    would be accepted with it, and its forget would drop worker's proposal. Refused (exit 5),
    nothing stored; a reviewer still rejects facts of it one by one."""
    repo, note = team
    repo.policy.set(POLICY + '[agents.reader]\nread = ["shared"]\nwrite = ["shared"]\n', agent="admin")
    proposed = repo.as_agent("worker").promote(note, "shared", propose=True)
    tip = repo.resolve("proposals/worker")
    intruder = repo.as_agent("reader", branch="proposals/worker")
    with pytest.raises(PermissionDenied, match="may not write on proposals/worker: it is worker's proposal"):
        intruder.remember("Exports never need a retry", "shared")
    code, _out, err = invoke(cli, "forget", proposed.id, "--agent", "reader", "--branch", "proposals/worker")
    assert code == 5 and err.count("\n") == 1 and repo.resolve("proposals/worker") == tip
    assert reject(repo.as_agent("lead"), "worker", [proposed.id]) == [proposed.id]  # a reviewer may
    repo.as_agent("worker", branch="proposals/worker").remember("Exports run at 02:00", "shared")


def test_a_proposals_own_commits_are_those_no_other_branch_holds(repo: Repo) -> None:
    """`refs.proposal_holding`: a proposal's commits, not the history it shares with other
    branches (before it was created, or merged in from main later), with or without a reflog."""
    from agentmem.refs import proposal_holding

    writer = repo.as_agent("w")
    note = writer.remember("Retry the export at 02:00", "agent:w").id
    before = repo.resolve()
    writer.promote(note, "shared", propose=True)
    proposed = repo.resolve("proposals/w")
    later = writer.remember("Exports run nightly").commit or ""
    repo.as_agent("w", branch="proposals/w").merge("main")
    merged = repo.resolve("proposals/w")
    repo.tag("v1", later)
    blob = subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=repo.root, input=b"x",
                          capture_output=True, check=True).stdout.decode().strip()  # fmt: skip
    git(repo, "tag", "a-blob", blob)  # a tag that names no commit is passed over
    expected = {before: None, proposed: "proposals/w", later: None, merged: "proposals/w",
                repo.resolve("main"): None}  # fmt: skip
    for with_reflog in (True, False):
        if not with_reflog:
            (repo.root / ".git" / "logs" / "refs" / "heads" / "proposals" / "w").unlink()
        got = {commit: proposal_holding(repo.store, commit.encode()) for commit in expected}
        assert got == expected, with_reflog
