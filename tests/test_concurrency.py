"""Real processes writing one branch at once: every write lands or fails with `Conflict`, nothing
is lost silently, and git still finds the repository sound.

The writers are forked processes released together by a barrier, each opening the repository
itself, as separate agents would.
"""

from __future__ import annotations

import multiprocessing as mp
from collections import Counter
from typing import Any

import pytest

from agentmem import Conflict, Repo
from conftest import fsck, git

pytestmark = pytest.mark.slow

PROCS = 4
EACH = 15
TIMEOUT = 120
ctx = mp.get_context("fork")


def _remember_many(root: str, agent: str, barrier: Any, out: Any) -> None:
    errors = []
    barrier.wait()
    for i in range(EACH):
        try:
            Repo.open(root).remember(f"{agent} saw event {i}", agent=agent)
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
    out.put((agent, errors))


def _update_at_once(root: str, fact_id: str, agent: str, barrier: Any, out: Any) -> None:
    """Both rivals read the same base, then commit together: exactly one can win."""
    text = f"value chosen by {agent}"
    try:
        with Repo.open(root).transaction(agent=agent) as tx:
            tx.update(fact_id, text=text)
            barrier.wait()
        out.put((agent, "ok", text, []))
    except Conflict as exc:
        out.put((agent, "Conflict", text, exc.fact_ids))
    except Exception as exc:
        out.put((agent, f"{type(exc).__name__}: {exc}", text, []))


def _run(target: Any, args_per_proc: list[tuple[Any, ...]]) -> list[Any]:
    barrier, out = ctx.Barrier(len(args_per_proc)), ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args, barrier, out)) for args in args_per_proc]
    for proc in procs:
        proc.start()
    results = [out.get(timeout=TIMEOUT) for _ in procs]
    for proc in procs:
        proc.join(TIMEOUT)
        assert proc.exitcode == 0
    return results


def test_concurrent_remembers_all_land(repo: Repo) -> None:
    base = repo.resolve()
    agents = [f"agent-{i}" for i in range(PROCS)]

    results = _run(_remember_many, [(str(repo.root), agent) for agent in agents])

    assert {agent: errors for agent, errors in results} == {agent: [] for agent in agents}
    texts = {f.text for f in repo.facts()}
    assert texts == {f"{agent} saw event {i}" for agent in agents for i in range(EACH)}
    assert int(git(repo, "rev-list", "--count", f"{base}..HEAD")) == PROCS * EACH
    newest = repo.log(n=PROCS * EACH)
    assert Counter(c.agent for c in newest) == {agent: EACH for agent in agents}
    fsck(repo)


def test_same_fact_updated_at_once_one_wins_one_conflicts(repo: Repo) -> None:
    fact_id = repo.remember("the contested value", agent="setup").id
    before = repo.resolve()

    results = _run(_update_at_once, [(str(repo.root), fact_id, f"rival-{i}") for i in range(2)])

    outcomes = sorted(outcome for _, outcome, _, _ in results)
    assert outcomes == ["Conflict", "ok"]
    winner = next(text for _, outcome, text, _ in results if outcome == "ok")
    loser_ids = next(ids for _, outcome, _, ids in results if outcome == "Conflict")
    assert loser_ids == [fact_id]
    assert repo.get(fact_id).text == winner
    assert int(git(repo, "rev-list", "--count", f"{before}..HEAD")) == 1
    assert len(repo.facts()) == 1
    fsck(repo)
