"""Binary search for the commit that introduced a bad fact.

The search runs over the first-parent chain from `good` (exclusive) to `bad` (inclusive), so a
merge counts as one step, as with ``git bisect --first-parent``. With n commits in the range it
needs at most ceil(log2(n)) verdicts (plus skips). The interactive form keeps its state in
``.agentmem/BISECT.json`` (never in git) between `good`/`bad`/`skip` commands; `run` drives it
with a command whose exit status is the verdict, like ``git bisect run``; `contains` is a
direct form whose verdict is "a fact matching this pattern exists". Each agent has its own
interactive bisection (`state_path`): one agent's verdicts never move another's.
"""

from __future__ import annotations

import math
import os
import re
import stat
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import AgentmemError, InvalidInput, NotFound
from .fact import Fact
from .history import CommitInfo, commit_info
from .snapshot import Snapshot
from .statefile import agent_file, agent_flag, read_state, write_state
from .store import GitStore

STATE_FILE = "BISECT.json"
STATES_DIR = "bisect"
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


def start(store: GitStore, path: Path, good: str | None, bad: str) -> BisectStep:
    """Start bisecting between `good` (default: before the root commit, so every commit of the
    first-parent chain up to `bad` is a candidate) and `bad`."""
    if load(path) is not None:
        raise InvalidInput(f"a bisection is in progress: '{_command(path, 'reset')}' first")
    good_id = None if good is None else store.resolve(good)
    chain = first_parent_chain(store, good_id, store.resolve(bad))
    state = {"chain": [c.decode() for c in chain], "lo": -1, "hi": len(chain) - 1,
             "skipped": [], "evaluations": 0, "good": None if good_id is None else good_id.decode(),
             "ends_checked": False}  # fmt: skip
    step = _next(store, state)
    state["candidate"] = step.candidate
    _save(path, state)
    return step


def mark(store: GitStore, path: Path, verdict: str, ref: str | None = None) -> BisectStep:
    """Record a verdict on `ref` (default: the current candidate) and pick the next one."""
    state = _require(path)
    commit = store.resolve(ref).decode() if ref else state.get("candidate")
    if commit is None:
        raise InvalidInput(f"the bisection is finished: '{_command(path, 'reset')}'")
    _record(state, commit, verdict)
    step = _next(store, state)
    state["candidate"] = step.candidate
    _save(path, state)
    return step


def status(store: GitStore, path: Path) -> BisectStep:
    return _next(store, _require(path))


def reset(path: Path) -> bool:
    """Drop the bisection state; False if there was none."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def run(store: GitStore, path: Path, root: Path, argv: Sequence[str]) -> BisectStep:
    """Test candidates with `argv` until done: exit 0 good, 125 skip, 1-127 bad, else abort.
    The command sees the candidate in ``$AGENTMEM_REF`` and the repository in ``$AGENTMEM_REPO``."""
    if not argv:
        raise InvalidInput("bisect run needs a command")
    state = _require(path)

    def verdict_at(commit: str) -> str:
        env = {**os.environ, "AGENTMEM_REF": commit, "AGENTMEM_REPO": str(root)}
        try:
            code = subprocess.run(list(argv), env=env, check=False).returncode
        except OSError as exc:
            raise InvalidInput(f"cannot run {argv[0]!r}: {exc}") from None
        if code < 0 or code > 127:
            raise AgentmemError(f"bisect run aborted: {argv[0]} exited with {code} at {commit[:12]}")
        return "good" if code == 0 else "skip" if code == 125 else "bad"

    if not state.get("ends_checked", True):
        # Both ends first: a bad end that tests good (or a good end that tests bad) would
        # otherwise end in a confident, wrong answer.
        _check_ends(state, verdict_at)
        state["ends_checked"] = True
        _save(path, state)
    step = _next(store, state)
    while step.status == "testing":
        assert step.candidate is not None
        step = mark(store, path, verdict_at(step.candidate), step.candidate)
    return step


def _check_ends(state: dict[str, Any], verdict_at: Callable[[str], str]) -> None:
    """InvalidInput unless the bad end tests bad and the good end (when there is one) good."""
    bad = state["chain"][-1]
    state["evaluations"] += 1
    if verdict_at(bad) != "bad":
        raise InvalidInput(f"the bad end {bad[:12]} does not test bad: nothing to search for")
    good = state.get("good")
    if good is not None:
        state["evaluations"] += 1
        if verdict_at(good) != "good":
            raise InvalidInput(f"the good end {good[:12]} does not test good: start from an older --good")


def state_path(local_dir: Path, agent: str) -> Path:
    """Where `agent`'s interactive bisection is kept: `.agentmem/BISECT.json` for the
    command line's default agent, else `.agentmem/bisect/<agent>.json`."""
    return agent_file(local_dir, agent, STATE_FILE, STATES_DIR)


