"""What an agent's `Session` does with branches and merges, on its one read path: a merge
conflict shows the versions of a fact, so the conflicts on facts the agent may not see are left
out and those shown are handed out (read receipts); a branch tip's subject may quote a fact, so it
is left empty where the agent may not see that commit; and a proposal's own commits, which are
not memory, are read, merged or branched from only by its reviewers (`Session.reading`)."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from . import history, merge_state
from . import merge as _merge
from . import refs as _refs
from .errors import Conflict, CorruptObject, InvalidInput, NotFound, PermissionDenied
from .merge import MergeConflict, MergeResult
from .refs import RefInfo, ReflogEntry, ResetResult, validate_ref_name
from .values import complete_id

if TYPE_CHECKING:
    from .bisect import BisectStep
    from .governance.visibility import Visibility
    from .history import CommitInfo
    from .session import Session


def branches(session: Session) -> list[RefInfo]:
    """Every branch, with its tip's subject left empty where that commit touched a fact the
    agent may not see or is a proposal's it may not read (the subject may quote a fact), as
    `log` leaves such commits out."""
    found = _blanked(session, session.repo.branches())
    _hand_out_quoted(session, "branch", [(r.commit, r.subject) for r in found])
    return found


def tags(session: Session) -> list[RefInfo]:
    """Every tag, its commit's subject left empty as for `branches`."""
    found = _blanked(session, session.repo.tags())
    _hand_out_quoted(session, "tag", [(r.commit, r.subject) for r in found])
    return found


def reflog(session: Session, branch: str | None, n: int | None) -> list[ReflogEntry]:
    """A branch's moves, the label of each move to a commit the agent may not see left empty
    (``commit: <subject>`` quotes it)."""
    entries = session.repo.reflog(branch, n)
    shown = _seer(session)
    if shown is not None:
        entries = [e if shown(e.new) else replace(e, message="") for e in entries]
    _hand_out_quoted(session, "reflog", [(e.new, e.message.partition(": ")[2]) for e in entries])
    return entries


def commit_info(session: Session, ref: str) -> CommitInfo:
    """A commit with its provenance and the facts it changed, if the agent may see it."""
    commit = session.repo.store.resolve(ref)
    _require_seen(session, commit.decode())  # before its changes are compared: they may be many
    info = history.commit_info(session.repo.store, commit, with_changes=True)
    _hand_out_quoted(session, "commit", [(info.id, info.message)])
    return info


def bisect(session: Session, pattern: str, scope: str | None, good: str | None,
           bad: str | None) -> BisectStep:  # fmt: skip
    """The first commit where a fact this agent may see matches `pattern` (`bad` defaults to
    the session's branch); a scope it may not read is refused, as `log --scope` is."""
    from . import bisect as _bisect

    vis = session.visibility()
    scope = None if scope is None else vis.require_scope(scope)
    session.reading(bad)  # a proposal's commits only for its reviewers
    if good is not None:
        session.reading(good)
    bad = session.branch if bad is None else bad
    visible = vis.shows if session.governed else None
    readable = vis.can_read if session.governed else None
    step = _bisect.contains(session.repo.store, pattern, scope=scope, good=good, bad=bad, visible=visible,
                            readable=readable)  # fmt: skip
    return bisect_shown(session, step)


def bisect_shown(session: Session, step: BisectStep) -> BisectStep:
    """A bisection's step as this agent is shown it: a first bad commit it may not see (whose
    subject may quote, and whose changes name, facts it may not read) keeps its id, author and
    time only; the subject of one it may see leaves a `commit` receipt when it quotes a fact."""
    first = step.first_bad
    if first is None:
        return step
    shown = _seer(session)
    if shown is not None and not shown(first.id):
        return replace(step, first_bad=replace(first, message="", changes=[]))
    _hand_out_quoted(session, "commit", [(first.id, first.message)])
    return step


