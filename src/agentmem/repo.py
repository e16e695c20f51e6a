"""`Repo`: the public Python API. The CLI, the MCP server and adapters are thin layers over it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
from .errors import InvalidInput, NotARepository
from .history import CommitInfo, commit_info
from .session import Session
from .snapshot import Snapshot
from .store import GitStore, Signature

# Everything else loads on first use, inside the method that needs it: `agentmem log` should
# not import merge, remotes (dulwich's network client), staging or search to list ten commits
# (start-up figures in docs/benchmarks.md; tests/test_startup.py checks what a read imports).
if TYPE_CHECKING:
    from .bisect import BisectStep
    from .diff import DiffResult
    from .exchange import ImportResult
    from .fact import Fact
    from .governance.admin import PolicyAdmin, QuarantineAdmin
    from .governance.purge import Purged
    from .governance.receipts import Receipts
    from .index import Index
    from .lineage import Blame, Cascade, Derived
    from .merge import MergeConflict, MergeResult
    from .refs import RefInfo, ReflogEntry, ResetResult
    from .remotes import FetchResult, PullResult, PushResult, RemoteInfo
    from .search import SearchHit
    from .staging import StageContents, StagedCommitResult, StagedOp
    from .subsystems import Bisection, Merges
    from .transaction import CommitResult, Transaction, WriteResult
    from .visibility import Actor

LOCAL_DIR = ".agentmem"
GIT_DIR = ".git"


class Repo:
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
        from . import remotes as _remotes
        from .governance.purge import purge

        if yes:
            _remotes.drop_tracking_refs(self.store)
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
        if include_expired:
            return list(self.snapshot(at).facts(scope))
        return self._owner().facts(scope, at)

    def log(
        self, fact_id: str | None = None, *, n: int | None = None, agent: str | None = None,
        at: str | None = None, scope: str | None = None,
    ) -> list[CommitInfo]:  # fmt: skip
        """Commits of the branch, newest first; with `fact_id`, only those that touched it
        (`agent`: only that agent's commits)."""
        return self._owner().log(fact_id, n=n, at=at, scope=scope, author=agent)

    def log_follow(
        self, fact_id: str, *, n: int | None = None, agent: str | None = None,
        at: str | None = None, scope: str | None = None,
    ) -> list[CommitInfo]:  # fmt: skip
        """A fact's history including the merge commits that brought its changes in."""
        return self._owner().log(fact_id, n=n, at=at, scope=scope, author=agent, follow=True)

    def commit_info(self, ref: str) -> CommitInfo:
        """A commit with its provenance and the facts it changed."""
        return commit_info(self.store, self.store.resolve(ref), with_changes=True)

    def diff(
        self, old: str | None = None, new: str | None = None, *, scope: str | None = None,
        stat: bool = False,
    ) -> DiffResult:  # fmt: skip
        """Facts that differ from `old` to `new` (default HEAD). Without `old`: what `new`
        itself changed against its first parent (the empty tree for a root commit), like
        ``git show``. `stat` skips reading the fact bodies."""
        return self._owner().diff(old, new, scope=scope, stat=stat)

    def blame(self, fact_id: str, at: str | None = None, scope: str | None = None) -> Blame:
        """Who introduced and last changed a fact, and the same for its sources, recursively."""
        return self._owner().blame(fact_id, at, scope)

    def derived(self, fact_id: str, at: str | None = None) -> list[Derived]:
        """The fact and every fact derived from it, transitively (an O(n) scan of the facts)."""
        from . import lineage as _lineage

        return _lineage.derived_from(self.snapshot(at), fact_id)

    # -- writing (flat wrappers over `as_agent`) -------------------------------------------

    def transaction(
        self, *, agent: str, message: str = "", run: str | None = None, trace: str | None = None,
    ) -> Transaction:  # fmt: skip
        """``with repo.transaction(agent=...) as tx:`` commits all writes in the block at once."""
        return self.as_agent(agent, run=run, trace=trace).transaction(message)

    def remember(
        self, text: str, scope: str = "shared", *, agent: str, run: str | None = None,
        trace: str | None = None, message: str = "", **fields: Any,
    ) -> WriteResult:  # fmt: skip
        """Add one fact in its own commit; the same text in the same scope is a no-op."""
        return self.as_agent(agent, run=run, trace=trace).remember(text, scope, message=message,
                                                                    **fields)  # fmt: skip

    def update(
        self, fact_id: str, *, agent: str, run: str | None = None, trace: str | None = None,
        message: str = "", **fields: Any,
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
        return result

    def export_facts(self, scope: str | None = None, at: str | None = None) -> Iterator[str]:
        """Every fact at `at` (default HEAD), or one scope's, as JSON lines that
        `import_facts` reads back into the same fact files."""
        from .exchange import export_lines

        return export_lines(self.snapshot(at), scope)

    # -- the CLI's stage -----------------------------------------------------------------

    def stage(self, op: dict[str, Any]) -> StagedOp:
        """Stage one operation (``{"op": "remember"|"update"|"forget", ...}``) for `commit_staged`."""
        from . import staging

        return staging.stage(self.local_dir, op)

    def staged(self) -> list[StagedOp]:
        return self.stage_contents().ops

    def stage_contents(self) -> StageContents:
        """The staged operations and the count of unreadable (torn) lines skipped."""
        from . import staging

        return staging.staged(self.store, self.local_dir)

    def unstage(self) -> int:
        from . import staging

        return staging.clear(self.store, self.local_dir)

    def commit_staged(
        self, *, agent: str, message: str = "", run: str | None = None, trace: str | None = None,
    ) -> StagedCommitResult:  # fmt: skip
        """Commit every staged operation atomically; on failure, or if killed, they stay staged."""
        from . import staging

        tx = self.transaction(agent=agent, message=message, run=run, trace=trace)
        return staging.commit_staged(self.store, self.local_dir, tx)

    # -- version control: refs here, merges and bisect as `repo.merges`, `repo.bisect` ------

    def merge(
        self, other: str, *, agent: str = "agentmem", strategy: str | None = None,
        message: str = "", run: str | None = None, trace: str | None = None,
    ) -> MergeResult:  # fmt: skip
        """Three-way merge of `other` into the current branch, fact by fact. Conflicts without a
        strategy: nothing committed, state saved for `resolve_conflict`/`merge_continue`."""
        session = self.as_agent(agent, run=run, trace=trace)
        return session.merge(other, strategy=strategy, message=message)

    def revert(
        self, commit: str, *, agent: str = "agentmem", strategy: str | None = None,
        message: str = "", run: str | None = None, trace: str | None = None,
    ) -> MergeResult:  # fmt: skip
        """A new commit undoing `commit` fact by fact; later changes of its facts conflict."""
        session = self.as_agent(agent, run=run, trace=trace)
        return session.revert(commit, strategy=strategy, message=message)

    def merge_status(self) -> MergeResult:
        return self.merges.status()

    def resolve_conflict(
        self, fact_id: str, take: str, text: str | None = None, *, agent: str = "agentmem"
    ) -> MergeConflict:
        return self.merges.resolve(fact_id, take, text, agent=agent)

    def merge_continue(self) -> MergeResult:
        return self.merges.continue_()

    def merge_abort(self) -> MergeResult:
        return self.merges.abort()

    def branches(self) -> list[RefInfo]:
        from . import refs as _refs

        return _refs.branches(self.store)

    def create_branch(self, name: str, start: str | None = None) -> RefInfo:
        from . import refs as _refs

        return _refs.create_branch(self.store, name, start)

    def delete_branch(self, name: str) -> RefInfo:
        from . import refs as _refs

        return _refs.delete_branch(self.store, name)

    def switch(self, name: str) -> RefInfo:
        from . import refs as _refs

        self.merges.require_idle("switch")
        return _refs.switch(self.store, name)

    def tag(self, name: str, target: str | None = None) -> RefInfo:
        from . import refs as _refs

        return _refs.create_tag(self.store, name, target)

    def tags(self) -> list[RefInfo]:
        from . import refs as _refs

        return _refs.tags(self.store)

    def reset(self, target: str, *, hard: bool = True) -> ResetResult:
        """Move the current branch to `target` (old head kept in the reflog); `hard` also drops
        the staged writes, as ``git reset --hard`` drops the index."""
        from . import refs as _refs

        self.merges.require_idle("reset")
        result = _refs.reset(self.store, target)
        if hard:
            self.unstage()
        return result

    def reflog(self, branch: str | None = None, n: int | None = None) -> list[ReflogEntry]:
        from . import refs as _refs

        return _refs.reflog(self.store, branch, n)

    def bisect_start(self, *, good: str | None = None, bad: str = "HEAD") -> BisectStep:
        return self.bisect.start(good=good, bad=bad)

    def bisect_mark(self, verdict: str, ref: str | None = None) -> BisectStep:
        """Record ``good``, ``bad`` or ``skip`` for `ref` (default: the current candidate)."""
        return self.bisect.mark(verdict, ref)

    def bisect_status(self) -> BisectStep:
        return self.bisect.status()

    def bisect_run(self, argv: list[str]) -> BisectStep:
        return self.bisect.run(argv)

    def bisect_reset(self) -> bool:
        return self.bisect.reset()

    # -- remotes (issue 14) -----------------------------------------------------------------
    # Thin delegations to remotes.py; see docs/remotes.md.

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

    def remotes(self) -> list[RemoteInfo]:
        from . import remotes as _remotes

        return _remotes.remotes(self.store)

    def add_remote(self, name: str, url: str) -> RemoteInfo:
        from . import remotes as _remotes

        return _remotes.add_remote(self.store, name, url)

    def remove_remote(self, name: str) -> RemoteInfo:
        from . import remotes as _remotes

        return _remotes.remove_remote(self.store, name)

    def fetch(self, remote: str | None = None) -> FetchResult:
        """Bring `remote`'s branches (as ``REMOTE/BRANCH``) and new tags here; default: the
        current branch's upstream remote."""
        from . import remotes as _remotes

        name, _ = _remotes.resolve_target(self.store, remote, None)
        return _remotes.fetch(self.store, name)

    def pull(
        self, remote: str | None = None, branch: str | None = None, *, agent: str = "agentmem",
        strategy: str | None = None, message: str = "",
    ) -> PullResult:  # fmt: skip
        """Fetch and merge fact by fact (default: the upstream). `strategy` ``fail`` refuses
        conflicts outright; ``ours``/``theirs``/``newest`` settle them; none leaves them to
        `resolve_conflict` and `merge_continue`."""
        from . import remotes as _remotes

        session = self.as_agent(agent)

        def merge(ref: str, how: str | None, text: str) -> MergeResult:
            return session.merge(ref, strategy=how, message=text)

        def pull() -> PullResult:
            from . import remotes as _remotes

            return _remotes.pull(self.store, remote, branch, merge, self.merge_abort, strategy, message)

        try:
            return pull()
        except _remotes.PurgeNeeded as needed:
            if any(i.startswith("(") for i in needed.fact_ids):
                raise
            for fact_id in needed.fact_ids:  # the remote's purge record applies here too
                self.purge(fact_id, agent=agent, yes=True)
            return pull()

    def push(
        self, remote: str | None = None, branch: str | None = None, *, force: bool = False
    ) -> PushResult:
        """Send a branch (default: the current one, to its upstream); a non-fast-forward is
        refused unless `force`. The first push sets the upstream."""
        from . import remotes as _remotes

        return _remotes.push(self.store, remote, branch, force=force)

    # -- search (issues 4 and 8) --------------------------------------------------------
    # `daemon=True` sends the request to the user's warm search service (started on demand;
    # see service.py); `False` loads the model and index in this process; None (the default)
    # follows ``search.daemon`` in the config. Both run `service.dispatch`, so they give the
    # same answer, and both pass every hit through the acting identity's visibility test
    # (`actor`, default from $AGENTMEM_AGENT / _RUN / _TRACE).

    def search(
        self, query: str, *, at: str | None = None, scope: str | None = None,
        agent: str | None = None, kind: str | None = None, k: int = 10, mode: str = "hybrid",
        daemon: bool | None = None, progress: Callable[[int, int], None] | None = None,
        note: Callable[[str], None] | None = None, actor: Actor | None = None,
    ) -> list[SearchHit]:  # fmt: skip
        """Facts ranked by meaning and keywords at `at` (default: the current branch). Every
        hit names the commit it was read from: searching `at` that commit gives the same hits.
        `agent` keeps only facts that agent wrote; `actor` is who is asking (default: the
        owner, or $AGENTMEM_AGENT when set; to search AS an agent: `as_agent(...).search`)."""
        from .visibility import Actor

        actor = actor or Actor.from_env()
        searcher = self._owner() if actor.agent is None else self.as_agent(
            actor.agent, run=actor.run, trace=actor.trace)
        return searcher.search(query, at=at, scope=scope, author=agent, kind=kind, k=k, mode=mode,
                               daemon=daemon, progress=progress, note=note)  # fmt: skip

    def near_duplicates(
        self, fact_id: str, *, at: str | None = None, threshold: float | None = None, k: int = 10,
        daemon: bool | None = None, start: bool = True, actor: Actor | None = None,
    ) -> list[SearchHit] | None:  # fmt: skip
        """Facts in `fact_id`'s scope within `threshold` cosine of it (default
        ``search.duplicate_threshold``). With the service and `start` false (the check after a
        write), None when no service runs or it is busy: the check is skipped, never waited for."""
        from .search import SearchHit

        limit = float(self.config["search"]["duplicate_threshold"] if threshold is None else threshold)
        params = {"fact_id": fact_id, "at": at, "threshold": limit, "k": k}
        found = self._search_call("near_duplicates", params, daemon, actor, start=start, quick=not start)
        return None if found is None else [SearchHit.from_dict(hit) for hit in found]

    def duplicates(
        self, scope: str, *, at: str | None = None, threshold: float | None = None,
        daemon: bool | None = None, actor: Actor | None = None,
    ) -> tuple[str, list[tuple[str, str, float]]]:  # fmt: skip
        """(commit, pairs of facts in `scope` within `threshold` cosine, most similar first)."""
        limit = float(self.config["search"]["duplicate_threshold"] if threshold is None else threshold)
        params = {"scope": scope, "at": at, "threshold": limit}
        found = self._search_call("duplicates", params, daemon, actor)
        return found["commit"], [(a, b, float(s)) for a, b, s in found["pairs"]]

    def index(
        self, *, at: str | None = None, rebuild: bool = False, daemon: bool | None = None,
        progress: Callable[[int, int], None] | None = None, note: Callable[[str], None] | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Bring the search index of `at` up to date (from scratch with `rebuild`); return
        what is indexed."""
        result: dict[str, Any] = self._search_call(
            "index", {"at": at, "rebuild": rebuild}, daemon, None, progress=progress, note=note
        )
        return result

    def index_status(self, *, daemon: bool | None = None) -> dict[str, Any]:
        """The index's views (branch or commit, indexed commit, rows) and cache size. A running
        service answers at once; while it is busy with this repository (or when none runs) the
        index is read here."""
        result: dict[str, Any] | None = self._search_call("status", {}, daemon, None, start=False)
        if result is not None and "views" in result:
            return result
        local: dict[str, Any] = self._search_call("status", {}, False, None)
        return local

    def _search_call(
        self, op: str, params: dict[str, Any], daemon: bool | None, actor: Actor | None, *,
        start: bool = True, quick: bool = False, progress: Callable[[int, int], None] | None = None,
        note: Callable[[str], None] | None = None,
    ) -> Any:  # fmt: skip
        from . import service
        from .visibility import Actor, visible

        actor = actor or Actor.from_env()
        if service.daemon_enabled(self.config) if daemon is None else daemon:
            return service.call(self.root, op, params, actor=actor, start=start, progress=progress,
                                note=note, quick=quick)  # fmt: skip
        if self._search_index is None:
            from .index import Index  # lancedb: only when a search runs in this process

            location = self.config["search"].get("index_location")
            self._search_index = Index(self.store, self.local_dir, self.config["embedding"], location)
        return service.dispatch(self._search_index, op, params, progress, note, visible(self, actor))


def _gate(*args: Any) -> None:
    """The store's commit gate: `governance.gate.check`, imported on the first commit."""
    from .governance import gate

    gate.check(*args)
