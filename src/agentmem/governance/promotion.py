"""Promotion: copy a fact into a wider scope as a new fact derived from it, with the promotion
in its provenance (``source = "promote:<scope>/<id>@<commit>"``, ``derived_from = [id]``).

Promoting needs the promote right on the target scope (the gate checks it). With `propose`,
the new fact goes to the branch ``proposals/<agent>`` instead, which anyone may write (it is
not memory until accepted); `review` lists proposals as fact diffs, `accept` copies chosen
facts onto the reviewer's branch (the reviewer needs the promote right) and `reject` drops them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dulwich.graph import find_merge_base

from ..diff import FactDiff, diff_commits
from ..errors import NotFound
from ..fact import parse_scope
from ..layout import fact_path
from ..object_errors import reading
from ..refs import PROPOSALS, delete_branch
from ..store import GitStore
from ..transaction import WriteResult
from ..values import validate_flag
from .gate import PROMOTED

if TYPE_CHECKING:
    from ..repo import Repo
    from ..session import Session

@dataclass
class Proposal:
    """A `proposals/<agent>` branch and the facts it adds or changes. `hidden`: how many more
    it holds that the reader may not see (counted, not named)."""

    branch: str
    agent: str
    changes: list[FactDiff] = field(default_factory=list)
    hidden: int = 0


def promote(session: Session, fact_id: str, to: str, *, propose: bool = False) -> WriteResult:
    validate_flag(propose, "propose")
    original = session.get(fact_id)
    target = parse_scope(to)
    fields: dict[str, Any] = {
        "kind": original.kind, "tags": original.tags, "meta": dict(original.meta),
        "derived_from": [original.id],
        "source": f"{PROMOTED}{original.scope}/{original.id}@{session.tip().decode()[:12]}",
    }  # fmt: skip
    message = f"promote {original.id} from {original.scope} to {target}"
    writer = session
    if propose:
        branch = f"{PROPOSALS}{session.agent}"
        store = session.repo.store
        if store.ref_value(f"refs/heads/{branch}".encode()) is None:
            session.repo.create_branch(branch, session.tip().decode())
        writer = session.repo.as_agent(session.agent, run=session.run, trace=session.trace,
                                       branch=branch)  # fmt: skip
        message = "propose: " + message
    with writer.transaction(message) as tx:
        tx.known_sources.add(original.id)  # read above, on the session's branch
        written = tx.remember(original.text, target, **fields)
    assert tx.result is not None
    written.commit = tx.result.commit
    return written


def reviewable(session: Session, into: str | None = None) -> list[Proposal]:
    """The proposals this agent may read, relative to `into` (default: its branch): all of them
    for its reviewers (admins, agents with a promote right), else its own. Each shows the facts
    it may see (`Visibility.finds_versions`, `derived_from` as `shown_sources`) and counts the
    others; the versions shown are handed out (read receipt op `review`)."""
    from ..errors import PermissionDenied
    from ..snapshot import Snapshot

    repo, vis = session.repo, session.visibility()
    into = into or session.branch
    target = Snapshot(repo.store, repo.store.resolve(into))
    shown: list[Proposal] = []
    for proposal in proposals(repo, into):
        tip = repo.store.resolve(proposal.branch)
        try:
            vis.require_proposal_reader(repo.store, tip, proposal.branch)
        except PermissionDenied:
            continue
        seen = [c for c in proposal.changes if vis.finds_versions(c.id, c.scope, (c.old, c.new))]
        snaps = (Snapshot(repo.store, tip), target)
        for change in seen:
            change.old = vis.shown_version(change.old, *snaps)
            change.new = vis.shown_version(change.new, *snaps)
        shown.append(Proposal(proposal.branch, proposal.agent, seen, len(proposal.changes) - len(seen)))
    handed = [(c.id, blob) for p in shown for c in p.changes for blob in (c.old_blob, c.new_blob) if blob]
    if handed:
        session.hand_out("review", target.commit, handed, into)
    return shown


def proposals(repo: Repo, into: str) -> list[Proposal]:
    """Every `proposals/*` branch with the facts it adds or changes relative to `into`, those
    `into` already holds as proposed (accepted before) left out: the owner's read, no identity
    (an agent's is `reviewable`)."""
    store = repo.store
    target = store.resolve(into)
    found = []
    for ref in repo.branches():
        if not ref.name.startswith(PROPOSALS):
            continue
        tip = store.resolve(ref.name)
        with reading(f"the histories of {target.decode()[:12]} and {tip.decode()[:12]}"):
            bases = find_merge_base(store.git, [target, tip])
        diff = diff_commits(store, bases[0] if bases else None, tip)
        held = store.commit(target).tree
        pending = [change for change in diff.changes if not _holds(store, held, change)]
        found.append(Proposal(ref.name, ref.name[len(PROPOSALS):], pending))
    return found


def _holds(store: GitStore, tree: bytes, change: FactDiff) -> bool:
    """Whether `tree` already holds what the proposal proposes for one fact (accepted before:
    `accept` copies the version byte for byte; a removal: the fact is gone)."""
    wanted = None if change.new_blob is None else change.new_blob.encode()
    return store.lookup(tree, fact_path(change.scope, change.id)) == wanted


def _proposal(session: Session, name: str) -> Proposal:
    """Proposal `name` as the agent may see it; "no proposal" when it may not read it."""
    branch = name if name.startswith(PROPOSALS) else PROPOSALS + name
    for proposal in reviewable(session):
        if proposal.branch == branch:
            return proposal
    raise NotFound(f"no proposal {name}")


def accept(session: Session, name: str, ids: list[str] | None = None) -> list[str]:
    """Copy the chosen facts (default: all) of proposal `name` onto the session's branch, in
    one commit by the reviewer; the proposal branch goes once nothing is left in it."""
    proposal = _proposal(session, name)
    chosen = [c for c in proposal.changes if c.new is not None and (ids is None or c.id in ids)]
    missing = set(ids or ()) - {c.id for c in chosen}
    if missing:
        raise NotFound(f"proposal {name} has no fact {sorted(missing)[0]} left to accept")
    with session.transaction(f"accept {len(chosen)} fact(s) from {proposal.branch}") as tx:
        for change in chosen:  # the proposed version whole (what the reviewer was shown may
            assert change.new_blob is not None  # leave out sources it may not read)
            tx.put(session.repo.store.read_fact(change.new_blob.encode()))
    if (ids is None or len(chosen) == len(proposal.changes)) and not proposal.hidden:
        delete_branch(session.repo.store, proposal.branch)
    return [c.id for c in chosen]


def reject(session: Session, name: str, ids: list[str] | None = None) -> list[str]:
    """Drop the chosen facts (default: the whole proposal)."""
    proposal = _proposal(session, name)
    if ids is None:
        delete_branch(session.repo.store, proposal.branch)
        return [c.id for c in proposal.changes]
    missing = set(ids) - {c.id for c in proposal.changes}
    if missing:
        raise NotFound(f"proposal {name} has no fact {sorted(missing)[0]} to reject")
    writer = session.repo.as_agent(session.agent, branch=proposal.branch)
    with writer.transaction(f"reject {len(ids)} proposed fact(s)") as tx:
        for fact_id in ids:
            tx.forget(fact_id)
    return ids
