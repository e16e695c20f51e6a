"""Branches, tags, switching, `reset --hard` and the reflog.

Every ref move goes through compare-and-swap and writes a reflog line (``.git/logs/<ref>``),
so a reset never loses the commit a branch held: `reflog` lists it and any command's ``--at``
can read it back by commit id.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from dulwich.refs import check_ref_format

from .errors import AgentmemError, Conflict, InvalidInput, NotFound
from .history import commit_info
from .locking import ZERO, RefUpdate
from .object_errors import walk_commits
from .revspec import reflog_lines
from .signature import parse_trailers
from .store import GitStore
from .values import validate_count, validate_str

HEADS = b"refs/heads/"
TAGS = b"refs/tags/"
# Branches of proposed promotions, one per agent (governance/promotion.py): not memory until accepted.
PROPOSALS = "proposals/"
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
    """A reset of `branch` from `old` to `new`; `dropped` commits (reachable from the old head,
    not from the new one) no longer on the branch, counted per agent in `dropped_by`."""

    branch: str
    old: str
    new: str
    dropped: int = 0
    dropped_by: dict[str, int] = field(default_factory=dict)


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
    name = validate_str(name, f"a {what} name")
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


def has_proposals(store: GitStore) -> bool:
    """Whether any proposal branch exists (one listing of its ref folder)."""
    return bool(store.git.refs.keys(HEADS + PROPOSALS.encode()))


def proposal_holding(store: GitStore, commit: bytes) -> str | None:
    """The proposal branch (``proposals/<agent>``) of which `commit` is one of the own commits:
    reached from it and from no other branch or tag. None for any other commit, a dangling one
    included. Cheap where it matters: a proposal's own commits are those since the commit its
    reflog says it was created at, and only a commit among them is looked for in the history
    of the other branches, back to its own time (a day's slack for clocks)."""
    proposals: dict[str, bytes] = {}
    others: set[bytes] = set()
    for name, value in store.git.refs.as_dict().items():
        if name.startswith(HEADS + PROPOSALS.encode()):
            proposals[name[len(HEADS):].decode()] = value
        elif name.startswith((HEADS, TAGS)):
            with contextlib.suppress(AgentmemError):  # a tag of a tree or blob names no commit
                others.add(store.resolve(value.decode()))  # a tag object peeled to its commit
    if not proposals or commit in others:
        return None
    for name, tip in sorted(proposals.items()):
        start = _created_at(store, HEADS + name.encode())
        exclude = [start] if start is not None else sorted(others)  # no reflog: the exact walk
        own = (commit.id for commit in walk_commits(store.git, [tip], exclude))
        if commit in own and not _reaches(store, others, commit):
            return name
    return None


def _created_at(store: GitStore, ref: bytes) -> bytes | None:
    """The commit a branch was last created at, from its reflog (None without one)."""
    try:
        moves = reflog_lines(store, ref)
    except NotFound:
        return None
    return next((new for old, new, _time, _message in moves if old == ZERO), None)


def _reaches(store: GitStore, tips: set[bytes], commit: bytes) -> bool:
    """Whether `commit` is in the history of one of `tips`, walking back only to a day before
    its time. A clock skewed further makes this False, so a reader is refused, never let in."""
    since = store.commit(commit).commit_time - 86_400
    pending, seen = list(tips), set(tips)
    while pending:
        current = pending.pop()
        if current == commit:
            return True
        found = store.commit(current)
        if found.commit_time >= since:
            fresh = [parent for parent in found.parents if parent not in seen]
            seen.update(fresh)
            pending.extend(fresh)
    return False


def branches(store: GitStore) -> list[RefInfo]:
    """Every branch, the current one marked."""
    return _refs(store, HEADS)


def tags(store: GitStore) -> list[RefInfo]:
    return _refs(store, TAGS)


def create_branch(
    store: GitStore, name: str, start: str | None = None, *, commit: bytes | None = None
) -> RefInfo:
    """A new branch at `start` (default HEAD), or at `commit` made from it; an existing name is
    refused, not moved."""
    validate_ref_name(name)
    commit = store.resolve(start) if commit is None else commit
    message = f"branch: Created from {start or 'HEAD'}"
    _create(store, HEADS + name.encode(), commit, message, f"branch {name} already exists")
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
    with store.ref_transaction(ref.decode() + ".lock", "packed-refs.lock"):
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
    message = f"checkout: moving from {old} to {name}".encode()
    with store.ref_transaction("HEAD.lock"):
        store.git.refs.set_symbolic_ref(b"HEAD", ref, committer=COMMITTER, message=message)
    return RefInfo(name, commit.decode(), commit_info(store, commit).subject, current=True)


def create_tag(store: GitStore, name: str, target: str | None = None) -> RefInfo:
    """A lightweight tag at `target` (default HEAD); tags never move, so a taken name is refused."""
    validate_ref_name(name, "tag")
    commit = store.resolve(target)
    _create(store, TAGS + name.encode(), commit, "tag", f"tag {name} already exists")
    return RefInfo(name, commit.decode(), commit_info(store, commit).subject)


def _create(store: GitStore, ref: bytes, commit: bytes, message: str, taken: str) -> None:
    outcome = store.move_ref(ref, None, commit, message, create=True)
    if outcome is RefUpdate.MOVED:
        raise InvalidInput(taken)
    if outcome is RefUpdate.LOCKED:
        raise Conflict(_locked(store, ref))


def _locked(store: GitStore, ref: bytes) -> str:
    return (f"{store.git.controldir()}/{ref.decode()}.lock is held by a process outside "
            "agentmem's writer lock (plain git?); retry, or remove it if that process is gone")  # fmt: skip


def reset(store: GitStore, target: str) -> ResetResult:
    """Move the current branch to `target`, resolved against the head it moves (read under the
    writer lock): ``reset HEAD~1`` drops exactly one commit even while other agents write. The
    old head stays in the reflog; the result counts the commits dropped, per agent."""
    branch = store.current_branch()
    with store.writing():
        old = store.ref_value(branch)
        if old is None:
            raise NotFound(f"branch {branch.decode()} does not exist")
        new = store.resolve(target, head=old)
        outcome = store.move_ref(branch, old, new, f"reset: moving to {target}")
    if outcome is RefUpdate.LOCKED:
        raise Conflict(_locked(store, branch))
    if outcome is RefUpdate.MOVED:
        raise Conflict(f"{branch.decode()} moved during the reset (a writer outside agentmem's "
                       "writer lock); nothing changed, try again")  # fmt: skip
    by_agent: Counter[str] = Counter()
    for commit in walk_commits(store.git, [old], [new]):
        agent = parse_trailers(commit.message).get("agent")
        by_agent[agent or commit.author.decode("utf-8", "replace").split(" <", 1)[0]] += 1
    return ResetResult(branch.decode().removeprefix("refs/heads/"), old.decode(), new.decode(),
                       sum(by_agent.values()), dict(by_agent.most_common()))  # fmt: skip


def reflog(store: GitStore, name: str | None = None, limit: int | None = None) -> list[ReflogEntry]:
    """Moves of a branch (default: the current one), newest first."""
    validate_count(limit, "-n")
    ref = store.current_branch() if name is None else HEADS + validate_ref_name(name).encode()
    found = []
    for index, (old_sha, new_sha, stamp, message) in enumerate(reflog_lines(store, ref, limit)):
        old = None if set(old_sha) == {ord("0")} else old_sha.decode()
        when = datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        found.append(ReflogEntry(index, old, new_sha.decode(), when,
                                 message.decode("utf-8", "replace")))  # fmt: skip
    return found
