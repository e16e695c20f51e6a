"""What changed between two commits, fact by fact: added, removed, changed (which fields, and a
text diff of the body), grouped by scope.

Cost is proportional to what changed, not to the size of the repository: `changes_between`
walks both trees with dulwich's `tree_changes`, which skips every subtree whose id is the same
on both sides, and only the blobs of changed facts are read.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from .fact import FIELDS, Fact, first_line, parse_scope
from .history import changes_between
from .store import GitStore


@dataclass
class FactDiff:
    """One fact that differs: ``added``, ``removed`` or ``changed``."""

    op: str
    id: str
    scope: str
    fields: list[str] = field(default_factory=list)
    text_diff: str = ""
    old: dict[str, Any] | None = None
    new: dict[str, Any] | None = None
    old_blob: str | None = None  # the versions compared (git blob ids); None: absent on that side
    new_blob: str | None = None

    @property
    def summary(self) -> str:
        fact = self.new or self.old or {}
        return first_line(str(fact.get("text", "")))


@dataclass
class ScopeStat:
    scope: str
    added: int = 0
    removed: int = 0
    changed: int = 0


@dataclass
class DiffResult:
    """The difference from commit `old` to commit `new` (`old` None: the empty tree)."""

    old: str | None
    new: str
    changes: list[FactDiff] = field(default_factory=list)

    @property
    def stats(self) -> list[ScopeStat]:
        by_scope: dict[str, ScopeStat] = {}
        for change in self.changes:
            stat = by_scope.setdefault(change.scope, ScopeStat(change.scope))
            setattr(stat, change.op, getattr(stat, change.op) + 1)
        return [by_scope[s] for s in sorted(by_scope)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": self.old, "new": self.new,
            "stats": [vars(s) for s in self.stats],
            "changes": [vars(c) for c in self.changes],
        }  # fmt: skip


def diff_commits(
    store: GitStore, old: bytes | None, new: bytes, *, scope: str | None = None,
    with_facts: bool = True,
) -> DiffResult:  # fmt: skip
    """Facts that differ from commit `old` (None: empty) to `new`, sorted by scope then id.

    `with_facts` False skips reading the blobs (enough for ``--stat``).
    """
    scope = None if scope is None else parse_scope(scope)
    old_tree = None if old is None else store.commit(old).tree
    new_tree = store.commit(new).tree
    result = DiffResult(None if old is None else old.decode(), new.decode())
    for change in changes_between(store, old_tree, new_tree):
        if scope is not None and change.scope != scope:
            continue
        op = {"add": "added", "forget": "removed", "update": "changed"}[change.op]
        item = FactDiff(op, change.id, change.scope, old_blob=change.old_blob or None,
                        new_blob=change.new_blob or None)  # fmt: skip
        if with_facts:
            path = change.path.encode()
            before = store.read_fact(change.old_blob.encode(), path) if change.old_blob else None
            after = store.read_fact(change.new_blob.encode(), path) if change.new_blob else None
            item.old = None if before is None else before.to_dict()
            item.new = None if after is None else after.to_dict()
            item.fields = changed_fields(before, after)
            item.text_diff = text_diff(before, after)
        result.changes.append(item)
    result.changes.sort(key=lambda c: (c.scope, c.id))
    return result


def changed_fields(old: Fact | None, new: Fact | None) -> list[str]:
    """Names of the fields that differ between two versions of a fact ([] when one is absent)."""
    names = ("text", *FIELDS)
    if old is None or new is None:
        return []
    return [name for name in names if getattr(old, name) != getattr(new, name)]


def text_diff(old: Fact | None, new: Fact | None) -> str:
    """A unified diff of the fact bodies ('' when the text is the same)."""
    before = "" if old is None else old.text
    after = "" if new is None else new.text
    if before == after:
        return ""
    if not before or not after:  # added or removed whole: difflib's lines, without its matching
        whole = [line.rstrip("\n") for line in (before or after).splitlines(keepends=True)]
        sign, hunk = ("+", f"-0,0 +{_span(len(whole))}") if after else ("-", f"-{_span(len(whole))} +0,0")
        return "\n".join(["--- a/text", "+++ b/text", f"@@ {hunk} @@", *(sign + line for line in whole)])
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True),
        "a/text", "b/text", lineterm="",
    )  # fmt: skip
    return "\n".join(line.rstrip("\n") for line in lines)


def _span(count: int) -> str:
    """A unified diff's range of `count` lines from the first, as difflib writes it."""
    return "1" if count == 1 else f"1,{count}"
