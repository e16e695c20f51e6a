"""`.agentmem/commit-scopes`: the scopes each commit changes, which an agent's log tests for
every commit it shows. Computed from the trees down to the scope folders, it must name every
scope the full fact diff names; a torn or altered line is never believed."""

from __future__ import annotations

import json
import subprocess

from typer.testing import CliRunner

from agentmem import Repo
from agentmem.commit_scopes import CACHE_NAME, changed
from agentmem.governance.state import QUARANTINE_PATH
from agentmem.history import commit_info
from agentmem.signature import Signature
from conftest import invoke
from test_policy import POLICY


def _history(repo: Repo) -> None:
    """Commits of every kind: writes in four scopes, an update, a forget, an import across
    scopes, a merge, a quarantine and its release, a policy change."""
    repo.policy.set(POLICY, agent="admin")
    support = repo.as_agent("support")
    private = support.remember("Dana's PIN is 4242", "user:dana").id
    shared = support.remember("The office opens at 9", "shared").id
    support.remember("Escalate to L2 after an hour", "agent:support")
    support.update(shared, text="The office opens at 8")
    repo.as_agent("admin").remember("Deploys on Tuesdays", "app:ops")
    repo.create_branch("side")
    repo.as_agent("support", branch="side").remember("Side note", "user:erin")
    repo.as_agent("admin").remember("Main note", "shared")
    repo.merge("side", agent="admin")
    lines = '{"text": "a", "scope": "user:fay"}\n{"text": "b", "scope": "shared"}\n'
    repo.import_facts(lines.splitlines(), agent="admin")
    repo.quarantine.add(private, agent="admin", reason="leaked")
    repo.quarantine.release(private, agent="admin")
    support.forget(shared)


def test_the_scopes_of_every_commit_are_those_its_fact_diff_names(repo: Repo) -> None:
    _history(repo)
    commits = subprocess.run(["git", "rev-list", "--all"], cwd=repo.root, capture_output=True,
                             text=True, check=True).stdout.split()  # fmt: skip
    store, quarantine_changes, merges = repo.store, 0, 0
    for commit in commits:
        kept = changed(store, commit.encode())
        info = commit_info(store, commit.encode(), with_changes=True)
        assert kept.scopes == {c.scope for c in info.changes}, (commit, info.subject)
        parents = store.commit(commit.encode()).parents
        before = store.lookup(store.commit(parents[0]).tree, QUARANTINE_PATH.encode()) if parents else None
        after = store.lookup(store.commit(commit.encode()).tree, QUARANTINE_PATH.encode())
        assert kept.quarantine == (before != after)
        quarantine_changes += kept.quarantine
        merges += len(parents) > 1
    assert quarantine_changes >= 2 and merges == 1 and len(commits) > 12


def test_a_stray_file_in_a_scope_folder_still_names_the_scope(repo: Repo) -> None:
    """A folder's change counts even when no fact file in it parses (a hostile tree): naming
    a scope too many hides a commit, naming one too few would show a private subject."""
    head = repo.store.resolve("HEAD")
    tree = repo.store.write_tree(repo.store.commit(head).tree, {b"facts/user/dana/notes.txt": b"x"})
    commit = repo.store.make_commit(tree, [head], Signature("someone", "stray file"))
    assert changed(repo.store, commit).scopes == {"user:dana"}


def test_a_torn_or_altered_line_is_not_believed(repo: Repo, cli: CliRunner) -> None:
    """billing may read `shared` only: support's commits in `user:dana` stay out of its log
    whatever the file says, unless the line is whole and unaltered."""
    _history(repo)
    code, expected, _ = invoke(cli, "log", "--agent", "billing")
    assert code == 0 and "PIN" not in expected and "office" in expected
    cache = repo.local_dir / CACHE_NAME
    lines = cache.read_text().splitlines()
    commits = {json.loads(line.split("\t")[0])[0] for line in lines}
    assert len(lines) == len(commits) > 12  # one line per commit, written once
    lied = [line.replace('"user:dana"', '"shared"') for line in lines]  # its checksum no longer fits
    cache.write_text("\n".join(lied) + "\nnot a line\n" + lines[0][:30])  # and a torn last line
    code, out, _ = invoke(cli, "log", "--agent", "billing")
    assert code == 0 and out == expected
    cache.unlink()
    assert invoke(cli, "log", "--agent", "billing")[1] == expected


def test_a_line_from_an_older_agentmem_keeps_what_a_newer_one_learnt(repo: Repo) -> None:
    """An older agentmem writes lines of three elements (it skips four-element ones, as damaged,
    and appends its own): the fact ids a log read from that commit's message stay known."""
    from agentmem.commit_scopes import CommitScopesCache, _line

    writer = repo.as_agent("w")
    fact = writer.remember("The deploy window is Tuesday").id
    head = repo.store.resolve("HEAD")
    cache = CommitScopesCache(repo.store, repo.local_dir)
    quoted = cache.quoted(head)
    assert [fact_id for fact_id, _blob in quoted] == [fact]
    cache.flush()
    older = _line(head.decode(), changed(repo.store, head))  # no fourth element
    with open(repo.local_dir / CACHE_NAME, "ab") as file:
        file.write(older)
    again = CommitScopesCache(repo.store, repo.local_dir)
    assert again.of(head).quoted == quoted
