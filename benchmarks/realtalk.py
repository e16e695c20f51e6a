"""REALTALK as retrieval sets: one memory repository per conversation, one fact per turn or per
session, each question answered by its evidence turns.

The data is never copied into the project: it is read at run time from `$AGENTMEM_REALTALK`, or
else from `../shared/data/realtalk/` beside the repository root (see that folder's README).
The ten conversations are split by conversation, never by question; the ranking is chosen on
`DEV` only. A question counts when at least one of its evidence ids names a turn of its
conversation (679 of 728; the others list no evidence or malformed ids such as ``"D 2:18"``).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Conversations are named by their number only ("Chat_1" reads the file Chat_1_<names>.json):
# nothing of the data, not even the participants' names, is written into the project.
DEV = [f"Chat_{n}" for n in (1, 3, 5, 7, 9)]
TEST = [f"Chat_{n}" for n in (2, 4, 6, 8, 10)]
LEVELS = ("turn", "session")
_SESSION = re.compile(r"session_(\d+)")


@dataclass
class Question:
    query: str
    relevant: set[str]  # fact ids
    category: int


@dataclass
class Conversation:
    name: str
    level: str
    facts: list[dict[str, object]]  # records for Repo.import_facts
    questions: list[Question]

    @property
    def scope(self) -> str:
        """Its scope where every conversation shares one repository (``user:chat_2``)."""
        return f"user:{self.name.lower()}"

    @property
    def id_prefix(self) -> str:
        """Before its fact ids where every conversation shares one repository (``chat2-``)."""
        return self.name.lower().replace("_", "") + "-"

    def shared_facts(self) -> list[dict[str, object]]:
        """Its facts for a repository every conversation shares: in `scope`, ids after `id_prefix`."""
        return [{**fact, "id": self.id_prefix + str(fact["id"]), "scope": self.scope} for fact in self.facts]


def folder() -> Path | None:
    """Where REALTALK is, or None when it is not on this machine."""
    path = Path(os.environ.get("AGENTMEM_REALTALK") or ROOT.parent / "shared" / "data" / "realtalk")
    return path if (path / "README.md").is_file() else None


def fact_id(dia_id: str) -> str:
    """``D3:17`` -> ``d3-17`` (fact ids are lowercase, without ':')."""
    return dia_id.lower().replace(":", "-")


def load(name: str, level: str, path: Path | None = None) -> Conversation:
    """One conversation as facts and questions at `level` ("turn" or "session")."""
    where = path or folder()
    if where is None:
        raise FileNotFoundError("REALTALK not found: set AGENTMEM_REALTALK")
    found = sorted(where.glob(f"{name}_*.json")) or [where / f"{name}.json"]
    data = json.loads(found[0].read_text(encoding="utf-8"))
    facts: list[dict[str, object]] = []
    session_of: dict[str, str] = {}
    for key, turns in data.items():
        match = _SESSION.fullmatch(key)
        if not match or not isinstance(turns, list) or not turns:
            continue
        lines = [f"{t['speaker']}: {t['clean_text']}" for t in turns]
        session = f"s{match.group(1)}"
        for turn, line in zip(turns, lines, strict=True):
            session_of[turn["dia_id"]] = session
            if level == "turn":
                facts.append({"id": fact_id(turn["dia_id"]), "text": line, "kind": "turn",
                              "meta": {"dia_id": turn["dia_id"], "time": turn["date_time"]}})  # fmt: skip
        if level == "session":
            facts.append({"id": session, "text": "\n".join(lines), "kind": "session",
                          "meta": {"time": turns[0]["date_time"]}})  # fmt: skip
    questions = []
    for qa in data["qa"]:
        found = [e for e in qa.get("evidence") or [] if e in session_of]
        if found:
            relevant = {fact_id(e) if level == "turn" else session_of[e] for e in found}
            questions.append(Question(qa["question"], relevant, int(qa.get("category") or 0)))
    return Conversation(name, level, facts, questions)
