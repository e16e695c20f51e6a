"""Checks on content that arrives from elsewhere (a merged branch, later a pull) before it can
become the branch: every entry it adds or changes must fit the memory tree of docs/format.md.

Only what differs from the base is read: subtrees whose id equals the base's at the same path are
skipped, so the cost follows the size of the change, not of the repository. The walk follows the
documented layout level by level (never deeper), so a hostile tree cannot make it recurse.
"""

from __future__ import annotations

import hashlib
import json
import re
import stat
import tomllib
from collections.abc import Callable
from dataclasses import dataclass

from dulwich.objects import Tree

from .config import FORMAT_VERSION
from .errors import CorruptObject, InvalidInput
from .fact import SCOPE_KINDS, Fact, validate_id, validate_name
from .governance.policy import Policy
from .governance.quarantine import QuarantineList
from .layout import FACTS_DIR, fact_path
from .object_size import object_size
from .store import BLOB_MODE, MAX_FACT_BYTES, GitStore

TREE_MODE = stat.S_IFDIR
MAX_META_FILE_BYTES = 64 * 1024
# the committed files in .agentmem/ (purged and quarantine.json: governance, docs/format.md)
META_FILES = (b"repo.toml", b".gitignore", b"policy.toml", b"purged", b"quarantine.json")
_FANOUT_RE = re.compile(rb"[0-9a-f]{2}")
_HEX_RE = re.compile(rb"[0-9a-f]{40}|[0-9a-f]{64}")


class InvalidTree(CorruptObject):
    """Incoming content that does not fit the memory tree layout; nothing was moved."""


@dataclass(frozen=True)
class _Level:
    """Where in the layout a tree sits: `name` is its path; `scope` and the fan-out so far."""

    path: bytes
    depth: str  # root | meta | facts | kind | scope | fan1 | fan2
    scope: str = ""
    fanout: bytes = b""


def validate_incoming(
    store: GitStore, base_commit: bytes | None, incoming_commit: bytes, *,
    ours_commit: bytes | None = None,
) -> None:  # fmt: skip
    """Refuse (`InvalidTree`, one line naming the path and object) an incoming commit whose tree
    adds or changes anything that is not a valid memory tree entry. `base_commit` is what the
    receiving side already trusts (the merge base or our head); None checks the whole tree.
    `ours_commit` (a three-way merge's other side): a new fact's id must not be in another
    scope there either."""
    base_tree = None if base_commit is None else store.commit(base_commit).tree
    incoming_tree = store.commit(incoming_commit).tree
    new_ids: list[tuple[str, str, bytes]] = []
    stack: list[tuple[_Level, bytes, bytes | None]] = [
        (_Level(b"", "root"), incoming_tree, base_tree)
    ]
    while stack:
        level, tree_id, base_id = stack.pop()
        tree = _read_tree(store, level.path, tree_id)
        base = None if base_id is None else _base_entries(store, base_id)
        for entry in tree.iteritems():
            name, mode, sha = entry.path, entry.mode, entry.sha
            path = level.path + b"/" + name if level.path else name
            if base is not None and base.get(name) == (mode, sha):
                continue  # unchanged from what we already hold
            child = _child_level(level, path, name, mode, sha)
            if child is None:
                _check_file(store, level, path, name, mode, sha, new_ids)
                continue
            old = None if base is None else base.get(name)
            old_tree = old[1] if old is not None and stat.S_ISDIR(old[0]) else None
            stack.append((child, sha, old_tree))
    _check_unique(store, incoming_tree, new_ids)
    if ours_commit is not None:
        _check_unique(store, store.commit(ours_commit).tree, new_ids)


def _refuse(path: bytes, sha: bytes, why: str) -> InvalidTree:
    shown = path.decode("utf-8", "backslashreplace") or "/"
    return InvalidTree(f"refused {shown!r} (object {sha.decode()}): {why}")


def _read_tree(store: GitStore, path: bytes, sha: bytes) -> Tree:
    try:
        return store.tree(sha)
    except CorruptObject:
        raise _refuse(path, sha, "tree missing or not a tree") from None


def _base_entries(store: GitStore, sha: bytes) -> dict[bytes, tuple[int, bytes]]:
    try:
        return dict(store.tree_entries(sha))
    except CorruptObject:
        return {}


def _child_level(level: _Level, path: bytes, name: bytes, mode: int, sha: bytes) -> _Level | None:
    """The layout level of subtree `name`, None for an entry that must be a file here; refuses
    names and modes the layout has no place for."""
    is_tree = mode == TREE_MODE
    if mode not in (TREE_MODE, BLOB_MODE):
        kind = {0o160000: "a submodule (gitlink)", 0o120000: "a symlink",
                0o100755: "an executable file"}.get(mode, f"mode {mode:o}")  # fmt: skip
        raise _refuse(path, sha, f"{kind}: only regular files (100644) and folders are allowed")
    depth = level.depth
    if depth == "root":
        if name == b".agentmem" and is_tree:
            return _Level(path, "meta")
        if name == FACTS_DIR.encode() and is_tree:
            return _Level(path, "facts")
        raise _refuse(path, sha, "not part of a memory tree (only .agentmem/ and facts/)")
    if depth == "meta":
        if name in META_FILES and not is_tree:
            return None
        raise _refuse(path, sha, "unknown file in .agentmem/")
    if depth == "facts":
        if name == b"shared" and is_tree:
            return _Level(path, "scope", "shared")
        if name.decode("utf-8", "replace") in SCOPE_KINDS and is_tree:
            return _Level(path, "kind", name.decode())
        raise _refuse(path, sha, "not a scope kind folder (shared, user, agent, run, app)")
    if depth == "kind":
        try:
            scope_name = validate_name(name.decode("utf-8"), "scope name")
        except (InvalidInput, UnicodeDecodeError):
            raise _refuse(path, sha, "invalid scope name") from None
        if not is_tree:
            raise _refuse(path, sha, "a file where a scope folder belongs")
        return _Level(path, "scope", f"{level.scope}:{scope_name}")
    if depth in ("scope", "fan1"):
        if not _FANOUT_RE.fullmatch(name) or not is_tree:
            raise _refuse(path, sha, "not a fan-out folder (two lowercase hex digits)")
        return _Level(path, "fan1" if depth == "scope" else "fan2", level.scope,
                      level.fanout + name)  # fmt: skip
    if is_tree:
        raise _refuse(path, sha, "a folder where a fact file belongs")
    return None


