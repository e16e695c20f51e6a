"""`repo.policy` and `repo.quarantine`: the committed governance files, read and changed
through commits (so every change has an author and a place in history)."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING

from ..errors import NotFound, PermissionDenied
from ..fact import now_iso
from ..values import validate_line
from .policy import POLICY_PATH, Decision, Policy
from .quarantine import QuarantineEntry, QuarantineList
from .state import QUARANTINE_PATH, read_tree_file
from .visibility import Visibility, load_policy, load_quarantine

MAX_REASON_CHARS = 1000  # a quarantine entry's reason (docs/format.md)

if TYPE_CHECKING:
    from ..repo import Repo
    from ..session import Session


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
        """Commit `text` as the new policy (validated first) on `branch`, or with `branch` None on
        the current branch and every other local branch that held the same policy (or, like it,
        none: `sharing`). Each agent obeys the policy on its own branch, and agents often work on
        branches of their own, so a revocation must reach them; a branch with a policy of its
        own is left as it is. Only an admin of each branch's current policy may (anyone while it
        has none), and no branch changes when one would refuse. Returns the commit on the current
        branch (None: unchanged)."""
        Policy.parse(text)
        session = self.repo.as_agent(agent, branch=branch)
        names = [session.branch] if branch else self.sharing(session.branch)
        commits = [writer.commit_file(POLICY_PATH, text.encode("utf-8"), message or "set policy")
                   for writer in _admins(session, names, POLICY_PATH)]  # fmt: skip
        return commits[0]

    def sharing(self, branch: str) -> builtins.list[str]:
        """`branch` and every other local branch whose policy file is the same as its own (or
        which, like it, has none): those `set` changes together."""
        own = self.show(branch)
        others = [ref.name for ref in self.repo.branches() if ref.name != branch]
        return [branch, *(name for name in others if self.show(name) == own)]

    def explain(self, agent: str, action: str, scope: str, at: str | None = None) -> Decision:
        """Which rule allows or denies `agent` to `action` in `scope`."""
        from ..fact import parse_scope, validate_name

        return self.get(at).decide(validate_name(agent, "agent name"), action, parse_scope(scope))


class QuarantineAdmin:
    """`.agentmem/quarantine.json`: hide a fact and its blast radius, or release it."""

    def __init__(self, repo: Repo) -> None:
        self.repo = repo

    def list(self, at: str | None = None, *, agent: str | None = None) -> list[QuarantineEntry]:
        """The entries at `at` (default HEAD). Read as `agent` under a policy that does not make
        it an admin: only the entries of facts it may read (an entry names the fact and why it
        was hidden), their derived facts likewise."""
        from dataclasses import replace

        from ..snapshot import Snapshot

        store = self.repo.store
        commit = store.resolve(at)
        vis = Visibility.load(store, agent, commit)
        if agent is None or vis.policy.is_admin(agent):
            return vis.quarantine.entries
        snap = Snapshot(store, commit)

        def readable(fact_id: str) -> bool:
            fact = snap.find(fact_id)
            return fact is not None and vis.can_read(fact.scope)

        entries = vis.quarantine.entries

        return [replace(e, hidden=tuple(filter(readable, e.hidden))) for e in entries if readable(e.id)]

    def add(self, fact_id: str, *, agent: str, reason: str = "", run: str | None = None,
            trace: str | None = None, branch: str | None = None) -> QuarantineEntry:  # fmt: skip
        """Quarantine `fact_id` and every fact derived from it (its trace), in one commit on
        `branch`, or with `branch` None on every local branch, its trace then taken on every
        branch that knows the fact: an agent reads the list committed on its own branch, and
        agents often work on branches of their own, so a fact quarantined on one branch would
        stay in sight on the others (and may exist only on an agent's branch)."""
        validate_line(reason, "the reason", MAX_REASON_CHARS)
        session = self.repo.as_agent(agent, run=run, trace=trace, branch=branch)
        others = [] if branch else [name for name in self._branches() if name != session.branch]
        names = [session.branch, *others]
        hidden = _radius(session, fact_id, names)
        entry = QuarantineEntry(fact_id, hidden, session.agent, now_iso(), reason)
        message = f"quarantine {fact_id} and {len(hidden)} derived fact(s)"
        for writer in _admins(session, names, QUARANTINE_PATH):
            current = load_quarantine(self.repo.store, writer.tip())
            current.add(entry)
            writer.commit_file(QUARANTINE_PATH, current.to_text().encode(), message)
        return entry

    def release(self, fact_id: str, *, agent: str, branch: str | None = None) -> QuarantineEntry:
        """Lift the quarantine of `fact_id` on `branch`, or with `branch` None on every local
        branch whose list holds it."""
        names = [branch] if branch else self.holding(fact_id)
        session = self.repo.as_agent(agent, branch=branch)
        entry = None
        for writer in _admins(session, names, QUARANTINE_PATH):
            current: QuarantineList = load_quarantine(self.repo.store, writer.tip())
            try:
                entry = current.release(fact_id)
            except NotFound:
                continue
            data = current.to_text().encode() if current.entries else None
            writer.commit_file(QUARANTINE_PATH, data, f"release {fact_id} from quarantine")
        if entry is None:
            raise NotFound(f"fact {fact_id} is not quarantined")
        return entry

    def holding(self, fact_id: str) -> builtins.list[str]:
        """The local branches whose quarantine list holds `fact_id`."""
        store = self.repo.store
        lists = {name: load_quarantine(store, store.resolve(name)) for name in self._branches()}
        return [name for name, listed in lists.items() if any(e.id == fact_id for e in listed.entries)]

    def _branches(self) -> builtins.list[str]:
        return [ref.name for ref in self.repo.branches()]


def _admins(session: Session, names: builtins.list[str], path: str) -> builtins.list[Session]:
    """A session of `session`'s agent on each branch named (in that order), once the policy of
    every one of them lets the agent change `path` (so that none is changed when one would
    refuse; the gate checks each commit again)."""
    writers = [session.repo.as_agent(session.agent, run=session.run, trace=session.trace, branch=name)
               for name in names]  # fmt: skip
    for writer in writers:
        if not load_policy(session.repo.store, writer.tip()).is_admin(writer.agent):
            raise PermissionDenied(f"agent {writer.agent} may not change {path} on branch "
                                   f"{writer.branch} (admins only)")  # fmt: skip
    return writers


def _radius(session: Session, fact_id: str, names: builtins.list[str]) -> tuple[str, ...]:
    """The ids derived from `fact_id` on each branch named whose history holds it (the first
    branch's `NotFound` when none does)."""
    found: builtins.list[str] = []
    missing: NotFound | None = None
    traced = False
    for name in names:
        try:
            found += session.repo.as_agent(session.agent, branch=name).blast_radius(fact_id)
            traced = True
        except NotFound as exc:
            missing = missing or exc
    if not traced:
        assert missing is not None
        raise missing
    return tuple(dict.fromkeys(found))
