"""The acting-agent session: one branch per session, flat methods as wrappers, one commit path."""

from __future__ import annotations

import pytest

from agentmem import InvalidInput, NotFound, Repo


def test_a_session_writes_to_its_own_branch_whatever_head_does(repo: Repo) -> None:
    repo.create_branch("billing-work")
    billing = repo.as_agent("billing", branch="billing-work")
    support = repo.as_agent("support")  # HEAD's branch (main) when made
    repo.switch("billing-work")  # someone switches the shared folder...
    written = support.remember("Alice prefers email", "user:alice")
    assert support.branch == "main"
    assert repo.get(written.id, at="main").text == "Alice prefers email"
    with pytest.raises(NotFound):
        repo.get(written.id, at="billing-work")
    billing.remember("Invoice 7 is paid")
    assert [f.text for f in billing.facts()] == ["Invoice 7 is paid"]
    assert "Invoice 7 is paid" not in [f.text for f in support.facts()]


def test_branch_comes_from_the_environment(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo.create_branch("exp")
    monkeypatch.setenv("AGENTMEM_BRANCH", "exp")
    session = repo.as_agent("planner", run="r1", trace="t1")
    assert (session.agent, session.run, session.trace, session.branch) == ("planner", "r1", "t1", "exp")
    written = session.remember("Plan A")
    info = repo.commit_info(written.commit or "")
    assert (info.agent, info.run, info.trace) == ("planner", "r1", "t1")
    assert repo.resolve("exp") == written.commit and repo.resolve("main") != written.commit


def test_session_rejects_forged_names(repo: Repo) -> None:
    with pytest.raises(InvalidInput):
        repo.as_agent("Robert'); DROP")
    with pytest.raises(InvalidInput):
        repo.as_agent("ok", branch="../escape")
    # run and trace are checked when the session is made: a read leaves a receipt naming them
    for bad in ({"run": "my run"}, {"run": 5}, {"trace": "a\nb"}, {"branch": 5}):
        with pytest.raises(InvalidInput, match=r"invalid (run id|trace id)|branch name must be a string"):
            repo.as_agent("ok", **bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="a policy is TOML text"):
        repo.policy.set(5, agent="admin")  # type: ignore[arg-type]


def test_merge_and_revert_carry_the_session_identity(repo: Repo) -> None:
    repo.create_branch("side")
    repo.as_agent("writer", branch="side").remember("Side fact")
    repo.as_agent("main-writer").remember("Main fact")
    merged = repo.as_agent("merger", run="m1").merge("side")
    assert merged.status == "merged" and merged.commit is not None
    info = repo.commit_info(merged.commit)
    assert (info.agent, info.run) == ("merger", "m1")
    undone = repo.as_agent("fixer").revert(merged.commit)
    assert repo.commit_info(undone.commit or "").agent == "fixer"


def test_flat_methods_still_work_and_subsystems_are_objects(repo: Repo) -> None:
    first = repo.remember("Fact one", agent="a1")
    repo.remember("Fact two", agent="a1")
    assert repo.get(first.id).text == "Fact one"
    assert [c.agent for c in repo.log(n=2)] == ["a1", "a1"]
    step = repo.bisect("Fact two")
    assert step.first_bad is not None and step.first_bad.subject.startswith("remember")
    assert repo.bisect.status is not None and repo.merges is not None
