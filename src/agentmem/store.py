"""Git plumbing for memory repositories: reading facts and trees, tree edits, commits, refs.

Where a fact lives in a tree is layout.py; who wrote a commit and why (author and trailers) is
signature.py; how a bulk write's new objects become one pack file is pack_buffer.py.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import random
import stat
import time
import weakref
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, cast

from dulwich.errors import NotGitRepository
from dulwich.file import FileLocked
from dulwich.object_store import commit_tree_changes
from dulwich.objects import Blob, Commit, ShaFile, Tree
from dulwich.refs import check_ref_format
from dulwich.repo import Repo as GitRepo

from . import revspec
from .errors import Conflict, CorruptObject, NotARepository, NotFound
from .fact import SCOPE_KINDS, Fact, Scope
from .layout import FACTS_DIR, is_scope_name, parse_fact_path
from .locking import CAS_TIMEOUT, RefUpdate, WriterLock, clear_stale_lock, update_ref
from .object_size import object_size
from .pack_buffer import PendingObjects
from .signature import Signature

BLOB_MODE = stat.S_IFREG | 0o644
TREE_CACHE_SIZE = 4096
MAX_FACT_BYTES = 1024 * 1024  # a fact file over this is refused unread (fact.py caps its parts)


def _where(path: bytes | None, sha: bytes) -> str:
    """How errors name an object: its path in the tree (if known) and its id."""
    name = sha.decode("ascii", "replace")
    if path is None:
        return f"object {name}"
    return f"{path.decode('utf-8', 'backslashreplace')!r} (object {name})"


Gate = Callable[["GitStore", bytes, bytes, Mapping[bytes, bytes | None], "Signature"], None]


class GitStore:
    """A dulwich repository seen as a store of facts."""

    def __init__(self, git_dir: str) -> None:
        try:
            self.git = GitRepo(git_dir)
        except (NotGitRepository, OSError) as exc:
            raise NotARepository(f"not a git repository: {git_dir} ({exc})") from None
        self.objects = self.git.object_store
        self._trees: dict[bytes, Tree] = {}
        # Called with (store, branch, head, changes, signature) before every commit moves a
        # branch; the repository installs the governance gate here (governance/gate.py).
        self.gate: Gate | None = None
        self._writer_lock = WriterLock(self.git.controldir())
        # Close pack files when the store goes away or, at the latest, at exit: left to dulwich's
        # __del__ during interpreter shutdown, they print "Exception ignored" noise.
        weakref.finalize(self, self.git.close)

    @classmethod
    def init(cls, git_dir: str, branch: str) -> GitStore:
        GitRepo.init_bare(git_dir, mkdir=True, default_branch=branch.encode())
        return cls(git_dir)

    # -- refs -------------------------------------------------------------------------------

    def resolve(self, ref: str | None = None, head: bytes | None = None) -> bytes:
        """Commit id of a branch, tag, commit id or unique prefix of 4+ hex digits, reflog label
        (``@{1}``, ``main@{2}``), with ``~N``/``^N`` suffixes; default HEAD. `head`: the value
        to take the current branch (and HEAD) to hold. See `revspec`."""
        return revspec.resolve(self, ref, head)

    def current_branch(self) -> bytes:
        """Full name of the branch HEAD points at (``refs/heads/main``)."""
        target = self.git.refs.get_symrefs().get(b"HEAD")
        if target is None:
            raise CorruptObject("HEAD is not a branch; run 'agentmem switch BRANCH'")
        return cast(bytes, target)

    def ref_value(self, name: bytes) -> bytes | None:
        try:
            return cast(bytes, self.git.refs[name])
        except (KeyError, OSError, ValueError):
            return None

    def set_ref(self, name: bytes, old: bytes | None, new: bytes, message: str) -> bool:
        """Compare-and-swap: move `name` from `old` (None: any value) to `new`. False if someone
        moved it first or holds its lock right now; the caller re-reads the ref and retries."""
        return self.move_ref(name, old, new, message) is RefUpdate.DONE

    def move_ref(
        self, name: bytes, old: bytes | None, new: bytes, message: str, *, create: bool = False
    ) -> RefUpdate:
        """`set_ref` that says why it failed; `create`: only if `name` does not exist yet. Takes
        the writer lock, under which a stale ref lock is cleared (see `locking`)."""
        if name != b"HEAD" and not check_ref_format(name):
            raise ValueError(f"bad ref name {name!r}")
        with self._writer_lock() as held:
            packed = self.git.refs.get_packed_refs()
            return update_ref(self.git.controldir(), name, old, new, message, packed=packed,
                              held=held, create=create)  # fmt: skip

    @contextlib.contextmanager
    def ref_transaction(self, *lock_names: str) -> Iterator[bool]:
        """Hold the writer lock for a dulwich ref call (delete, symbolic HEAD) after clearing
        the stale locks it would trip on (`lock_names`, relative to the git folder)."""
        with self._writer_lock() as held:
            for lock in lock_names:
                clear_stale_lock(os.path.join(self.git.controldir(), lock), held)
            try:
                yield held
            except FileLocked as exc:
                raise Conflict(f"{os.fsdecode(exc.lockfilename)} is held by a process outside "
                               "agentmem's writer lock; retry") from None  # fmt: skip

    def writing(self) -> contextlib.AbstractContextManager[bool]:
        """The writer lock (re-entrant): hold it to read a ref and move it with nobody between."""
        return self._writer_lock()

    # -- objects ----------------------------------------------------------------------------

    def commit(self, commit_id: bytes) -> Commit:
        try:
            obj = self.objects[commit_id]
        except KeyError:
            raise NotFound(f"no commit {commit_id.decode()}") from None
        except Exception as exc:
            raise CorruptObject(f"corrupt object {commit_id.decode()}: {exc}") from None
        if not isinstance(obj, Commit):
            raise NotFound(f"{commit_id.decode()} is not a commit")
        return obj

    def tree(self, tree_id: bytes) -> Tree:
        """A tree object, from a small cache: trees are immutable and the few near the root are
        read on every lookup. Callers must not modify the tree they get."""
        tree = self._trees.get(tree_id)
        if tree is not None:
            return tree
        try:
            obj = self.objects[tree_id]
        except Exception as exc:
            raise CorruptObject(f"cannot read tree {tree_id.decode()}: {exc}") from None
        if not isinstance(obj, Tree):
            raise CorruptObject(f"{tree_id.decode()} is not a tree")
        if len(self._trees) >= TREE_CACHE_SIZE:
            self._trees.pop(next(iter(self._trees)))
        self._trees[tree_id] = obj
        return obj

    def tree_entries(self, tree_id: bytes) -> dict[bytes, tuple[int, bytes]]:
        """A tree's entries by name, unsorted: name -> (mode, id). Comparing two trees needs no
        order, and `Tree.iteritems` sorts each tree into git's (a quarter of a long trace's
        time went there); dulwich holds the entries in this form. Do not modify the result."""
        tree = self.tree(tree_id)
        held = getattr(tree, "_entries", None)
        return held if isinstance(held, dict) else {e.path: (e.mode, e.sha) for e in tree.iteritems()}

    def read_fact(self, blob_id: bytes, path: bytes | None = None) -> Fact:
        """Parse the fact file `blob_id` (at `path`, named in errors). Its size is read from the
        object header first: a blob over `MAX_FACT_BYTES` is refused without being inflated."""
        where = _where(path, blob_id)
        try:
            header = object_size(self.objects, blob_id)
        except (ValueError, IndexError, OSError, zlib.error) as exc:
            raise CorruptObject(f"{where}: unreadable object ({exc})") from None
        if header is None:
            raise CorruptObject(f"{where}: object missing from the repository")
        kind, size = header
        if kind != "blob":
            raise CorruptObject(f"{where}: a {kind} where a fact file belongs")
        if size > MAX_FACT_BYTES:
            raise CorruptObject(f"{where}: fact file of {size} bytes (limit {MAX_FACT_BYTES})")
        try:
            obj = self.objects[blob_id]
        except Exception as exc:
            raise CorruptObject(f"{where}: cannot read ({exc})") from None
        try:
            return Fact.from_bytes(obj.as_raw_string())
        except CorruptObject as exc:
            raise CorruptObject(f"{where}: {exc}") from None

    def lookup(self, tree_id: bytes, path: bytes) -> bytes | None:
        """Object id at `path` under `tree_id`, or None. Reads only the trees on the path."""
        sha = tree_id
        parts = path.split(b"/")
        for depth, part in enumerate(parts):
            tree = self._tree_at(sha, b"/".join(parts[:depth]))
            if part not in tree:
                return None
            sha = tree[part][1]
        return sha

    def _tree_at(self, tree_id: bytes, path: bytes) -> Tree:
        """`tree(tree_id)`, with the tree's path named if it is missing or not a tree."""
        try:
            return self.tree(tree_id)
        except CorruptObject:
            raise CorruptObject(f"{_where(path or b'/', tree_id)}: not a readable tree") from None

    def scopes(self, tree_id: bytes) -> list[str]:
        """Every scope that holds at least one fact in this tree. Folders that cannot be a scope
        (``facts/user/ALICE``, a file named like a scope) are not scopes and are skipped: readers
        of real scopes never trip on them (a merge refuses them; see validate.py)."""
        facts_tree = self.lookup(tree_id, FACTS_DIR.encode())
        if facts_tree is None:
            return []
        found = []
        for entry in self._tree_at(facts_tree, FACTS_DIR.encode()).iteritems():
            kind = entry.path.decode("utf-8", "replace")
            if not stat.S_ISDIR(entry.mode):
                continue
            if kind == "shared":
                found.append("shared")
            elif kind in SCOPE_KINDS:
                names = self._tree_at(entry.sha, f"{FACTS_DIR}/{kind}".encode()).iteritems()
                found.extend(
                    f"{kind}:{n.path.decode()}" for n in names
                    if stat.S_ISDIR(n.mode) and is_scope_name(n.path)
                )  # fmt: skip
        return sorted(found)

    def entries(self, tree_id: bytes, scope: str | None = None) -> Iterator[tuple[bytes, bytes]]:
        """(path, blob id) of every fact file, in one scope or all, in path order. Only the
        documented layout is walked (scope folders, two fan-out levels, ``<id>.md``); a missing
        or misplaced object on it is a `CorruptObject` naming its path."""
        for _scope, prefix, start in self.scope_trees(tree_id, scope):
            yield from self.fact_files(prefix, start)

    def scope_trees(self, tree_id: bytes, scope: str | None = None) -> Iterator[tuple[str, bytes, bytes]]:
        """(scope, folder, tree id) of one scope's folder (``shared``, ``facts/shared``), or of
        every scope's, in path order; a scope the tree does not hold is left out."""
        scopes = [Scope.parse(scope)] if scope is not None else [Scope.parse(s) for s in self.scopes(tree_id)]
        for one in sorted(scopes, key=lambda s: s.path):
            prefix = f"{FACTS_DIR}/{one.path}".encode()
            start = self.lookup(tree_id, prefix)
            if start is not None:
                yield str(one), prefix, start

    def fact_files(self, path: bytes, tree_id: bytes, depth: int = 0) -> Iterator[tuple[bytes, bytes]]:
        """(path, blob id) of the fact files under the folder `path` (tree `tree_id`), which is
        a scope's folder (depth 0) or one of its fan-out folders (1, 2), in path order."""
        stack = [(path, tree_id, depth)]
        while stack:
            path, sha, depth = stack.pop()
            items = sorted(self._tree_at(sha, path).iteritems(), reverse=depth < 2)  # a stack pops last first
            for entry in items:
                child = path + b"/" + entry.path
                if depth < 2 and stat.S_ISDIR(entry.mode):
                    stack.append((child, entry.sha, depth + 1))
                elif depth == 2 and entry.path.endswith(b".md"):
                    if entry.mode != BLOB_MODE:
                        raise CorruptObject(
                            f"{_where(child, entry.sha)}: mode {entry.mode:o} is not a regular file"
                        )
                    yield child, entry.sha

    # -- writing ----------------------------------------------------------------------------

    def write_tree(self, base_tree: bytes | None, changes: Mapping[bytes, bytes | None]) -> bytes:
        """A new root tree: `base_tree` (None: empty) with each path set to a blob's bytes, or
        removed (None)."""
        pending = PendingObjects(self.objects)
        edits: list[tuple[bytes, int | None, bytes | None]] = []
        for path, data in changes.items():
            if data is None:
                edits.append((path, None, None))
            else:
                blob = Blob.from_string(data)
                pending.add_object(blob)
                edits.append((path, BLOB_MODE, blob.id))
        base = Tree() if base_tree is None else base_tree
        tree_id = cast(bytes, commit_tree_changes(cast(Any, pending), base, edits))
        with self._writer_lock():
            pending.flush(self.add_object)
        return tree_id

    def make_commit(self, tree_id: bytes, parents: list[bytes], sig: Signature) -> bytes:
        commit = Commit()
        commit.tree = tree_id
        commit.parents = parents
        commit.author = commit.committer = f"{sig.agent} <{sig.agent}@agentmem>".encode()
        commit.author_time = commit.commit_time = int(time.time())
        commit.author_timezone = commit.commit_timezone = 0
        commit.encoding = b"UTF-8"
        commit.message = sig.commit_message()
        self.add_object(commit)
        return cast(bytes, commit.id)

    def add_object(self, obj: ShaFile) -> None:
        """Store one loose object. Under the writer lock, a ``.lock`` that a killed writer left
        on the object's file is cleared (dulwich would raise FileLocked on every retry)."""
        with self._writer_lock() as held:
            try:
                self.objects.add_object(obj)
            except FileLocked as exc:
                if not clear_stale_lock(os.fsdecode(exc.lockfilename), held):
                    raise Conflict(f"object {obj.id.decode()} is being written by another "
                                   f"process ({os.fsdecode(exc.lockfilename)})") from None  # fmt: skip
                self.objects.add_object(obj)

    def commit_changes(
        self,
        branch: bytes,
        base: bytes,
        changes: Mapping[bytes, bytes | None],
        sig: Signature,
        dedupe: Iterable[bytes] = (),
        *,
        merged: Iterable[bytes] = (),
    ) -> bytes | None:
        """Commit `changes` (made against commit `base`) onto `branch` without losing anyone's work.

        The branch moves by compare-and-swap. When another writer moved it first, the changes are
        replayed on the new head if none of their paths changed there since `base`; a path that
        did is a `Conflict`. Paths in `dedupe` (content-addressed `remember` writes) that another
        writer filled with the same text are dropped instead. `merged` commits become extra
        parents (a merge commit, made even when the tree does not change). Returns the new commit
        id, or None when nothing was left to commit.
        """
        with self._writer_lock():
            return self._commit_changes(branch, base, dict(changes), sig, set(dedupe), list(merged))

    def _commit_changes(
        self, branch: bytes, base: bytes, pending: dict[bytes, bytes | None], sig: Signature,
        dedupe: set[bytes], merged: list[bytes],
    ) -> bytes | None:  # fmt: skip
        base_tree = self.commit(base).tree
        head = self.ref_value(branch) or base  # others may have moved it since `base` was read
        deadline = time.monotonic() + CAS_TIMEOUT
        for attempt in itertools.count():
            head_tree = self.commit(head).tree
            if head != base:
                pending = self._rebase(base_tree, head_tree, pending, dedupe)
            if not pending and not merged:
                return None
            if self.gate is not None:
                self.gate(self, branch, head, pending, sig)  # the policy (and later CI) on every commit
            tree_id = self.write_tree(head_tree, pending)
            if tree_id == head_tree and not merged:
                return None
            commit_id = self.make_commit(tree_id, [head, *merged], sig)
            subject = sig.message.strip().split("\n", 1)[0]
            moved = self.move_ref(branch, head, commit_id, f"commit: {subject}")
            if moved is RefUpdate.DONE:
                return commit_id
            if time.monotonic() > deadline:
                lock = f"{self.git.controldir()}/{branch.decode()}.lock"
                raise Conflict(
                    f"could not update {branch.decode()} for {CAS_TIMEOUT:.0f} s: {lock} is held "
                    "by a process outside agentmem's writer lock"
                    if moved is RefUpdate.LOCKED
                    else f"could not update {branch.decode()} for {CAS_TIMEOUT:.0f} s: other "
                    "writers kept moving it"
                )
            # Back off a little (random, growing) so that writers racing for one branch spread out.
            time.sleep(random.uniform(0, min(0.05, 0.001 * 2 ** min(attempt, 6))))
            current = self.ref_value(branch)
            if current is None:
                raise NotFound(f"branch {branch.decode()} was deleted during the write")
            head = current
        raise AssertionError("unreachable")

    def _rebase(
        self,
        base_tree: bytes,
        head_tree: bytes,
        changes: dict[bytes, bytes | None],
        dedupe: set[bytes],
    ) -> dict[bytes, bytes | None]:
        kept: dict[bytes, bytes | None] = {}
        clashes = []
        for path, data in changes.items():
            theirs = self.lookup(head_tree, path)
            if theirs == self.lookup(base_tree, path):
                kept[path] = data
                continue
            ours = None if data is None else Blob.from_string(data).id
            if theirs == ours:
                continue  # the other writer made the very same change, byte for byte
            if theirs is not None and data is not None:
                stored, mine = self.read_fact(theirs), Fact.from_bytes(data)
                if stored.same_content(mine) or (path in dedupe and stored.text == mine.text):
                    continue  # the other writer said the same thing first: keep theirs
            clashes.append(parse_fact_path(path))
        if clashes:
            ids = [c[1] for c in clashes if c]
            raise Conflict("another writer changed the same fact(s) first: " + ", ".join(ids), fact_ids=ids)
        return kept
