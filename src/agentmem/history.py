"""Reads over commits: the log of a branch or of one fact, and what a commit changed."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from dulwich.diff_tree import TreeChange, tree_changes
from dulwich.objects import Commit

from .errors import NotFound
from .fact import Scope, validate_id
from .layout import FACTS_DIR, fact_path, parse_fact_path
from .object_errors import reading, walk_commits
from .signature import parse_trailers
from .snapshot import Snapshot
from .store import GitStore


@dataclass(frozen=True)
class FactChange:
    """One fact touched by a commit: ``add``, ``update`` or ``forget``."""

    op: str
    id: str
    scope: str
    old_blob: str | None = None
    new_blob: str | None = None
    path: str = ""  # the fact file's path in the tree


@dataclass
class CommitInfo:
    """A commit as agentmem reads it: git metadata plus the provenance trailers."""

    id: str
    parents: list[str]
    agent: str
    time: str
    message: str
    run: str | None = None
    trace: str | None = None
    changes: list[FactChange] = field(default_factory=list)

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0]


def commit_info(
    store: GitStore, commit_id: bytes, with_changes: bool = False, under: bytes = b""
) -> CommitInfo:
    """A commit's provenance; `with_changes`: and the facts it changed against its first parent
    (`under`: those below this folder only, `changes_between`)."""
    commit = store.commit(commit_id)
    trailers = parse_trailers(commit.message)
    text = commit.message.decode("utf-8", "replace")
    message = "\n".join(
        line for line in text.rstrip("\n").split("\n") if not line.startswith("Agentmem-")
    ).strip()
    author = commit.author.decode("utf-8", "replace").split(" <", 1)[0]
    when = datetime.fromtimestamp(commit.author_time, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    info = CommitInfo(
        id=commit.id.decode(), parents=[p.decode() for p in commit.parents],
        agent=trailers.get("agent", author), time=when, message=message,
        run=trailers.get("run"), trace=trailers.get("trace"),
    )  # fmt: skip
    if with_changes:
        parent_tree = store.commit(commit.parents[0]).tree if commit.parents else None
        info.changes = changes_between(store, parent_tree, commit.tree, under)
    return info


def compared_trees(store: GitStore, old_tree: bytes | None, new_tree: bytes | None) -> list[TreeChange]:
    """dulwich's changes between two trees (identical subtrees skipped); a missing, misplaced or
    damaged object on the way is a `CorruptObject` naming the two trees."""
    with reading(f"the trees {(old_tree or b'').decode()[:12]}..{(new_tree or b'').decode()[:12]}"):
        return list(tree_changes(store.objects, old_tree, new_tree))  # None: the empty tree


def changes_between(
    store: GitStore, old_tree: bytes | None, new_tree: bytes, under: bytes = b""
) -> list[FactChange]:
    """Facts added, updated and forgotten between two trees; identical subtrees are skipped.
    `under` (a scope's folder, a fact's fan-out folder): only the changes below it, from its
    trees alone (a scope's history need not read a bulk import's other scopes)."""
    old_root: bytes | None = old_tree
    new_root: bytes | None = new_tree
    if under:
        old_root = None if old_tree is None else store.lookup(old_tree, under)
        new_root = store.lookup(new_tree, under)
        if old_root == new_root:
            return []
    prefix = under + b"/" if under else b""
    found = []
    for change in compared_trees(store, old_root, new_root):
        old, new = change.old, change.new
        path = prefix + ((new.path if new and new.path else old.path if old else None) or b"")
        if not path.startswith(FACTS_DIR.encode() + b"/"):
            continue
        parsed = parse_fact_path(path)
        if parsed is None:
            continue
        old_sha = old.sha.decode() if old and old.sha else None
        new_sha = new.sha.decode() if new and new.sha else None
        op = "add" if old_sha is None else "forget" if new_sha is None else "update"
        found.append(FactChange(op, parsed[1], parsed[0], old_sha, new_sha, path.decode("utf-8", "replace")))
    return found


def walk(store: GitStore, head: bytes) -> Iterator[Commit]:
    """Commits reachable from `head`, newest first (by commit time, then discovery order)."""
    yield from walk_commits(store.git, [head])


def log(
    store: GitStore, head: bytes, *, limit: int | None = None, agent: str | None = None,
    fact_id: str | None = None, scope: str | None = None, follow: bool = False, changes: bool = True,
) -> list[CommitInfo]:  # fmt: skip
    """`commits`, at most `limit` of them."""
    found = commits(store, head, agent=agent, fact_id=fact_id, scope=scope, follow=follow, changes=changes)
    return list(itertools.islice(found, limit))


def commits(
    store: GitStore, head: bytes, *, agent: str | None = None, fact_id: str | None = None,
    scope: str | None = None, follow: bool = False, changes: bool = True,
) -> Iterator[CommitInfo]:  # fmt: skip
    """The history of a branch, or of one fact (the commits that added, changed or forgot it),
    or of one scope (the commits that changed any fact in it; an invalid scope is `InvalidInput`).

    With `follow`, a merge commit also counts when it changed the fact relative to its first
    parent: the fact's history then shows where each change entered the branch, not only the
    commit on the side branch that made it.

    A fact's or scope's history lists the changes each commit made to it (`changes`; False: none,
    which saves comparing the trees of every commit shown).
    """
    if fact_id is not None:
        path: bytes | None = _path_in_history(store, head, fact_id, scope)
    elif scope is not None:  # the commits that changed anything in this scope
        scope = str(Scope.parse(scope))
        path = f"{FACTS_DIR}/{Scope.parse(scope).path}".encode()
    else:
        path = None
    # the changes read are those below the scope's folder, or the fact's fan-out folder
    under = b"" if path is None else path if fact_id is None else path.rpartition(b"/")[0]
    for commit in walk(store, head):
        if path is not None and not _touches(store, commit, path, follow):
            continue
        info = commit_info(store, commit.id, with_changes=changes and path is not None, under=under)
        if agent is not None and info.agent != agent:
            continue
        if fact_id is not None:  # the fan-out folder read holds other facts too
            info.changes = [c for c in info.changes if c.id == fact_id]
        yield info


def _touches(store: GitStore, commit: Commit, path: bytes, follow: bool = False) -> bool:
    """Whether `commit` changed the object (a fact, or a scope's folder) at `path` relative to
    every parent (with `follow`: relative to its first parent)."""
    mine = store.lookup(commit.tree, path)
    if not commit.parents:
        return mine is not None
    parents = commit.parents[:1] if follow else commit.parents
    return all(store.lookup(store.commit(p).tree, path) != mine for p in parents)


def _path_in_history(store: GitStore, head: bytes, fact_id: str, scope: str | None) -> bytes:
    """The tree path of a fact: from its scope if given, else from the newest commit holding it."""
    validate_id(fact_id)
    if scope is not None:
        return fact_path(scope, fact_id)
    return newest_holding(store, head, fact_id)[1]


def newest_holding(
    store: GitStore, head: bytes, fact_id: str, scope: str | None = None
) -> tuple[bytes, bytes]:
    """(commit, tree path) of the newest commit reachable from `head` that holds the fact
    (`head` itself when it still does); `NotFound` if none ever did."""
    for commit in walk(store, head):
        found = Snapshot(store, commit.id).locate(fact_id, scope)
        if found is not None:
            return commit.id, found[0]
    raise NotFound(f"fact {fact_id} never existed in the history of {head.decode()[:12]}")
