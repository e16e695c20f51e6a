"""No write is ever lost: two transactions started from the same commit, committed one after the
other, either both land (the second replayed on the first) or the second is a `Conflict` that
writes nothing, and that happens exactly when they touched a fact in common."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from agentmem import Conflict, Repo
from conftest import fsck

IDS = [f"f{i}" for i in range(6)]
# One operation on a fact: ("update", text) or ("forget", None); ids f0..f2 exist at the start.
ops = st.dictionaries(
    st.sampled_from(IDS),
    st.one_of(st.tuples(st.just("put"), st.sampled_from(["x", "y", "z"])), st.just(("forget", None))),
    max_size=4,
)


def _apply(tx: object, plan: dict[str, tuple[str, str | None]], existing: set[str]) -> None:
    for fact_id, (op, text) in plan.items():
        if op == "forget":
            if fact_id in existing:
                tx.forget(fact_id)  # type: ignore[attr-defined]
        elif fact_id in existing:
            tx.update(fact_id, text=f"{fact_id} {text}")  # type: ignore[attr-defined]
        else:
            tx.remember(f"{fact_id} {text}", id=fact_id)  # type: ignore[attr-defined]


def _effective(plan: dict[str, tuple[str, str | None]], existing: set[str]) -> set[str]:
    return {i for i, (op, _) in plan.items() if op == "put" or i in existing}


@settings(max_examples=40, deadline=None)
@given(first=ops, second=ops)
def test_concurrent_transactions_merge_or_conflict(
    tmp_path_factory: object, first: dict[str, tuple[str, str | None]],
    second: dict[str, tuple[str, str | None]],
) -> None:  # fmt: skip
    root: Path = tmp_path_factory.mktemp("mem")  # type: ignore[attr-defined]
    repo = Repo.init(root)
    with repo.transaction(agent="setup") as tx:
        for fact_id in IDS[:3]:
            tx.remember(f"{fact_id} start", id=fact_id)
    existing = {f.id for f in repo.facts()}
    a, b = repo.transaction(agent="a"), repo.transaction(agent="b")  # same base commit
    _apply(a, first, existing)
    _apply(b, second, existing)
    a.commit()
    after_a = {f.id: f.text for f in repo.facts()}
    head = repo.resolve()
    overlap = _effective(first, existing) & _effective(second, existing)
    # Two writers that say the same thing about a fact agree (who and when aside): no conflict.
    real = {i for i in overlap if first[i] != second[i]}
    try:
        b.commit()
    except Conflict as exc:
        assert real, "a conflict without a common fact"
        assert set(exc.fact_ids) <= real
        assert repo.resolve() == head and {f.id: f.text for f in repo.facts()} == after_a
        return
    assert not real, "a common fact was written twice: one write lost"
    final = {f.id: f.text for f in repo.facts()}
    for plan in (first, second):
        for fact_id, (op, text) in plan.items():
            if op == "put":
                assert final[fact_id] == f"{fact_id} {text}"
            elif fact_id in existing:
                assert fact_id not in final
    untouched = existing - set(first) - set(second)
    assert all(final[i] == after_a[i] for i in untouched)
    fsck(repo)
