"""The commit gate: every commit (transactions, merges, reverts, resolutions, governance
files) passes `check` before its ref moves. Later CI gates hook in here too."""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import AgentmemError, PermissionDenied
from ..fact import Fact
from ..layout import parse_fact_path
from ..refs import HEADS, PROPOSALS
from ..signature import Signature
from ..store import GitStore
from .visibility import load_policy

PROMOTED = "promote:"  # the `source` prefix of a promoted fact (see promotion.py)


def check(
    store: GitStore, branch: bytes, head: bytes, changes: Mapping[bytes, bytes | None],
    sig: Signature,
) -> None:  # fmt: skip
    """`PermissionDenied` unless `sig.agent` may make every change on `branch` under the policy
    committed at `head`: a fact needs the write right on its scope (a promotion the promote
    right), any other file (the policy, the quarantine list, repo.toml) needs an admin.
    Proposal branches (``proposals/<agent>``) take any fact, they are not memory until
    accepted, but only from that agent and those who may review it (admins, agents with a
    promote right): anyone else's fact would be accepted as the proposer's."""
    policy = load_policy(store, head)
    if not policy.exists:
        return  # no policy: everyone may do everything, setting the first policy included
    agent = sig.agent
    proposal = branch.removeprefix(HEADS).decode("utf-8", "replace")
    if proposal.startswith(PROPOSALS) and all(parse_fact_path(p) for p in changes):
        reviewer = policy.is_admin(agent) or policy.grants_any(agent, "promote")
        if proposal != PROPOSALS + agent and not reviewer:
            raise PermissionDenied(f"agent {agent} may not write on {proposal}: it is "
                                   f"{proposal.removeprefix(PROPOSALS)}'s proposal")  # fmt: skip
        return
    for path, data in changes.items():
        parsed = parse_fact_path(path)
        if parsed is None:
            if not policy.is_admin(agent):
                what = path.decode("utf-8", "replace")
                raise PermissionDenied(f"agent {agent} may not change {what} (admins only)")
            continue
        scope = parsed[0]
        action = "write"
        if data is not None and _promoted(data) and store.lookup(store.commit(head).tree, path) is None:
            action = "promote"
        policy.require(agent, action, scope)


def _promoted(data: bytes) -> bool:
    try:
        source = Fact.from_bytes(data).source
    except AgentmemError:
        return False  # not a fact: validation refuses it elsewhere
    return bool(source and source.startswith(PROMOTED))
