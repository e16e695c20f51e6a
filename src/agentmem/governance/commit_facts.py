"""The fact versions each commit brings, cached in `.agentmem/commit-facts` for trace.

A trace walks the whole history of a branch and, for every commit, compares its trees with its
first parent's and reads each fact version it adds: about 1.5 ms a commit, so 15 s for 10,000.
A commit never changes, so what it brings (each version's blob, id, scope and sources) is
computed once and kept, one checked line per commit (`checked_lines`, docs/format.md); the next
trace reads the file and walks the commits. Derived and local: deleting it costs only time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dulwich.objects import Commit

from .. import checked_lines
from ..store import GitStore
from .trace import new_blobs

CACHE_NAME = "commit-facts"
MAX_CACHE_BYTES = 512 << 20  # past this the file is started again
MAX_LINE_BYTES = 64 << 20  # a commit of over ~500,000 facts is not kept (read again each time)


@dataclass(frozen=True)
class Brought:
    """One fact version a commit adds or changes against its first parent."""

    blob: str
    id: str
    scope: str
    sources: tuple[str, ...]  # its `derived_from`


class CommitFacts:
    """`of(commit)`: what the commit brings, from the file when known, else read from git and
    appended to the file by `flush`."""

    def __init__(self, store: GitStore, local_dir: Path) -> None:
        self._store = store
        self._path = local_dir / CACHE_NAME
        self._known: dict[str, tuple[Brought, ...]] | None = None
        self._pending: dict[str, tuple[Brought, ...]] = {}

    def of(self, commit: Commit) -> tuple[Brought, ...]:
        """Raises `CorruptObject` for a fact file it cannot read (nothing is kept then)."""
        if self._known is None:
            self._known = dict(filter(None, map(_parse, checked_lines.read(self._path, MAX_CACHE_BYTES))))
        key = commit.id.decode()
        found = self._known.get(key)
        if found is None:
            store = self._store
            parent = store.commit(commit.parents[0]).tree if commit.parents else None
            facts = [(blob, store.read_fact(blob)) for blob in new_blobs(store, parent, commit.tree)]
            found = tuple(Brought(b.decode(), f.id, f.scope, tuple(f.derived_from)) for b, f in facts)
            self._known[key] = self._pending[key] = found
        return found

    def flush(self) -> None:
        """Append what was read from git since the last flush, a line per commit."""
        pending, self._pending = self._pending, {}
        lines = [checked_lines.encode([c, [[b.blob, b.id, b.scope, list(b.sources)] for b in brought]])
                 for c, brought in pending.items()]  # fmt: skip
        checked_lines.append(self._path, lines, MAX_LINE_BYTES)


def _parse(value: object) -> tuple[str, tuple[Brought, ...]] | None:
    """A line's commit and what it brings, or None for a foreign line."""
    if not (isinstance(value, list) and len(value) == 2 and checked_lines.object_id(value[0])
            and isinstance(value[1], list)):  # fmt: skip
        return None
    brought = []
    for item in value[1]:
        if not (isinstance(item, list) and len(item) == 4 and checked_lines.object_id(item[0])
                and isinstance(item[1], str) and isinstance(item[2], str) and isinstance(item[3], list)
                and all(isinstance(s, str) for s in item[3])):  # fmt: skip
            return None
        brought.append(Brought(item[0], item[1], item[2], tuple(item[3])))
    return value[0], tuple(brought)
