"""`Repo`: the public Python API. The CLI, the MCP server and adapters are thin layers over it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import adopt as _adopt
from . import bisect as _bisect
from . import lineage as _lineage
from . import merge as _merge
from . import refs as _refs
from . import staging
from .bisect import BisectStep
from .config import (
    CONFIG_TEMPLATE,
    FORMAT_VERSION,
    GITIGNORE,
    GITIGNORE_PATH,
    REPO_TOML,
    REPO_TOML_PATH,
    load_config,
)  # fmt: skip
from .diff import DiffResult, diff_commits
from .errors import Conflict, InvalidInput, NotARepository
from .expiry import live, live_hits
from .fact import Fact
from .history import CommitInfo, commit_info, log
from .lineage import Blame, Cascade, Derived
from .merge import MergeConflict, MergeResult
from .refs import RefInfo, ReflogEntry, ResetResult
from .search import SearchHit
from .snapshot import Snapshot
from .staging import StageContents, StagedCommitResult, StagedOp
from .store import GitStore, Signature
from .transaction import CommitResult, Transaction, WriteResult

if TYPE_CHECKING:
    from .index import Index

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

    # -- reading -------------------------------------------------------------------------

    def get(self, fact_id: str, at: str | None = None, scope: str | None = None) -> Fact:
        """The fact with this id at `at` (default HEAD); `NotFound` if absent."""
        return self.snapshot(at).get(fact_id, scope)

    def facts(
        self, scope: str | None = None, at: str | None = None, *, include_expired: bool = False
    ) -> list[Fact]:
        """The facts at `at` (default HEAD), in path order; expired ones are hidden unless
        `include_expired` (`get` still finds them)."""
        found = self.snapshot(at).facts(scope)
        return list(found if include_expired else live(found))

    def log(
        self, fact_id: str | None = None, *, n: int | None = None, agent: str | None = None,
        at: str | None = None, scope: str | None = None,
    ) -> list[CommitInfo]:  # fmt: skip
        """Commits of the branch, newest first; with `fact_id`, only those that touched it."""
        if n is not None and n < 0:
            raise InvalidInput("-n must be zero or more")
        return log(self.store, self.store.resolve(at), limit=n, agent=agent, fact_id=fact_id,
                   scope=scope)  # fmt: skip

    def commit_info(self, ref: str) -> CommitInfo:
        """A commit with its provenance and the facts it changed."""
        return commit_info(self.store, self.store.resolve(ref), with_changes=True)

    # -- writing -------------------------------------------------------------------------

    def transaction(
        self, *, agent: str, message: str = "", run: str | None = None, trace: str | None = None,
    ) -> Transaction:  # fmt: skip
        """``with repo.transaction(agent=...) as tx:`` commits all writes in the block at once."""
        return Transaction(self.store, self.store.current_branch(), agent, message, run, trace)

    def remember(
        self, text: str, scope: str = "shared", *, agent: str, run: str | None = None,
        trace: str | None = None, message: str = "", **fields: Any,
    ) -> WriteResult:  # fmt: skip
        """Add one fact in its own commit; the same text in the same scope is a no-op."""
        with self.transaction(agent=agent, run=run, trace=trace, message=message) as tx:
            written = tx.remember(text, scope, **fields)
        assert tx.result is not None
        written.commit = tx.result.commit
        return written

    def update(
        self, fact_id: str, *, agent: str, run: str | None = None, trace: str | None = None,
        message: str = "", **fields: Any,
    ) -> WriteResult:  # fmt: skip
        """Change a fact in its own commit, keeping its id."""
        with self.transaction(agent=agent, run=run, trace=trace, message=message) as tx:
            written = tx.update(fact_id, **fields)
        assert tx.result is not None
        written.commit = tx.result.commit
        return written

    def forget(
        self, fact_id: str, *, agent: str, run: str | None = None, trace: str | None = None,
        message: str = "",
    ) -> CommitResult:  # fmt: skip
        """Remove a fact from the current tree in its own commit (history keeps it)."""
        with self.transaction(agent=agent, run=run, trace=trace, message=message) as tx:
            tx.forget(fact_id)
        assert tx.result is not None
        return tx.result

    def import_facts(
        self, records: Iterable[dict[str, Any]], *, agent: str, message: str = "",
        run: str | None = None, trace: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> CommitResult:  # fmt: skip
        """Write many facts in one commit. A record with an ``id`` is put as given (added or
        replaced); one without is remembered (deduplicated by text)."""
        with self.transaction(agent=agent, run=run, trace=trace, message=message) as tx:
            for count, record in enumerate(records, 1):
                try:
                    _import_one(tx, record)
                except (TypeError, KeyError, AttributeError) as exc:
                    raise InvalidInput(f"record {count}: {exc}") from None
                except InvalidInput as exc:
                    raise InvalidInput(f"record {count}: {exc}") from None
                if progress is not None:
                    progress(count)
        assert tx.result is not None
        return tx.result


    # -- the CLI's stage -----------------------------------------------------------------

    def stage(self, op: dict[str, Any]) -> StagedOp:
        """Stage one operation (``{"op": "remember"|"update"|"forget", ...}``) for `commit_staged`."""
        return staging.stage(self.local_dir, op)

    def staged(self) -> list[StagedOp]:
        return self.stage_contents().ops

    def stage_contents(self) -> StageContents:
        """The staged operations and the count of unreadable (torn) lines skipped."""
        return staging.staged(self.store, self.local_dir)

    def unstage(self) -> int:
        return staging.clear(self.store, self.local_dir)

    def commit_staged(
        self, *, agent: str, message: str = "", run: str | None = None, trace: str | None = None,
    ) -> StagedCommitResult:  # fmt: skip
        """Commit every staged operation atomically; on failure, or if killed, they stay staged."""
        tx = self.transaction(agent=agent, message=message, run=run, trace=trace)
        return staging.commit_staged(self.store, self.local_dir, tx)

    # -- version control (issue 3) --------------------------------------------------------
    # Thin delegations to history/diff/merge/refs/lineage/bisect; see docs/version-control.md.

    def diff(
        self, old: str | None = None, new: str | None = None, *, scope: str | None = None,
        stat: bool = False,
    ) -> DiffResult:  # fmt: skip
        """Facts that differ from `old` to `new` (default HEAD). Without `old`: what `new`
        itself changed against its first parent (the empty tree for a root commit), like
        ``git show``. `stat` skips reading the fact bodies."""
        new_id = self.store.resolve(new)
        if old is None:
            parents = self.store.commit(new_id).parents
            old_id = parents[0] if parents else None
        else:
            old_id = self.store.resolve(old)
        return diff_commits(self.store, old_id, new_id, scope=scope, with_facts=not stat)

    def merge(
        self, other: str, *, agent: str = "agentmem", strategy: str | None = None,
        message: str = "", run: str | None = None, trace: str | None = None,
    ) -> MergeResult:  # fmt: skip
        """Three-way merge of `other` into the current branch, fact by fact. Conflicts without a
        strategy: nothing committed, state saved for `resolve_conflict`/`merge_continue`."""
        sig = Signature(agent, message or f"merge {other} into {self.branch}", run, trace)
        return _merge.merge(self.store, self.local_dir, self.store.current_branch(), other, sig,
                            strategy)  # fmt: skip

    def revert(
        self, commit: str, *, agent: str = "agentmem", strategy: str | None = None,
        message: str = "", run: str | None = None, trace: str | None = None,
    ) -> MergeResult:  # fmt: skip
        """A new commit undoing `commit` fact by fact; later changes of its facts conflict."""
        info = commit_info(self.store, self.store.resolve(commit))
        default = f'revert "{info.subject}"\n\nThis reverts commit {info.id}.'
        sig = Signature(agent, message or default, run, trace)
        return _merge.revert(self.store, self.local_dir, self.store.current_branch(), info.id,
                             sig, strategy)  # fmt: skip

    def merge_status(self) -> MergeResult:
        """The merge or revert in progress, with its conflicts; `NotFound` if none."""
        return _merge.pending(self.store, self.local_dir)

    def resolve_conflict(
        self, fact_id: str, take: str, text: str | None = None, *, agent: str = "agentmem"
    ) -> MergeConflict:
        return _merge.resolve(self.store, self.local_dir, fact_id, take, text, agent)

    def merge_continue(self) -> MergeResult:
        return _merge.continue_merge(self.store, self.local_dir)

    def merge_abort(self) -> MergeResult:
        return _merge.abort_merge(self.local_dir)

    def branches(self) -> list[RefInfo]:
        return _refs.branches(self.store)

    def create_branch(self, name: str, start: str | None = None) -> RefInfo:
        return _refs.create_branch(self.store, name, start)

    def delete_branch(self, name: str) -> RefInfo:
        return _refs.delete_branch(self.store, name)

    def switch(self, name: str) -> RefInfo:
        self._no_merge_in_progress("switch")
        return _refs.switch(self.store, name)

    def tag(self, name: str, target: str | None = None) -> RefInfo:
        return _refs.create_tag(self.store, name, target)

    def tags(self) -> list[RefInfo]:
        return _refs.tags(self.store)

    def reset(self, target: str, *, hard: bool = True) -> ResetResult:
        """Move the current branch to `target` (old head kept in the reflog); `hard` also drops
        the staged writes, as ``git reset --hard`` drops the index."""
        self._no_merge_in_progress("reset")
        result = _refs.reset(self.store, target)
        if hard:
            self.unstage()
        return result

    def reflog(self, branch: str | None = None, n: int | None = None) -> list[ReflogEntry]:
        return _refs.reflog(self.store, branch, n)

    def blame(self, fact_id: str, at: str | None = None, scope: str | None = None) -> Blame:
        """Who introduced and last changed a fact, and the same for its sources, recursively."""
        return _lineage.blame(self.store, self.store.resolve(at), fact_id, scope)

    def log_follow(
        self, fact_id: str, *, n: int | None = None, agent: str | None = None,
        at: str | None = None, scope: str | None = None,
    ) -> list[CommitInfo]:  # fmt: skip
        """A fact's history including the merge commits that brought its changes in."""
        return log(self.store, self.store.resolve(at), limit=n, agent=agent, fact_id=fact_id,
                   scope=scope, follow=True)  # fmt: skip

    def derived(self, fact_id: str, at: str | None = None) -> list[Derived]:
        """The fact and every fact derived from it, transitively (an O(n) scan of the facts)."""
        return _lineage.derived_from(self.snapshot(at), fact_id)

    def forget_cascade(
        self, fact_id: str, *, agent: str, dry_run: bool = False, run: str | None = None,
        trace: str | None = None, message: str = "",
    ) -> Cascade:  # fmt: skip
        """Forget a fact and everything derived from it in one commit (`dry_run`: list only)."""
        facts = self.derived(fact_id)
        cascade = Cascade(fact_id, facts, dry_run=dry_run)
        if dry_run:
            return cascade
        text = message or f"forget {fact_id} and {len(facts) - 1} derived fact(s)"
        with self.transaction(agent=agent, run=run, trace=trace, message=text) as tx:
            for fact in facts:
                tx.forget(fact.id)
        assert tx.result is not None
        cascade.commit = tx.result.commit
        return cascade

    def bisect(
        self, pattern: str, *, scope: str | None = None, good: str | None = None,
        bad: str | None = None,
    ) -> BisectStep:  # fmt: skip
        """The first commit (first-parent chain) where a fact matching `pattern` exists."""
        return _bisect.contains(self.store, pattern, scope=scope, good=good, bad=bad)

    def bisect_start(self, *, good: str | None = None, bad: str = "HEAD") -> BisectStep:
        """Start an interactive bisection; `good` defaults to the root commit's parent (every
        commit up to `bad` is a candidate)."""
        return _bisect.start(self.store, self.local_dir, good, bad)

    def bisect_mark(self, verdict: str, ref: str | None = None) -> BisectStep:
        """Record ``good``, ``bad`` or ``skip`` for `ref` (default: the current candidate)."""
        return _bisect.mark(self.store, self.local_dir, verdict, ref)

    def bisect_status(self) -> BisectStep:
        return _bisect.status(self.store, self.local_dir)

    def bisect_run(self, argv: list[str]) -> BisectStep:
        return _bisect.run(self.store, self.local_dir, self.root, argv)

    def bisect_reset(self) -> bool:
        return _bisect.reset(self.local_dir)

    def _no_merge_in_progress(self, verb: str) -> None:
        state = _merge.merge_state(self.local_dir)
        if state is not None:
            raise Conflict(f"cannot {verb}: a {state['kind']} is in progress "
                           "(agentmem merge --continue or --abort)")  # fmt: skip

    # -- search (issues 4 and 8) --------------------------------------------------------
    # `daemon=True` sends the request to the repository's warm search service (started on
    # demand; see service.py); otherwise the model and index load in this process. Both run
    # `service.dispatch`, so they give the same answer.

    def search(
        self, query: str, *, at: str | None = None, scope: str | None = None,
        agent: str | None = None, kind: str | None = None, k: int = 10, mode: str = "hybrid",
        daemon: bool = False, progress: Callable[[int, int], None] | None = None,
    ) -> list[SearchHit]:  # fmt: skip
        """Facts ranked by meaning and keywords at `at` (default: the current branch). Every
        hit names the commit it was read from: searching `at` that commit gives the same hits."""
        asked = k
        while True:  # expired facts are hidden: ask for more until k live hits or no more
            params = {"query": query, "at": at, "scope": scope, "agent": agent, "kind": kind,
                      "k": asked, "mode": mode}  # fmt: skip
            found = [SearchHit.from_dict(hit) for hit in self._search_call(
                "search", params, daemon, progress=progress)]  # fmt: skip
            hits = live_hits(found)
            if len(hits) >= k or len(found) < asked:
                return hits[:k]
            asked = asked * 2 + len(found) - len(hits)

    def near_duplicates(
        self, fact_id: str, *, at: str | None = None, threshold: float | None = None, k: int = 10,
        daemon: bool = False, start: bool = True,
    ) -> list[SearchHit] | None:  # fmt: skip
        """Facts in `fact_id`'s scope within `threshold` cosine of it (default
        ``search.duplicate_threshold``). None when `daemon` and `start` is false and no
        service runs: the check is skipped rather than waited for."""
        limit = float(self.config["search"]["duplicate_threshold"] if threshold is None else threshold)
        params = {"fact_id": fact_id, "at": at, "threshold": limit, "k": k}
        found = self._search_call("near_duplicates", params, daemon, start=start)
        return None if found is None else [SearchHit.from_dict(hit) for hit in found]

    def duplicates(
        self, scope: str, *, at: str | None = None, threshold: float | None = None,
        daemon: bool = False,
    ) -> tuple[str, list[tuple[str, str, float]]]:  # fmt: skip
        """(commit, pairs of facts in `scope` within `threshold` cosine, most similar first)."""
        limit = float(self.config["search"]["duplicate_threshold"] if threshold is None else threshold)
        found = self._search_call("duplicates", {"scope": scope, "at": at, "threshold": limit}, daemon)
        return found["commit"], [(a, b, float(s)) for a, b, s in found["pairs"]]

    def index(
        self, *, at: str | None = None, rebuild: bool = False, daemon: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Bring the search index of `at` up to date (from scratch with `rebuild`); return
        what is indexed."""
        result: dict[str, Any] = self._search_call(
            "index", {"at": at, "rebuild": rebuild}, daemon, progress=progress)
        return result

    def index_status(self, *, daemon: bool = False) -> dict[str, Any]:
        """The index's views (branch or commit, indexed commit, rows) and cache size."""
        result: dict[str, Any] = self._search_call("status", {}, daemon, start=False)
        return result if result is not None else self._search_call("status", {}, False)

    def _search_call(
        self, op: str, params: dict[str, Any], daemon: bool, *, start: bool = True,
        progress: Callable[[int, int], None] | None = None,
    ) -> Any:  # fmt: skip
        from . import service

        if daemon:
            return service.call(self.root, op, params, start=start, progress=progress)
        if self._search_index is None:
            from .index import Index  # lancedb: only when a search runs in this process

            self._search_index = Index(self.store, self.local_dir, self.config["embedding"])
        return service.dispatch(self._search_index, op, params, progress)


def _import_one(tx: Transaction, record: Any) -> None:
    """One JSON-lines record: a full fact (with ``created_at``) is put as given; a record whose
    ``id`` exists updates it; anything else is remembered."""
    if not isinstance(record, dict):
        raise InvalidInput("expected a JSON object")
    record = dict(record)
    if "id" in record and "created_at" in record:
        tx.put(Fact.from_dict(record))
    elif "id" in record and tx.get(record["id"]) is not None:
        record.pop("scope", None)
        tx.update(record.pop("id"), **record)
    else:
        if "text" not in record:
            raise InvalidInput("missing 'text'")
        tx.remember(record.pop("text"), record.pop("scope", "shared"), **record)
