"""`Session`'s reads of history: `log`, `blame`, `diff` and `trace_fact`, each through the
agent's visibility (a commit that touches a fact it may not see is left out; sources it may
not read are not named)."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, cast

from . import history
from .errors import NotFound
from .fact import validate_id, validate_name
from .snapshot import Snapshot
from .values import validate_count, validate_flag

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .diff import DiffResult, FactDiff
    from .governance.trace import Trace
    from .governance.visibility import Visibility
    from .history import CommitInfo
    from .lineage import Blame
    from .repo import Repo
    from .session import Session
    from .store import GitStore


class HistoryReads:
    """Mixed into `Session`: what an agent reads of the history."""

    if TYPE_CHECKING:  # what it uses of `Session`
        repo: Repo

        def records_reads(self) -> bool: ...

        def tip(self) -> bytes: ...
        def visibility(self) -> Visibility: ...
        def snapshot(self, at: str | None = None) -> Snapshot: ...
        def reading(self, at: str | None = None) -> bytes: ...
        def hand_out(
            self, op: str, commit: str, facts: Iterable[tuple[str, str]], query: str | None = None
        ) -> None: ...

    def log(
        self, fact_id: str | None = None, *, n: int | None = None, at: str | None = None,
        scope: str | None = None, author: str | None = None, follow: bool = False, changes: bool = True,
    ) -> list[CommitInfo]:  # fmt: skip
        """Commits of the branch (or of one fact), newest first, without those that touched a
        fact this agent may not see (their messages may quote it). `changes`: with a fact or a
        scope, each commit's changes to it (`history.commits`)."""
        validate_count(n, "-n")
        validate_flag(follow, "follow")
        validate_flag(changes, "changes")
        if author is not None:  # as search refuses it: a name no commit can carry is a mistake
            validate_name(author, "agent name")
        head = self.snapshot(at).commit_id
        vis = self.visibility()
        if scope is not None:  # as for ls, search and diff of one scope
            vis.require_scope(scope)
        if fact_id is not None:
            self._visible_in_history(fact_id, head, scope, vis)
        if not (vis.restricted or vis.quarantine.entries):
            shown = history.log(self.repo.store, head, limit=n, agent=author, fact_id=fact_id,
                                scope=scope, follow=follow, changes=changes)  # fmt: skip
        else:
            commits = history.commits(self.repo.store, head, agent=author, fact_id=fact_id, scope=scope,
                                      follow=follow, changes=changes)  # fmt: skip
            visible = (c for c in commits if self.commit_visible(c.id.encode(), vis))
            shown = list(visible if n is None else itertools.islice(visible, n))
        cache = self.repo.commit_scopes
        if self.records_reads():  # the facts whose text the messages quote are handed out
            quoted = cache.quoted_in((info.id, info.message) for info in shown)
            self.hand_out("log", head.decode(), quoted, fact_id or scope)
        cache.flush()
        if "commit_facts" in vars(self.repo):  # read under a quarantine: kept for the next log
            self.repo.commit_facts.flush()
        return shown

    def commit_visible(self, commit: bytes, vis: Visibility) -> bool:
        """Whether this agent may see a commit: it changes no fact the agent may not see, and
        no quarantine entry of one. The scopes it changes come from `repo.commit_scopes`."""
        store = self.repo.store
        changed = self.repo.commit_scopes.of(commit)
        if not all(vis.can_read(scope) for scope in changed.scopes):
            return False
        if vis.quarantine.entries and changed.scopes:  # kept in `.agentmem/commit-facts`
            versions = self.repo.commit_facts.versions(store.commit(commit))
            if any(vis.quarantine.hides_version(v.id, v.sources) for v in versions):
                return False
        return not (changed.quarantine and vis.hides_quarantine_change(store, commit))

    def _visible_in_history(
        self, fact_id: str, head: bytes, scope: str | None, vis: Visibility
    ) -> None:
        """`NotFound`, worded as for a fact that never existed, unless this agent may see it."""
        commit, path = history.newest_holding(self.repo.store, head, validate_id(fact_id), scope)
        blob = self.repo.store.lookup(self.repo.store.commit(commit).tree, path)
        assert blob is not None
        fact = self.repo.store.read_fact(blob)
        if not vis.can_read(fact.scope) or vis.quarantine.hides(fact):
            raise NotFound(f"fact {fact_id} never existed in the history of {head.decode()[:12]}")

    def blame(self, fact_id: str, at: str | None = None, scope: str | None = None) -> Blame:
        """Blame a fact, with the sources this agent may see (`Visibility.shown_sources`)."""
        head = self.snapshot(at).commit_id
        vis = self.visibility()
        self._visible_in_history(fact_id, head, scope, vis)
        from . import lineage as _lineage

        result = _lineage.blame(self.repo.store, head, fact_id, scope)
        _prune_blame(result, vis, Snapshot(self.repo.store, head))
        self.hand_out("blame", head.decode(), _shown(result), fact_id)
        return result

    def diff(
        self, old: str | None = None, new: str | None = None, *, scope: str | None = None,
        stat: bool = False,
    ) -> DiffResult:  # fmt: skip
        """Facts that differ from `old` to `new` (default: the session's branch), those this
        agent may see."""
        from .diff import diff_commits

        validate_flag(stat, "stat")
        store = self.repo.store
        new_id = self.snapshot(new).commit_id
        if old is None:
            parents = store.commit(new_id).parents
            old_id = parents[0] if parents else None
        else:
            old_id = self.reading(old)
        vis = self.visibility()
        if scope is not None:
            vis.require_scope(scope)
        result = diff_commits(store, old_id, new_id, scope=scope, with_facts=not stat)
        result.changes = [c for c in result.changes if vis.finds_versions(c.id, c.scope, (c.old, c.new))]
        if not stat and vis.restricted:
            result.changes = _shown_changes(result.changes, vis, store, old_id, new_id)
        if not stat:  # the versions' texts are handed out
            shown_blobs = [(c.id, blob) for c in result.changes for blob in (c.old_blob, c.new_blob) if blob]
            self.hand_out("diff", new_id.decode(), shown_blobs, scope)
        return result

    def trace_fact(self, fact_id: str) -> Trace:
        """The blast radius of a fact: its origin, every fact derived from it (on the branch
        and in history, across scopes) and every agent and run that read one of them (the
        receipts read before this trace's own, which it leaves: op `trace`)."""
        from .governance.trace import trace

        vis = self.visibility()
        self._visible_in_history(fact_id, self.tip(), None, vis)
        found = trace(cast("Session", self), fact_id)
        # what this agent may not read is left out, as from every read: facts, their readers, sources
        hidden = vis.quarantine.hidden
        every = {d.id: d for d in found.derived}
        found.derived = [d for d in found.derived
                         if vis.can_read(d.scope) and d.id not in hidden and d.via not in hidden]  # fmt: skip
        shown = set(found.ids)
        for item in found.derived:  # derived through a fact it may not read: from the one before
            while item.via is not None and item.via not in shown:
                item.via = every[item.via].via
        found.reads = [r for r in found.reads if r.fact in shown]
        _prune_blame(found.origin, vis, Snapshot(self.repo.store, found.commit.encode()))
        # the origin's text and its sources', and each derived fact's summary, are handed out
        texts = [*_shown(found.origin), *((d.id, d.blob) for d in found.derived)]
        self.hand_out("trace", found.commit, dict.fromkeys(texts), fact_id)
        return found

    def blast_radius(self, fact_id: str) -> list[str]:
        """The ids of every fact derived from `fact_id` (as `trace_fact` finds them), in every
        scope, those this agent may not read included: ids only, for a quarantine, which must hide
        them all."""
        from .governance.trace import trace

        self._visible_in_history(fact_id, self.tip(), None, self.visibility())
        return [d.id for d in trace(cast("Session", self), fact_id).derived if d.id != fact_id]