def state_paths(local_dir: Path) -> list[Path]:
    """Every agent's bisection state (a purge drops them all: their commit ids are rewritten)."""
    return [local_dir / STATE_FILE, *sorted((local_dir / STATES_DIR).glob("*.json"))]


def _command(path: Path, verb: str) -> str:
    """The command that acts on the bisection kept at `path` (naming its agent, if not the default)."""
    return f"agentmem bisect {verb}{agent_flag(path, STATES_DIR)}"


def load(path: Path) -> dict[str, Any] | None:
    return read_state(path, f"run '{_command(path, 'reset')}'")


def _require(path: Path) -> dict[str, Any]:
    state = load(path)
    if state is None:
        raise NotFound(f"no bisection in progress: '{_command(path, 'start --bad REF --good REF')}'")
    return state


def _save(path: Path, state: dict[str, Any]) -> None:
    write_state(path, state)


# -- the direct form ------------------------------------------------------------------------


def matcher(pattern: str) -> Callable[[str], bool]:
    """A regular expression, or the literal text when `pattern` is not a valid one."""
    if not isinstance(pattern, str) or not pattern:
        raise InvalidInput(f"--contains needs a non-empty pattern (text), not {repr(pattern)[:20]}")
    try:
        compiled = re.compile(pattern)
    except re.error:
        compiled = re.compile(re.escape(pattern))
    return lambda text: compiled.search(text) is not None


def contains(
    store: GitStore, pattern: str, *, scope: str | None = None, good: str | None = None,
    bad: str | None = None, visible: Callable[[Fact], bool] | None = None,
    readable: Callable[[str], bool] | None = None,
) -> BisectStep:  # fmt: skip
    """The first commit on the first-parent chain (after `good`, default: the root's parent)
    up to `bad` (default HEAD) where a fact matching `pattern` exists.

    Evaluations: one to confirm `bad` matches and one that `good` (when given) does not, then at
    most ceil(log2(n)) over the n commits. `visible`: the facts that count (a reader's); with
    `readable`, the scopes it may read (the others are not even read).
    """
    matches = matcher(pattern)
    bad_id = store.resolve(bad)
    chain = first_parent_chain(store, None if good is None else store.resolve(good), bad_id)
    state: dict[str, Any] = {"chain": [c.decode() for c in chain], "lo": -1,
                             "hi": len(chain) - 1, "skipped": [], "evaluations": 0}  # fmt: skip

    # Whether a folder holds a visible match depends only on its path and tree id: the commits
    # of a chain share most folders, so each is searched once (a 100,000-fact memory is read
    # once, not once per step).
    known: dict[tuple[bytes, bytes], bool] = {}

    def found(path: bytes, tree_id: bytes, depth: int) -> bool:
        key = (path, tree_id)
        answer = known.get(key)
        if answer is None:
            if depth < 2:  # a scope's folder or a first fan-out level: the folders below
                folders = sorted(e for e in store.tree(tree_id).iteritems() if stat.S_ISDIR(e.mode))
                answer = any(found(path + b"/" + e.path, e.sha, depth + 1) for e in folders)
            else:
                facts = (reader.read(p, b) for p, b in store.fact_files(path, tree_id, depth))
                answer = any(matches(f.text) and (visible is None or visible(f)) for f in facts)
            known[key] = answer
        return answer

    reader = Snapshot(store, bad_id)  # reads a fact file, checked against its path

    def holds(commit: str) -> bool:
        tree = store.commit(commit.encode()).tree
        folders = store.scope_trees(tree, scope)
        return any(found(prefix, tree_id, 0) for name, prefix, tree_id in folders
                   if readable is None or readable(name))  # fmt: skip

    state["evaluations"] += 1
    if not holds(state["chain"][-1]):
        raise NotFound(f"no fact matches {pattern!r} at {bad or 'HEAD'}")
    if good is not None:
        state["evaluations"] += 1
        if holds(store.resolve(good).decode()):
            raise InvalidInput(f"a fact matches {pattern!r} already at --good {good}: "
                               "nothing changed in between; give an older --good")  # fmt: skip
    step = _next(store, state)
    while step.status == "testing":
        assert step.candidate is not None
        _record(state, step.candidate, "bad" if holds(step.candidate) else "good")
        step = _next(store, state)
    return step
