"""The acting agent: `repo.as_agent("billing", run=..., trace=..., branch=...)`.

Every read and write of an agent goes through its `Session`:

- one read path: every fact that leaves the store (a snapshot, `ls`, `show`, log, blame, diff,
  search hits, merge conflicts, bisect) is filtered by `Visibility` (policy, quarantine,
  retention) and written to the read receipts, in `hand_out`;
- one commit path: every commit passes the gate installed on the store (`governance.gate`), so
  transactions, merges, reverts and resolutions are checked the same way;
- one branch: a session writes to ITS branch (``branch=``, ``$AGENTMEM_BRANCH``, else HEAD's
  branch when the session is made); another agent's `switch` never redirects it.

Identity is declared (like a git author); see docs/governance.md.
"""

from __future__ import annotations

import heapq
import itertools
import os
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Unpack

from .errors import NotFound, PermissionDenied
from .fact import Fact, parse_scope, validate_name
from .governance.visibility import Visibility
from .session_history import HistoryReads
from .session_refs import BranchesAndMerges
from .signature import Signature
from .snapshot import Snapshot
from .values import MIN_ID_PREFIX, complete_id, validate_count, validate_flag, validate_id, validate_token
from .write_fields import ChangedFactFields, NewFactFields, check_fields

# Merge, lineage, diff, search and the write path load when a method needs them, so a command
# that only reads (`agentmem log`) does not import them (start-up: docs/benchmarks.md).
if TYPE_CHECKING:
    from .governance.receipts import Receipt
    from .lineage import Cascade
    from .listing import FactHeader, FactPage
    from .repo import Repo
    from .search import SearchHit
    from .transaction import CommitResult, Transaction, WriteResult

BRANCH_ENV = "AGENTMEM_BRANCH"


