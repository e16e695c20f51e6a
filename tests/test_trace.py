"""Trace: the blast radius of a fact: origin, derived facts (branch and history, across scopes)
and every agent and run that read one of them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentmem import Repo, checked_lines
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


def test_a_trace_from_the_commit_facts_file_finds_what_one_from_git_finds(repo: Repo) -> None:
    """What each commit brings is kept in `.agentmem/commit-facts` by the first trace; a second
    trace reads it, a torn or altered line is read from git again, and commits made since are
    added. Every trace finds the same radius, versions, commits and summaries."""
    auditor = repo.as_agent("auditor")
    root = repo.as_agent("support").remember("Refunds within 365 days").id
    a = repo.as_agent("billing").remember("Approve old refunds", "agent:billing", derived_from=[root]).id
    repo.update(a, text="Approve refunds up to a year old", agent="billing")
    with repo.transaction(agent="bulk") as tx:  # a commit bringing several facts
        b = tx.remember("Invoice footer: 365 days", "app:invoices", derived_from=[root]).id
        c = tx.remember("Plan refund staffing", "agent:planner", derived_from=[a, b]).id
        tx.remember("Unrelated")
    repo.forget(b, agent="billing")
    path = repo.local_dir / "commit-facts"

    def radius() -> list[tuple[str, str | None, bool, str, str, str]]:
        found = auditor.trace_fact(root)
        return [(d.id, d.via, d.present, d.commit, d.summary, d.blob) for d in found.derived]

    from_git = radius()
    assert {d[0] for d in from_git} == {root, a, b, c} and path.exists()
    lines = path.read_bytes().splitlines(keepends=True)
    assert len(lines) == len(repo.log())  # one per commit of the branch
    assert radius() == from_git and path.read_bytes().splitlines(keepends=True) == lines  # read, not added to
    # alter the line of the commit that brought b (from root): it must be read from git again
    source = f'"{root}"]'.encode()
    damaged = [line.replace(source, b'"zz"]') if b.encode() in line else line for line in lines]
    assert damaged != lines
    path.write_bytes(b"".join(damaged))
    assert radius() == from_git
    d = repo.as_agent("planner").remember("Staffing for March", "agent:planner", derived_from=[c]).id
    radius_now = radius()
    assert [r[0] for r in radius_now] == [*[r[0] for r in from_git], d]
    path.unlink()
    assert radius() == radius_now


def test_the_commit_facts_example_in_the_format_reads_as_a_line(tmp_path: Path) -> None:
    """docs/format.md's example line of `.agentmem/commit-facts` is one the cache reads."""
    from agentmem import checked_lines
    from agentmem.governance.commit_facts import Brought, Changed, _parse

    text = (Path(__file__).parent.parent / "docs" / "format.md").read_text()
    section = text.split("## The facts each commit brings and forgets")[1]
    example = next(line for line in section.splitlines() if line.startswith('["'))
    (tmp_path / "commit-facts").write_text(example + "\n")
    (value,) = checked_lines.read(tmp_path / "commit-facts", 1 << 20)
    parsed = _parse(value)
    assert parsed is not None and parsed[1] == Changed(
        (Brought("8f2e6a1c4b7d9e0f3a5c2b1d6e8f7a9c0b3d5e2f", "2mzp7c0rxq1v9b3k6j4t8d5w0e", "agent:billing",
                 ("4fsnzf57jt4qz43edyn6arwdep",)),),
        (Brought("1b7e3d9f0a2c4e6b8d0f1a3c5e7b9d2f4a6c8e0b", "7hq2m4xk9c1v3b5n8d0f2g6j4w", "shared", ()),),
    )  # fmt: skip
    legacy = value[:2]  # a line written before forgotten versions were kept
    assert _parse(legacy) == (value[0], Changed(parsed[1].brought, None))


def test_a_log_under_a_quarantine_hides_the_commits_a_reading_of_each_change_hides(repo: Repo) -> None:
    """Under a quarantine a log leaves out every commit that adds, changes or forgets a hidden
    fact (one derived from it too, written after the quarantine, or forgotten): decided from
    the versions kept in `.agentmem/commit-facts` as reading each change from git decides it,
    from the file, from lines of the older two-element shape, and after the file is deleted."""
    from agentmem import history
    from agentmem.history import changes_between

    support = repo.as_agent("support")
    bad = support.remember("Refunds within 365 days").id
    early = support.remember("Quote the 365-day rule", derived_from=[bad]).id
    other = support.remember("Unrelated note").id
    with repo.transaction(agent="bulk") as tx:
        tx.remember("Bulk one")
        tx.forget(other)
    repo.quarantine.add(bad, agent="ir")
    late = support.remember("Written after the quarantine", derived_from=[bad]).id
    support.remember("Another unrelated note")
    support.forget(late)  # forgets a version derived from the quarantined fact
    support.forget(early)  # forgets a fact of the blast radius
    store, hidden = repo.store, repo.quarantine.list()[0]
    every = history.log(store, store.resolve("HEAD"))  # the log, nothing left out

    def shown_by_reading() -> list[str]:
        ids = {hidden.id, *hidden.hidden}
        found = []
        for info in every:
            commit = store.commit(info.id.encode())
            old = store.commit(commit.parents[0]).tree if commit.parents else None
            versions = [store.read_fact((c.new_blob or c.old_blob or "").encode())
                        for c in changes_between(store, old, commit.tree)]  # fmt: skip
            if not any(v.id in ids or ids & set(v.derived_from) for v in versions):
                found.append(info.id)
        return found

    expected = shown_by_reading()
    assert 0 < len(expected) < len(every) - 3

    def shown() -> list[str]:
        return [c.id for c in Repo(repo.root).as_agent("reader").log()]

    path = repo.local_dir / "commit-facts"
    assert shown() == expected and path.exists()
    assert shown() == expected  # from the file
    lines = path.read_bytes().splitlines()
    legacy = []
    for line in lines:  # the older shape: what each commit brings only
        value = json.loads(line.rpartition(b"\t")[0])[:2]
        legacy.append(checked_lines.encode(value))
    path.write_bytes(b"".join(legacy))
    assert shown() == expected
    path.unlink()
    assert shown() == expected


def test_what_a_trace_reads_is_appended_as_it_goes(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every FLUSH_EVERY commits read from git are appended before the trace ends (a trace
    killed midway keeps them)."""
    from agentmem import history
    from agentmem.governance import commit_facts

    monkeypatch.setattr(commit_facts, "FLUSH_EVERY", 2)
    for n in range(5):
        repo.remember(f"fact {n}", agent="a")
    cache = commit_facts.CommitFacts(repo.store, repo.local_dir)
    path = repo.local_dir / commit_facts.CACHE_NAME
    for count, commit in enumerate(history.walk(repo.store, repo.store.resolve("HEAD")), start=1):
        cache.of(commit)
        lines = len(path.read_bytes().splitlines()) if path.exists() else 0
        assert lines == count - count % 2, (count, lines)
