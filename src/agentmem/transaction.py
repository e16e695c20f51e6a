"""Atomic writes: a set of remember/update/forget operations that land as one commit."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any

from .errors import InvalidInput, NotFound
from .fact import (
    Fact,
    content_id,
    now_iso,
    parse_scope,
    validate_id,
    validate_labels,
    validate_message,
    validate_name,
    validate_token,
)
from .layout import fact_path
from .signature import Signature
from .snapshot import Snapshot
from .store import GitStore

if TYPE_CHECKING:
    from .governance.visibility import Visibility

CONTENT_ID_ATTEMPTS = 8
_UNSET: Any = object()


@dataclass
class CommitResult:
    """What a transaction did. `commit` is None when nothing changed (all no-ops)."""

    commit: str | None
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    forgotten: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


@dataclass
class WriteResult:
    """The outcome of a one-fact write: the fact's id, the commit (None for a no-op), the fact
    as stored after the write, and for a no-op `remember` of a text already stored, the
    requested fields that were not applied (they differ from the stored fact: use `update`)."""

    id: str
    commit: str | None
    created: bool = False
    fact: Fact | None = None
    not_applied: list[str] = field(default_factory=list)


class Transaction:
    """Collects writes against one base commit and commits them atomically.

    Use through `Repo.transaction()`: leaving the ``with`` block commits, an exception inside it
    commits nothing. Reads through the transaction see its own pending writes.
    """

    def __init__(
        self, store: GitStore, branch: bytes, agent: str, message: str = "",
        run: str | None = None, trace: str | None = None,
        reader: Callable[[], Visibility] | None = None,
    ) -> None:  # fmt: skip
        self.store = store
        # What the writing agent may see (`Session.transaction`): a fact hidden from it is absent
        # to `get`, "not found" to update, forget and derived_from, and its id "taken".
        self._reader = reader
        self._visibility: Visibility | None = None
        self.branch = branch
        base = store.ref_value(branch)
        if base is None:
            raise NotFound(f"branch {branch.decode()} does not exist")
        self.base = Snapshot(store, base)
        self.agent = validate_name(agent, "agent name")
        for value, what in ((run, "run id"), (trace, "trace id")):
            if value is not None:
                validate_token(value, what)
        self.run, self.trace, self.message = run, trace, validate_message(message)
        # Source ids that exist elsewhere (a promotion proposed on its own branch names a fact
        # of the reviewer's branch): `derived_from` may name them without them being here.
        self.known_sources: set[str] = set()
        self._pending: dict[bytes, Fact | None] = {}
        self._pending_paths: dict[str, bytes] = {}  # fact id -> path, for writes in this transaction
        self._dedupe: set[bytes] = set()
        self._ops: dict[str, str] = {}  # fact id -> "add" | "update" | "forget"
        self._unchanged: list[str] = []
        self.stage_batches: tuple[str, ...] = ()  # set by staging: named in the commit's trailer
        self.result: CommitResult | None = None
        self._written: dict[bytes, tuple[Fact, bytes] | None] = {}

    # -- reads that see pending writes -----------------------------------------------------

    def _pending_path(self, fact_id: str, scope: str | None) -> bytes | None:
        """The path of a fact this transaction already wrote (or forgot), else None."""
        if scope is not None:
            path = fact_path(scope, fact_id)
            return path if path in self._pending else None
        return self._pending_paths.get(fact_id)

    def _path(self, fact_id: str, scope: str | None = None) -> bytes | None:
        validate_id(fact_id)
        return self._pending_path(fact_id, scope) or self.base.path_of(fact_id, scope)

    def get(self, fact_id: str, scope: str | None = None) -> Fact | None:
        """The fact as this transaction sees it (its own writes included); None when absent or
        hidden from the writing agent."""
        fact = self._stored(fact_id, scope)
        return None if fact is None or self._hidden(fact, quarantined=True) else self._shown(fact)

    def _hidden(self, fact: Fact, quarantined: bool = False) -> bool:
        """Whether the writing agent may not read `fact`'s scope (or, asked, it is quarantined)."""
        vis = self._seen_by()
        return vis is not None and not (vis.finds(fact) if quarantined else vis.can_read(fact.scope))

    def _seen_by(self) -> Visibility | None:
        if self._visibility is None and self._reader is not None:
            self._visibility = self._reader()
        return self._visibility

    def _shown(self, fact: Fact) -> Fact:
        """`fact` with the `derived_from` ids the writing agent is shown (`shown_sources`: not
        those of facts it may not read); ids this transaction wrote, or knows, stay."""
        vis = self._seen_by()
        if vis is None or not vis.restricted or not fact.derived_from:
            return fact
        own = set(self._pending_paths) | self.known_sources
        shown = own | set(vis.shown_sources([s for s in fact.derived_from if s not in own], self.base))
        kept = tuple(s for s in fact.derived_from if s in shown)
        return fact if len(kept) == len(fact.derived_from) else replace(fact, derived_from=kept)

    def keeping_unseen_sources(self, fact: Fact, old: Fact | None = None) -> Fact:
        """A new version of a stored fact (`old`, read here when not given), written by an agent
        that was shown only some of the stored version's sources (`_shown`): those it was not
        shown are kept, after its own. It could not name them, and dropping them would cut the
        fact from `forget --cascade`."""
        vis = self._seen_by()
        if vis is None or not vis.restricted:  # it was shown every source
            return fact
        old = old or self._stored(fact.id, fact.scope)
        if old is None or not old.derived_from:
            return fact
        seen = self._shown(old).derived_from
        unseen = [s for s in old.derived_from if s not in seen and s not in fact.derived_from]
        return replace(fact, derived_from=(*fact.derived_from, *unseen)) if unseen else fact

    def _stored(self, fact_id: str, scope: str | None = None) -> Fact | None:
        validate_id(fact_id)
        path = self._pending_path(fact_id, scope)
        if path is not None:
            return self._pending[path]
        found = self.base.locate(fact_id, scope)  # one probe gives the path and the blob
        return None if found is None else self.store.read_fact(found[1])

    # -- writes ------------------------------------------------------------------------------

    def remember(
        self,
        text: str,
        scope: str = "shared",
        *,
        id: str | None = None,
        kind: str | None = None,
        tags: Iterable[str] | None = None,
        meta: dict[str, Any] | None = None,
        derived_from: Iterable[str] | None = None,
        source: str | None = None,
        expires_at: str | None = None,
    ) -> WriteResult:
        """Add a fact. The same text in the same scope again is a no-op returning its id; the
        result's `not_applied` names the requested fields that differ from the stored fact.

        Every field is checked first, so a bad value is refused even when the text exists, and
        every `derived_from` id must name a fact (`NotFound` otherwise)."""
        scope = parse_scope(scope)
        requested: dict[str, Any] = {
            name: value
            for name, value in (
                ("kind", kind), ("tags", tags), ("meta", meta), ("derived_from", derived_from),
                ("source", source), ("expires_at", expires_at),
            )
            if value is not None
        }  # fmt: skip
        for name in ("tags", "derived_from"):
            if name in requested:
                requested[name] = validate_labels(requested[name], name)
        now = now_iso()
        draft = Fact(
            id="0" if id is None else id, text=text,  # the id is chosen once the text is valid
            scope=scope, agent=self.agent, run=self.run, trace=self.trace, created_at=now,
            updated_at=now, **requested,
        ).validated()  # fmt: skip
        self._check_sources(draft.derived_from)
        if id is None:
            id = self.content_slot(scope, text)
            existing = self._stored(id, scope)
            if existing is not None:
                return self._already_stored(existing, draft, requested)
            self._dedupe.add(fact_path(scope, id))
        else:
            existing = self._stored(id)
            if existing is not None:
                if self._hidden(existing):
                    raise InvalidInput(f"id {id} is taken: choose another")  # no scope: it is hidden
                if existing.scope == scope and existing.text == text:
                    return self._already_stored(existing, draft, requested)
                raise InvalidInput(f"fact {id} already exists in {existing.scope}; use update")
        fact = replace(draft, id=id)
        self._put(fact, "add")
        return WriteResult(fact.id, None, created=True, fact=fact)

    def content_slot(self, scope: str, text: str) -> str:
        """The content id of `text` in `scope`: the first candidate that is free or already
        holds this text (docs/format.md, "Names")."""
        for attempt in range(CONTENT_ID_ATTEMPTS):
            candidate = content_id(scope, text, attempt)
            existing = self._stored(candidate, scope)
            if existing is None or existing.text == text:
                return candidate
        raise InvalidInput("could not find a free id for this text; pass an id")

    def _already_stored(self, existing: Fact, draft: Fact, requested: dict[str, Any]) -> WriteResult:
        """The no-op of writing a text already stored. The writer wrote that text, so it may
        learn that it is stored; where it may not read the stored fact (a scope it may only
        write, or quarantined), nothing else of it (author, tags, meta, which fields differ)."""
        self._unchanged.append(existing.id)
        if self._hidden(existing, quarantined=True):
            return WriteResult(existing.id, None, created=False)
        shown = self._shown(existing)  # its sources as the writer is shown them, compared as such
        differing = [n for n in requested if getattr(draft, n) != getattr(shown, n)]
        return WriteResult(existing.id, None, created=False, fact=shown, not_applied=differing)

    def _check_sources(self, source_ids: Iterable[str]) -> None:
        """Every fact named in `derived_from` exists (here or in this transaction)."""
        for source_id in source_ids:
            if source_id in self.known_sources:
                continue
            found = self._stored(source_id)
            if found is None or self._hidden(found):
                raise NotFound(f"derived_from names {source_id}, which is not a fact here")

    def update(
        self,
        fact_id: str,
        *,
        text: str | None = None,
        kind: str | None = None,
        tags: Iterable[str] | None = None,
        meta: dict[str, Any] | None = None,
        derived_from: Iterable[str] | None = None,
        source: str | None = _UNSET,
        expires_at: str | None = _UNSET,
    ) -> WriteResult:
        """Change fields of a fact, keeping its id, scope and creation time."""
        old = self._stored(fact_id)
        if old is None or self._hidden(old):
            raise NotFound(f"no fact {fact_id} to update")
        changes: dict[str, Any] = {}
        for name, value in (("text", text), ("kind", kind), ("meta", meta)):
            if value is not None:
                changes[name] = value
        if tags is not None:
            changes["tags"] = validate_labels(tags, "tags")
        if derived_from is not None:
            changes["derived_from"] = validate_labels(derived_from, "derived_from")
        if source is not _UNSET:
            changes["source"] = source
        if expires_at is not _UNSET:
            changes["expires_at"] = expires_at
        new = self.keeping_unseen_sources(replace(old, **changes), old).validated()
        if derived_from is not None:
            self._check_sources(i for i in new.derived_from if i not in old.derived_from)
        if new == old:
            self._unchanged.append(fact_id)
            return WriteResult(fact_id, None, fact=self._shown(old))
        new = replace(new, agent=self.agent, run=self.run, trace=self.trace, updated_at=now_iso())
        self._put(new, "update")
        return WriteResult(fact_id, None, fact=self._shown(new))

    def put(self, fact: Fact, *, content_addressed: bool = False, checked: bool = False) -> WriteResult:
        """Write a whole fact as given (import, merge, revert): add it, or replace it by id.
        `content_addressed`: its id came from `content_slot`, so a concurrent writer that
        added the same fact is no conflict. `checked`: `fact` is the result of `validated()`."""
        fact = fact if checked else fact.validated()
        if content_addressed:
            self._dedupe.add(fact_path(fact.scope, fact.id))
        # a content id hashes its scope: only its own scope can hold it
        old = self._stored(fact.id, fact.scope if content_addressed else None)
        if old is not None and self._hidden(old):
            # Not the writer's to replace (`update` finds no such fact): a content id holds
            # this text already, any other id is taken.
            if content_addressed and old.text == fact.text:
                self._unchanged.append(fact.id)
                return WriteResult(fact.id, None)
            raise InvalidInput(f"id {fact.id} is taken: choose another")
        if old is not None and old.scope != fact.scope:
            raise InvalidInput(f"fact {fact.id} exists in scope {old.scope}, not {fact.scope}")
        if old == fact:
            self._unchanged.append(fact.id)
            return WriteResult(fact.id, None, fact=fact)
        self._put(fact, "add" if old is None else "update")
        return WriteResult(fact.id, None, created=old is None, fact=fact)

    def forget(self, fact_id: str) -> None:
        """Remove a fact from the tree (its history stays)."""
        path = self._path(fact_id)
        found = None if path is None else self._stored(fact_id)
        if path is None or found is None or self._hidden(found):
            raise NotFound(f"no fact {fact_id} to forget")
        self._pending[path] = None
        self._dedupe.discard(path)
        self._ops[fact_id] = "forget" if self._ops.get(fact_id) != "add" else "noop"

    def _put(self, fact: Fact, op: str) -> None:
        path = fact_path(fact.scope, fact.id)
        self._pending[path] = fact
        self._pending_paths[fact.id] = path
        self._ops[fact.id] = "add" if self._ops.get(fact.id) == "add" else op

    @property
    def written(self) -> Mapping[bytes, tuple[Fact, bytes] | None]:
        """After `commit`: each path it set, to the fact and the file's bytes, or removed (None)."""
        return MappingProxyType(self._written)

    # -- commit ------------------------------------------------------------------------------

    def commit(self) -> CommitResult:
        ops = {i: op for i, op in self._ops.items() if op != "noop"}
        result = CommitResult(
            commit=None,
            added=[i for i, op in ops.items() if op == "add"],
            updated=[i for i, op in ops.items() if op == "update"],
            forgotten=[i for i, op in ops.items() if op == "forget"],
            unchanged=list(dict.fromkeys(self._unchanged)),
        )
        # A removal of a fact the base never had (added, then forgotten here) is no change.
        changes = {
            p: None if f is None else f.to_bytes()
            for p, f in self._pending.items()
            if f is not None or self.store.lookup(self.base.tree_id, p) is not None
        }
        self._written = {p: None if (f := self._pending[p]) is None or d is None else (f, d)
                         for p, d in changes.items()}  # fmt: skip
        if changes:
            sig = Signature(self.agent, self.message or self._default_message(), self.run,
                            self.trace, self.stage_batches)  # fmt: skip
            commit = self.store.commit_changes(
                self.branch, self.base.commit_id, changes, sig, self._dedupe
            )
            result.commit = None if commit is None else commit.decode()
        self.result = result
        return result

    def _default_message(self) -> str:
        facts = {f.id: f for f in self._pending.values() if f is not None}
        lines = []
        for fact_id, op in self._ops.items():
            if op == "noop":
                continue
            verb = {"add": "remember", "update": "update", "forget": "forget"}[op]
            summary = facts[fact_id].summary if fact_id in facts else ""
            lines.append(f"{verb} {fact_id}" + (f": {summary}" if summary else ""))
        if len(lines) == 1:
            return lines[0]
        counts = {op: list(self._ops.values()).count(op) for op in ("add", "update", "forget")}
        subject = f"{len(lines)} changes (+{counts['add']} ~{counts['update']} -{counts['forget']})"
        shown = lines[:50] + ([f"... and {len(lines) - 50} more"] if len(lines) > 50 else [])
        return subject + "\n\n" + "\n".join(shown)

    def __enter__(self) -> Transaction:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        if exc_type is None:
            self.commit()

