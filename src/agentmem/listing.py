"""The facts of a commit newest change first, without reading every fact file each time.

`ls -n 10` shows the ten facts changed last, so it needs every fact's ``updated_at``; read from
git, that is every tree of the fan-out and every fact file (about 30 s at 100,000 facts on the
reference machine). What a listing needs of a fact (`FactHeader`: its path, blob, times and
sources) depends only on the fact file, and the fact files under a first-level fan-out folder
(``facts/shared/3f``) only on that folder's tree id. So the headers are kept per such folder in
`.agentmem/fact-listing` (`checked_lines`, docs/format.md), keyed by the folder's path and tree
id: a listing reads each scope's folder, looks its 256 fan-out trees up, and walks and reads
only those it has not seen (a commit changing one fact changes one), reading again only the
fact files it does not know. Derived and local: deleting the file costs only time.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import stat
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from dulwich.objects import Blob, object_header

from . import checked_lines
from .fact import Fact
from .store import GitStore

CACHE_NAME = "fact-listing"
# Past this the file is started again. The rows are held in memory either way (a listing that
# reads them from git keeps them too), so the bound only guards against a file grown wild; it is
# about 10,000,000 facts' worth (about 100 bytes a fact). At 256 MiB, every listing past about
# 2,600,000 facts deleted the file and read every fact from git again.
MAX_CACHE_BYTES = 1 << 30
MAX_LINE_BYTES = 64 << 20
FLUSH_EVERY = 64  # fan-out folders read from git are appended at least this often
# An import records its facts (`learn`) only when a listing would spend longer reading them from
# git than the import spends loading the file to do it: a fact read from git costs about 150 us
# on the reference machine, one loaded from the file (about 100 bytes) about 3 us.
LEARN_BYTES_PER_FACT = 5_000


class FactHeader(NamedTuple):
    """What listing a fact takes: where it is, and what visibility and order read of it (a
    tuple: a listing makes one per fact)."""

    path: bytes
    blob: bytes
    id: str
    scope: str
    updated_at: str
    expires_at: str | None
    derived_from: tuple[str, ...]


@dataclass(frozen=True)
class FactPage:
    """One page of a listing newest change first (`Session.newest_facts`)."""

    commit: str  # the commit listed
    facts: list[Fact]
    total: int  # how many facts the reader could list there


# A folder's facts as a line keeps them: [path below the folder, blob, updated_at, expires_at,
# derived_from]; the id and scope are the path's.
_Row = tuple[str, str, str, "str | None", tuple[str, ...]]


class FactListing:
    """`headers(scope folders, read)`: every fact's header, from the file where a fan-out folder
    is known, else read from git (`read(path, blob)` checks the fact against its path). One per
    repository (`Repo.fact_listing`), safe to share between threads."""

    def __init__(self, store: GitStore, local_dir: Path) -> None:
        self._store = store
        self._path = local_dir / CACHE_NAME
        self._folders: dict[tuple[str, str], tuple[_Row, ...]] = {}
        self._pending: dict[tuple[str, str], tuple[_Row, ...]] = {}
        self._visited: dict[str, str] = {}  # folder -> the tree id listed this time
        self._loaded = False
        self._lock = threading.Lock()

    def headers(self, scope_trees: Iterable[tuple[str, bytes, bytes]],
                read: Callable[[bytes, bytes], Fact]) -> list[FactHeader]:  # fmt: skip
        """The headers of the fact files under each (scope, scope folder, tree id) of
        `GitStore.scope_trees`, in no set order; what was read from git is appended to the file
        before it returns."""
        with self._lock, _collector_paused():
            self._load()
            self._visited = {}
            try:
                return self._headers(scope_trees, read)
            finally:  # what was read is kept even when the listing is interrupted
                self._flush()

    def _headers(self, scope_trees: Iterable[tuple[str, bytes, bytes]],
                 read: Callable[[bytes, bytes], Fact]) -> list[FactHeader]:  # fmt: skip
        known_blobs: dict[tuple[str, str, str], _Row] | None = None
        found: list[FactHeader] = []
        for scope, prefix, scope_tree in scope_trees:
            for entry in self._store.tree(scope_tree).iteritems():
                if not stat.S_ISDIR(entry.mode):
                    continue  # as `GitStore.fact_files` skips it
                folder = prefix + b"/" + entry.path
                key = (folder.decode("utf-8", "surrogateescape"), entry.sha.decode())
                self._visited[key[0]] = key[1]
                rows = self._folders.get(key)
                if rows is None:
                    if known_blobs is None:
                        known_blobs = {_known_key(k[0].rpartition("/")[0], row[0], row[1]): row
                                       for k, rows in self._folders.items() for row in rows}  # fmt: skip
                    rows = self._read_folder(prefix, folder, entry.sha, known_blobs, read)
                    self._folders[key] = self._pending[key] = rows
                    if len(self._pending) >= FLUSH_EVERY:  # a first listing killed midway keeps most
                        self._append()
                found.extend(_header(folder, row, scope) for row in rows)
        return found

    def learn(self, tree_id: bytes, base_tree: bytes | None,
              written: Mapping[bytes, tuple[Fact, bytes] | None]) -> int:  # fmt: skip
        """Record the folders of tree `tree_id`, made from `base_tree` by setting each path of
        `written` to its fact and file bytes (or removing it) and nothing else (a bulk import's
        commit: `Transaction.written`), without reading them back: each touched folder's rows are
        its rows in `base_tree` (known to the file, or none when it was not there) with the
        writes applied. A folder whose base rows are not known is left to the next listing, and
        so is everything when the file is large against what was written
        (`LEARN_BYTES_PER_FACT`). Returns how many folders were recorded."""
        if not self._loaded and self._size() > LEARN_BYTES_PER_FACT * len(written):
            return 0  # a few facts into a large memory: the next listing reads only those
        by_folder: dict[bytes, dict[bytes, tuple[Fact, bytes] | None]] = {}
        for path, change in written.items():
            folder, second, file_name = path.rsplit(b"/", 2)  # facts/<scope>/<h[0:2]>, <h[2:4]>, <id>.md
            by_folder.setdefault(folder, {})[second + b"/" + file_name] = change
        learned = 0
        with self._lock:
            self._load()
            for folder, changes in by_folder.items():
                name = folder.decode("utf-8", "surrogateescape")
                after = self._store.lookup(tree_id, folder)
                if after is None or (name, after.decode()) in self._folders:
                    continue
                before = None if base_tree is None else self._store.lookup(base_tree, folder)
                known = () if before is None else self._folders.get((name, before.decode()))
                if known is None:
                    continue
                rows = {row[0]: row for row in known}
                for below_path, change in changes.items():
                    below = below_path.decode("utf-8", "surrogateescape")
                    if change is None:
                        rows.pop(below, None)
                    else:
                        fact, data = change
                        # the blob's id, as Blob.from_string(data).id (a third of its time)
                        blob = hashlib.sha1(object_header(Blob.type_num, len(data)) + data).hexdigest()
                        rows[below] = (below, blob, fact.updated_at, fact.expires_at,
                                       tuple(fact.derived_from))  # fmt: skip
                key = (name, after.decode())
                self._folders[key] = self._pending[key] = tuple(rows.values())
                learned += 1
            self._append()
        return learned

    def _size(self) -> int:
        try:
            return self._path.stat().st_size
        except OSError:
            return 0

    def _read_folder(self, scope_folder: bytes, folder: bytes, tree_id: bytes,
                     known: dict[tuple[str, str, str], _Row],
                     read: Callable[[bytes, bytes], Fact]) -> tuple[_Row, ...]:  # fmt: skip
        """The rows of a folder, a fact file read only where the same blob is not known under the
        same file name in the same scope (elsewhere its path would not name its id and scope:
        `read` refuses that)."""
        rows = []
        scope = scope_folder.decode("utf-8", "surrogateescape")
        for path, blob in self._store.fact_files(folder, tree_id, depth=1):
            below = path[len(folder) + 1 :].decode("utf-8", "surrogateescape")
            key = _known_key(scope, below, blob.decode())
            same = known.get(key)
            if same is None:
                fact = read(path, blob)
                row: _Row = (below, key[2], fact.updated_at, fact.expires_at, tuple(fact.derived_from))
                known[key] = row
            else:
                row = (below, same[1], same[2], same[3], same[4])
            rows.append(row)
        return tuple(rows)

    def _flush(self) -> None:
        """Append the folders read from git since the last flush, a line each. When the folders
        listed this time have more outdated lines (another tree id) than current ones, the file
        is written again without them."""
        stale = sum(1 for folder, tree in self._folders if self._visited.get(folder, tree) != tree)
        if stale > max(64, len(self._folders) - stale):
            self._pending = {}
            self._folders = {k: v for k, v in self._folders.items() if self._visited.get(k[0], k[1]) == k[1]}
            lines = [_line(key, rows) for key, rows in self._folders.items()]
            checked_lines.rewrite(self._path, lines, MAX_LINE_BYTES)
        else:
            self._append()

    def _append(self) -> None:
        pending, self._pending = self._pending, {}
        lines = [_line(key, rows) for key, rows in pending.items()]
        checked_lines.append(self._path, lines, MAX_LINE_BYTES)

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        for value in checked_lines.read(self._path, MAX_CACHE_BYTES):
            parsed = _parse(value)
            if parsed is not None:
                self._folders[parsed[0]] = parsed[1]


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while a listing makes a tuple or two a fact (a header, a
    row), which holds no cycle: at 1,000,000 facts its passes over the growing heap took a fifth
    of a warm listing (4.7 s -> 3.7 s without them)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _known_key(scope_folder: str, below: str, blob: str) -> tuple[str, str, str]:
    """A fact file known by its scope's folder, file name and blob (`below`: its path below a
    fan-out folder)."""
    return scope_folder, below.rpartition("/")[2], blob


def _header(folder: bytes, row: _Row, scope: str) -> FactHeader:
    below = row[0]
    return FactHeader(folder + b"/" + below.encode("utf-8", "surrogateescape"), row[1].encode(),
                      below[below.rfind("/") + 1 : -3], scope, row[2], row[3], row[4])  # fmt: skip


def _line(key: tuple[str, str], rows: tuple[_Row, ...]) -> bytes:
    return checked_lines.encode([key[0], key[1], [[*row[:4], list(row[4])] for row in rows]])


def _parse(value: object) -> tuple[tuple[str, str], tuple[_Row, ...]] | None:
    """A line's (folder, tree id) and rows, or None for a foreign line."""
    if not (isinstance(value, list) and len(value) == 3 and isinstance(value[0], str)
            and checked_lines.object_id(value[1]) and isinstance(value[2], list)):  # fmt: skip
        return None
    rows: list[_Row] = []
    is_object_id = checked_lines.object_id
    for item in value[2]:  # the checks of every row, written for speed: a listing parses one a fact
        if type(item) is not list or len(item) != 5:
            return None
        below, blob, updated, expires, sources = item
        if not (type(below) is str and below.endswith(".md") and is_object_id(blob)
                and type(updated) is str and (expires is None or type(expires) is str)
                and type(sources) is list):  # fmt: skip
            return None
        if sources and not all(type(source) is str for source in sources):
            return None
        rows.append((below, blob, updated, expires, tuple(sources) if sources else ()))
    return (value[0], value[1]), tuple(rows)
