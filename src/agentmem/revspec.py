"""Revision expressions: what a REF argument may say, and the commit it names.

    HEAD  @  main  refs/heads/main  v1 (tag)        names
    3f9c2a1b04de  3f9c2a1  3f9c                     a full id, or any unique prefix of 4+ hex digits
    @{2}  main@{2}  HEAD@{2}                        the entry `agentmem reflog [BRANCH]` lists as @{2}
    X~2  X^  X^2  X^{}  X^{commit}                  ancestors (and peeling), as in git

Names win over hex prefixes (a branch called ``cafe`` is the branch). ``@{n}`` and
``HEAD@{n}`` read the current branch's reflog: agentmem keeps one reflog per branch and writes
``logs/HEAD`` only on `switch`. A prefix is looked up in the loose-object folder it names and in
each pack index's fan-out range: the cost does not grow with the number of facts.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, BinaryIO

from dulwich.objects import Commit, ShaFile, Tag

from .errors import AmbiguousRef, CorruptObject, InvalidInput, NotFound
from .values import validate_unicode

if TYPE_CHECKING:
    from .store import GitStore

MAX_REF_LENGTH = 256
MIN_PREFIX = 4
_SUFFIXES = re.compile(r"(?:\^\{(?:commit)?\}|[~^][0-9]*)*\Z")
_SUFFIX = re.compile(r"\^\{(?:commit)?\}|([~^])([0-9]*)")
_HEX = re.compile(rf"[0-9a-fA-F]{{{MIN_PREFIX},40}}\Z")
_REFLOG = re.compile(r"(?P<ref>.*)@\{(?P<n>[^}]*)\}\Z")


def resolve(store: GitStore, spec: str | None, head: bytes | None = None) -> bytes:
    """Commit id named by `spec` (default HEAD). `head`, when given, is the value the current
    branch is taken to hold (`reset` resolves ``HEAD~1`` against the head it read under lock)."""
    if spec is not None and not isinstance(spec, str):
        raise InvalidInput(f"a ref must be a string (branch, tag or commit), not {type(spec).__name__}")
    spec = validate_unicode(spec or "HEAD", "ref")
    bad = (
        any(ord(c) < 32 for c in spec) or ".." in spec or ":" in spec or spec.startswith(("-", "/"))
        or "//" in spec or spec.endswith("/")
    )  # fmt: skip
    if len(spec) > MAX_REF_LENGTH or bad:
        raise InvalidInput(f"invalid ref {spec[:40]!r}")
    suffix = _SUFFIXES.search(spec)
    cut = suffix.start() if suffix else len(spec)
    base, ops = spec[:cut], spec[cut:]
    if not base:
        raise InvalidInput(f"invalid ref {spec[:40]!r}")
    sha = _peel(store, _base(store, base, head), spec)
    for op, digits in _SUFFIX.findall(ops):
        if not op:
            continue  # ^{} / ^{commit}: every REF is peeled to its commit anyway
        count = int(digits) if digits else 1
        commit = _commit(store, sha, spec)
        if op == "~":
            for _ in range(count):
                if not commit.parents:
                    raise NotFound(f"{spec}: {commit.id.decode()[:12]} has no parent")
                commit = _commit(store, commit.parents[0], spec)
            sha = commit.id
        elif count:
            if count > len(commit.parents):
                raise NotFound(f"{spec}: {commit.id.decode()[:12]} has no parent #{count}")
            sha = commit.parents[count - 1]
    return bytes(_commit(store, sha, spec).id)


def reflog_lines(
    store: GitStore, ref: bytes, limit: int | None = None
) -> list[tuple[bytes, bytes, int, bytes]]:
    """(old, new, time, message) of the moves of `ref`, newest first; with `limit`, only the
    newest `limit`, read from the end of the file (a reflog grows by one line per commit)."""
    path = store.git.controldir() + "/logs/" + ref.decode()
    try:
        with open(path, "rb") as handle:
            lines = _tail(handle, limit) if limit is not None else handle.read().splitlines()
    except FileNotFoundError:
        raise NotFound(f"no reflog for {ref.decode()}") from None
    entries = [entry for entry in map(parse_reflog_entry, reversed(lines)) if entry is not None]
    return entries if limit is None else entries[:limit]


def _tail(handle: BinaryIO, count: int) -> list[bytes]:
    """The last `count` + 1 lines of a file (fewer if it has fewer), reading from the end."""
    end = handle.seek(0, 2)
    block, data = 8192, b""
    while True:
        start = max(0, end - block)
        handle.seek(start)
        data = handle.read(end - start)
        lines = data.splitlines()
        if start == 0 or len(lines) > count + 1:
            return lines[-(count + 1):] if start else lines
        block *= 4


def parse_reflog_entry(line: bytes) -> tuple[bytes, bytes, int, bytes] | None:
    """(old, new, time, message) of one reflog line; None for a line that is not one. git
    writes ``old new name <email> time tz`` and, only when there is a message, a tab and it."""
    head, _, message = line.partition(b"\t")
    fields = head.split(b" ")
    if len(fields) < 4 or len(fields[0]) != 40 or len(fields[1]) != 40:
        return None
    try:
        stamp = int(fields[-2])
    except ValueError:
        return None
    return fields[0], fields[1], stamp, message


def _base(store: GitStore, base: str, head: bytes | None) -> bytes:
    label = _REFLOG.match(base)
    if label:
        return _reflog_entry(store, label["ref"], label["n"], base)
    current = store.current_branch() if head is not None or base in ("HEAD", "@") else None
    if base in ("HEAD", "@"):
        if head is not None:
            return head
        value = store.ref_value(b"HEAD")
        if value is None:
            raise NotFound(f"{(current or b'HEAD').decode()} has no commit")
        return value
    if head is not None and current in (base.encode(), b"refs/heads/" + base.encode()):
        return head
    encoded = base.encode()
    for candidate in (encoded, b"refs/" + encoded, b"refs/tags/" + encoded,
                      b"refs/heads/" + encoded):  # fmt: skip
        value = store.ref_value(candidate)
        if value is not None:
            return value
    if _HEX.match(base):
        return _by_prefix(store, base.lower())
    raise NotFound(f"unknown ref or commit: {base}")


def _reflog_entry(store: GitStore, ref: str, n: str, spec: str) -> bytes:
    if not n.isdigit():
        raise InvalidInput(f"{spec}: only @{{N}} reflog entries are supported (N = 0, 1, ...)")
    if ref in ("", "HEAD", "@"):
        name = store.current_branch()
    elif ref.startswith("refs/"):
        name = ref.encode()
    else:
        name = b"refs/heads/" + ref.encode()
        if store.ref_value(name) is None:
            raise NotFound(f"{spec}: no branch {ref}")
    index = int(n)
    entries = reflog_lines(store, name, limit=index + 1)
    if index >= len(entries):
        total = len(reflog_lines(store, name))
        raise NotFound(f"{spec}: the reflog of {name.decode()} has only {total} entries")
    return entries[index][1]


def _by_prefix(store: GitStore, prefix: str) -> bytes:
    if len(prefix) == 40:
        return prefix.encode()
    found = sorted(set(store.objects.iter_prefix(prefix.encode())))
    if len(found) > 1:  # prefer what can name a commit, as git does for commit-ish arguments
        found = [sha for sha in found if isinstance(_read(store, sha), Commit | Tag)] or found
    if not found:
        raise NotFound(f"unknown ref or commit: {prefix}")
    if len(found) > 1:
        names = ", ".join(f"{sha.decode()[:12]} ({_kind(store, sha)})" for sha in found[:6])
        more = f" and {len(found) - 6} more" if len(found) > 6 else ""
        raise AmbiguousRef(f"short id {prefix} is ambiguous: {names}{more}; give more digits")
    return bytes(found[0])


def _kind(store: GitStore, sha: bytes) -> str:
    obj = _read(store, sha)
    if isinstance(obj, Commit):
        subject = obj.message.decode("utf-8", "replace").split("\n", 1)[0][:40]
        return f"commit {subject!r}"
    return "tag" if isinstance(obj, Tag) else obj.type_name.decode()


def _read(store: GitStore, sha: bytes) -> ShaFile:
    try:
        return store.objects[sha]
    except KeyError:
        raise NotFound(f"no object {sha.decode()}") from None
    except Exception as exc:  # dulwich raises assorted errors on damaged objects
        raise CorruptObject(f"cannot read {sha.decode()}: {exc}") from None


def _peel(store: GitStore, sha: bytes, spec: str) -> bytes:
    obj = _read(store, sha)
    while isinstance(obj, Tag):
        obj = _read(store, obj.object[1])
    if not isinstance(obj, Commit):
        raise NotFound(f"{spec} is not a commit")
    return bytes(obj.id)


def _commit(store: GitStore, sha: bytes, spec: str) -> Commit:
    obj = _read(store, sha)
    if not isinstance(obj, Commit):
        raise NotFound(f"{spec} is not a commit")
    return obj
