"""Which scopes each commit changes, cached in `.agentmem/commit-scopes`.

Under a policy, an agent's `log`, `reflog`, `branch` and `tag` leave out commits that touch a
fact it may not see, since their subjects quote it: every commit shown is tested. The test needs
only the scopes a commit changes against its first parent and whether it changed the quarantine
list, and a commit never changes, so the answer is computed once (from the trees down to the
scope folders, not a full diff) and kept, one line per commit. The file is derived and local: a
bad line is skipped, deleting it costs only time (docs/format.md).
"""

from __future__ import annotations

import json
import os
import stat
import zlib
from dataclasses import dataclass
from pathlib import Path

from .fact import SCOPE_KINDS
from .layout import FACTS_DIR
from .store import GitStore

CACHE_NAME = "commit-scopes"
MAX_CACHE_BYTES = 64 << 20  # past this the file is started again
MAX_LINE_BYTES = 4000  # one write(2) of O_APPEND stays whole; a longer line is not kept
_QUARANTINE = b".agentmem/quarantine.json"


@dataclass(frozen=True)
class CommitScopes:
    """What one commit changes against its first parent (all of it, for a root commit)."""

    scopes: frozenset[str]
    quarantine: bool  # whether it changed `.agentmem/quarantine.json`


class CommitScopesCache:
    """`of(commit)`: the commit's `CommitScopes`, from the file when known, else computed and
    appended to it."""

    def __init__(self, store: GitStore, local_dir: Path) -> None:
        self._store = store
        self._path = local_dir / CACHE_NAME
        self._known: dict[str, CommitScopes] | None = None

    def of(self, commit: bytes) -> CommitScopes:
        known = self._load()
        key = commit.decode()
        found = known.get(key)
        if found is None:
            found = known[key] = changed(self._store, commit)
            self._append(key, found)
        return found

    def _load(self) -> dict[str, CommitScopes]:
        if self._known is None:
            self._known = {}
            try:
                if self._path.stat().st_size > MAX_CACHE_BYTES:
                    self._path.unlink()
                    return self._known
                data = self._path.read_bytes()
            except OSError:
                return self._known
            for line in data.split(b"\n"):
                parsed = _parse(line)
                if parsed is not None:
                    self._known[parsed[0]] = parsed[1]
        return self._known

    def _append(self, commit: str, scopes: CommitScopes) -> None:
        body = json.dumps([commit, scopes.quarantine, sorted(scopes.scopes)], ensure_ascii=True)
        line = f"{body}\t{zlib.crc32(body.encode()):08x}\n".encode()
        if len(line) > MAX_LINE_BYTES:
            return
        try:
            fd = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError:
            return  # a read-only checkout: computed again next time
        try:
            os.write(fd, line)
        except OSError:
            pass
        finally:
            os.close(fd)


def _parse(line: bytes) -> tuple[str, CommitScopes] | None:
    """A line's commit and entry, or None for a torn, damaged or foreign line."""
    body, _, crc = line.rpartition(b"\t")
    if not body or crc != b"%08x" % zlib.crc32(body):
        return None
    try:
        commit, quarantine, scopes = json.loads(body)
    except ValueError:
        return None
    valid = (
        isinstance(commit, str) and len(commit) == 40 and isinstance(quarantine, bool)
        and isinstance(scopes, list) and all(isinstance(s, str) for s in scopes)
    )  # fmt: skip
    return (commit, CommitScopes(frozenset(scopes), quarantine)) if valid else None


def changed(store: GitStore, commit_id: bytes) -> CommitScopes:
    """The scopes whose folder differs between the commit and its first parent, and whether the
    quarantine list differs. A folder under `facts/` that is no scope's counts as the scope its
    fact paths would be read as (`layout.parse_fact_path`), so nothing a diff would name is missed."""
    commit = store.commit(commit_id)
    old = store.commit(commit.parents[0]).tree if commit.parents else None
    new = commit.tree
    found: set[str] = set()
    old_facts = _folders(store, old).get(FACTS_DIR.encode())
    new_facts = _folders(store, new).get(FACTS_DIR.encode())
    if old_facts != new_facts:
        before, after = _folders(store, old_facts), _folders(store, new_facts)
        for kind in before.keys() | after.keys():
            if before.get(kind) == after.get(kind):
                continue
            name = kind.decode("utf-8", "replace")
            if name == "shared":
                found.add("shared")
            elif name in SCOPE_KINDS:
                names_before = _folders(store, before.get(kind))
                names_after = _folders(store, after.get(kind))
                for scope in names_before.keys() | names_after.keys():
                    if names_before.get(scope) != names_after.get(scope):
                        found.add(f"{name}:{scope.decode('utf-8', 'replace')}")
    quarantine = (old and store.lookup(old, _QUARANTINE)) != store.lookup(new, _QUARANTINE)
    return CommitScopes(frozenset(found), quarantine)


def _folders(store: GitStore, tree: bytes | None) -> dict[bytes, bytes]:
    """Name -> id of the folders in `tree` (none if it is absent); files are no scope's."""
    if tree is None:
        return {}
    return {e.path: e.sha for e in store.tree(tree).iteritems() if stat.S_ISDIR(e.mode)}
