"""Trace: a fact's blast radius. Where it came from (blame), every fact derived from it
transitively (on the branch and in its history, across scopes, forgotten ones included), and
every agent and run that read it or a derived fact, with when and at which commit (receipts).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dulwich.objects import Commit

from ..errors import CorruptObject
from ..fact import Fact
from ..history import walk
from ..lineage import Blame, blame, descendants
from ..store import GitStore
from .commit_facts import new_blobs
from .receipts import Receipt

if TYPE_CHECKING:
    from ..session import Session


@dataclass
class TracedFact:
    """A fact in the blast radius: `via` is the source that put it there; `present` whether the
    branch still holds it; `commit` the first commit (oldest) that wrote it; `summary` is from
    its newest version, `blob` (for read receipts)."""

    id: str
    scope: str
    summary: str
    via: str | None
    present: bool
    commit: str
    blob: str = field(default="", repr=False)


@dataclass
class TraceRead:
    """One read of a fact in the radius: who, in which run and trace, when, at which commit."""

    fact: str
    agent: str
    run: str | None
    trace: str | None
    op: str
    commit: str
    time: str


@dataclass
class Trace:
    id: str
    origin: Blame
    derived: list[TracedFact] = field(default_factory=list)  # the fact first, then breadth-first
    reads: list[TraceRead] = field(default_factory=list)
    commit: str = ""  # the branch head traced from

    @property
    def ids(self) -> list[str]:
        return [d.id for d in self.derived]

    @property
    def readers(self) -> list[tuple[str, str | None]]:
        """(agent, run) pairs that read a fact of the radius, first read first."""
        return list(dict.fromkeys((r.agent, r.run) for r in self.reads))


def trace(session: Session, fact_id: str) -> Trace:
    """The blast radius of `fact_id` as seen from the session's branch. What each commit brings
    is read from `.agentmem/commit-facts` where an earlier trace kept it (`CommitFacts`)."""
    store = session.repo.store
    tip = session.tip()
    known: dict[str, TracedFact] = {}  # every fact in history: id -> its newest version's blob
    children: dict[str, set[str]] = {}
    seen: set[str] = set()  # each version counts once, in the first (newest) commit that brings it
    brought = session.repo.commit_facts
    try:
        for commit in walk(store, tip):  # newest first: the last assignment is the oldest commit
            for version in brought.of(commit):
                if version.blob in seen:
                    continue
                seen.add(version.blob)
                for source in version.sources:
                    children.setdefault(source, set()).add(version.id)
                entry = known.get(version.id)
                if entry is None:
                    known[version.id] = TracedFact(version.id, version.scope, "", None, False,
                                                   commit.id.decode(), version.blob)  # fmt: skip
                else:
                    entry.commit = commit.id.decode()
    finally:
        brought.flush()
    snapshot = session.snapshot()
    origin = blame(store, tip, fact_id)
    root = known.get(fact_id) or TracedFact(fact_id, origin.scope, origin.text[:72], None, False,
                                             origin.introduced.id, origin.blob)  # fmt: skip
    found = [root]
    for child, via in descendants(children, fact_id):  # every child was read: it is in `known`
        item = known[child]
        item.via = via
        found.append(item)
    for item in found:
        item.present = snapshot.locate(item.id, item.scope) is not None
        if not item.summary:  # the newest version's, read for the facts of the radius only
            item.summary = store.read_fact(item.blob.encode()).summary
    ids = {item.id for item in found}
    receipts: list[Receipt] = session.repo.receipts.read(fact_ids=ids)
    reads = [TraceRead(fact, r.agent, r.run, r.trace, r.op, r.commit, r.time)
             for r in receipts for fact in r.fact_ids if fact in ids]  # fmt: skip
    return Trace(fact_id, origin, found, reads, tip.decode())


def introduced_facts(
    store: GitStore, commits: Iterable[Commit], *, skip_unreadable: bool = False
) -> Iterator[tuple[Commit, bytes, Fact]]:
    """(commit, blob id, fact) for every fact version each of `commits` adds or changes against
    its first parent, each version read once (the first commit that brings it). `skip_unreadable`: a blob
    that is not a readable fact is passed over instead of raising `CorruptObject`."""
    read: set[bytes] = set()
    for commit in commits:
        parent = store.commit(commit.parents[0]).tree if commit.parents else None
        for blob in new_blobs(store, parent, commit.tree):
            if blob in read:
                continue
            read.add(blob)
            try:
                fact = store.read_fact(blob)
            except CorruptObject:
                if skip_unreadable:
                    continue
                raise
            yield commit, blob, fact
