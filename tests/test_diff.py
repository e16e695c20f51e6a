"""`diff`: facts added, removed and changed between commits, per scope."""

from __future__ import annotations

import difflib
import json

import pytest
from typer.testing import CliRunner

from agentmem import Repo
from agentmem.diff import text_diff
from agentmem.fact import Fact
from conftest import invoke


def _history(repo: Repo) -> dict[str, str]:
    keep = repo.remember("stays the same", agent="a").id
    edit = repo.remember("Postgres 15\nline two", "agent:planner", agent="a").id
    gone = repo.remember("to be forgotten", agent="a").id
    repo.tag("before")
    with repo.transaction(agent="b") as tx:
        tx.update(edit, text="Postgres 16\nline two", tags=["db"])
        tx.forget(gone)
        new = tx.remember("brand new", "user:alice").id
    return {"keep": keep, "edit": edit, "gone": gone, "new": new}


def test_diff_lists_added_removed_changed_with_fields_and_text(repo: Repo) -> None:
    ids = _history(repo)
    result = repo.diff("before", "HEAD")
    by_id = {c.id: c for c in result.changes}
    assert set(by_id) == {ids["edit"], ids["gone"], ids["new"]}
    assert by_id[ids["new"]].op == "added" and by_id[ids["new"]].scope == "user:alice"
    assert by_id[ids["gone"]].op == "removed" and by_id[ids["gone"]].old is not None
    changed = by_id[ids["edit"]]
    assert changed.op == "changed" and {"text", "tags", "agent"} <= set(changed.fields)
    assert "-Postgres 15" in changed.text_diff and "+Postgres 16" in changed.text_diff
    assert [s.scope for s in result.stats] == ["agent:planner", "shared", "user:alice"]
    assert [c.scope for c in result.changes] == sorted(c.scope for c in result.changes)


def test_defaults_are_git_like(repo: Repo) -> None:
    ids = _history(repo)
    assert {c.id for c in repo.diff().changes} == {ids["edit"], ids["gone"], ids["new"]}
    assert {c.id for c in repo.diff("before").changes} == {ids["edit"], ids["gone"], ids["new"]}
    assert [c.id for c in repo.diff(None, "HEAD~1").changes] == [ids["gone"]]
    root = repo.log()[-1].id
    assert repo.diff(None, root).changes == []  # the root commit holds no facts
    assert repo.diff("HEAD", "HEAD").changes == []


def test_scope_filter_and_stat(repo: Repo) -> None:
    ids = _history(repo)
    only = repo.diff("before", scope="user:alice")
    assert [c.id for c in only.changes] == [ids["new"]]
    stat = repo.diff("before", stat=True)
    assert all(c.old is None and c.new is None for c in stat.changes)
    assert {(s.scope, s.added, s.changed, s.removed) for s in stat.stats} == {
        ("agent:planner", 0, 1, 0), ("shared", 0, 0, 1), ("user:alice", 1, 0, 0),
    }  # fmt: skip


def test_cli_diff_text_stat_json_and_ranges(repo: Repo, cli: CliRunner) -> None:
    ids = _history(repo)
    code, out, _ = invoke(cli, "diff", "before..HEAD")
    assert code == 0 and f"~ {ids['edit']}" in out and "+Postgres 16" in out
    assert f"- {ids['gone']}" in out and f"+ {ids['new']}" in out and "== user:alice" in out
    code, out, _ = invoke(cli, "diff", "before", "--stat")
    assert code == 0 and "3 facts differ" in out
    code, out, _ = invoke(cli, "diff", "before", "HEAD", "--json")
    data = json.loads(out)
    assert code == 0 and len(data["changes"]) == 3 and len(data["stats"]) == 3
    repo.remember("one more", agent="a")
    code, out, _ = invoke(cli, "diff", "--stat")
    assert code == 0 and out.startswith("1 fact differs\n")


def test_bad_refs_are_one_line_errors(repo: Repo, cli: CliRunner) -> None:
    _history(repo)
    head = repo.resolve()
    for args, want in ((("nope",), 3), (("HEAD", "nope"), 3), (("x:y",), 2), (("a..b", "c"), 2),
                       (("HEAD", "--scope", "bogus"), 2)):  # fmt: skip
        code, out, err = invoke(cli, "diff", *args)
        assert code == want, (args, out, err)
        assert err.startswith("error: ") and err.count("\n") == 1
    assert repo.resolve() == head


@pytest.mark.parametrize(
    "text", ["one line", "two\nlines", "ends in a newline\n", "a\r\nb\x0bc\x1cd\u2028e\n\nf", "\n"]
)
def test_the_text_diff_of_an_added_or_removed_fact_is_difflibs(text: str) -> None:
    """An added or removed fact's diff is written without difflib's matching (a 100,000-fact
    import diffs every text against nothing), and reads exactly as difflib writes it."""
    def reference(before: str, after: str) -> str:
        lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                     "a/text", "b/text", lineterm="")  # fmt: skip
        return "\n".join(line.rstrip("\n") for line in lines)

    fact = Fact(id="x", text=text)
    assert text_diff(None, fact) == reference("", text)
    assert text_diff(fact, None) == reference(text, "")
