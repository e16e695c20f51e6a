"""What one reader may see: the policy's read rights, the quarantine list and retention, as
committed at the tip of the reader's branch. Every read path (the session, the search service)
asks one `Visibility`; a fact it hides looks exactly like a fact that does not exist."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..fact import Fact, validate_name
from ..refs import validate_ref_name
from ..store import GitStore
from .policy import OPEN, POLICY_PATH, Policy
from .quarantine import QuarantineList
from .retention import expired
from .state import QUARANTINE_PATH, read_tree_file

if TYPE_CHECKING:
    from ..index import Index
    from ..search import SearchHit


@dataclass
class Visibility:
    """`agent` None is the repository's owner (the library without an identity): the policy
    does not apply, quarantine and retention do."""

    agent: str | None
    policy: Policy
    quarantine: QuarantineList
    now: datetime

    @classmethod
    def load(cls, store: GitStore, agent: str | None, commit: bytes | None) -> Visibility:
        """The governance state committed at `commit` (the tip of the reader's branch)."""
        return cls(agent, load_policy(store, commit), load_quarantine(store, commit),
                   datetime.now(UTC))  # fmt: skip

    @property
    def restricted(self) -> bool:
        """Whether the policy limits which scopes this reader sees."""
        return self.agent is not None and self.policy.exists

    def can_read(self, scope: str) -> bool:
        return self.agent is None or self.policy.allows(self.agent, "read", scope)

    def shows(self, fact: Fact) -> bool:
        return (
            self.can_read(fact.scope)
            and not self.quarantine.hides(fact)
            and not expired(fact, self.policy, self.now)
        )


def load_policy(store: GitStore, commit: bytes | None) -> Policy:
    found = None if commit is None else read_tree_file(store, commit, POLICY_PATH)
    return OPEN if found is None else Policy.parse(found[1])


def load_quarantine(store: GitStore, commit: bytes | None) -> QuarantineList:
    found = None if commit is None else read_tree_file(store, commit, QUARANTINE_PATH)
    return QuarantineList() if found is None else QuarantineList.parse(found[1])


def governed_search(
    index: Index, reader: dict[str, Any] | None, params: dict[str, Any], progress: Any
) -> list[SearchHit]:
    """Run a search for `reader` (``{"agent", "branch"}``; None: the owner). Scopes the agent
    may not read are left out by the index's prefilter, so ranks and scores never hint at
    them; quarantined and expired facts are dropped after ranking (asking for more until `k`
    remain or the index has no more)."""
    from ..search import MAX_K, quote, run_search

    store = index.store
    branch = validate_ref_name(str((reader or {}).get("branch") or store.current_branch().decode()
                                   .removeprefix("refs/heads/")))  # fmt: skip
    agent = (reader or {}).get("agent")
    tip = store.ref_value(f"refs/heads/{branch}".encode())
    vis = Visibility.load(store, None if agent is None else validate_name(agent, "agent name"), tip)
    where = None
    if vis.restricted:
        commit = store.resolve(params.get("at"))
        readable = [s for s in store.scopes(store.commit(commit).tree) if vis.can_read(s)]
        if not readable:
            return []
        where = "scope IN (" + ", ".join(quote(s) for s in readable) + ")"
    k = int(params.get("k", 10))
    ask = k
    while True:
        hits = run_search(index, progress=progress, where=where, **{**params, "k": ask})
        shown = [hit for hit in hits if vis.shows(hit.fact)]
        if len(shown) >= k or len(hits) < ask or ask >= MAX_K:
            return shown[:k]
        ask = min(MAX_K, ask * 2 + len(hits) - len(shown))
