"""Retention: a fact's own `expires_at` and its scope's time to live (policy ``[retention]``).

Expired facts are hidden from every read and search at once; `expire` commits their removal
(history keeps them). A scope's time to live counts from the fact's last write (`updated_at`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from ..expiry import is_expired
from ..fact import Fact
from ..values import validate_flag
from .policy import Policy

if TYPE_CHECKING:
    from ..listing import FactHeader
    from ..session import Session


def parse_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def expired(fact: Fact | FactHeader, policy: Policy, now: datetime) -> bool:
    """Whether `fact` is past its own expiry or its scope's time to live at `now`."""
    if fact.expires_at and is_expired(fact, now):  # most facts have no expiry: no call for them
        return True
    ttl = policy.ttl(fact.scope)
    return ttl is not None and parse_time(fact.updated_at) + timedelta(seconds=ttl) <= now


@dataclass
class Expired:
    """What `expire` removed (or, with `dry_run`, would remove)."""

    ids: list[str] = field(default_factory=list)
    commit: str | None = None
    dry_run: bool = False


def expire(session: Session, *, dry_run: bool = False) -> Expired:
    """Forget, in one commit on the session's branch, every fact past its expiry or its
    scope's time to live (history keeps them). Under a policy, those in the scopes the agent may
    read and write: the others are not its to remove, nor to name."""
    validate_flag(dry_run, "dry_run")
    snapshot = session.snapshot()
    vis = session.visibility()
    policy, now = vis.policy, datetime.now(UTC)

    def removable(scope: str) -> bool:
        if vis.agent is None or not policy.exists:
            return True
        return vis.can_read(scope) and policy.allows(session.agent, "write", scope)

    # each fact's times from `.agentmem/fact-listing` (listing.py): no fact file is read twice
    folders = [f for f in session.repo.store.scope_trees(snapshot.tree_id) if removable(f[0])]
    headers = session.repo.fact_listing.headers(folders, snapshot.read)
    ids = [h.id for h in sorted(headers, key=lambda h: h.path) if expired(h, policy, now)]
    found = Expired(ids, dry_run=dry_run)
    if dry_run or not found.ids:
        return found
    with session.transaction(f"expire {len(found.ids)} fact(s)") as tx:
        for fact_id in found.ids:
            tx.forget(fact_id)
    assert tx.result is not None
    found.commit = tx.result.commit
    return found