def _check_file(
    store: GitStore, level: _Level, path: bytes, name: bytes, mode: int, sha: bytes,
    new_ids: list[tuple[str, str, bytes]],
) -> None:  # fmt: skip
    if level.depth == "meta":
        _check_meta_file(store, path, name, sha)
        return
    if not name.endswith(b".md"):
        raise _refuse(path, sha, "not a fact file (<id>.md)")
    try:
        fact_id = validate_id(name[:-3].decode("utf-8"))
    except (InvalidInput, UnicodeDecodeError):
        raise _refuse(path, sha, "invalid fact id in the file name") from None
    if hashlib.sha1(fact_id.encode()).hexdigest()[:4].encode() != level.fanout:
        raise _refuse(path, sha, "fan-out folders do not match sha1 of the id")
    try:
        raw = _blob(store, path, sha, MAX_FACT_BYTES)
        fact = Fact.from_bytes(raw)
        canonical = fact.validated().to_bytes()
    except (CorruptObject, InvalidInput) as exc:
        if isinstance(exc, InvalidTree):
            raise
        raise _refuse(path, sha, str(exc)) from None
    if fact.id != fact_id or fact.scope != level.scope:
        raise _refuse(path, sha, f"holds {fact.scope}/{fact.id}, not {level.scope}/{fact_id}")
    if canonical != raw:
        raise _refuse(path, sha, "fact file is not in canonical form")
    new_ids.append((fact_id, level.scope, sha))


def _check_meta_file(store: GitStore, path: bytes, name: bytes, sha: bytes) -> None:
    raw = _blob(store, path, sha, MAX_META_FILE_BYTES)
    if name == b".gitignore":
        return
    if name == b"purged":  # one blob id per line, '#' comments
        lines = raw.decode("utf-8", "replace").splitlines()
        if not all(_HEX_RE.fullmatch(line.encode()) for line in lines if line and not line.startswith("#")):
            raise _refuse(path, sha, "purge record lines must be blob ids")
        return
    if name == b"quarantine.json":
        try:
            json.loads(raw)
        except ValueError as exc:
            raise _refuse(path, sha, f"not valid JSON ({exc})") from None
        _check_governance(path, sha, lambda: QuarantineList.parse(raw.decode("utf-8")))
        return
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise _refuse(path, sha, f"not valid TOML ({exc})") from None
    if name == b"repo.toml" and data.get("format") != FORMAT_VERSION:
        raise _refuse(path, sha, f"format {data.get('format')!r}, expected {FORMAT_VERSION}")
    if name == b"policy.toml":  # every read of the branch parses it: one it refuses would stop them all
        _check_governance(path, sha, lambda: Policy.parse(raw.decode("utf-8")))


def _check_governance(path: bytes, sha: bytes, parse: Callable[[], object]) -> None:
    try:
        parse()
    except (InvalidInput, CorruptObject) as exc:
        raise _refuse(path, sha, str(exc)) from None


def _blob(store: GitStore, path: bytes, sha: bytes, limit: int) -> bytes:
    try:
        header = object_size(store.objects, sha)
    except (ValueError, IndexError, OSError) as exc:
        raise _refuse(path, sha, f"unreadable object ({exc})") from None
    if header is None:
        raise _refuse(path, sha, "object missing from the repository")
    if header[0] != "blob":
        raise _refuse(path, sha, f"a {header[0]} where a file belongs")
    if header[1] > limit:
        raise _refuse(path, sha, f"{header[1]} bytes, over the limit of {limit}")
    try:
        return bytes(store.objects[sha].as_raw_string())
    except Exception as exc:  # dulwich: zlib, checksum and parse errors of a damaged object
        raise _refuse(path, sha, f"unreadable object ({exc})") from None


def _check_unique(store: GitStore, tree: bytes, new_ids: list[tuple[str, str, bytes]]) -> None:
    """A fact id names one fact in the whole repository: a new file may not reuse an id that
    another scope of the incoming tree holds."""
    if not new_ids:
        return
    scopes = store.scopes(tree)
    for fact_id, scope, sha in new_ids:
        for other in scopes:
            if other != scope and store.lookup(tree, fact_path(other, fact_id)) is not None:
                path = fact_path(scope, fact_id)
                raise _refuse(path, sha, f"fact id {fact_id} is also in scope {other}")
