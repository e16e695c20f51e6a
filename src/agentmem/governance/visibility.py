"""What one reader may see: the policy's read rights, the quarantine list and retention, as
committed at the tip of the reader's branch. Every read path (the session, the search service)
asks one `Visibility`; a fact it hides looks exactly like a fact that does not exist."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..errors import PermissionDenied
from ..fact import Fact, parse_scope
from ..store import GitStore
from . import retention
from .policy import OPEN, POLICY_PATH, Policy
from .quarantine import QuarantineList
from .state import QUARANTINE_PATH, read_tree_file

if TYPE_CHECKING:
    from ..listing import FactHeader
    from ..repo import Repo
    from ..snapshot import Snapshot


@dataclass
class Visibility:
    """`agent` None is the repository's owner (the library without an identity): the policy
    does not apply, quarantine and retention do."""

    agent: str | None
    policy: Policy
    quarantine: QuarantineList
    now: datetime
    _reads: dict[str, bool] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def load(cls, store: GitStore, agent: str | None, commit: bytes | None) -> Visibility:
        """The governance state committed at `commit` (the tip of the reader's branch)."""
        return cls(agent, load_policy(store, commit), load_quarantine(store, commit),
                   datetime.now(UTC))  # fmt: skip

    @property
    def restricted(self) -> bool:
        """Whether the policy limits which scopes this reader sees (not for a ``"*"`` reader)."""
        return self.agent is not None and not self.policy.reads_all(self.agent)

    @property
    def reads_nothing(self) -> bool:
        """Whether the policy lets this reader read no scope at all, so that every list and
        search comes back empty. Says only what the reader's own rights are."""
        return self.agent is not None and not self.policy.grants_any(self.agent, "read")

    def require_proposal_reader(self, store: GitStore, commit: bytes, branch: str | None = None) -> None:
        """`PermissionDenied` when `commit` is one of a proposal's own commits (`branch`, when
        the reader names a branch it reads, else `refs.proposal_holding`) and this reader may
        not review it. Anyone may write a proposal, in any scope, so a proposal is not memory:
        read as memory, it would publish a private fact to every reader of the scope it names
        without the promote right. Its proposer, admins and agents holding a promote right
        (reviewers) read it."""
        from ..refs import PROPOSALS, proposal_holding

        agent = self.agent
        if agent is None or self.policy.is_admin(agent) or self.policy.grants_any(agent, "promote"):
            return  # the owner, anyone without a policy (all are admins), admins, reviewers
        name = branch if branch is not None else proposal_holding(store, commit)
        if name is None or not name.startswith(PROPOSALS) or name == PROPOSALS + agent:
            return
        raise PermissionDenied(
            f"agent {agent} may not read {name}: a proposal is not memory until a reviewer "
            "accepts it (its proposer, admins and agents with a promote right read it)"
        )

    def hides_quarantine_change(self, store: GitStore, commit: bytes) -> bool:
        """Whether `commit` adds or lifts a quarantine entry of a fact in a scope this reader may
        not read: its message names that fact (``quarantine dana-pin and 0 derived fact(s)``),
        so a log leaves it out as it leaves out a commit touching such a fact."""
        if not self.restricted:
            return False
        parents = store.commit(commit).parents
        listed = {e.id for e in load_quarantine(store, commit).entries}
        before = {e.id for e in load_quarantine(store, parents[0]).entries} if parents else set()
        if listed == before:
            return False
        from ..snapshot import Snapshot

        snaps = [Snapshot(store, commit), *(Snapshot(store, parent) for parent in parents[:1])]
        facts = (snap.find(i) for i in listed ^ before for snap in snaps)
        return any(fact is not None and not self.can_read(fact.scope) for fact in facts)

    def require_scope(self, scope: str) -> str:
        """`scope` checked and normalised (`parse_scope`); `PermissionDenied` (exit 5) unless
        this reader may read it: a list, search or diff asked for one scope names it."""
        scope = parse_scope(scope)
        if not self.can_read(scope):
            raise PermissionDenied(f"agent {self.agent} may not read scope {scope}")
        return scope

    def can_read(self, scope: str) -> bool:
        if self.agent is None:
            return True
        known = self._reads.get(scope)  # a listing asks once per fact
        if known is None:
            known = self._reads[scope] = self.policy.allows(self.agent, "read", scope)
        return known

    def finds(self, fact: Fact | FactHeader) -> bool:
        """Whether a fact asked for by its id is handed out: readable and not quarantined. An
        expired fact is still found by id (shown marked expired); lists and searches hide it."""
        return self.can_read(fact.scope) and not self.quarantine.hides(fact)

    def finds_versions(self, fact_id: str, scope: str, versions: Iterable[dict[str, Any] | None]) -> bool:
        """`finds` for versions of one fact shown side by side as dicts (a diff, a merge
        conflict; None where a side has none): readable, neither the fact nor a source of any
        version quarantined."""
        hidden = self.quarantine.hidden
        sources = {s for version in versions if version for s in version.get("derived_from", ())}
        return self.can_read(scope) and fact_id not in hidden and not sources & hidden

    def shown_sources(self, sources: Sequence[str], *snaps: Snapshot) -> list[str]:
        """The `derived_from` ids this reader is shown: all of them unless the policy limits
        its scopes, else those of facts in a scope it may read in one of `snaps` (the commits
        the fact is read from). A generated id is a hash of scope and text, so a hidden source's
        id would let the reader test guesses of its text; a source no longer there is left out
        as well, since a hidden one must look exactly like it."""
        if not self.restricted or not sources:
            return list(sources)
        readable = [(snap, scope) for snap in snaps for scope in snap.scopes if self.can_read(scope)]
        return [i for i in sources if any(snap.locate(i, scope) for snap, scope in readable)]

    def shown_fact(self, fact: Fact, *snaps: Snapshot) -> Fact:
        """`fact` as this reader is shown it: `derived_from` as `shown_sources` leaves it."""
        sources = self.shown_sources(fact.derived_from, *snaps)
        return fact if len(sources) == len(fact.derived_from) else replace(fact, derived_from=tuple(sources))

    def shown_version(self, version: dict[str, Any] | None, *snaps: Snapshot) -> dict[str, Any] | None:
        """`shown_fact` for a version shown as a dict (a diff, a merge conflict)."""
        if not version or not version.get("derived_from") or not self.restricted:
            return version
        return {**version, "derived_from": self.shown_sources(version["derived_from"], *snaps)}

    def expired(self, fact: Fact | FactHeader) -> bool:
        """Past its own expiry or its scope's time to live (retention)."""
        return retention.expired(fact, self.policy, self.now)

    def shows(self, fact: Fact | FactHeader) -> bool:
        """Whether a fact appears in lists and searches: found by id, and not expired."""
        return self.finds(fact) and not self.expired(fact)


def load_policy(store: GitStore, commit: bytes | None) -> Policy:
    found = None if commit is None else read_tree_file(store, commit, POLICY_PATH)
    return OPEN if found is None else Policy.parse(found[1])


def load_quarantine(store: GitStore, commit: bytes | None) -> QuarantineList:
    found = None if commit is None else read_tree_file(store, commit, QUARANTINE_PATH)
    return QuarantineList() if found is None else QuarantineList.parse(found[1])


class ReadFilter:
    """A reader's visibility test as the search paths take it: called on each hit, plus
    `where(store, at)`, the index prefilter naming the scopes the reader may read (None: no
    limit; "": nothing readable)."""

    def __init__(self, vis: Visibility) -> None:
        self.vis = vis

    @classmethod
    def of(cls, repo: Repo, agent: str | None, branch: str | None) -> ReadFilter:
        from ..session import Session

        session = Session(repo, agent or "agentmem", branch=branch, governed=agent is not None)
        return cls(session.visibility())

    def __call__(self, fact: Fact) -> bool:
        return self.vis.shows(fact)

    def where(self, store: GitStore, at: str | None) -> str | None:
        commit = store.resolve(at)
        self.vis.require_proposal_reader(store, commit)
        if not self.vis.restricted:
            return None
        from ..search import quote

        readable = [s for s in store.scopes(store.commit(commit).tree) if self.vis.can_read(s)]
        return "scope IN (" + ", ".join(quote(s) for s in readable) + ")" if readable else ""