def _hand_out_quoted(session: Session, op: str, shown: list[tuple[str, str]]) -> None:
    """A read receipt for the facts whose text the subjects, labels or message shown quote
    ((commit, text shown) pairs), in the version that commit wrote, as a log's; none when they
    quote no fact."""
    if not session.records_reads():
        return
    facts = session.repo.commit_scopes.quoted_in(shown)
    if facts:
        head = session.repo.store.ref_value(session.ref)
        session.hand_out(op, head.decode() if head else shown[0][0], facts)


def _require_seen(session: Session, commit: str) -> None:
    shown = _seer(session)
    if shown is not None and not shown(commit):
        raise PermissionDenied(f"agent {session.agent} may not see commit {commit[:12]}: it changes "
                               "facts this agent may not read")  # fmt: skip


def _blanked(session: Session, refs: list[RefInfo]) -> list[RefInfo]:
    shown = _seer(session)
    return refs if shown is None else [ref if shown(ref.commit) else replace(ref, subject="") for ref in refs]


def _seer(session: Session) -> Callable[[str], bool] | None:
    """Whether the agent may see a commit: not a proposal's it may not read, and touching no
    fact it may not see (`log`'s test); None when it may see every commit."""
    vis = session.visibility()
    if not (vis.restricted or vis.quarantine.entries or _refs.has_proposals(session.repo.store)):
        return None
    store = session.repo.store

    @functools.cache  # a reflog names the same commits again and again
    def shown(commit: str) -> bool:
        try:
            vis.require_proposal_reader(store, commit.encode())
        except PermissionDenied:
            return False
        return session.commit_visible(commit.encode(), vis)

    return shown


def create_branch(session: Session, name: str, start: str | None) -> RefInfo:
    """A new branch at `start` (default: the session's branch), a commit the agent may read: a
    branch at a proposal's commit would make the proposal readable as memory. It is governed as
    the session's branch: at an older commit, or one fetched from elsewhere, it starts one commit
    later with the governance files of the session's branch (`governance.branching`)."""
    from .governance.branching import governed_start

    store = session.repo.store
    if store.ref_value(_refs.HEADS + _refs.validate_ref_name(name).encode()) is not None:
        raise InvalidInput(f"branch {name} already exists")
    commit, source = session.reading(start), store.ref_value(session.ref)
    if source is not None:  # None: the owner's HEAD names no branch yet (nothing governs)
        commit = governed_start(store, commit, source, session.agent, session.branch)
    made = _refs.create_branch(store, name, start or session.branch, commit=commit)
    return _listed(session, "branch", made)


def reset(session: Session, target: str, hard: bool) -> ResetResult:
    _require_admin(session, session.repo.branch, "reset")
    return session.repo.reset(target, hard=hard)


def delete_branch(session: Session, name: str) -> RefInfo:
    _require_admin(session, validate_ref_name(name), "delete")
    return _listed(session, "branch", session.repo.delete_branch(name))


def _listed(session: Session, op: str, ref: RefInfo) -> RefInfo:
    """One branch as `branches` lists it: its tip's subject left empty where the agent may not
    see that commit (an admin's read rights may be as narrow as anyone's), else handed out."""
    shown = _blanked(session, [ref])[0]
    _hand_out_quoted(session, op, [(shown.commit, shown.subject)])
    return shown


def _require_admin(session: Session, branch: str, verb: str) -> None:
    """A reset moves a branch to any commit (one from before its policy, or one dropping other
    agents' commits) and a delete drops them all, with no commit of their own for the gate to
    check: under the branch's policy only an admin may."""
    from .governance.visibility import load_policy

    if not session.governed:
        return
    policy = load_policy(session.repo.store, session.repo.store.ref_value(f"refs/heads/{branch}".encode()))
    if not policy.is_admin(session.agent):  # no policy: everyone is
        raise PermissionDenied(f"agent {session.agent} may not {verb} branch {branch}: under its policy "
                               "only an admin may")  # fmt: skip