class Session(HistoryReads, BranchesAndMerges):
    """One agent (with its run, trace and branch) acting on a repository."""

    def __init__(
        self, repo: Repo, agent: str, *, run: str | None = None, trace: str | None = None,
        branch: str | None = None, governed: bool = True,
    ) -> None:  # fmt: skip
        self.repo = repo
        self.agent = validate_name(agent, "agent name")
        # who is acting is checked when the session is made, not at its first write: a read
        # leaves a receipt naming the run and trace too
        self.run = None if run is None else validate_token(run, "run id")
        self.trace = None if trace is None else validate_token(trace, "trace id")
        name = branch or os.environ.get(BRANCH_ENV) or repo.branch
        from .refs import validate_ref_name

        if isinstance(name, str):
            name = name.removeprefix("refs/heads/")
        self.branch = validate_ref_name(name)
        self.governed = governed  # False: the library's owner reading (no policy, no receipts)

    def __repr__(self) -> str:
        return f"Session(agent={self.agent!r}, run={self.run!r}, branch={self.branch!r})"

    @property
    def ref(self) -> bytes:
        return f"refs/heads/{self.branch}".encode()

    def tip(self) -> bytes:
        tip = self.repo.store.ref_value(self.ref)
        if tip is None:
            raise NotFound(f"branch {self.branch} does not exist")
        return tip

    def visibility(self) -> Visibility:
        """What this session may see now (governance state at the tip of its branch)."""
        return Visibility.load(self.repo.store, self.agent if self.governed else None, self.tip())

    def snapshot(self, at: str | None = None) -> Snapshot:
        """The tree this session reads `at`, unfiltered: plumbing of the read path (its methods
        filter what they hand out through `visibility`), not itself a read of the agent's."""
        return Snapshot(self.repo.store, self.reading(at))

    def reading(self, at: str | None = None) -> bytes:
        """The commit a read `at` (default: the session's branch) reads, once this agent may
        read it: a proposal's own commits only for its reviewers (`Visibility`)."""
        from .refs import PROPOSALS, has_proposals

        store = self.repo.store
        commit = self.tip() if at is None else store.resolve(at)
        # Every read passes here: the governance files are read only when a proposal may be read.
        if not self.governed:
            return commit
        if at is None:
            if not self.branch.startswith(PROPOSALS):
                return commit
        elif not has_proposals(store):
            return commit
        self.visibility().require_proposal_reader(store, commit, self.branch if at is None else None)
        return commit

    # -- the read path ---------------------------------------------------------------------

    def hand_out(
        self, op: str, commit: str, facts: Iterable[tuple[str, str]], query: str | None = None
    ) -> None:
        """The one point where facts leave the store: record the read receipt of `facts`,
        (fact id, blob id) pairs."""
        if not self.records_reads():
            return
        from .governance.receipts import Receipt

        receipt = Receipt(self.agent, op, commit, list(facts), self.run, self.trace, query)
        self.repo.receipts.append(receipt)

    def records_reads(self) -> bool:
        """Whether this session's reads leave receipts (an agent's, unless turned off)."""
        return self.governed and bool(self.repo.config["receipts"].get("enabled", True))

    def get(self, fact_id: str, at: str | None = None, scope: str | None = None) -> Fact:
        """The fact at `at` (default: the session's branch); `NotFound` if absent or hidden."""
        snap = self.snapshot(at)
        found = snap.locate(fact_id, scope)
        fact = None if found is None else snap.read(*found)
        vis = self.visibility()
        if fact is None or not vis.finds(fact):
            where = f" in scope {scope}" if scope else ""
            raise NotFound(f"no fact {fact_id}{where} at {snap.commit[:12]}")
        assert found is not None
        self.hand_out("show", snap.commit, [(fact.id, found[1].decode())], fact_id)
        return vis.shown_fact(fact, snap)

    def expand_id(self, fact_id: str, at: str | None = None, scope: str | None = None) -> str:
        """The full id of the one fact at `at` this agent may find whose id starts with
        `fact_id` (`values.complete_id`: at least 4 characters, as git takes a short commit id),
        else `fact_id` itself. Only facts the agent may find count, so a hidden fact never makes
        a start ambiguous. Nothing is read in full and no receipt is left: the read that follows
        leaves it."""
        validate_id(fact_id)
        snap = self.snapshot(at)
        vis = self.visibility()
        scope = None if scope is None else parse_scope(scope)
        if scope is not None and not vis.can_read(scope):
            return fact_id  # the read that follows answers, as it would for a whole id
        if len(fact_id) < MIN_ID_PREFIX or snap.locate(fact_id, scope) is not None:
            return fact_id
        headers = self._headers(snap, vis, scope)
        return complete_id(fact_id, (h.id for h in headers if h.id.startswith(fact_id) and vis.finds(h)))

    def facts(
        self, scope: str | None = None, at: str | None = None, *, limit: int | None = None
    ) -> list[Fact]:
        """The facts this agent may read (of one scope; `PermissionDenied` for a scope it may not)."""
        validate_count(limit, "the limit")
        commit, readable = self._readable(scope, at)
        handed = list(itertools.islice(readable, limit))
        self.hand_out("ls", commit, [(fact.id, blob) for fact, blob in handed], scope)
        return [fact for fact, _blob in handed]

    def newest_facts(self, scope: str | None = None, at: str | None = None, *,
                     limit: int | None = None) -> FactPage:  # fmt: skip
        """The facts this agent may read, newest change first (``updated_at``, then id), at most
        `limit` of them, and how many there are: only the facts handed out are read in full and
        leave a receipt. The others' times come from `.agentmem/fact-listing` (listing.py)."""
        from .listing import FactPage

        validate_count(limit, "the limit")
        vis = self.visibility()
        scope = None if scope is None else vis.require_scope(scope)
        snap = self.snapshot(at)
        shown = [h for h in self._headers(snap, vis, scope) if vis.shows(h)]
        newest = lambda h: (h.updated_at, h.id)  # noqa: E731
        page = (sorted(shown, key=newest, reverse=True) if limit is None
                else heapq.nlargest(limit, shown, newest))  # the same as the sorted list's first  # fmt: skip
        facts = [vis.shown_fact(snap.read(h.path, h.blob), snap) for h in page]
        self.hand_out("ls", snap.commit, [(h.id, h.blob.decode()) for h in page], scope)
        return FactPage(snap.commit, facts, len(shown))

    def _headers(self, snap: Snapshot, vis: Visibility, scope: str | None) -> list[FactHeader]:
        """The fact headers (`.agentmem/fact-listing`) of `snap` in `scope`, or in every scope:
        those of scopes the agent may not read are not even listed."""
        folders = [f for f in self.repo.store.scope_trees(snap.tree_id, scope) if vis.can_read(f[0])]
        return self.repo.fact_listing.headers(folders, snap.read)

    def export_facts(self, scope: str | None = None, at: str | None = None) -> Iterator[str]:
        """`Repo.export_facts` of the facts this agent may read, as they are written out."""
        from .exchange import export_line

        commit, readable = self._readable(scope, at)  # a bad scope or ref fails here, not midway

        def lines() -> Iterator[str]:
            handed: list[tuple[str, str]] = []
            try:
                for fact, blob in readable:
                    handed.append((fact.id, blob))
                    yield export_line(fact)
            finally:
                self.hand_out("export", commit, handed, scope)

        return lines()

    def _readable(self, scope: str | None, at: str | None) -> tuple[str, Iterator[tuple[Fact, str]]]:
        """The commit read, and (fact, blob id) of each fact there this agent may read."""
        vis = self.visibility()
        scope = None if scope is None else vis.require_scope(scope)
        snap = self.snapshot(at)

        def readable() -> Iterator[tuple[Fact, str]]:
            if scope is not None:
                scopes: list[str | None] = [scope] if scope in snap.scopes else []
            elif vis.restricted:  # the facts of scopes it may not read are not even read
                scopes = [s for s in snap.scopes if vis.can_read(s)]  # sorted, as `entries` goes
            else:
                scopes = [None]
            for one in scopes:
                for path, blob in self.repo.store.entries(snap.tree_id, one):
                    fact = snap.read(path, blob)
                    if vis.shows(fact):
                        yield vis.shown_fact(fact, snap), blob.decode()

        return snap.commit, readable()

    def search(
        self, query: str, *, at: str | None = None, scope: str | None = None,
        author: str | None = None, kind: str | None = None, k: int = 10, mode: str = "hybrid",
        daemon: bool | None = None, progress: Any = None, note: Any = None,
    ) -> list[SearchHit]:  # fmt: skip
        """Ranked hits this agent may read: the search service applies the filter itself, from
        the identity in the request (`daemon` None: as ``search.daemon`` says)."""
        from . import session_search

        params = {"query": query, "at": at or self.branch, "scope": scope, "agent": author,
                  "kind": kind, "k": k, "mode": mode}  # fmt: skip
        return session_search.search(self, params, daemon, progress, note)

    def near_duplicates(
        self, fact_id: str, *, at: str | None = None, threshold: float | None = None, k: int = 10,
        daemon: bool | None = None, start: bool = True,
    ) -> list[SearchHit] | None:  # fmt: skip
        """Facts this agent may read in `fact_id`'s scope within `threshold` cosine of it (see
        `Repo.near_duplicates`; None where the check was skipped)."""
        from . import session_search

        return session_search.near_duplicates(self, fact_id, at, threshold, k, daemon, start)

    def duplicates(
        self, scope: str, *, at: str | None = None, threshold: float | None = None,
        daemon: bool | None = None,
    ) -> tuple[str, list[tuple[str, str, float]]]:  # fmt: skip
        """(commit, pairs of near-duplicate facts in `scope`), both facts of each pair ones this
        agent may read."""
        from . import session_search

        return session_search.duplicates(self, scope, at, threshold, daemon)

    def reads(
        self, *, fact_id: str | None = None, agent: str | None = None, run: str | None = None
    ) -> list[Receipt]:
        """Read receipts (`Repo.receipts.read`). Their queries and ids say what other agents
        asked and saw: under a policy an agent other than an admin reads only its own."""
        from .governance.visibility import load_policy

        if self.governed and not load_policy(self.repo.store, self.tip()).is_admin(self.agent):
            if agent not in (None, self.agent):
                raise PermissionDenied(f"agent {self.agent} may read only its own read receipts: "
                                       "under the policy, others' are an admin's")  # fmt: skip
            agent = self.agent
        return self.repo.receipts.read(fact_id=fact_id, agent=agent, run=run)

    def commit_file(self, path: str, data: bytes | None, message: str) -> str | None:
        """Commit one governance file (policy, quarantine list) on the session's branch; the
        gate decides whether this agent may."""
        commit = self.repo.store.commit_changes(self.ref, self.tip(), {path.encode(): data},
                                                self.signature(message))  # fmt: skip
        return None if commit is None else commit.decode()

    # -- the commit path --------------------------------------------------------------------

    def signature(self, message: str) -> Signature:
        return Signature(self.agent, message, self.run, self.trace)

    def transaction(self, message: str = "") -> Transaction:
        """``with session.transaction() as tx:`` commits the block's writes at once."""
        from .transaction import Transaction

        reader = self.visibility if self.governed else None  # what it writes names: see Transaction
        return Transaction(self.repo.store, self.ref, self.agent, message, self.run, self.trace, reader)

    def remember(
        self, text: str, scope: str = "shared", *, message: str = "", **fields: Unpack[NewFactFields]
    ) -> WriteResult:
        check_fields("remember", fields, NewFactFields)
        with self.transaction(message) as tx:
            written = tx.remember(text, scope, **fields)
        assert tx.result is not None
        written.commit = tx.result.commit
        return written

    def update(self, fact_id: str, *, message: str = "", **fields: Unpack[ChangedFactFields]) -> WriteResult:
        check_fields("update", fields, ChangedFactFields)
        self._writable(fact_id)
        with self.transaction(message) as tx:
            written = tx.update(fact_id, **fields)
        assert tx.result is not None
        written.commit = tx.result.commit
        return written

    def forget(self, fact_id: str, *, message: str = "") -> CommitResult:
        self._writable(fact_id)
        with self.transaction(message) as tx:
            tx.forget(fact_id)
        assert tx.result is not None
        return tx.result

    def _writable(self, fact_id: str) -> None:
        """A fact this agent cannot see is 'not found' for a write too (no guessing by writes)."""
        snap = self.snapshot()
        fact = snap.find(fact_id)
        if fact is None or not self.visibility().can_read(fact.scope):
            raise NotFound(f"no fact {fact_id} at {snap.commit[:12]}")

    def forget_cascade(self, fact_id: str, *, dry_run: bool = False, message: str = "") -> Cascade:
        """Forget a fact and everything derived from it in one commit (`dry_run`: list only)."""
        from . import lineage as _lineage

        validate_flag(dry_run, "dry_run")
        self._writable(fact_id)
        facts = _lineage.derived_from(self.snapshot(), fact_id)
        vis = self.visibility()
        unseen = sum(not vis.can_read(fact.scope) for fact in facts)
        if unseen:  # not its to forget, nor to list: the cascade is for an agent that sees them all
            raise PermissionDenied(
                f"forgetting {fact_id} would also forget {unseen} derived fact(s) agent {self.agent} "
                "may not see: an agent that may read them forgets it"
            )
        cascade = _lineage.Cascade(fact_id, facts, dry_run=dry_run)
        if dry_run:
            return cascade
        text = message or f"forget {fact_id} and {len(facts) - 1} derived fact(s)"
        with self.transaction(text) as tx:
            for fact in facts:
                tx.forget(fact.id)
        assert tx.result is not None
        cascade.commit = tx.result.commit
        return cascade

    def promote(self, fact_id: str, to: str, *, propose: bool = False) -> WriteResult:
        from .governance.promotion import promote

        return promote(self, fact_id, to, propose=propose)
