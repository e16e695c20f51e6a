"""Branches, tags, switching, `reset --hard` and the reflog.

Every ref move goes through compare-and-swap and writes a reflog line (``.git/logs/<ref>``),
so a reset never loses the commit a branch held: `reflog` lists it and any command's ``--at``
can read it back by commit id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from dulwich.reflog import read_reflog
from dulwich.refs import check_ref_format

from .errors import Conflict, InvalidInput, NotFound
from .history import commit_info
from .store import GitStore

HEADS = b"refs/heads/"
TAGS = b"refs/tags/"
COMMITTER = b"agentmem <agentmem@localhost>"


@dataclass
class RefInfo:
    """A branch or tag: its short name, the commit it points at, that commit's subject."""

    name: str
    commit: str
    subject: str
    current: bool = False


@dataclass
class ResetResult:
    branch: str
    old: str
    new: str


@dataclass
class ReflogEntry:
    """One move of a ref, newest first: ``<ref>@{index}`` moved from `old` to `new`."""

    index: int
    old: str | None
    new: str
    time: str
    message: str


def validate_ref_name(name: str, what: str = "branch") -> str:
    """Reject names git would refuse, and ones that look like options or commit ranges."""
    bad = not name or name.startswith("-") or name == "HEAD" or len(name) > 200
    if bad or not check_ref_format(HEADS + name.encode("utf-8", "replace")):
        raise InvalidInput(f"invalid {what} name {name[:40]!r}")
    return name


def _refs(store: GitStore, base: bytes) -> list[RefInfo]:
    current = store.git.refs.get_symrefs().get(b"HEAD")
    found = []
    for short, sha in sorted(store.git.refs.as_dict(base).items()):
        commit = store.resolve(sha.decode())
        found.append(RefInfo(short.decode(), commit.decode(), commit_info(store, commit).subject,
                             current=base + short == current))  # fmt: skip
    return found


def branches(store: GitStore) -> list[RefInfo]:
    """Every branch, the current one marked."""
    return _refs(store, HEADS)


def tags(store: GitStore) -> list[RefInfo]:
    return _refs(store, TAGS)


def create_branch(store: GitStore, name: str, start: str | None = None) -> RefInfo:
    """A new branch at `start` (default HEAD); an existing name is refused, not moved."""
    validate_ref_name(name)
    commit = store.resolve(start)
    message = f"branch: Created from {start or 'HEAD'}".encode()
    if not store.git.refs.add_if_new(HEADS + name.encode(), commit, committer=COMMITTER,
                                     message=message):  # fmt: skip
        raise InvalidInput(f"branch {name} already exists")
    return RefInfo(name, commit.decode(), commit_info(store, commit).subject)


def delete_branch(store: GitStore, name: str) -> RefInfo:
    """Delete a branch (not the current one). Its commits stay until git gc; the returned
    commit id brings it back with `branch NAME --from ID`."""
    validate_ref_name(name)
    ref = HEADS + name.encode()
    if store.git.refs.get_symrefs().get(b"HEAD") == ref:
        raise InvalidInput(f"cannot delete the current branch {name}; switch first")
    old = store.ref_value(ref)
    if old is None:
        raise NotFound(f"no branch {name}")
    if not store.git.refs.remove_if_equals(ref, old, committer=COMMITTER,
                                           message=b"branch: deleted"):  # fmt: skip
        raise Conflict(f"branch {name} moved while deleting it")
    return RefInfo(name, old.decode(), commit_info(store, old).subject)


def switch(store: GitStore, name: str) -> RefInfo:
    """Point HEAD at branch `name`: later writes and reads without --at use it."""
    validate_ref_name(name)
    ref = HEADS + name.encode()
    commit = store.ref_value(ref)
    if commit is None:
        raise NotFound(f"no branch {name} (create it with 'agentmem branch {name}')")
    old = store.git.refs.get_symrefs().get(b"HEAD", b"?").decode().removeprefix("refs/heads/")
    store.git.refs.set_symbolic_ref(b"HEAD", ref, committer=COMMITTER,
                                    message=f"checkout: moving from {old} to {name}".encode())  # fmt: skip
    return RefInfo(name, commit.decode(), commit_info(store, commit).subject, current=True)


def create_tag(store: GitStore, name: str, target: str | None = None) -> RefInfo:
    """A lightweight tag at `target` (default HEAD); tags never move, so a taken name is refused."""
    validate_ref_name(name, "tag")
    commit = store.resolve(target)
    if not store.git.refs.add_if_new(TAGS + name.encode(), commit, committer=COMMITTER,
                                     message=b"tag"):  # fmt: skip
        raise InvalidInput(f"tag {name} already exists")
    return RefInfo(name, commit.decode(), commit_info(store, commit).subject)


def reset(store: GitStore, target: str) -> ResetResult:
    """Move the current branch to `target`; the old head stays in the reflog."""
    branch = store.current_branch()
    new = store.resolve(target)
    old = store.ref_value(branch)
    if old is None:
        raise NotFound(f"branch {branch.decode()} does not exist")
    if not store.set_ref(branch, old, new, f"reset: moving to {target}"):
        raise Conflict(f"{branch.decode()} moved during the reset; try again")
    return ResetResult(branch.decode().removeprefix("refs/heads/"), old.decode(), new.decode())


def reflog(store: GitStore, name: str | None = None, limit: int | None = None) -> list[ReflogEntry]:
    """Moves of a branch (default: the current one), newest first."""
    ref = store.current_branch() if name is None else HEADS + validate_ref_name(name).encode()
    path = store.git.controldir() + "/logs/" + ref.decode()
    try:
        with open(path, "rb") as handle:
            entries = list(read_reflog(handle))
    except FileNotFoundError:
        raise NotFound(f"no reflog for {ref.decode()}") from None
    found = []
    for index, entry in enumerate(reversed(entries)):
        if limit is not None and index >= limit:
            break
        old = None if set(entry.old_sha) == {ord("0")} else entry.old_sha.decode()
        when = datetime.fromtimestamp(entry.timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        found.append(ReflogEntry(index, old, entry.new_sha.decode(), when,
                                 entry.message.decode("utf-8", "replace")))  # fmt: skip
    return found
