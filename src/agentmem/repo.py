"""`Repo`: the public Python API. The CLI, the MCP server and adapters are thin layers over it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Unpack

from . import adopt as _adopt
from .config import (
    CONFIG_TEMPLATE,
    FORMAT_VERSION,
    GITIGNORE,
    GITIGNORE_PATH,
    REPO_TOML,
    REPO_TOML_PATH,
    load_config,
)  # fmt: skip
from .errors import CorruptObject, InvalidInput, NotARepository, NothingStaged
from .repo_caches import DerivedCaches
from .repo_history import HistoryVerbs
from .repo_remotes import RemoteVerbs
from .repo_search import SearchVerbs
from .repo_vcs import VersionControlVerbs
from .session import Session
from .signature import Signature
from .snapshot import Snapshot
from .store import GitStore
from .values import DEFAULT_AGENT, validate_flag

# Everything else loads on first use, inside the method that needs it: `agentmem log` should
# not import merge, remotes (dulwich's network client), staging or search to list ten commits
# (start-up figures in docs/benchmarks.md; tests/test_startup.py checks what a read imports).
if TYPE_CHECKING:
    from .exchange import ImportResult
    from .fact import Fact
    from .governance.admin import PolicyAdmin, QuarantineAdmin
    from .governance.purge import Purged
    from .governance.receipts import Receipts
    from .index import Index
    from .lineage import Cascade
    from .listing import FactPage
    from .staging import StageContents, StagedCommitResult, StagedOp
    from .subsystems import Bisection, Merges
    from .transaction import CommitResult, Transaction, WriteResult
    from .write_fields import ChangedFactFields, NewFactFields

LOCAL_DIR = ".agentmem"
GIT_DIR = ".git"


class Repo(VersionControlVerbs, HistoryVerbs, RemoteVerbs, SearchVerbs, DerivedCaches):
    """A memory repository: a git repository of facts plus the local `.agentmem/` folder."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()
        self.local_dir = self.root / LOCAL_DIR
        if not (self.local_dir / "config").is_file() or not (self.root / GIT_DIR).is_dir():
            raise NotARepository(f"not an agentmem repository: {self.root}")
        self.store = GitStore(str(self.root / GIT_DIR))
        self.config = load_config(self.local_dir / "config")
        self._search_index: Index | None = None  # opened on the first in-process search
        self.store.gate = _gate  # every commit passes the policy (governance/gate.py)
        version = self.config["repo"].get("format")
        if version != FORMAT_VERSION:
            raise NotARepository(f"unsupported repository format {version!r} at {self.root}")

    def __repr__(self) -> str:
        return f"Repo({str(self.root)!r})"

    def close(self) -> None:
        """Release open pack files (also done by leaving a ``with Repo.open(...)`` block)."""
        self.store.git.close()

    def __enter__(self) -> Repo:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @cached_property
    def receipts(self) -> Receipts:
        """Who read what (governance/receipts.py), rotated as ``[receipts]`` in the config says."""
        from .governance.receipts import Receipts

        settings = self.config["receipts"]
        return Receipts(self.local_dir, int(settings["max_bytes"]), int(settings["files"]))

    @cached_property
    def merges(self) -> Merges:
        from .subsystems import Merges

        return Merges(self)

    @cached_property
    def bisect(self) -> Bisection:
        from .subsystems import Bisection

        return Bisection(self)

    @cached_property
    def policy(self) -> PolicyAdmin:
        from .governance.admin import PolicyAdmin

        return PolicyAdmin(self)

    @cached_property
    def quarantine(self) -> QuarantineAdmin:
        from .governance.admin import QuarantineAdmin

        return QuarantineAdmin(self)

    # -- creating and finding ------------------------------------------------------------

    @classmethod
    def init(cls, path: str | os.PathLike[str] = ".", branch: str = "main") -> Repo:
        """Create a memory repository at `path` with one initial commit on `branch`."""
        root = Path(path).resolve()
        if (root / LOCAL_DIR / "config").exists():
            raise InvalidInput(f"{root} already holds a repository")
        if (root / GIT_DIR).exists():
            if _adopt.committed_format(root) is None:
                raise InvalidInput(f"{root} already holds a repository (git, but not agentmem's)")
            _adopt.adopt(root)  # a clone: create its local state
            return cls(root)
        root.mkdir(parents=True, exist_ok=True)
        store = GitStore.init(str(root / GIT_DIR), branch)
        local = root / LOCAL_DIR
        local.mkdir(exist_ok=True)
        (local / "config").write_text(CONFIG_TEMPLATE, encoding="utf-8")
        (local / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
        tree = store.write_tree(
            None,
            {REPO_TOML_PATH.encode(): REPO_TOML.encode(), GITIGNORE_PATH.encode(): GITIGNORE.encode()},
        )
        commit = store.make_commit(tree, [], Signature("agentmem", "init memory repository"))
        store.set_ref(f"refs/heads/{branch}".encode(), None, commit, "init")
        return cls(root)

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None) -> Repo:
        """Open the repository at `path`, or at `$AGENTMEM_REPO`, or the first one found upward
        from the current folder.

        A clone (or copy) without local state gets it on first open (`adopt.adopt`)."""
        if path is None and os.environ.get("AGENTMEM_REPO"):
            path = os.environ["AGENTMEM_REPO"]
        if path is not None:
            _adopt.adopt(path)
            return cls(path)
        here = Path.cwd().resolve()
        for candidate in (here, *here.parents):
            if _adopt.is_memory_repository(candidate):
                _adopt.adopt(candidate)
                return cls(candidate)
        raise NotARepository(f"not inside an agentmem repository: {here} (run 'agentmem init')")

    @classmethod
    def clone(cls, url: str, path: str | os.PathLike[str], *, remote: str = "origin") -> Repo:
        """Copy the memory at `url` (a path, file://, git://, ssh or http(s) URL) into `path`:
        every branch and tag, upstreams set, ready to use (the search index builds on demand)."""
        from . import remotes as _remotes

        root = Path(path).resolve()
        if root.exists() and any(root.iterdir()):
            raise InvalidInput(f"{root} exists and is not empty")
        root.mkdir(parents=True, exist_ok=True)
        store = GitStore.init(str(root / GIT_DIR), "main")
        try:
            _remotes.clone_into(store, url, remote)
            store.git.close()
            (root / LOCAL_DIR).mkdir(exist_ok=True)
            (root / LOCAL_DIR / "config").write_text(CONFIG_TEMPLATE, encoding="utf-8")
            (root / LOCAL_DIR / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
        except BaseException:
            store.git.close()
            shutil.rmtree(root, ignore_errors=True)
            raise
        return cls(root)

    # -- refs and snapshots --------------------------------------------------------------

    @property
    def branch(self) -> str:
        """The current branch's short name."""
        return self.store.current_branch().decode().removeprefix("refs/heads/")

    def resolve(self, ref: str | None = None) -> str:
        """Full commit id of `ref` (branch, tag, commit, ``HEAD~2``; default HEAD)."""
        return self.store.resolve(ref).decode()

    def snapshot(self, at: str | None = None) -> Snapshot:
        return Snapshot(self.store, self.store.resolve(at))

    # -- acting agents ------------------------------------------------------------------

    def as_agent(
        self, agent: str, *, run: str | None = None, trace: str | None = None,
        branch: str | None = None,
    ) -> Session:  # fmt: skip
        """The session every read and write of `agent` goes through (policy, receipts, its own
        branch: `branch`, else ``$AGENTMEM_BRANCH``, else HEAD's branch now)."""
        return Session(self, agent, run=run, trace=trace, branch=branch)

    def _owner(self) -> Session:
        """The library's caller without an identity: no policy, no receipts; quarantine and
        retention still hide facts. The flat read methods below read through it."""
        return Session(self, "agentmem", governed=False)

    def purge(self, fact_id: str, *, agent: str, yes: bool = False) -> Purged:
        """Erase a fact for good: every branch, tag and reflog rewritten, index, receipts and
        local state cleaned; refused without `yes` (see governance/purge.py). On a clone the
        remote-tracking branches are dropped too (they may reach the fact; the next fetch brings
        them back, purge-checked)."""
        from .governance.purge import purge
        from .remote_config import drop_tracking_refs

        if yes:
            drop_tracking_refs(self.store)
        return purge(self, fact_id, agent=agent, yes=yes)

    # -- reading (flat wrappers over the owner's session) ---------------------------------

    def get(self, fact_id: str, at: str | None = None, scope: str | None = None) -> Fact:
        """The fact with this id at `at` (default HEAD); `NotFound` if absent."""
        return self._owner().get(fact_id, at, scope)

    def facts(
        self, scope: str | None = None, at: str | None = None, *, include_expired: bool = False
    ) -> list[Fact]:
        """The facts at `at` (default HEAD) that the read path shows (expired and quarantined
        ones hidden); `include_expired`: every fact file in the tree, as stored."""
        if validate_flag(include_expired, "include_expired"):
            return list(self.snapshot(at).facts(scope))
        return self._owner().facts(scope, at)

    def newest_facts(
        self, scope: str | None = None, at: str | None = None, *, limit: int | None = None
    ) -> FactPage:
        """`facts`, newest change first, at most `limit` (`Session.newest_facts`)."""
        return self._owner().newest_facts(scope, at, limit=limit)

    # -- writing (flat wrappers over `as_agent`) -------------------------------------------

    def transaction(
        self, *, agent: str, message: str = "", run: str | None = None, trace: str | None = None,
    ) -> Transaction:  # fmt: skip
        """``with repo.transaction(agent=...) as tx:`` commits all writes in the block at once."""
        return self.as_agent(agent, run=run, trace=trace).transaction(message)

    def remember(
        self, text: str, scope: str = "shared", *, agent: str, run: str | None = None,
        trace: str | None = None, message: str = "", **fields: Unpack[NewFactFields],
    ) -> WriteResult:  # fmt: skip
        """Add one fact in its own commit; the same text in the same scope is a no-op."""
        return self.as_agent(agent, run=run, trace=trace).remember(text, scope, message=message,
                                                                    **fields)  # fmt: skip

    def update(
        self, fact_id: str, *, agent: str, run: str | None = None, trace: str | None = None,
        message: str = "", **fields: Unpack[ChangedFactFields],
    ) -> WriteResult:  # fmt: skip
        """Change a fact in its own commit, keeping its id."""
        return self.as_agent(agent, run=run, trace=trace).update(fact_id, message=message, **fields)

    def forget(
        self, fact_id: str, *, agent: str, run: str | None = None, trace: str | None = None,
        message: str = "",
    ) -> CommitResult:  # fmt: skip
        """Remove a fact from the current tree in its own commit (history keeps it)."""
        return self.as_agent(agent, run=run, trace=trace).forget(fact_id, message=message)

    def forget_cascade(
        self, fact_id: str, *, agent: str, dry_run: bool = False, run: str | None = None,
        trace: str | None = None, message: str = "",
    ) -> Cascade:  # fmt: skip
        """Forget a fact and everything derived from it in one commit (`dry_run`: list only)."""
        session = self.as_agent(agent, run=run, trace=trace)
        return session.forget_cascade(fact_id, dry_run=dry_run, message=message)

    def import_facts(
        self, records: Iterable[dict[str, Any] | str | bytes], *, agent: str, message: str = "",
        run: str | None = None, trace: str | None = None, existing: str = "error",
        progress: Callable[[int], None] | None = None,
    ) -> ImportResult:  # fmt: skip
        """Write many facts in one commit, all or nothing: records (dicts) or JSON lines, as
        specified in docs/format.md. `existing`: what to do with a fact that exists with other
        content: ``error`` (default), ``skip`` or ``replace``."""
        from .exchange import import_records

        with self.transaction(agent=agent, run=run, trace=trace, message=message) as tx:
            result = import_records(tx, records, existing=existing, progress=progress)
        assert tx.result is not None
        result.commit = tx.result.commit
        if result.commit is not None:
            self._list_imported(tx, result.commit.encode())
        return result

    def export_facts(self, scope: str | None = None, at: str | None = None) -> Iterator[str]:
        """Every fact at `at` (default HEAD), or one scope's, as JSON lines that
        `import_facts` reads back into the same fact files."""
        from .exchange import export_lines

        return export_lines(self.snapshot(at), scope)

    # -- the CLI's stage -----------------------------------------------------------------

    def stage(self, op: dict[str, Any], *, agent: str = DEFAULT_AGENT) -> StagedOp:
        """Stage one operation (``{"op": "remember"|"update"|"forget", ...}``) in `agent`'s stage,
        for that agent's `commit_staged` (each agent has its own: see staging.py)."""
        from . import staging

        return staging.stage(staging.folder_of(self.local_dir, agent), op)

    def staged(self, agent: str = DEFAULT_AGENT) -> list[StagedOp]:
        return self.stage_contents(agent).ops

    def stage_contents(self, agent: str = DEFAULT_AGENT) -> StageContents:
        """`agent`'s staged operations and the count of unreadable (torn) lines skipped."""
        from . import staging

        return staging.staged(self.store, staging.folder_of(self.local_dir, agent))

    def staging_agents(self) -> list[str]:
        """The agents with a stage in this checkout (staged writes, or files of one)."""
        from . import staging

        return staging.staging_agents(self.local_dir)

    def staged_by_others(self, agent: str) -> dict[str, int]:
        """How many writes each other agent has staged in this checkout (theirs to commit)."""
        counts = {other: len(self.staged(other)) for other in self.staging_agents() if other != agent}
        return {other: count for other, count in counts.items() if count}

    def unstage(self, agent: str | None = DEFAULT_AGENT) -> int:
        """Drop `agent`'s staged operations (every agent's with None); return how many."""
        from . import staging

        if agent is None:
            return staging.clear_all(self.store, self.local_dir)
        return staging.clear(self.store, staging.folder_of(self.local_dir, agent))

    def commit_staged(
        self, *, agent: str, message: str = "", run: str | None = None, trace: str | None = None,
    ) -> StagedCommitResult:  # fmt: skip
        """Commit every operation `agent` staged, atomically, under its name; on failure, or if
        killed, they stay staged. What other agents staged is theirs to commit."""
        from . import staging

        tx = self.transaction(agent=agent, message=message, run=run, trace=trace)
        try:
            return staging.commit_staged(self.store, staging.folder_of(self.local_dir, agent), tx)
        except NothingStaged as nothing:
            merging = self._merge_in_progress(agent)
            if merging is not None:  # `git commit` ends a merge; here `merge --continue` does
                raise NothingStaged(f"nothing staged by agent {agent}; its {merging[0]} in progress "
                                    f"is committed by '{merging[1]}'") from None  # fmt: skip
            others = self.staged_by_others(agent)
            if not others:
                raise
            counts = ", ".join(f"{n} by {a}" for a, n in others.items())
            raise NothingStaged(f"{nothing}; staged here by other agents, theirs to commit (--agent): "
                                f"{counts}") from None  # fmt: skip

    def _merge_in_progress(self, agent: str) -> tuple[str, str] | None:
        """(merge or revert, the command that commits it) for `agent`'s merge in progress."""
        from . import merge_state

        path = merge_state.state_path(self.local_dir, agent)
        try:
            state = merge_state.read(path)
        except CorruptObject:  # its own commands say so
            return None
        return None if state is None else (str(state["kind"]), merge_state.command(path, "--continue"))


def _gate(*args: Any) -> None:
    """The store's commit gate: `governance.gate.check`, imported on the first commit."""
    from .governance import gate

    gate.check(*args)
