"""The quarantine list: `.agentmem/quarantine.json`, committed, so every change is reviewable.

An entry names a fact and its blast radius at the time (every fact derived from it, on the
branch and in history). Every fact listed, and any fact derived from one of them later, is
hidden from every read at once; `release` removes the entry. Format in docs/format.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import CorruptObject, NotFound
from ..fact import Fact

if TYPE_CHECKING:
    from ..listing import FactHeader

VERSION = 1


@dataclass(frozen=True)
class QuarantineEntry:
    id: str
    hidden: tuple[str, ...]
    by: str
    at: str
    reason: str = ""


@dataclass
class QuarantineList:
    entries: list[QuarantineEntry] = field(default_factory=list)
    _hidden: tuple[tuple[QuarantineEntry, ...], frozenset[str]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @classmethod
    def parse(cls, text: str) -> QuarantineList:
        try:
            data = json.loads(text)
            return cls([QuarantineEntry(e["id"], tuple(e["hidden"]), e["by"], e["at"],
                                        e.get("reason", "")) for e in data["entries"]])  # fmt: skip
        except (ValueError, KeyError, TypeError) as exc:
            raise CorruptObject(f"quarantine.json is unreadable: {exc}") from None

    def to_text(self) -> str:
        data: dict[str, Any] = {"version": VERSION, "entries": [asdict(e) for e in self.entries]}
        return json.dumps(data, indent=2, sort_keys=True) + "\n"

    @property
    def hidden(self) -> frozenset[str]:
        """Every id listed or in a blast radius. Kept while the entries are the same: a listing
        asks once per fact, and an entry's blast radius can hold thousands of ids (comparing
        the entries is a C loop that stops at identity)."""
        entries = tuple(self.entries)
        held = self._hidden
        if held is None or held[0] != entries:
            held = self._hidden = (entries, frozenset(i for e in entries for i in (e.id, *e.hidden)))
        return held[1]

    def hides(self, fact: Fact | FactHeader) -> bool:
        return self.hides_version(fact.id, fact.derived_from)

    def hides_version(self, fact_id: str, sources: Iterable[str]) -> bool:
        """Whether a version with this id and these `derived_from` ids is hidden."""
        hidden = self.hidden
        return fact_id in hidden or any(source in hidden for source in sources)

    def add(self, entry: QuarantineEntry) -> None:
        self.entries = [e for e in self.entries if e.id != entry.id] + [entry]

    def release(self, fact_id: str) -> QuarantineEntry:
        for entry in self.entries:
            if entry.id == fact_id:
                self.entries.remove(entry)
                return entry
        raise NotFound(f"fact {fact_id} is not quarantined")
