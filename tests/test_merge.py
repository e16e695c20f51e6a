"""Fact-level three-way merge, conflicts and their resolution, on real git repositories."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from agentmem import Conflict, InvalidInput, NotFound, Repo, merge_state
from conftest import fsck, git, invoke


def _fork(repo: Repo) -> tuple[str, str, str]:
    """Three facts on main, then a `feat` branch at the same commit."""
    ids = tuple(repo.remember(t, agent="base", id=f"f{n}").id for n, t in enumerate("abc"))
    repo.create_branch("feat")
    return ids  # type: ignore[return-value]


def _on(repo: Repo, branch: str) -> Repo:
    repo.switch(branch)
    return repo


def test_fast_forward_and_already_up_to_date(repo: Repo, cli: CliRunner) -> None:
    _fork(repo)
    _on(repo, "feat").remember("new on feat", agent="x")
    feat = repo.resolve()
    _on(repo, "main")
    code, out, _ = invoke(cli, "merge", "feat")
    assert code == 0 and out.startswith("Fast-forward")
    assert repo.resolve() == feat
    assert "Fast-forward" in repo.reflog(n=1)[0].message
    code, out, _ = invoke(cli, "merge", "feat")
    assert code == 0 and out.strip() == "Already up to date."
    assert repo.merge("HEAD~1").status == "up-to-date"


def test_clean_merge_has_two_parents_and_takes_one_sided_changes(repo: Repo) -> None:
    f0, f1, f2 = _fork(repo)
    _on(repo, "feat").update(f0, agent="feat", text="a from feat")
    repo.forget(f2, agent="feat")
    theirs = repo.resolve()
    _on(repo, "main").update(f1, agent="main", text="b from main")
    repo.remember("only on main", agent="main", id="m1")
    ours = repo.resolve()
    result = repo.merge("feat", agent="merger")
    assert result.status == "merged" and result.taken == [f0, f2]
    merged = repo.commit_info("HEAD")
    assert merged.parents == [ours, theirs] and merged.agent == "merger"
    texts = {f.id: f.text for f in repo.facts()}
    assert texts == {f0: "a from feat", f1: "b from main", "m1": "only on main"}
    graph = git(repo, "log", "--graph", "--oneline")
    assert "|\\" in graph and "merge feat into main" in graph
    fsck(repo)


def test_identical_change_on_both_sides_is_taken_once(repo: Repo) -> None:
    f0, _, f2 = _fork(repo)
    fact = repo.get(f0)
    for branch in ("feat", "main"):
        with _on(repo, branch).transaction(agent=branch) as tx:
            tx.put(fact.__class__(**{**fact.__dict__, "text": "same edit"}))
            tx.forget(f2)
    result = repo.merge("feat")
    assert result.status == "merged" and result.conflicts == []
    assert repo.get(f0).text == "same edit" and f2 not in {f.id for f in repo.facts()}


def _conflicted(repo: Repo) -> tuple[str, str, str]:
    f0, f1, f2 = _fork(repo)
    _on(repo, "feat").update(f0, agent="feat", text="a theirs")
    repo.update(f1, agent="feat", text="b theirs")
    repo.update(f2, agent="feat", text="c theirs")
    _on(repo, "main").update(f0, agent="main", text="a ours")
    repo.forget(f1, agent="main")
    return f0, f1, f2


def test_conflicts_stop_with_nothing_committed_then_resolve_and_continue(
    repo: Repo, cli: CliRunner
) -> None:
    f0, f1, f2 = _conflicted(repo)
    head = repo.resolve()
    code, out, err = invoke(cli, "merge", "feat")
    assert code == 4 and f0 in out and f1 in out and "unresolved" in err
    assert repo.resolve() == head and (repo.local_dir / "MERGE.json").exists()
    state = repo.merge_status()
    reasons = {c.id: c.reason for c in state.conflicts}
    assert reasons == {f0: "changed on both sides differently", f1: "forgotten here, changed there"}
    assert state.taken == [f2]
    code, _, _ = invoke(cli, "merge", "--continue")
    assert code == 4 and repo.resolve() == head
    code, out, _ = invoke(cli, "status")  # status says a merge waits, and how to end it
    assert code == 0 and "A merge is in progress (2 unresolved conflicts)" in out and "--abort" in out
    code, out, _ = invoke(cli, "resolve", f0[:6], "--take", "theirs")  # a start of the id will do
    assert (code, out) == (0, f"{f0}: theirs\n")
    assert json.loads(invoke(cli, "status", "--json")[1])["merge"] == {
        "kind": "merge", "conflicts": 2, "unresolved": 1}  # fmt: skip
    assert invoke(cli, "resolve", f1, "--take", "edit", "--text", "b merged by hand")[0] == 0
    code, out, _ = invoke(cli, "merge", "--json")
    assert code == 4 and {c["resolution"] for c in json.loads(out)["conflicts"]} == {"theirs", "edit"}
    code, out, _ = invoke(cli, "merge", "--continue")
    assert code == 0 and out.startswith("merge:")
    assert not merge_state.state_paths(repo.local_dir)
    assert "in progress" not in invoke(cli, "status")[1]
    assert json.loads(invoke(cli, "status", "--json")[1])["merge"] is None
    texts = {f.id: f.text for f in repo.facts()}
    assert texts == {f0: "a theirs", f1: "b merged by hand", f2: "c theirs"}
    assert len(repo.commit_info("HEAD").parents) == 2
    fsck(repo)


def test_resolve_ours_keeps_our_version_including_a_forget(repo: Repo) -> None:
    f0, f1, _ = _conflicted(repo)
    repo.merge("feat")
    repo.resolve_conflict(f0, "ours")
    repo.resolve_conflict(f1, "ours")
    repo.merge_continue()
    assert repo.get(f0).text == "a ours" and f1 not in {f.id for f in repo.facts()}


@pytest.mark.parametrize("strategy", ["ours", "theirs", "newest"])
def test_strategies_settle_every_conflict(repo: Repo, strategy: str) -> None:
    f0, f1, f2 = _conflicted(repo)
    result = repo.merge("feat", strategy=strategy)
    assert result.status == "merged" and not merge_state.state_paths(repo.local_dir)
    texts = {f.id: f.text for f in repo.facts()}
    assert texts[f2] == "c theirs"
    if strategy == "theirs":
        assert texts[f0] == "a theirs" and texts[f1] == "b theirs"
    elif strategy == "ours":
        assert texts[f0] == "a ours" and f1 not in texts
    else:  # main's edit of f0 is newer; the forget of f1 on main came after feat's edit too
        assert texts[f0] == "a ours"
    fsck(repo)


def test_abort_drops_the_state_and_changes_nothing(repo: Repo, cli: CliRunner) -> None:
    _conflicted(repo)
    head = repo.resolve()
    repo.merge("feat")  # as agent "agentmem", the Python API's default: its own merge
    code, out, err = invoke(cli, "merge", "--abort")  # as agent cli, which has none
    assert code == 3 and err == ("error: no merge or revert in progress for agent cli; another agent's "
                                 "is: agentmem merge --continue --agent agentmem\n")  # fmt: skip
    code, out, _ = invoke(cli, "merge", "--abort", "--agent", "agentmem")
    assert code == 0 and "aborted" in out
    assert repo.resolve() == head and not merge_state.state_paths(repo.local_dir)
    with pytest.raises(NotFound):
        repo.merge_status()


def test_other_writers_may_keep_writing_during_resolution(repo: Repo) -> None:
    f0, f1, f2 = _conflicted(repo)
    feat = repo.resolve("feat")
    repo.merge("feat")
    repo.resolve_conflict(f0, "ours")
    repo.resolve_conflict(f1, "theirs")
    meanwhile = repo.remember("someone else wrote meanwhile", agent="other").id
    moved = repo.resolve()
    result = repo.merge_continue()
    merge_commit = repo.store.commit(repo.store.resolve())
    assert result.status == "merged"
    assert [p.decode() for p in merge_commit.parents] == [moved, feat]
    assert repo.get(meanwhile).agent == "other" and repo.get(f2).text == "c theirs"
    assert (repo.get(f0).text, repo.get(f1).text) == ("a ours", "b theirs")
    fsck(repo)


def test_a_write_to_a_conflicted_fact_during_resolution_is_a_conflict(repo: Repo) -> None:
    f0, f1, _ = _conflicted(repo)
    repo.merge("feat")
    repo.resolve_conflict(f0, "theirs")  # the merge will write f0...
    repo.resolve_conflict(f1, "theirs")
    repo.update(f0, agent="other", text="a, edited meanwhile")  # ...which someone edits first
    head = repo.resolve()
    with pytest.raises(Conflict):
        repo.merge_continue()
    assert repo.resolve() == head and repo.merge_status().status == "conflicts"
    repo.merge_abort()


def test_bad_inputs_are_one_line_errors_and_change_nothing(repo: Repo, cli: CliRunner) -> None:
    f0, _, _ = _conflicted(repo)
    head = repo.resolve()
    cases = [
        (("merge", "nope"), 3), (("merge", "feat", "--strategy", "random"), 2),
        (("merge", "--continue"), 3), (("merge", "--abort"), 3), (("resolve", f0, "--take", "ours"), 3),
        (("merge", "feat", "--abort"), 2), (("merge", "x:y"), 2),
    ]  # fmt: skip
    for args, want in cases:
        code, _, err = invoke(cli, *args)
        assert code == want, (args, err)
        assert err.startswith("error: ") and err.count("\n") == 1
    assert repo.resolve() == head and not merge_state.state_paths(repo.local_dir)
    repo.merge("feat", agent="cli")  # the command line's agent: the commands below act on it
    state = (repo.local_dir / "MERGE.json").read_bytes()
    cases = [
        (("merge", "feat"), 4), (("resolve", f0, "--take", "mine"), 2),
        (("resolve", f0, "--take", "edit"), 2), (("resolve", f0, "--take", "ours", "--text", "x"), 2),
        (("resolve", "unknown-id", "--take", "ours"), 3), (("resolve", "BAD/ID", "--take", "ours"), 2),
        (("resolve", f0, "--take", "edit", "--text", " "), 2), (("switch", "feat"), 4),
        (("reset", "--hard", "HEAD~1"), 4),
    ]  # fmt: skip
    for args, want in cases:
        code, _, err = invoke(cli, *args)
        assert code == want, (args, err)
        assert err.startswith("error: ") and err.count("\n") == 1
    assert (repo.local_dir / "MERGE.json").read_bytes() == state and repo.resolve() == head
    with pytest.raises(InvalidInput):
        repo.resolve_conflict(f0, "edit", "\0")


def test_the_same_change_by_two_agents_is_taken_once(repo: Repo) -> None:
    f0, f1, _ = _fork(repo)
    _on(repo, "feat").update(f0, agent="researcher", text="a, corrected", run="r1")
    repo.update(f1, agent="researcher", text="b on feat")
    _on(repo, "main").update(f0, agent="planner", text="a, corrected", run="r2")
    result = repo.merge("feat", agent="m")
    assert result.status == "merged" and result.conflicts == []
    assert repo.get(f0).text == "a, corrected" and repo.get(f0).agent == "planner"  # ours kept
    assert repo.get(f1).text == "b on feat"
    _on(repo, "feat").update(f1, agent="researcher", text="b, feat again")
    _on(repo, "main").update(f1, agent="planner", text="b, main differs")
    assert repo.merge("feat", agent="m").status == "conflicts"  # a real disagreement still stops
    repo.merge_abort()
    fsck(repo)


def test_each_agent_has_its_own_merge_in_progress(repo: Repo, cli: CliRunner) -> None:
    """One agent's unfinished merge holds up no other agent's merge; what moves the checkout's
    branch for everyone waits for all of them; the calls that name no agent act on the one in
    progress and refuse to guess among several."""
    f0, _f1, f2 = _conflicted(repo)
    repo.create_branch("docs")
    _on(repo, "docs").remember("d on docs", agent="writer", id="d0")
    _on(repo, "main")
    code, _out, err = invoke(cli, "merge", "feat", "--agent", "planner")  # planner's, left open
    assert code == 4 and "then 'agentmem merge --continue --agent planner'" in err
    hint = "'agentmem merge --continue --agent planner' or --abort"
    assert hint in invoke(cli, "status", "--agent", "planner")[1]
    assert "in progress" not in invoke(cli, "status", "--agent", "coder")[1]
    planner = merge_state.state_path(repo.local_dir, "planner")
    assert planner == repo.local_dir / "merge" / "planner.json" and planner.is_file()
    code, _out, _ = invoke(cli, "merge", "docs", "--agent", "coder")  # not held up by planner's
    assert code == 0 and repo.get("d0").text == "d on docs"
    assert repo.merge_status().agent == "planner"  # the only one in progress
    assert repo.merge("feat", agent="coder").status == "conflicts"  # coder's own, beside it
    with pytest.raises(InvalidInput, match="merges are in progress by agents coder, planner"):
        repo.merge_status()
    code, _, err = invoke(cli, "switch", "docs")
    assert code == 4 and "(agent coder, planner;" in err
    assert repo.merge_abort(agent="coder").status == "aborted"
    repo.resolve_conflict(f0, "theirs")  # of the one in progress, as planner
    repo.resolve_conflict("f1", "ours")
    head = repo.resolve()
    code, _out, err = invoke(cli, "commit", "--agent", "planner")  # as `git commit` would end it
    assert code == 2 and err.count("\n") == 1, err
    assert "its merge in progress is committed by 'agentmem merge --continue --agent planner'" in err
    code, _out, err = invoke(cli, "commit", "--agent", "coder")  # no merge of coder's: stage first
    assert code == 2 and "use 'agentmem add --agent coder' first" in err and repo.resolve() == head
    code, _out, _ = invoke(cli, "merge", "--continue", "--agent", "planner")
    assert code == 0 and repo.log()[0].agent == "planner"
    assert repo.get(f0).text == "a theirs" and repo.get(f2).text == "c theirs"
    assert repo.get("d0").text == "d on docs"  # coder's merge meanwhile is kept
    assert not merge_state.state_paths(repo.local_dir)
    fsck(repo)


def test_a_damaged_merge_state_is_dropped_by_the_abort_its_error_names(repo: Repo, cli: CliRunner) -> None:
    _conflicted(repo)
    head = repo.resolve()
    assert invoke(cli, "merge", "feat", "--agent", "planner")[0] == 4
    saved = merge_state.state_path(repo.local_dir, "planner")
    saved.write_text("{bad")
    code, out, err = invoke(cli, "merge", "--agent", "planner")
    remedy = "run 'agentmem merge --abort --agent planner'"
    assert code == 1 and out == "" and err.count("\n") == 1 and err.rstrip().endswith(remedy), err
    for args in (("merge", "--continue"), ("resolve", "f0", "--take", "ours"), ("merge", "feat")):
        assert invoke(cli, *args, "--agent", "planner")[0] == 1 and saved.read_text() == "{bad"
    code, out, _ = invoke(cli, "merge", "--abort", "--agent", "planner")
    assert code == 0 and "could not be read" in out
    assert not merge_state.state_paths(repo.local_dir) and repo.resolve() == head
