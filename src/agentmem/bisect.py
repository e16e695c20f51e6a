"""Binary search for the commit that introduced a bad fact.

The search runs over the first-parent chain from `good` (exclusive) to `bad` (inclusive), so a
merge counts as one step, as with ``git bisect --first-parent``. With n commits in the range it
needs at most ceil(log2(n)) verdicts (plus skips). The interactive form keeps its state in
``.agentmem/BISECT.json`` (never in git) between `good`/`bad`/`skip` commands; `run` drives it
with a command whose exit status is the verdict, like ``git bisect run``; `contains` is a
direct form whose verdict is "a fact matching this pattern exists".
"""

from __future__ import annotations

import math
import os
import re
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import AgentmemError, InvalidInput, NotFound
from .history import CommitInfo, commit_info
from .snapshot import Snapshot
from .statefile import read_state, write_state
from .store import GitStore

STATE_FILE = "BISECT.json"
VERDICTS = ("good", "bad", "skip")


@dataclass
class BisectStep:
    """Where a bisection stands.

    status: ``testing`` (test `candidate` next), ``found`` (`first_bad` is the answer) or
    ``ambiguous`` (skips left several commits, listed in `suspects`).
    """

    status: str
    evaluations: int
    commits: int
    candidate: str | None = None
    steps_left: int = 0
    first_bad: CommitInfo | None = None
    suspects: list[str] = field(default_factory=list)


def first_parent_chain(store: GitStore, good: bytes | None, bad: bytes) -> list[bytes]:
    """Commits after `good` up to `bad` along first parents, oldest first (`good` None: from
    the root commit)."""
    chain = []
    current = bad
    while current != good:
        chain.append(current)
        parents = store.commit(current).parents
        if not parents:
            if good is not None:
                raise InvalidInput("the good commit is not on the first-parent history of the bad one")
            break
        current = parents[0]
    if not chain:
        raise InvalidInput("good and bad are the same commit")
    chain.reverse()
    return chain


def _next(store: GitStore, state: dict[str, Any]) -> BisectStep:
    """The next candidate: the untested, unskipped commit nearest the middle of (lo, hi)."""
    chain, lo, hi = state["chain"], state["lo"], state["hi"]
    step = BisectStep("testing", state["evaluations"], len(chain))
    open_ = [i for i in range(lo + 1, hi) if chain[i] not in state["skipped"]]
    if not open_:
        suspects = chain[lo + 1 : hi + 1]
        if len(suspects) == 1:
            step.status = "found"
            step.first_bad = commit_info(store, chain[hi].encode(), with_changes=True)
        else:
            step.status, step.suspects = "ambiguous", suspects
        return step
    middle = (lo + hi) / 2
    index = min(open_, key=lambda i: (abs(i - middle), i))
    step.candidate = chain[index]
    step.steps_left = math.ceil(math.log2(hi - lo)) if hi - lo > 1 else 0
    return step


def _record(state: dict[str, Any], commit: str, verdict: str) -> None:
    if verdict not in VERDICTS:
        raise InvalidInput(f"verdict must be one of {', '.join(VERDICTS)}")
    chain = state["chain"]
    if commit not in chain:
        raise InvalidInput(f"{commit[:12]} is not in the range being bisected")
    index = chain.index(commit)
    if verdict == "skip":
        state["skipped"].append(commit)
    else:
        state["evaluations"] += 1
        if verdict == "good" and index > state["lo"]:
            state["lo"] = index
        elif verdict == "bad" and index < state["hi"]:
            state["hi"] = index
    if state["lo"] >= state["hi"]:
        raise InvalidInput(f"{commit[:12]} marked {verdict} contradicts earlier verdicts")


# -- the interactive form -----------------------------------------------------------------------


def start(store: GitStore, local_dir: Path, good: str, bad: str) -> BisectStep:
    if load(local_dir) is not None:
        raise InvalidInput("a bisection is in progress: 'agentmem bisect reset' first")
    chain = first_parent_chain(store, store.resolve(good), store.resolve(bad))
    state = {"chain": [c.decode() for c in chain], "lo": -1, "hi": len(chain) - 1,
             "skipped": [], "evaluations": 0}  # fmt: skip
    step = _next(store, state)
    state["candidate"] = step.candidate
    _save(local_dir, state)
    return step