def _own(session: Session) -> Path:
    """The acting agent's merge in progress (each agent has its own: `merge_state`)."""
    return merge_state.state_path(session.repo.local_dir, session.agent)


def merge(session: Session, other: str, strategy: str | None, message: str) -> MergeResult:
    session.reading(other)  # a proposal is merged by `review accept`, by its reviewers
    sig = session.signature(message or f"merge {other} into {session.branch}")
    repo = session.repo
    with _unseen_scopes(session, f"merge of {other} into {session.branch}"):
        result = _merge.merge(repo.store, _own(session), session.ref, other, sig, strategy)
    return _begun(session, result)


def revert(session: Session, commit: str, strategy: str | None, message: str) -> MergeResult:
    repo = session.repo
    info = history.commit_info(repo.store, session.reading(commit))
    _require_seen(session, info.id)  # its subject would be quoted in the revert's
    sig = session.signature(message or f'revert "{info.subject}"\n\nThis reverts commit {info.id}.')
    with _unseen_scopes(session, f"revert of {info.id[:12]}"):
        result = _merge.revert(repo.store, _own(session), session.ref, info.id, sig, strategy)
    return _begun(session, result)


@contextlib.contextmanager
def _unseen_scopes(session: Session, what: str) -> Iterator[None]:
    """A merge or revert brings changes the gate refuses: where they are in a scope the agent
    may not read, the refusal does not name that scope (the agent's log hides those commits)."""
    try:
        yield
    except PermissionDenied as exc:
        if exc.scope is None or session.visibility().can_read(exc.scope):
            raise
        raise PermissionDenied(f"{what} changes facts agent {session.agent} may not see; nothing "
                               "changed: an agent that may write them merges it") from None  # fmt: skip


def merge_status(session: Session) -> MergeResult:
    return _shown(session, _merge.pending(session.repo.store, _own(session)))


def resolve_conflict(session: Session, fact_id: str, take: str, text: str | None) -> MergeConflict:
    """Settle one conflict (one the agent may see); the conflict returned shows its versions,
    so they are handed out. Settling it decides the fact's text in its scope, which the merge
    commit then writes under the name of the agent who began the merge: it needs the write right
    there, under the policy of the branch merged into. `fact_id` may be a start of the id that
    only one of the conflicts the agent may see has (`values.complete_id`): the candidates are
    the few facts of one merge, not the memory."""
    from .governance.visibility import load_policy

    repo = session.repo
    _require_owner(session, "resolve its conflicts")
    pending = _merge.pending(repo.store, _own(session))
    vis = session.visibility()
    fact_id = complete_id(fact_id, (c.id for c in pending.conflicts if _finds(vis, c)))
    for found in (c for c in pending.conflicts if c.id == fact_id):
        if not _finds(vis, found):
            raise NotFound(f"no conflict on fact {fact_id}")
        if session.governed:
            load_policy(repo.store, pending.ours.encode()).require(session.agent, "write", found.scope)
    conflict = _merge.resolve(repo.store, _own(session), fact_id, take, text, session.agent)
    session.hand_out("resolve", pending.ours, [(conflict.id, blob) for blob in conflict.blobs], fact_id)
    _show_versions(session, vis, conflict, pending.base, pending.ours, pending.theirs)
    return conflict


def merge_continue(session: Session) -> MergeResult:
    """Commit the merge in progress; its unresolved conflicts the agent may not see are counted,
    not named (an id may say what a private fact is about)."""
    repo = session.repo
    _require_owner(session, "commit it")
    try:
        with _unseen_scopes(session, "the merge in progress"):
            return _merge.continue_merge(repo.store, _own(session))
    except Conflict as exc:
        vis = session.visibility()
        pending = _merge.pending(repo.store, _own(session)).conflicts
        hidden = {c.id for c in pending if not _finds(vis, c)} & set(exc.fact_ids)
        if not hidden:
            raise
        shown = [i for i in exc.fact_ids if i not in hidden]
        raise Conflict(f"unresolved conflicts: {', '.join([*shown, _unseen(session, len(hidden))])}",
                       fact_ids=shown) from None  # fmt: skip