def _shown_changes(
    changes: list[FactDiff], vis: Visibility, store: GitStore, old: bytes | None, new: bytes
) -> list[FactDiff]:
    """A diff's versions with `derived_from` as this reader is shown it (`shown_sources`); a
    change in hidden sources alone is no change it sees."""
    old_snaps = () if old is None else (Snapshot(store, old),)
    new_snap = Snapshot(store, new)
    shown = []
    for change in changes:
        change.old = vis.shown_version(change.old, *old_snaps)
        change.new = vis.shown_version(change.new, new_snap)
        if change.old and change.new and "derived_from" in change.fields:
            if change.old["derived_from"] == change.new["derived_from"]:
                change.fields.remove("derived_from")
            if not change.fields:
                continue
        shown.append(change)
    return shown


def _prune_blame(node: Blame, vis: Visibility, snap: Snapshot) -> None:
    """Sources this agent may not see leave the blame. A reader the policy limits is not told
    of sources it cannot see or that are gone either (`shown_sources`); another sees a
    quarantined one listed as never found."""
    kept = []
    for source in node.sources:
        if vis.can_read(source.scope) and source.id not in vis.quarantine.hidden:
            _prune_blame(source, vis, snap)
            kept.append(source)
        elif not vis.restricted:
            node.missing.append(source.id)
    node.sources = kept
    if vis.restricted:
        node.missing = []
        kept_ids = {source.id for source in kept}
        named = [i for i in (*node.derived_from, *node.repeated, *node.truncated) if i not in kept_ids]
        shown = kept_ids | set(vis.shown_sources(named, snap))
        node.derived_from = [i for i in node.derived_from if i in shown]
        node.repeated = [i for i in node.repeated if i in shown]
        node.truncated = [i for i in node.truncated if i in shown]


def _shown(node: Blame) -> list[tuple[str, str]]:
    """(fact id, blob id) of the blamed fact and of every source left after pruning: the texts
    a blame hands out."""
    shown = [(node.id, node.blob)]
    for source in node.sources:
        shown.extend(_shown(source))
    return shown
