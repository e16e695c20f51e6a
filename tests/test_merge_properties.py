"""Property tests: random histories on two branches.

* the merge equals the fact-level three-way rule computed here from the three snapshots;
* reverting a commit, then reverting the revert, gives back the very same tree;
* `git fsck --full` is clean after each example.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentmem import Repo
from conftest import fsck

IDS = ["f0", "f1", "f2", "f3"]
# (fact index, op, text): op 0 add-or-update, 1 forget (ignored when absent)
OPS = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 1), st.sampled_from("xyz")),
               max_size=5)  # fmt: skip
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip


def _apply(repo: Repo, ops: list[tuple[int, int, str]], agent: str) -> None:
    for index, op, text in ops:
        fact_id = IDS[index]
        present = fact_id in {f.id for f in repo.facts()}
        if op == 1 and present:
            repo.forget(fact_id, agent=agent)
        elif op == 0 and present:
            repo.update(fact_id, agent=agent, text=f"{text} by {agent}")
        elif op == 0:
            repo.remember(f"{text} by {agent}", agent=agent, id=fact_id)


def _state(repo: Repo, ref: str) -> dict[str, bytes]:
    return {f.id: f.to_bytes() for f in repo.facts(at=ref)}


def _build(root: Path, base: list[tuple[int, int, str]], ours: list[tuple[int, int, str]],
           theirs: list[tuple[int, int, str]]) -> Repo:  # fmt: skip
    repo = Repo.init(root)
    _apply(repo, base, "base")
    repo.create_branch("theirs")
    repo.tag("base")
    repo.switch("theirs")
    _apply(repo, theirs, "theirs")
    repo.switch("main")
    _apply(repo, ours, "ours")
    return repo


@SETTINGS
@given(base=OPS, ours=OPS, theirs=OPS, strategy=st.sampled_from([None, "ours", "theirs"]))
def test_merge_follows_the_three_way_rule(
    base: list[tuple[int, int, str]], ours: list[tuple[int, int, str]],
    theirs: list[tuple[int, int, str]], strategy: str | None,
) -> None:  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        repo = _build(Path(tmp) / "mem", base, ours, theirs)
        b, o, t = _state(repo, "base"), _state(repo, "main"), _state(repo, "theirs")
        expected: dict[str, bytes] = {}
        conflicts = set()
        for fact_id in IDS:
            vb, vo, vt = b.get(fact_id), o.get(fact_id), t.get(fact_id)
            if vo == vb:
                value = vt
            elif vt == vb or vo == vt:
                value = vo
            else:
                conflicts.add(fact_id)
                value = vt if strategy == "theirs" else vo
            if value is not None:
                expected[fact_id] = value
        head = repo.resolve()
        result = repo.merge("theirs", strategy=strategy)
        if conflicts and strategy is None:
            assert result.status == "conflicts"
            assert {c.id for c in result.conflicts} == conflicts
            assert repo.resolve() == head
            repo.merge_abort()
        else:
            assert result.status in ("merged", "fast-forward", "up-to-date")
            assert _state(repo, "HEAD") == expected
            if result.status == "merged":
                assert repo.commit_info("HEAD").parents == [head, repo.resolve("theirs")]
        fsck(repo)


@SETTINGS
@given(base=OPS, later=OPS, pick=st.integers(0, 20))
def test_revert_of_revert_restores_the_tree(
    base: list[tuple[int, int, str]], later: list[tuple[int, int, str]], pick: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        repo = Repo.init(Path(tmp) / "mem")
        _apply(repo, base, "a")
        _apply(repo, later, "b")
        commits = [c.id for c in repo.log()]
        target = commits[pick % len(commits)]
        before = repo.snapshot().tree_id
        first = repo.revert(target, strategy="theirs")
        if first.status == "nothing":
            assert repo.snapshot().tree_id == before
        else:
            assert first.status == "merged"
            undone = {c.id for c in repo.diff(None, target).changes}
            assert {c.id for c in repo.diff(None, "HEAD").changes} <= undone
            second = repo.revert("HEAD")
            assert second.status == "merged", second
            assert repo.snapshot().tree_id == before
        fsck(repo)
