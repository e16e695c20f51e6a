"""Where a fact came from and what came from it: blame through commits and `derived_from`,
and the set of facts derived from one (for `forget --cascade`).

Blame follows the fact's path back through the commit graph the way `git blame` follows a
line: from a commit to a parent holding the same blob (nothing changed there), else to a parent
holding the path at all (the change happened here), until no parent holds it (introduced
here). Each step compares the two trees top-down and stops at the first shared subtree, so a
step costs a few tree reads whatever the size of the repository.

Derived facts are found by a reverse scan of one snapshot's facts (`derived_from` points from
a fact to its sources only): an O(n) read of the facts at that commit.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from dulwich.objects import Commit

from .errors import NotFound
from .fact import Fact, validate_id
from .history import CommitInfo, commit_info, newest_holding
from .snapshot import Snapshot
from .store import GitStore

MAX_BLAME_DEPTH = 100  # levels of derived_from a blame follows


@dataclass
class Blame:
    """A fact with the commit that introduced it, the one that last changed it, and the same for
    each fact it was derived from (recursively). `present` is False for a fact no longer at the
    blamed commit (blamed from the last commit that held it). `missing` names sources never
    found; `repeated` names sources already shown elsewhere in this tree (cycles end there)."""

    id: str
    scope: str
    text: str
    present: bool
    introduced: CommitInfo
    last_changed: CommitInfo
    sources: list[Blame] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    repeated: list[str] = field(default_factory=list)
    truncated: list[str] = field(default_factory=list)
    derived_from: list[str] = field(default_factory=list, repr=False)
    blob: str = field(default="", repr=False)  # the version shown (for read receipts)


@dataclass
class Derived:
    """A fact in a cascade: `via` is the fact it derives from that put it in the set."""

    id: str
    scope: str
    summary: str
    via: str | None = None


@dataclass
class Cascade:
    """What `forget --cascade` removes (or, with `dry_run`, would remove): the fact first."""

    root: str
    facts: list[Derived]
    commit: str | None = None
    dry_run: bool = False


def blame(
    store: GitStore, head: bytes, fact_id: str, scope: str | None = None,
    max_depth: int = MAX_BLAME_DEPTH,
) -> Blame:  # fmt: skip
    """Blame `fact_id` at commit `head`, and its `derived_from` sources, cycle-safe.

    Iterative (a 1,000-deep chain of sources needs no deep stack). Sources more than
    `max_depth` levels below the fact are named in `truncated`, not followed, so the result
    stays shallow enough to print and to serialise.
    """
    root = _blame_one(store, head, validate_id(fact_id), scope)
    seen = {root.id}
    # Depth-first, sources in order, as a recursive walk would visit them: a source met again
    # anywhere later is `repeated`.
    stack: list[tuple[Blame, list[str], int]] = [(root, list(root.derived_from), 0)]
    while stack:
        node, todo, depth = stack[-1]
        if not todo:
            stack.pop()
            continue
        source = todo.pop(0)
        if source in seen:
            node.repeated.append(source)
        elif depth + 1 > max_depth:
            node.truncated.append(source)
        else:
            seen.add(source)
            try:
                child = _blame_one(store, head, source, None)
            except NotFound:
                node.missing.append(source)
                continue
            node.sources.append(child)
            stack.append((child, list(child.derived_from), depth + 1))
    return root


def _blame_one(store: GitStore, head: bytes, fact_id: str, scope: str | None) -> Blame:
    start, path, present = _locate(store, head, fact_id, scope)
    last, first = _origin(store, start, path)
    blob = store.lookup(store.commit(start).tree, path)
    if blob is None:
        raise NotFound(f"fact {fact_id} vanished from {start.decode()[:12]}")
    fact = store.read_fact(blob, path)
    result = Blame(fact.id, fact.scope, fact.text, present,
                   commit_info(store, first), commit_info(store, last))  # fmt: skip
    result.derived_from = list(fact.derived_from)
    result.blob = blob.decode()
    return result


def _locate(
    store: GitStore, head: bytes, fact_id: str, scope: str | None
) -> tuple[bytes, bytes, bool]:
    """(commit, path, present at head): `head` if it holds the fact, else the newest commit that
    did."""
    commit, path = newest_holding(store, head, fact_id, scope)
    return commit, path, commit == head


def _origin(store: GitStore, start: bytes, path: bytes) -> tuple[bytes, bytes]:
    """(commit that last changed the blob at `path`, commit that introduced `path`)."""
    commit = store.commit(start)
    last: Commit | None = None
    while True:
        present: Commit | None = None
        same: Commit | None = None
        for parent_id in commit.parents:
            parent = store.commit(parent_id)
            equal, there = _compare(store, commit.tree, parent.tree, path)
            if equal:
                same = parent
                break
            if there and present is None:
                present = parent
        if same is not None:
            commit = same
            continue
        if last is None:
            last = commit
        if present is None:
            return last.id, commit.id
        commit = present


def _compare(store: GitStore, tree: bytes, other: bytes, path: bytes) -> tuple[bool, bool]:
    """(same object at `path` in both trees, `path` exists in `other`), reading the two trees
    top-down only until they share a subtree."""
    mine: bytes | None = tree
    theirs = other
    for part in path.split(b"/"):
        if mine == theirs:
            return True, True
        other_tree = store.tree(theirs)
        if part not in other_tree:
            return False, False
        theirs = other_tree[part][1]
        if mine is not None:
            my_tree = store.tree(mine)
            mine = my_tree[part][1] if part in my_tree else None
    return mine == theirs, True


def derived_from(snapshot: Snapshot, fact_id: str) -> list[Derived]:
    """`fact_id` and every fact derived from it, transitively (breadth first, root first).

    One pass over the snapshot's facts builds the reverse `derived_from` index: O(n) reads.
    """
    root = snapshot.get(fact_id)
    derived: dict[str, dict[str, Fact]] = {}  # source -> the facts naming it, by id
    for fact in snapshot.facts():
        for source in fact.derived_from:
            derived.setdefault(source, {}).setdefault(fact.id, fact)
    children = {source: set(facts) for source, facts in derived.items()}
    found = [Derived(root.id, root.scope, root.summary)]
    for child, via in descendants(children, root.id):
        fact = derived[via][child]
        found.append(Derived(fact.id, fact.scope, fact.summary, via=via))
    return found


def descendants(children: dict[str, set[str]], root: str) -> list[tuple[str, str]]:
    """(fact id, the fact it was reached from) of every fact derived from `root` transitively,
    breadth first, each once, children in id order; `children` maps a fact to those naming it
    in `derived_from`."""
    found: list[tuple[str, str]] = []
    seen = {root}
    queue = deque([root])
    while queue:
        current = queue.popleft()
        for child in sorted(children.get(current, ())):
            if child not in seen:
                seen.add(child)
                found.append((child, current))
                queue.append(child)
    return found
