"""Read receipts: one JSON line per read by an agent, in `.agentmem/reads/` (never committed).

Append-only: a record is written with one `write` on a file opened with O_APPEND, under an
advisory lock, so concurrent readers never interleave lines. Bounded and rotated: when
`reads.jsonl` passes `max_bytes` it becomes `reads.1.jsonl` (the older files shift up) and at
most `files` files are kept. A read that hands out more facts than fit in a quarter of
`max_bytes` (an `export` of a large memory) is recorded as several lines, each naming a slice of
its facts, so no line passes that bound and one read never pushes the other files out. Format in
docs/format.md.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..fact import now_iso
from ..values import validate_id, validate_name, validate_token

READS_DIR = "reads"
CURRENT = "reads.jsonl"
MAX_BYTES = 8 * 1024 * 1024
FILES = 4


@dataclass
class Receipt:
    """One read: who, in which run and trace, what operation and query, which facts (id and
    blob id) were handed out, at which commit, when."""

    agent: str
    op: str
    commit: str
    facts: list[tuple[str, str]] = field(default_factory=list)  # (fact id, blob id)
    run: str | None = None
    trace: str | None = None
    query: str | None = None
    time: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["facts"] = [list(pair) for pair in self.facts]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Receipt:
        values = dict(data)
        values["facts"] = [tuple(pair) for pair in values.get("facts", [])]
        return cls(**values)

    @property
    def fact_ids(self) -> list[str]:
        return [fact_id for fact_id, _blob in self.facts]


class Receipts:
    """The receipts of one checkout (`.agentmem/reads/`)."""

    def __init__(self, local_dir: Path, max_bytes: int = MAX_BYTES, files: int = FILES) -> None:
        self.folder = local_dir / READS_DIR
        self.max_bytes, self.files = max_bytes, max(1, files)

    def append(self, receipt: Receipt) -> None:
        if not receipt.time:
            receipt.time = now_iso()
        lines = self._lines(receipt)
        self.folder.mkdir(exist_ok=True)
        with self._locked():
            path = self.folder / CURRENT
            for line in lines:
                with contextlib.suppress(FileNotFoundError):
                    if path.stat().st_size + len(line) > self.max_bytes:
                        self._rotate()
                fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    os.write(fd, line)
                finally:
                    os.close(fd)

    def _lines(self, receipt: Receipt) -> list[bytes]:
        """The receipt as JSON lines of at most a quarter of `max_bytes` each where its facts
        allow: the same record with its facts in consecutive slices."""
        fields = dict(vars(receipt))

        def encode(facts: list[tuple[str, str]]) -> bytes:
            data = {**fields, "facts": [list(pair) for pair in facts]}  # in the fields' order
            return (json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n").encode()

        whole = encode(receipt.facts)
        budget = max(1, self.max_bytes // 4)
        if len(whole) <= budget or len(receipt.facts) < 2:
            return [whole]
        lines: list[bytes] = []
        room = budget - len(encode([]))
        start, size = 0, 0
        for end, (fact_id, blob) in enumerate(receipt.facts):
            cost = _json_length(fact_id) + _json_length(blob) + 8  # `["id","blob"],`
            if size + cost > room and end > start:
                lines.append(encode(receipt.facts[start:end]))
                start, size = end, 0
            size += cost
        lines.append(encode(receipt.facts[start:]))
        return lines

    def _rotate(self) -> None:
        oldest = self.folder / f"reads.{self.files - 1}.jsonl"
        with contextlib.suppress(FileNotFoundError):
            oldest.unlink()
        for number in range(self.files - 2, 0, -1):
            with contextlib.suppress(FileNotFoundError):
                os.replace(self.folder / f"reads.{number}.jsonl",
                           self.folder / f"reads.{number + 1}.jsonl")  # fmt: skip
        if self.files > 1:
            os.replace(self.folder / CURRENT, self.folder / "reads.1.jsonl")
        else:
            (self.folder / CURRENT).unlink()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.folder.mkdir(exist_ok=True)
        with open(self.folder / "reads.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def paths(self) -> list[Path]:
        """The receipt files, oldest first."""
        older = [self.folder / f"reads.{n}.jsonl" for n in range(self.files - 1, 0, -1)]
        return [p for p in (*older, self.folder / CURRENT) if p.is_file()]

    def read(
        self, *, fact_id: str | None = None, agent: str | None = None, run: str | None = None,
        fact_ids: Iterable[str] | None = None,
    ) -> list[Receipt]:  # fmt: skip
        """Receipts, oldest first, of reads that handed out `fact_id` (or any of `fact_ids`),
        by `agent`, in `run`. A filter no receipt can match (a malformed id or name) is
        `InvalidInput`, not an empty answer."""
        if fact_id is not None:
            validate_id(fact_id)
        if agent is not None:
            validate_name(agent, "agent name")
        if run is not None:
            validate_token(run, "run id")
        wanted = set(fact_ids or ()) | ({fact_id} if fact_id else set())
        found = []
        for receipt in self._all():
            if agent is not None and receipt.agent != agent:
                continue
            if run is not None and receipt.run != run:
                continue
            if (fact_id is not None or fact_ids is not None) and not wanted & set(receipt.fact_ids):
                continue
            found.append(receipt)
        return found

    def _all(self) -> Iterator[Receipt]:
        for path in self.paths():
            with open(path, encoding="utf-8") as handle:
                for line in handle:
                    try:
                        yield Receipt.from_dict(json.loads(line))
                    except (ValueError, TypeError):
                        continue  # a torn last line (a crash mid-write) is skipped

    def rewrite(self, keep: Any) -> int:
        """Drop every receipt for which `keep(receipt)` is false (purge); returns how many."""
        dropped = 0
        with self._locked():
            for path in self.paths():
                kept = []
                for receipt in self._read_file(path):
                    if keep(receipt):
                        kept.append(json.dumps(receipt.to_dict(), ensure_ascii=False,
                                               separators=(",", ":")) + "\n")  # fmt: skip
                    else:
                        dropped += 1
                tmp = path.with_suffix(".tmp")
                tmp.write_text("".join(kept), encoding="utf-8")
                os.replace(tmp, path)
        return dropped

    def _read_file(self, path: Path) -> Iterator[Receipt]:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                try:
                    yield Receipt.from_dict(json.loads(line))
                except (ValueError, TypeError):
                    continue


def _json_length(text: str) -> int:
    """The bytes `text` takes inside a JSON string (`ensure_ascii=False`)."""
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return len(text)
    return len(json.dumps(text, ensure_ascii=False).encode()) - 2