def merge_abort(session: Session) -> MergeResult:
    _require_owner(session, "abort it", admins=True)
    return _merge.abort_merge(_own(session))


def _require_owner(session: Session, verb: str, admins: bool = False) -> None:
    """A merge in progress is the agent's that began it: its commit is written under that
    agent's name, so another agent's choices between versions would be recorded as that
    agent's. Each agent's is kept apart (`merge_state`), so what this refuses is a state that
    names another agent in the acting agent's file: one an older agentmem left in the one
    `MERGE.json` of the checkout, which is agent `cli`'s file now. Dropping it loses no commit,
    so `cli` may where it is an admin of the branch merged into. Under a policy only: without
    one every agent may do everything."""
    from .governance.visibility import load_policy

    try:
        state = merge_state.read(_own(session))
    except CorruptObject:
        if admins:  # an abort drops an unreadable state: nothing could finish it
            return
        raise
    if state is None or not session.governed or state["agent"] == session.agent:
        return
    policy = load_policy(session.repo.store, state["head"].encode())
    if not policy.exists or (admins and policy.is_admin(session.agent)):
        return  # no policy: agents are names, not rights
    who = "it or an admin" if admins else "only it"
    raise PermissionDenied(f"the {state['kind']} in progress was begun by agent {state['agent']}: "
                           f"{who} may {verb}")  # fmt: skip


def _begun(session: Session, result: MergeResult) -> MergeResult:
    """A merge or revert this agent just began: one that conflicts on a fact it may not see is
    one it cannot finish (it may not resolve that conflict), so it is dropped at once rather
    than left in progress, and said without naming the fact."""
    vis = session.visibility()
    hidden = [c for c in result.conflicts if not _finds(vis, c)]
    if hidden:
        _merge.abort_merge(_own(session))
        raise Conflict(f"{result.kind} of {result.theirs[:12]} into {session.branch} conflicts on "
                       f"{_unseen(session, len(hidden))}; nothing changed: a strategy (ours, "
                       "theirs, newest) settles them, or an agent that may read them merges it")  # fmt: skip
    return _shown(session, result)


def _unseen(session: Session, count: int) -> str:
    return f"{count} fact{'s' if count > 1 else ''} agent {session.agent} may not see"


def _shown(session: Session, result: MergeResult) -> MergeResult:
    """Conflicts the agent may not see (scope, quarantine) are left out of what it is shown;
    the versions of those it is shown are handed out."""
    vis = session.visibility()
    result.conflicts = [c for c in result.conflicts if _finds(vis, c)]
    handed = [(c.id, blob) for c in result.conflicts for blob in c.blobs]
    if handed:
        session.hand_out("merge", result.ours, handed, result.theirs)
    for conflict in result.conflicts:
        _show_versions(session, vis, conflict, result.base, result.ours, result.theirs)
    return result


def _show_versions(session: Session, vis: Visibility, conflict: MergeConflict, *commits: str | None) -> None:
    """A conflict's versions with `derived_from` as the agent is shown it (`shown_sources`),
    its sources looked for in the merge's commits."""
    if not vis.restricted:
        return
    from .snapshot import Snapshot

    snaps = [Snapshot(session.repo.store, c.encode()) for c in dict.fromkeys(commits) if c]
    conflict.base = vis.shown_version(conflict.base, *snaps)
    conflict.ours = vis.shown_version(conflict.ours, *snaps)
    conflict.theirs = vis.shown_version(conflict.theirs, *snaps)


def _finds(vis: Visibility, conflict: MergeConflict) -> bool:
    return vis.finds_versions(conflict.id, conflict.scope, (conflict.base, conflict.ours, conflict.theirs))
