"""Which scopes each commit changes, cached in `.agentmem/commit-scopes`.

Under a policy, an agent's `log`, `reflog`, `branch` and `tag` leave out commits that touch a
fact it may not see, since their subjects quote it: every commit shown is tested. The test needs
only the scopes a commit changes against its first parent and whether it changed the quarantine
list, and a commit never changes, so the answer is computed once (from the trees down to the
scope folders, not a full diff) and kept, one line per commit. The file is derived and local: a
bad line is skipped, deleting it costs only time (docs/format.md).
"""

from __future__ import annotations

import atexit
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from . import checked_lines
from .fact import SCOPE_KINDS
from .layout import FACTS_DIR, fact_path
from .store import GitStore

CACHE_NAME = "commit-scopes"
MAX_CACHE_BYTES = 64 << 20  # past this the file is started again
MAX_QUOTED = 51  # a message agentmem writes quotes at most 51 texts (a subject, 50 body lines)
MAX_LINE_BYTES = 4000  # a longer line (a commit of very many scopes) is not kept
_QUARANTINE = b".agentmem/quarantine.json"


_QUOTE = re.compile(r"^(?:remember|update) ([0-9a-z][0-9a-z._-]{0,127}): ", re.MULTILINE)


@dataclass(frozen=True)
class CommitScopes:
    """What one commit changes against its first parent (all of it, for a root commit), and
    once asked, the facts whose text its message quotes, with the blob it wrote (`quoted`)."""

    scopes: frozenset[str]
    quarantine: bool  # whether it changed `.agentmem/quarantine.json`
    quoted: tuple[tuple[str, str], ...] | None = None


class CommitScopesCache:
    """`of(commit)`: the commit's `CommitScopes`, from the file when known, else computed and
    appended to it by `flush` (once per command: `Session.log` flushes, and the process's exit)."""

    def __init__(self, store: GitStore, local_dir: Path) -> None:
        self._store = store
        self._path = local_dir / CACHE_NAME
        self._known: dict[str, CommitScopes] | None = None
        self._pending: dict[str, CommitScopes] = {}
        self._flush_at_exit = False

    def of(self, commit: bytes) -> CommitScopes:
        known = self._load()
        key = commit.decode()
        found = known.get(key)
        if found is None:
            found = known[key] = changed(self._store, commit)
            self._append(key, found)
        return found

    def quoted(self, commit: bytes) -> tuple[tuple[str, str], ...]:
        """(fact id, blob id) of each fact whose text the commit's message quotes
        (`remember <id>: <text>`, `update <id>: <text>`, in the subject or, for a commit of many
        changes, its body), in the version that commit wrote: a log hands those texts out."""
        entry = self.of(commit)
        if entry.quoted is None:
            store, found = self._store, []
            obj = store.commit(commit)
            ids = _quoted_ids(obj.message.decode("utf-8", "replace"))[:MAX_QUOTED]
            tree = obj.tree
            for fact_id in ids:
                paths = (fact_path(scope, fact_id) for scope in sorted(entry.scopes))
                blob = next((b for path in paths if (b := store.lookup(tree, path))), None)
                if blob is not None:
                    found.append((fact_id, blob.decode()))
            entry = replace(entry, quoted=tuple(found))
            self._load()[commit.decode()] = entry
            self._append(commit.decode(), entry)
        assert entry.quoted is not None
        return entry.quoted

    def quoted_in(self, shown: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """`quoted` of each commit, less the facts its text shown does not quote ((commit id,
        text shown) pairs: a log's messages, a list's subjects, a reflog's labels); what was
        computed is written out (`flush`)."""
        found: list[tuple[str, str]] = []
        for commit, text in shown:
            ids = set(_quoted_ids(text))
            if ids:
                found += [pair for pair in self.quoted(commit.encode()) if pair[0] in ids]
        self.flush()
        return found

    def _load(self) -> dict[str, CommitScopes]:
        if self._known is None:
            self._known = {}
            for value in checked_lines.read(self._path, MAX_CACHE_BYTES):
                parsed = _parse(value)
                if parsed is None:
                    continue
                commit, entry = parsed
                before = self._known.get(commit)  # a line without `quoted` keeps an earlier one's
                if entry.quoted is None and before is not None and before.scopes == entry.scopes:
                    entry = replace(entry, quoted=before.quoted)
                self._known[commit] = entry
        return self._known

    def _append(self, commit: str, entry: CommitScopes) -> None:
        """Keep `entry` for the next `flush` (at the latest when the process exits)."""
        if not self._flush_at_exit:
            atexit.register(self.flush)
            self._flush_at_exit = True
        self._pending[commit] = entry

    def flush(self) -> None:
        """Append the entries computed since the last flush, the newest of each commit, one
        line each (a line longer than `MAX_LINE_BYTES` is not kept)."""
        pending, self._pending = self._pending, {}
        checked_lines.append(self._path, [_line(c, e) for c, e in pending.items()], MAX_LINE_BYTES)


def _line(commit: str, entry: CommitScopes) -> bytes:
    fields: list[object] = [commit, entry.quarantine, sorted(entry.scopes)]
    if entry.quoted is not None:
        fields.append([list(pair) for pair in entry.quoted])
    return checked_lines.encode(fields)


def _quoted_ids(text: str) -> list[str]:
    """The fact ids whose text `text` (a commit message, or a line of one) quotes."""
    return [m.group(1) for m in _QUOTE.finditer(text)]


def _parse(value: object) -> tuple[str, CommitScopes] | None:
    """A line's commit and entry, or None for a foreign line."""
    if not isinstance(value, list) or len(value) not in (3, 4):
        return None
    commit, quarantine, scopes, *rest = value
    quoted = rest[0] if len(rest) == 1 else None
    valid = (
        checked_lines.object_id(commit) and isinstance(quarantine, bool)
        and isinstance(scopes, list) and all(isinstance(s, str) for s in scopes)
        and (quoted is None or (isinstance(quoted, list) and all(_pair(q) for q in quoted)))
    )  # fmt: skip
    if not valid:
        return None
    pairs = None if quoted is None else tuple((q[0], q[1]) for q in quoted)
    return commit, CommitScopes(frozenset(scopes), quarantine, pairs)


def _pair(value: object) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)


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
    return {name: sha for name, (mode, sha) in store.tree_entries(tree).items() if stat.S_ISDIR(mode)}