def mark(store: GitStore, local_dir: Path, verdict: str, ref: str | None = None) -> BisectStep:
    """Record a verdict on `ref` (default: the current candidate) and pick the next one."""
    state = _require(local_dir)
    commit = store.resolve(ref).decode() if ref else state.get("candidate")
    if commit is None:
        raise InvalidInput("the bisection is finished: 'agentmem bisect reset'")
    _record(state, commit, verdict)
    step = _next(store, state)
    state["candidate"] = step.candidate
    _save(local_dir, state)
    return step


def status(store: GitStore, local_dir: Path) -> BisectStep:
    return _next(store, _require(local_dir))


def reset(local_dir: Path) -> bool:
    """Drop the bisection state; False if there was none."""
    try:
        (local_dir / STATE_FILE).unlink()
    except FileNotFoundError:
        return False
    return True


def run(store: GitStore, local_dir: Path, root: Path, argv: Sequence[str]) -> BisectStep:
    """Test candidates with `argv` until done: exit 0 good, 125 skip, 1-127 bad, else abort.
    The command sees the candidate in ``$AGENTMEM_REF`` and the repository in ``$AGENTMEM_REPO``."""
    if not argv:
        raise InvalidInput("bisect run needs a command")
    step = status(store, local_dir)
    while step.status == "testing":
        assert step.candidate is not None
        env = {**os.environ, "AGENTMEM_REF": step.candidate, "AGENTMEM_REPO": str(root)}
        try:
            code = subprocess.run(list(argv), env=env, check=False).returncode
        except OSError as exc:
            raise InvalidInput(f"cannot run {argv[0]!r}: {exc}") from None
        if code < 0 or code > 127:
            raise AgentmemError(
                f"bisect run aborted: {argv[0]} exited with {code} at {step.candidate[:12]}"
            )
        verdict = "good" if code == 0 else "skip" if code == 125 else "bad"
        step = mark(store, local_dir, verdict, step.candidate)
    return step


def load(local_dir: Path) -> dict[str, Any] | None:
    return read_state(local_dir / STATE_FILE, "run 'agentmem bisect reset'")


def _require(local_dir: Path) -> dict[str, Any]:
    state = load(local_dir)
    if state is None:
        raise NotFound("no bisection in progress: 'agentmem bisect start --bad REF --good REF'")
    return state


def _save(local_dir: Path, state: dict[str, Any]) -> None:
    write_state(local_dir / STATE_FILE, state)


# -- the direct form ------------------------------------------------------------------------


def matcher(pattern: str) -> Callable[[str], bool]:
    """A regular expression, or the literal text when `pattern` is not a valid one."""
    if not pattern:
        raise InvalidInput("--contains needs a non-empty pattern")
    try:
        compiled = re.compile(pattern)
    except re.error:
        compiled = re.compile(re.escape(pattern))
    return lambda text: compiled.search(text) is not None


def contains(
    store: GitStore, pattern: str, *, scope: str | None = None, good: str | None = None,
    bad: str | None = None,
) -> BisectStep:  # fmt: skip
    """The first commit on the first-parent chain (after `good`, default: the root's parent)
    up to `bad` (default HEAD) where a fact matching `pattern` exists.

    Evaluations: one to confirm `bad` matches, then at most ceil(log2(n)) over the n commits.
    """
    matches = matcher(pattern)
    bad_id = store.resolve(bad)
    chain = first_parent_chain(store, None if good is None else store.resolve(good), bad_id)
    state: dict[str, Any] = {"chain": [c.decode() for c in chain], "lo": -1,
                             "hi": len(chain) - 1, "skipped": [], "evaluations": 0}  # fmt: skip

    def holds(commit: str) -> bool:
        snapshot = Snapshot(store, commit.encode())
        return any(matches(f.text) for f in snapshot.facts(scope))

    state["evaluations"] += 1
    if not holds(state["chain"][-1]):
        raise NotFound(f"no fact matches {pattern!r} at {bad or 'HEAD'}")
    step = _next(store, state)
    while step.status == "testing":
        assert step.candidate is not None
        _record(state, step.candidate, "bad" if holds(step.candidate) else "good")
        step = _next(store, state)
    return step
