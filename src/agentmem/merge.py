"""Fact-level three-way merge and revert, with a conflict workflow that survives between processes.

Both operations are the same computation over three trees: a base and two sides. Each side's
changes against the base come from `changes_between` (identical subtrees skipped), so the cost
is proportional to what changed. Per fact path:

* changed on one side only: that side's version is taken;
* changed identically on both sides (including forgotten on both): taken once;
* changed differently, or changed on one side and forgotten on the other: a conflict.

A merge of BRANCH uses the merge base, ours = the current branch, theirs = BRANCH. A revert of
commit C uses base = C, ours = the current branch, theirs = C's first parent: C's own changes are
undone, and a later change of the same fact is a conflict.

Conflicts are resolved by a strategy (`ours`, `theirs`, `newest`) or one by one: the state lives
in a file of the agent that began it (`merge_state`: ``.agentmem/MERGE.json`` or
``.agentmem/merge/<agent>.json``, never in git) until `continue_merge` commits or `abort_merge`
drops it. Nothing is written to the branch until every conflict is resolved.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dulwich.graph import find_merge_base
from dulwich.objects import Blob, Tree

from . import merge_state as _state
from .errors import Conflict, CorruptObject, InvalidInput, NotFound
from .fact import now_iso, validate_id
from .history import changes_between, compared_trees
from .layout import fact_path
from .locking import RefUpdate
from .object_errors import reading
from .signature import Signature
from .store import GitStore
from .validate import validate_incoming

STRATEGIES = ("ours", "theirs", "newest")
TAKES = ("ours", "theirs", "edit")
MAX_ATTEMPTS = 20


@dataclass
class MergeConflict:
    """A fact both sides changed differently. Versions are fact dicts, None where forgotten."""

    id: str
    scope: str
    reason: str
    base: dict[str, Any] | None = None
    ours: dict[str, Any] | None = None
    theirs: dict[str, Any] | None = None
    resolution: str | None = None
    blobs: list[str] = field(default_factory=list)  # blob ids of the versions shown (receipts)


@dataclass
class MergeResult:
    """Outcome of a merge, revert or `--continue`.

    status: ``up-to-date``, ``fast-forward``, ``merged`` (a new commit), ``conflicts`` (nothing
    committed; state saved), or ``nothing`` (a revert with no effect left).
    """

    kind: str
    status: str
    ours: str
    theirs: str
    base: str | None
    commit: str | None = None
    taken: list[str] = field(default_factory=list)
    conflicts: list[MergeConflict] = field(default_factory=list)
    agent: str | None = None  # with conflicts: the agent that began it, the only one to settle them


@dataclass
class _Plan:
    apply: dict[bytes, bytes | None]  # path -> blob id (None: remove) to set on ours
    clashes: list[tuple[bytes, bytes | None, bytes | None, bytes | None]]  # path, base, ours, theirs


def three_way(
    store: GitStore, base_tree: bytes | None, ours_tree: bytes, theirs_tree: bytes
) -> _Plan:
    """The fact-level three-way rule over the changed paths only."""
    ours = {
        fact_path(c.scope, c.id): c.new_blob for c in changes_between(store, base_tree, ours_tree)
    }
    plan = _Plan({}, [])
    for change in changes_between(store, base_tree, theirs_tree):
        path = fact_path(change.scope, change.id)
        theirs_blob = None if change.new_blob is None else change.new_blob.encode()
        if path not in ours:
            plan.apply[path] = theirs_blob
        elif ours[path] != change.new_blob and not _same_content(store, ours[path], change.new_blob):
            ours_blob = ours[path]
            old = None if change.old_blob is None else change.old_blob.encode()
            plan.clashes.append((path, old, None if ours_blob is None else ours_blob.encode(),
                                 theirs_blob))  # fmt: skip
    return plan


# -- starting a merge or revert -------------------------------------------------------------


def merge(
    store: GitStore, saved: Path, branch: bytes, other: str, sig: Signature,
    strategy: str | None = None,
) -> MergeResult:  # fmt: skip
    """Merge `other` (branch, tag or commit) into `branch`; conflicts are saved at `saved` (the
    acting agent's file, `merge_state.state_path`)."""
    _check_idle(saved, strategy)
    theirs = store.resolve(other)
    validated: set[tuple[bytes | None, bytes]] = set()
    for _attempt in range(MAX_ATTEMPTS):
        ours = _head(store, branch)
        with reading(f"the histories of {ours.decode()[:12]} and {theirs.decode()[:12]}"):
            bases = find_merge_base(store.git, [ours, theirs]) if ours != theirs else [ours]
        base = bases[0] if bases else None
        result = MergeResult("merge", "", ours.decode(), theirs.decode(), _dec(base))
        if base == theirs:
            result.status = "up-to-date"
            return result
        if (base, ours) not in validated:  # all that theirs brings in, before anything moves
            validate_incoming(store, base, theirs, ours_commit=None if base == ours else ours)
            validated.add((base, ours))
        if base == ours:
            if store.gate is not None:  # a fast-forward commits nothing new but moves the branch
                store.gate(store, branch, ours, _delta(store, ours, theirs), sig)
            moved = store.move_ref(branch, ours, theirs, f"merge {other}: Fast-forward")
            if moved is RefUpdate.DONE:
                result.status, result.commit = "fast-forward", theirs.decode()
                return result
            if moved is RefUpdate.LOCKED:
                raise Conflict(f"{store.git.controldir()}/{branch.decode()}.lock is held by a "
                               "process outside agentmem's writer lock; nothing merged, retry")  # fmt: skip
            continue
        base_tree = None if base is None else store.commit(base).tree
        plan = three_way(store, base_tree, store.commit(ours).tree, store.commit(theirs).tree)
        return _finish(store, saved, branch, plan, result, [ours, theirs], sig, strategy)
    raise Conflict("gave up: other writers kept moving the branch during the merge")


def revert(
    store: GitStore, saved: Path, branch: bytes, target: str, sig: Signature,
    strategy: str | None = None,
) -> MergeResult:  # fmt: skip
    """A new commit on `branch` undoing commit `target`'s changes fact by fact (a merge commit
    is reverted against its first parent)."""
    _check_idle(saved, strategy)
    undone = store.resolve(target)
    commit = store.commit(undone)
    parent_tree = store.commit(commit.parents[0]).tree if commit.parents else None
    ours = _head(store, branch)
    result = MergeResult("revert", "", ours.decode(), undone.decode(), undone.decode())
    theirs_tree = parent_tree if parent_tree is not None else _empty_tree(store)
    plan = three_way(store, commit.tree, store.commit(ours).tree, theirs_tree)
    return _finish(store, saved, branch, plan, result, [ours], sig, strategy)


def _finish(
    store: GitStore, saved: Path, branch: bytes, plan: _Plan, result: MergeResult,
    parents: list[bytes], sig: Signature, strategy: str | None,
) -> MergeResult:  # fmt: skip
    """Commit the plan (after a strategy settles any clashes) or save the conflict state."""
    result.taken = sorted({_id_of(p) for p in plan.apply})
    if plan.clashes and strategy is None:
        conflicts = [_conflict(store, clash) for clash in plan.clashes]
        state = {
            "kind": result.kind, "branch": branch.decode(), "head": result.ours,
            "theirs": result.theirs, "base": result.base, "parents": [p.decode() for p in parents],
            "message": sig.message, "agent": sig.agent, "run": sig.run, "trace": sig.trace,
            "apply": {p.decode(): _dec(b) for p, b in plan.apply.items()},
            "conflicts": [
                {"path": path.decode(), "id": c.id, "scope": c.scope, "reason": c.reason,
                 "base": _dec(b), "ours": _dec(o), "theirs": _dec(t)}
                for (path, b, o, t), c in zip(plan.clashes, conflicts, strict=True)
            ],
            "resolved": {},
        }  # fmt: skip
        _state.write(saved, state)
        result.status, result.conflicts, result.agent = "conflicts", conflicts, sig.agent
        return result
    changes = dict(plan.apply)
    ours_commit = store.commit(parents[0])
    for path, _base, ours_blob, theirs_blob in plan.clashes:
        if strategy == "theirs" or (
            strategy == "newest" and _newer(store, theirs_blob, ours_blob, parents, ours_commit)
        ):
            changes[path] = theirs_blob
    if not changes and result.kind == "revert":
        result.status = "nothing"
        return result
    commit = _commit(store, branch, parents, changes, sig)
    if commit is None:  # a revert whose changes the branch already undoes
        result.status = "nothing"
        return result
    result.status, result.commit = "merged", commit.decode()
    return result


# -- the conflict workflow ------------------------------------------------------------------


def pending(store: GitStore, saved: Path) -> MergeResult:
    """The merge or revert saved at `saved`, with its conflicts and their resolutions."""
    state = _state.require(saved)
    result = MergeResult(state["kind"], "conflicts", state["head"], state["theirs"], state["base"])
    result.agent = state["agent"]
    result.taken = sorted({_id_of(p.encode()) for p in state["apply"]})
    for item in state["conflicts"]:
        clash = (item["path"].encode(), *(_enc(item[k]) for k in ("base", "ours", "theirs")))
        conflict = _conflict(store, clash)
        conflict.resolution = state["resolved"].get(item["path"], {}).get("take")
        result.conflicts.append(conflict)
    return result


def resolve(
    store: GitStore, saved: Path, fact_id: str, take: str, text: str | None, agent: str
) -> MergeConflict:
    """Settle one conflict: keep ours, take theirs, or write an edited text."""
    if take not in TAKES:
        raise InvalidInput(f"--take must be one of {', '.join(TAKES)}")
    if (take == "edit") != (text is not None):
        raise InvalidInput("--text goes with --take edit, and only with it")
    validate_id(fact_id)
    state = _state.require(saved)
    items = [c for c in state["conflicts"] if c["id"] == fact_id]
    if not items:
        raise NotFound(f"no conflict on fact {fact_id}")
    item = items[0]
    resolution: dict[str, Any] = {"take": take}
    if take == "edit":
        source = item["ours"] or item["theirs"]
        fact = store.read_fact(source.encode())
        edited = replace(fact, text=text or "", agent=agent, updated_at=now_iso()).validated()
        resolution["data"] = edited.to_bytes().decode("utf-8")
    state["resolved"][item["path"]] = resolution
    _state.write(saved, state)
    clash = (item["path"].encode(), *(_enc(item[k]) for k in ("base", "ours", "theirs")))
    conflict = _conflict(store, clash)
    conflict.resolution = take
    return conflict


def continue_merge(store: GitStore, saved: Path) -> MergeResult:
    """Commit the merge or revert once every conflict is resolved; drop the state."""
    state = _state.require(saved)
    open_ids = [c["id"] for c in state["conflicts"] if c["path"] not in state["resolved"]]
    if open_ids:
        raise Conflict(f"unresolved conflicts: {', '.join(open_ids)}", fact_ids=open_ids)
    branch = state["branch"].encode()
    changes: dict[bytes, bytes | None] = {p.encode(): _enc(b) for p, b in state["apply"].items()}
    data: dict[bytes, bytes] = {}
    for item in state["conflicts"]:
        resolution = state["resolved"][item["path"]]
        path = item["path"].encode()
        if resolution["take"] == "theirs":
            changes[path] = _enc(item["theirs"])
        elif resolution["take"] == "edit":
            data[path] = resolution["data"].encode("utf-8")
    sig = Signature(state["agent"], state["message"], state["run"], state["trace"])
    parents = [p.encode() for p in state["parents"]]
    commit = _commit(store, branch, parents, changes, sig, data)
    saved.unlink()
    result = MergeResult(state["kind"], "merged" if commit else "nothing", state["head"],
                         state["theirs"], state["base"], commit.decode() if commit else None)  # fmt: skip
    result.taken = sorted({_id_of(p) for p in changes})
    return result


def abort_merge(saved: Path) -> MergeResult:
    """Drop the merge or revert in progress. Nothing was committed, so nothing else changes; a
    state file that cannot be read is dropped too (nothing could finish it)."""
    try:
        state = _state.require(saved)
    except CorruptObject:
        saved.unlink()
        return MergeResult("merge", "aborted", "", "", None)
    saved.unlink()
    return MergeResult(state["kind"], "aborted", state["head"], state["theirs"], state["base"])


# -- helpers --------------------------------------------------------------------------------


def _commit(
    store: GitStore, branch: bytes, parents: list[bytes], changes: dict[bytes, bytes | None],
    sig: Signature, data: dict[bytes, bytes] | None = None,
) -> bytes | None:  # fmt: skip
    """Apply only the changed paths to ours (`parents[0]`) and commit with all `parents`.

    Like any write, the branch moves by compare-and-swap: if other agents moved it meanwhile,
    the merge's changes are replayed on their head (which becomes the first parent), unless
    they changed one of the same facts: then `Conflict`, and a merge in progress stays saved.
    None only for a revert that changes nothing any more.
    """
    contents: dict[bytes, bytes | None] = {
        path: None if blob is None else _blob_bytes(store, blob) for path, blob in changes.items()
    }
    contents.update(data or {})
    return store.commit_changes(branch, parents[0], contents, sig, merged=parents[1:])


def _same_content(store: GitStore, ours: str | None, theirs: str | None) -> bool:
    """Both sides changed a fact to versions that say the same thing (`Fact.same_content`):
    changed identically, so taken once (ours is kept)."""
    if ours is None or theirs is None:
        return False
    return store.read_fact(ours.encode()).same_content(store.read_fact(theirs.encode()))


def _conflict(
    store: GitStore, clash: tuple[bytes, bytes | None, bytes | None, bytes | None]
) -> MergeConflict:
    _path, base, ours, theirs = clash
    versions = [None if b is None else store.read_fact(b) for b in (base, ours, theirs)]
    if ours is None:
        reason = "forgotten here, changed there"
    elif theirs is None:
        reason = "changed here, forgotten there"
    elif base is None:
        reason = "added on both sides differently"
    else:
        reason = "changed on both sides differently"
    known = next(v for v in versions if v is not None)
    base_d, ours_d, theirs_d = (None if v is None else v.to_dict() for v in versions)
    blobs = list(dict.fromkeys(b.decode() for b in (base, ours, theirs) if b is not None))
    return MergeConflict(known.id, known.scope, reason, base_d, ours_d, theirs_d, blobs=blobs)


def _newer(
    store: GitStore, theirs: bytes | None, ours: bytes | None, parents: list[bytes],
    ours_commit: Any,
) -> bool:  # fmt: skip
    """Whether theirs wins under `newest`: larger updated_at; a forgotten version counts with
    the time of its side's tip commit; ties keep ours."""

    def when(blob: bytes | None, tip: Any) -> str:
        if blob is not None:
            return store.read_fact(blob).updated_at
        return datetime.fromtimestamp(tip.commit_time, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")

    theirs_tip = store.commit(parents[-1])
    return when(theirs, theirs_tip) > when(ours, ours_commit)


def _check_idle(saved: Path, strategy: str | None) -> None:
    """One merge in progress per agent: this agent's must be finished first."""
    if strategy is not None and strategy not in STRATEGIES:
        raise InvalidInput(f"--strategy must be one of {', '.join(STRATEGIES)}")
    state = _state.read(saved)
    if state is not None:
        raise Conflict(
            f"a {state['kind']} is in progress: resolve its conflicts and run "
            f"'{_state.command(saved, '--continue')}', or '{_state.command(saved, '--abort')}'"
        )


def _head(store: GitStore, branch: bytes) -> bytes:
    head = store.ref_value(branch)
    if head is None:
        raise NotFound(f"branch {branch.decode()} does not exist")
    return head


def _empty_tree(store: GitStore) -> bytes:
    """The empty tree, stored so `tree_changes` can read it (reverting a root commit)."""
    tree = Tree()
    store.add_object(tree)
    return bytes(tree.id)


def _blob_bytes(store: GitStore, blob: bytes) -> bytes:
    obj = store.objects[blob]
    if not isinstance(obj, Blob):
        raise CorruptObject(f"{blob.decode()} is not a blob")
    return bytes(obj.as_raw_string())


def _id_of(path: bytes) -> str:
    return path.rsplit(b"/", 1)[-1].decode()[:-3]


def _dec(value: bytes | None) -> str | None:
    return None if value is None else value.decode()


def _enc(value: str | None) -> bytes | None:
    return None if value is None else value.encode()



def _delta(store: GitStore, old: bytes, new: bytes) -> dict[bytes, bytes | None]:
    """Every path that differs from commit `old` to `new`, with its new bytes (None: removed)."""
    delta: dict[bytes, bytes | None] = {}
    for change in compared_trees(store, store.commit(old).tree, store.commit(new).tree):
        if change.new is not None and change.new.path is not None and change.new.sha is not None:
            delta[change.new.path] = _blob_bytes(store, change.new.sha)
        elif change.old is not None and change.old.path is not None:
            delta[change.old.path] = None
    return delta
