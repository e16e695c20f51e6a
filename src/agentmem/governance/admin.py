"""`repo.policy` and `repo.quarantine`: the committed governance files, read and changed
through commits (so every change has an author and a place in history)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import NotFound
from ..fact import now_iso
from .policy import POLICY_PATH, Decision, Policy
from .quarantine import QuarantineEntry, QuarantineList
from .state import QUARANTINE_PATH, read_tree_file
from .visibility import load_policy, load_quarantine

if TYPE_CHECKING:
    from ..repo import Repo


class PolicyAdmin:
    """`.agentmem/policy.toml` on a branch: `show`, `get`, `set` (a commit), `explain`."""

    def __init__(self, repo: Repo) -> None:
        self.repo = repo

    def show(self, at: str | None = None) -> str | None:
        """The policy's text at `at` (default HEAD), None when there is none."""
        found = read_tree_file(self.repo.store, self.repo.store.resolve(at), POLICY_PATH)
        return None if found is None else found[1]

    def get(self, at: str | None = None) -> Policy:
        return load_policy(self.repo.store, self.repo.store.resolve(at))

    def set(self, text: str, *, agent: str, message: str = "", branch: str | None = None) -> str | None:
        """Commit `text` as the new policy (validated first). Only an admin of the current
        policy may (anyone while there is none); returns the commit (None: unchanged)."""
        Policy.parse(text)
        session = self.repo.as_agent(agent, branch=branch)
        return session.commit_file(POLICY_PATH, text.encode("utf-8"), message or "set policy")

    def explain(self, agent: str, action: str, scope: str, at: str | None = None) -> Decision:
        """Which rule allows or denies `agent` to `action` in `scope`."""
        from ..fact import parse_scope, validate_name

        return self.get(at).decide(validate_name(agent, "agent name"), action, parse_scope(scope))


class QuarantineAdmin:
    """`.agentmem/quarantine.json`: hide a fact and its blast radius, or release it."""

    def __init__(self, repo: Repo) -> None:
        self.repo = repo

    def list(self, at: str | None = None) -> list[QuarantineEntry]:
        return load_quarantine(self.repo.store, self.repo.store.resolve(at)).entries

    def add(self, fact_id: str, *, agent: str, reason: str = "", run: str | None = None,
            trace: str | None = None, branch: str | None = None) -> QuarantineEntry:  # fmt: skip
        """Quarantine `fact_id` and every fact derived from it (its trace), in one commit."""
        session = self.repo.as_agent(agent, run=run, trace=trace, branch=branch)
        radius = session.trace_fact(fact_id)
        hidden = tuple(d.id for d in radius.derived if d.id != fact_id)
        entry = QuarantineEntry(fact_id, hidden, session.agent, now_iso(), reason)
        current = load_quarantine(self.repo.store, session.tip())
        current.add(entry)
        message = f"quarantine {fact_id} and {len(hidden)} derived fact(s)"
        session.commit_file(QUARANTINE_PATH, current.to_text().encode(), message)
        return entry

    def release(self, fact_id: str, *, agent: str, branch: str | None = None) -> QuarantineEntry:
        session = self.repo.as_agent(agent, branch=branch)
        current: QuarantineList = load_quarantine(self.repo.store, session.tip())
        try:
            entry = current.release(fact_id)
        except NotFound:
            raise NotFound(f"fact {fact_id} is not quarantined") from None
        data = current.to_text().encode() if current.entries else None
        session.commit_file(QUARANTINE_PATH, data, f"release {fact_id} from quarantine")
        return entry

