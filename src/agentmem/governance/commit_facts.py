"""The fact versions each commit brings and forgets, cached in `.agentmem/commit-facts`.

A trace walks the whole history of a branch and, for every commit, compares its trees with its
first parent's and reads each fact version it adds: about 1.5 ms a commit, so 15 s for 10,000.
A reader's log under a quarantine asks of each commit whether a version it adds or forgets is
hidden (a 100,000-fact import: 12 s to compare and read). A commit never changes, so what it
brings and forgets (each version's blob, id, scope and sources) is computed once and kept, one
checked line per commit (`checked_lines`, docs/format.md). Derived and local: deleting it costs
only time.
"""

from __future__ import annotations

import atexit
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISDIR
from typing import NamedTuple

from dulwich.objects import Commit

from .. import checked_lines
from ..layout import FACTS_DIR
from ..store import GitStore

CACHE_NAME = "commit-facts"
MAX_CACHE_BYTES = 512 << 20  # past this the file is started again
MAX_LINE_BYTES = 64 << 20  # a commit of over ~500,000 facts is not kept (read again each time)
FLUSH_EVERY = 256  # commits read from git are appended at least this often


class Brought(NamedTuple):
    """One fact version a commit adds, changes or forgets against its first parent (a tuple: a
    bulk import brings 100,000)."""

    blob: str
    id: str
    scope: str
    sources: tuple[str, ...]  # its `derived_from`


@dataclass(frozen=True)
class Changed:
    """What one commit changes against its first parent: the versions it brings, and those it
    forgets (None: not known, from a line written before they were kept)."""

    brought: tuple[Brought, ...]
    forgotten: tuple[Brought, ...] | None


class CommitFacts:
    """`of(commit)`: what the commit brings; `versions(commit)`: and forgets. From the file
    when known, else read from git and appended to the file by `flush` (at the latest when the
    process exits). One per repository (`Repo.commit_facts`)."""

    def __init__(self, store: GitStore, local_dir: Path) -> None:
        self._store = store
        self._path = local_dir / CACHE_NAME
        self._known: _Lines | None = None
        self._pending: dict[str, Changed] = {}
        self._flush_at_exit = False

    def of(self, commit: Commit) -> tuple[Brought, ...]:
        """Raises `CorruptObject` for a fact file it cannot read (nothing is kept then)."""
        found = self._load().get(commit.id.decode())
        return (found or self._read(commit)).brought

    def versions(self, commit: Commit) -> tuple[Brought, ...]:
        """The versions the commit brings, then those it forgets (as `of`)."""
        found = self._load().get(commit.id.decode())
        if found is None or found.forgotten is None:
            found = self._read(commit)
        assert found.forgotten is not None
        return found.brought + found.forgotten

    def _read(self, commit: Commit) -> Changed:
        store = self._store
        parent = store.commit(commit.parents[0]).tree if commit.parents else None
        brought, forgotten = changed_blobs(store, parent, commit.tree)
        found = Changed(_read_versions(store, brought), _read_versions(store, forgotten))
        key = commit.id.decode()
        self._load()[key] = self._pending[key] = found
        if len(self._pending) >= FLUSH_EVERY:  # a trace killed midway keeps most of its work
            self.flush()
        if not self._flush_at_exit:
            atexit.register(self.flush)
            self._flush_at_exit = True
        return found

    def _load(self) -> _Lines:
        if self._known is None:
            self._known = _Lines(checked_lines.read_bodies(self._path, MAX_CACHE_BYTES))
        return self._known

    def flush(self) -> None:
        """Append what was read from git since the last flush, a line per commit."""
        pending, self._pending = self._pending, {}
        lines = [checked_lines.encode([c, _value(changed.brought), _value(changed.forgotten or ())])
                 for c, changed in pending.items()]  # fmt: skip
        checked_lines.append(self._path, lines, MAX_LINE_BYTES)


