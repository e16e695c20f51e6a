"""`log ID --follow`: a fact's history through merge commits."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from agentmem import Repo
from agentmem.cli import app
from conftest import invoke


def test_follow_shows_the_merge_that_brought_a_change_in(repo: Repo, cli: CliRunner) -> None:
    repo.remember("v1", agent="a", id="f")
    repo.create_branch("side")
    repo.switch("side")
    repo.update("f", agent="s", text="v2")
    side = repo.resolve()
    repo.switch("main")
    repo.remember("other", agent="m")
    repo.merge("side")
    merge = repo.resolve()
    plain = [c.id for c in repo.log("f")]
    followed = [c.id for c in repo.log_follow("f")]
    assert side in plain and merge not in plain
    assert followed[0] == merge and side in followed and len(followed) == len(plain) + 1
    code, out, _ = invoke(cli, "log", "f", "--follow")
    assert code == 0 and merge[:12] in out
    code, out, _ = invoke(cli, "log", "f")
    assert code == 0 and merge[:12] not in out


def test_a_scope_or_fact_history_lists_the_changes_a_full_comparison_finds(repo: Repo) -> None:
    """The changes a scope's or a fact's log shows are read below its folder only; they are
    what comparing the whole trees finds, restricted to it, for every commit of the history."""
    from agentmem.history import CommitInfo, changes_between

    with repo.transaction(agent="bulk") as tx:  # one commit across scopes
        ids = [tx.remember(f"Shared {n}").id for n in range(30)]
        tx.remember("Alice's", "user:alice")
        tx.remember("Bob's", "user:bob")
    repo.update(ids[3], text="Shared 3, revised", agent="a")
    with repo.transaction(agent="bulk") as tx:
        tx.forget(ids[4])
        tx.remember("Alice's second", "user:alice")
    store = repo.store

    def listed(info: CommitInfo) -> list[tuple[str, str, str]]:
        return sorted((c.op, c.id, c.scope) for c in info.changes)

    def full(commit: str) -> list[tuple[str, str, str]]:
        parents = store.commit(commit.encode()).parents
        old = store.commit(parents[0]).tree if parents else None
        changes = changes_between(store, old, store.commit(commit.encode()).tree)
        return sorted((c.op, c.id, c.scope) for c in changes)

    for scope in ("shared", "user:alice", "user:bob"):
        shown = repo.log(scope=scope)
        assert len(shown) >= 1 and all(c.changes for c in shown)
        for info in shown:
            assert listed(info) == [c for c in full(info.id) if c[2] == scope]
        assert [c.id for c in repo._owner().log(scope=scope, changes=False)] == [c.id for c in shown]
        assert all(not c.changes for c in repo._owner().log(scope=scope, changes=False))
    for fact_id in (ids[3], ids[4]):
        shown = repo.log(fact_id)
        assert len(shown) == 2
        for info in shown:
            assert listed(info) == [c for c in full(info.id) if c[1] == fact_id]


def test_a_readers_short_log_stops_at_the_commits_it_shows(repo: Repo) -> None:
    """A reader whose policy hides some commits reads the history only as far as the commits it
    shows: damage further back does not touch `log -n 1`, and the whole log still names it."""
    from test_hostile import _damage, git

    policy = '[agents.admin]\nread = ["*"]\nwrite = ["*"]\n[agents.billing]\nread = ["shared"]\n'
    repo.policy.set('default = "deny"\nadmins = ["admin"]\n' + policy, agent="admin")
    repo.remember("an old shared fact", agent="admin")
    old = repo.resolve()
    for n in range(3):
        repo.remember(f"shared fact {n}", agent="admin")
    _damage(repo, git(repo.root, "rev-parse", f"{old}^{{tree}}"))
    billing = Repo(repo.root).as_agent("billing")  # no tree read before the damage
    for scope in (None, "shared"):
        assert len(billing.log(n=1, scope=scope)) == 1
    from agentmem.errors import CorruptObject

    with pytest.raises(CorruptObject):
        billing.log(scope="shared")


def test_a_commit_a_reader_may_not_see_is_refused_before_its_changes_are_compared(repo: Repo) -> None:
    """`cat-commit` of a commit touching a scope the reader may not read is refused (exit 5)
    from the scopes it changes, without comparing its trees below them (a bulk import's are
    100,000 files): damage there does not turn the refusal into another error."""
    from agentmem.layout import fact_path
    from test_hostile import _damage, git

    policy = '[agents.admin]\nread = ["*"]\nwrite = ["*"]\n[agents.billing]\nread = ["shared"]\n'
    repo.policy.set('default = "deny"\nadmins = ["admin"]\n' + policy, agent="admin")
    fact = repo.remember("Dana's PIN", "user:dana", agent="admin").id
    commit = repo.resolve()
    fan_out = fact_path("user:dana", fact).decode().rsplit("/", 2)[0]  # facts/user/dana/xx
    _damage(repo, git(repo.root, "rev-parse", f"{commit}:{fan_out}"))
    result = CliRunner().invoke(app, ["-C", str(repo.root), "cat-commit", commit, "--agent", "billing"])
    assert result.exit_code == 5 and "may not see commit" in result.stderr, result.stderr
    result = CliRunner().invoke(app, ["-C", str(repo.root), "cat-commit", commit, "--agent", "admin"])
    assert result.exit_code == 1 and "damaged object" in result.stderr, result.stderr


@pytest.mark.parametrize("author", ["x y", "x' OR 1=1 --", "", "Billing"])
def test_a_log_by_an_author_no_commit_can_name_is_refused(repo: Repo, cli: CliRunner, author: str) -> None:
    """As search refuses it: a log of an impossible agent name is a mistake to report, not an
    empty history."""
    from agentmem import InvalidInput

    repo.remember("A fact", agent="billing")
    with pytest.raises(InvalidInput, match="agent name"):
        repo.log(author=author)
    code, out, err = invoke(cli, "log", "--author", author)
    assert code == 2 and out == "" and err.startswith("error: invalid agent name"), err
    assert [c.agent for c in repo.log(author="billing")] == ["billing"]