class _Lines:
    """The file's lines by commit, each parsed when first asked for: a log under a quarantine
    checks a few commits, and a 100,000-fact import's line takes half a second to parse."""

    def __init__(self, bodies: Iterable[bytes]) -> None:
        self._raw = {body[2:42].decode("ascii", "replace"): body for body in bodies if body[:2] == b'["'}
        self._parsed: dict[str, Changed] = {}

    def get(self, commit: str) -> Changed | None:
        found = self._parsed.get(commit)
        if found is None and commit in self._raw:
            parsed = _parse_body(self._raw.pop(commit))
            if parsed is not None and parsed[0] == commit:
                found = self._parsed[commit] = parsed[1]
        return found

    def __setitem__(self, commit: str, changed: Changed) -> None:
        self._raw.pop(commit, None)
        self._parsed[commit] = changed


def _read_versions(store: GitStore, blobs: list[bytes]) -> tuple[Brought, ...]:
    facts = [(blob, store.read_fact(blob)) for blob in blobs]
    return tuple(Brought(b.decode(), f.id, f.scope, tuple(f.derived_from)) for b, f in facts)


def _value(versions: tuple[Brought, ...]) -> list[list[object]]:
    return [[b.blob, b.id, b.scope, list(b.sources)] for b in versions]


def _parse_body(body: bytes) -> tuple[str, Changed] | None:
    try:
        return _parse(json.loads(body))
    except ValueError:
        return None


def _parse(value: object) -> tuple[str, Changed] | None:
    """A line's commit and what it changes, or None for a foreign line (a line of two elements,
    written before forgotten versions were kept, leaves them unknown)."""
    if not (isinstance(value, list) and len(value) in (2, 3) and checked_lines.object_id(value[0])
            and all(isinstance(part, list) for part in value[1:])):  # fmt: skip
        return None
    parts = [_parse_versions(part) for part in value[1:]]
    if any(part is None for part in parts):
        return None
    brought = parts[0]
    assert brought is not None
    return value[0], Changed(brought, parts[1] if len(parts) == 2 else None)


def _parse_versions(items: list[object]) -> tuple[Brought, ...] | None:
    found = []
    for item in items:
        if not (isinstance(item, list) and len(item) == 4 and checked_lines.object_id(item[0])
                and isinstance(item[1], str) and isinstance(item[2], str) and isinstance(item[3], list)
                and all(isinstance(s, str) for s in item[3])):  # fmt: skip
            return None
        found.append(Brought(item[0], item[1], item[2], tuple(item[3])))
    return tuple(found)


def new_blobs(store: GitStore, old_tree: bytes | None, new_tree: bytes) -> list[bytes]:
    """Blob ids of the fact files `new_tree` has and `old_tree` lacks (added or changed facts)."""
    return changed_blobs(store, old_tree, new_tree, gone=False)[0]


def changed_blobs(
    store: GitStore, old_tree: bytes | None, new_tree: bytes, *, gone: bool = True
) -> tuple[list[bytes], list[bytes]]:
    """Blob ids of the fact files `new_tree` has and `old_tree` lacks (added or changed facts),
    and with `gone`, of those `old_tree` has at a path `new_tree` has no fact file at (forgotten).

    Reads trees through the store's cache: walking a history newest first, each commit's parent
    tree is the next commit's own, so most reads are cache hits."""
    found: list[bytes] = []
    forgotten: list[bytes] = []
    facts = FACTS_DIR.encode()
    new = store.lookup(new_tree, facts)
    old = None if old_tree is None else store.lookup(old_tree, facts)
    stack = [(old, new)]
    while stack:
        before, after = stack.pop()
        if before == after or (after is None and not gone):
            continue
        old_entries = {} if before is None else store.tree_entries(before)
        new_entries = {} if after is None else store.tree_entries(after)
        for name, (mode, sha) in sorted(new_entries.items() - old_entries.items()):
            previous = old_entries.get(name)
            if S_ISDIR(mode):
                stack.append((previous[1] if previous and S_ISDIR(previous[0]) else None, sha))
            elif name.endswith(b".md"):
                found.append(sha)
        if not gone:
            continue
        for name, (mode, sha) in sorted(old_entries.items() - new_entries.items()):
            now = new_entries.get(name)
            if S_ISDIR(mode) and (now is None or not S_ISDIR(now[0])):
                stack.append((sha, None))
            elif not S_ISDIR(mode) and name.endswith(b".md") and (now is None or S_ISDIR(now[0])):
                forgotten.append(sha)
    return found, forgotten
