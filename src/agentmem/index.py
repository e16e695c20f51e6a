"""The search index under `.agentmem/index/`: a LanceDB database derived from git, never committed.

The only module that imports lancedb (lazily). Layout (see docs/search.md):

- ``emb_<model hash>``: the embedding cache (`embedding_cache`), one row per (sha256 of a fact
  text, chunk number) with its vector. A text is embedded once, whatever branch, commit or fact
  it appears in.
- ``view_<key hash>``: one table per view (a branch, or a detached commit that was searched),
  one row per chunk of every fact at the view's commit (`view_table`): id, chunk, blob, scope,
  kind, agent, the keyword text (on chunk 0, for full-text search: `search.keyword_text`) and
  the vector. The keyword side queries it directly (`view_table`); the vector side reads its
  in-memory matrix (`matrix.ViewMatrix`), first through k-means clusters on large views
  (`ann.SavedCentroids`).
- ``views.json``: for each view its table, the commit it is indexed at and when it was last used;
  at most `MAX_VIEWS` views are kept (least recently used dropped).

A view catches up to a commit by applying `history.changes_between` of the two trees; a view
seen for the first time starts as a copy of the most recently used view. Vectors come from the
cache, so moving between commits embeds only texts never seen before. Anything unreadable in
the folder is deleted and rebuilt: the index is a cache of git, never the truth.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import ann
from .embed import Embedder, Vectors, load_embedder
from .embedding_cache import IN_BATCH, EmbeddingCache, Progress, text_hash
from .errors import AgentmemError, InvalidInput
from .history import FactChange, changes_between
from .matrix import ViewMatrix, parse_where
from .search import quote
from .store import GitStore
from .view_table import View, index_filters, index_table, top_rows, unindexed_rows, view_rows, view_schema

MAX_VIEWS = 4  # each holds a vector per fact: ~150 MB at 100,000 facts
MAX_MATRICES = 2  # views whose vectors stay in memory (exact search by matrix product)
STATE_VERSION = 2  # 2: the full-text column holds `search.keyword_text` (text, tags, meta values)
# A view's last use (which views are dropped first) is saved at most this often in seconds.
_USED_EVERY = 60.0
T = TypeVar("T")
log = logging.getLogger("agentmem.index")


class Index:
    """The index of one repository. Not thread-safe: callers serialise (the service holds a lock);
    processes are serialised by a file lock around catch-up."""

    def __init__(
        self, store: GitStore, local_dir: Path, embedding: dict[str, Any], location: str | None = None
    ) -> None:
        self.store = store
        self.path = local_dir / "index"  # views.json and the lock: always local
        # The LanceDB database: this folder, or ``search.index_location`` (a folder or a LanceDB
        # URI such as s3://bucket/path; only local folders are tested).
        if location is not None and not isinstance(location, str):
            raise InvalidInput("search.index_location must be a folder or a LanceDB URI")
        self.location = location or str(self.path)
        self.embedding_config = dict(embedding)
        self.model_name = str(embedding.get("model") or "all-MiniLM-L6-v2")
        self._embedder: Embedder | None = None
        self.cache = EmbeddingCache(lambda: self.db, self.model_name, lambda: self.embedder)
        self.before_load: Callable[[], None] | None = None  # told when the model is about to load
        self._db: Any = None
        self._matrices: dict[str, ViewMatrix] = {}  # by table name, most recently used last
        # Views this object caught up and saved, while views.json is still the file it wrote
        # (`_stamp`): a search then skips reading, opening and saving (issue 15's latency).
        self._current: dict[str, tuple[View, float]] = {}
        self._filtered: set[str] = set()  # view tables known to hold their filter indices
        self._stamp: tuple[int, int, int] | None = None
        self.centroids = ann.SavedCentroids(self.path / ann.CENTROIDS_NAME, self.locked)

    # -- model -----------------------------------------------------------------------------

    @property
    def embedder(self) -> Embedder:
        """The model, loaded on first use (a query, or a text the cache has not seen)."""
        if self._embedder is None:
            if self.before_load is not None:
                self.before_load()
            self._embedder = load_embedder(self.embedding_config)
        return self._embedder

    @property
    def embedded_texts(self) -> int:
        """Texts this object embedded for the cache (tests and benchmarks count them)."""
        return self.cache.embedded_texts

    def vectors_for(
        self, texts: dict[str, str], progress: Progress | None = None
    ) -> dict[str, list[Vectors]]:
        """Chunk vectors of each text, keyed by its `text_hash` (`EmbeddingCache.vectors_for`)."""
        return self.cache.vectors_for(texts, progress)

    def embed_query(self, query: str) -> Vectors:
        """The query's vector (a query is embedded whole; the model truncates it)."""
        return np.asarray(self.embedder.encode([query])[0], dtype=np.float32)

    # -- opening, locking, state ----------------------------------------------------------

    @property
    def db(self) -> Any:
        if self._db is None:
            import lancedb

            self.path.mkdir(parents=True, exist_ok=True)
            self._db = lancedb.connect(self.location)
        return self._db

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive across processes: the service and a --no-daemon search may share a folder."""
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.path.parent / "index.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _state(self) -> dict[str, Any]:
        try:
            state = json.loads((self.path / "views.json").read_text(encoding="utf-8"))
            if state.get("version") == STATE_VERSION and isinstance(state.get("views"), dict):
                return dict(state)
        except (OSError, ValueError, AttributeError):
            pass
        return {"version": STATE_VERSION, "views": {}}

    def _save_state(self, state: dict[str, Any]) -> None:
        tmp = self.path / "views.json.tmp"
        tmp.write_text(json.dumps(state, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path / "views.json")
        self._current.clear()
        self._stamp = self._state_stamp()

    def _state_stamp(self) -> tuple[int, int, int] | None:
        """views.json's stamp: another process's save replaces the file."""
        return ann.file_stamp(self.path / "views.json")

    def _open(self, name: str) -> Any | None:
        try:
            return self.db.open_table(name)
        except (FileNotFoundError, ValueError):
            return None

    def _drop(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError, ValueError):
            self.db.drop_table(name)

    def reset(self) -> None:
        """Delete the whole index folder (it is rebuilt from git on the next search)."""
        self._close()
        if self.location != str(self.path):  # the database lives elsewhere: drop its tables there
            with contextlib.suppress(Exception):  # a damaged one is rebuilt over
                self.drop_all()
        shutil.rmtree(self.path, ignore_errors=True)

    def _close(self) -> None:
        """Forget the open database, views and matrices (their files are about to go)."""
        self._db = None
        self._current.clear()
        self._matrices.clear()

    def drop_all(self) -> None:
        """Drop every table of the database where it lives (`search.index_location`, else this
        folder): views and the embedding cache, which hold facts' texts. Raises when it cannot."""
        import lancedb

        self._close()
        database, token = lancedb.connect(self.location), None
        while True:
            page = database.list_tables(page_token=token)
            for name in page.tables:
                database.drop_table(name)
            token = page.page_token
            if not token:
                return

    # -- views -------------------------------------------------------------------------------

    def view_key(self, at: str | None) -> tuple[str, bytes]:
        """(view key, commit id): a branch keeps one view that follows it; a commit or tag
        gets a view of its own."""
        commit = self.store.resolve(at)  # first: it checks what `at` is
        if at is None or at == "HEAD":
            key = self.store.current_branch().decode()
        elif self.store.ref_value(f"refs/heads/{at}".encode()) is not None:
            key = f"refs/heads/{at}"
        else:
            key = ""
        return key or f"commit:{commit.decode()}", commit

    def view(self, at: str | None = None, progress: Progress | None = None) -> View:
        """The view for `at`, caught up to its commit. A damaged index is deleted and rebuilt."""
        return self.read(at, lambda view: view, progress)[0]

    def read(
        self, at: str | None, fn: Callable[[View], T], progress: Progress | None = None
    ) -> tuple[View, T]:
        """`fn(view)` on the view of `at`, caught up to its commit. If the index turns out
        unreadable (while catching up or inside `fn`), it is deleted and rebuilt from git once."""
        key, commit = self.view_key(at)
        for attempt in (1, 2):
            try:
                with self.locked():
                    view = self._catch_up(key, commit.decode(), progress)
                return view, fn(view)
            except AgentmemError:
                raise
            except Exception as exc:  # lance/arrow errors on a damaged folder
                if attempt == 2:
                    raise
                log.warning("index unreadable (%s); rebuilding from git", exc)
                with self.locked():
                    self.reset()
        raise AssertionError("unreachable")

    def rebuild(self, at: str | None = None, progress: Progress | None = None) -> View:
        """Drop every view (the embedding cache is kept) and build `at` from scratch."""
        with self.locked():
            state = self._state()
            for entry in state["views"].values():
                self._drop(entry["table"])
            (self.path / ann.CENTROIDS_NAME).unlink(missing_ok=True)
            self._save_state({"version": STATE_VERSION, "model": self.model_name, "views": {}})
        return self.view(at, progress)

    def status(self) -> dict[str, Any]:
        state = self._state()
        views = []
        for key, entry in sorted(state["views"].items()):
            table = self._open(entry["table"]) if self.path.exists() else None
            views.append({
                "view": key, "commit": entry["commit"], "last_used": entry.get("used"),
                "rows": table.count_rows() if table is not None else None,
            })  # fmt: skip
        cache = self.cache.table() if self.path.exists() else None
        return {
            "path": self.location, "model": self.model_name, "views": views,
            "cached_chunks": cache.count_rows() if cache is not None else 0,
        }  # fmt: skip

    def _catch_up(self, key: str, commit: str, progress: Progress | None) -> View:
        view, saved = self._current.get(key, (None, 0.0))
        unchanged = self._stamp is not None and self._state_stamp() == self._stamp
        if view is not None and view.commit == commit and time.time() - saved < _USED_EVERY and unchanged:
            return view  # nothing changed since this object saved it
        state = self._state()
        if state.get("model") != self.model_name:  # views hold vectors of one model only
            for entry in state["views"].values():
                self._drop(entry["table"])
            (self.path / ann.CENTROIDS_NAME).unlink(missing_ok=True)
            state = {"version": STATE_VERSION, "model": self.model_name, "views": {}}
        views: dict[str, Any] = state["views"]
        entry = views.get(key)
        table = self._open(entry["table"]) if entry else None
        if entry is not None and table is not None:
            if table.name not in self._filtered:  # once per table and process
                index_filters(table)
                self._filtered.add(table.name)
            # Write-ahead: `pending` names the commit a catch-up was moving to when it was
            # interrupted (killed between changing rows and saving this file). Applying a diff
            # is idempotent, so the interrupted step is finished first, then the new one.
            for target in (entry.get("pending"), commit):
                if target and entry["commit"] != target:
                    entry["pending"] = target
                    self._save_state(state)
                    self._apply(table, self._diff(entry["commit"], target), progress)
                    entry["commit"] = target
                entry.pop("pending", None)
        else:
            table = self._new_view(key, views, commit, progress)
        loaded = self._matrix(table)
        if not loaded.checked and loaded.duplicated():
            # A faithful view holds each (id, chunk) once; anything else (a damaged or foreign
            # write) is rebuilt from the embedding cache rather than served.
            log.warning("view %s holds duplicated rows; rebuilding it", key)
            views.pop(key, None)
            self._drop(table.name)
            self._matrices.pop(table.name, None)
            table = self._new_view(key, views, commit, progress)
            loaded = self._matrix(table)
        loaded.checked = True
        views[key] = {"table": table.name, "commit": commit, "used": time.time()}
        for old in sorted(views, key=lambda k: views[k]["used"])[: max(0, len(views) - MAX_VIEWS)]:
            name = views.pop(old)["table"]
            self._matrices.pop(name, None)
            self._drop(name)
        self._save_state(state)
        view = View(key, commit, table)
        self._current[key] = (view, time.time())
        return view

    def _matrix(self, table: Any) -> ViewMatrix:
        """The in-memory vectors of a view table, (re)loaded when the table changed elsewhere."""
        found = self._matrices.pop(table.name, None)
        if found is None or found.version != table.version:
            found = ViewMatrix.load(table)
        self._matrices[table.name] = found
        while len(self._matrices) > MAX_MATRICES:
            self._matrices.pop(next(iter(self._matrices)))
        return found

    def _diff(self, old_commit: str | None, new_commit: str) -> list[FactChange]:
        old_tree = self.store.commit(old_commit.encode()).tree if old_commit else None
        return changes_between(self.store, old_tree, self.store.commit(new_commit.encode()).tree)

    def _new_view(self, key: str, views: dict[str, Any], commit: str, progress: Progress | None) -> Any:
        """A view seen for the first time: a copy of the most recently used view, moved to
        `commit` by a tree diff; or built from the empty tree when there is none."""
        name = "view_" + hashlib.sha1(key.encode()).hexdigest()[:16]
        self._drop(name)
        base_rows, base_commit = None, None
        for other in sorted(views, key=lambda k: -views[k]["used"]):
            table = self._open(views[other]["table"])
            if table is not None:
                base_rows, base_commit = table.to_arrow(), views[other]["commit"]
                break
        changes = self._diff(base_commit, commit)
        removed = {c.id for c in changes if c.op != "add"}
        new_rows = self._rows([c for c in changes if c.op != "forget"], progress)
        if base_rows is not None and removed:
            base_rows = base_rows.filter(pc.invert(pc.is_in(base_rows["id"], pa.array(list(removed)))))
        parts = [t for t in (base_rows, new_rows) if t is not None and t.num_rows]
        data = pa.concat_tables(parts) if parts else self._view_schema().empty_table()
        table = self.db.create_table(name, data=data, schema=self._view_schema())
        index_table(table)
        self._filtered.add(name)
        return table

    def _apply(self, table: Any, changes: list[FactChange], progress: Progress | None) -> None:
        """Move a view's rows by a diff. Idempotent: every changed id's rows are deleted before
        its new rows are added, so applying a diff twice (after a kill) never duplicates a row."""
        removed = sorted({c.id for c in changes})
        rows = self._rows([c for c in changes if c.op != "forget"], progress)  # embeds: slow part
        known = self._matrices.get(table.name)
        if known is not None and known.version != table.version:
            known = None
        for start in range(0, len(removed), IN_BATCH):
            batch = removed[start : start + IN_BATCH]
            table.delete("id IN (" + ", ".join(quote(i) for i in batch) + ")")
        if rows.num_rows:
            table.add(rows)
        if changes and unindexed_rows(table) > 1000:
            table.optimize()  # the full-text and filter indices take in the rows added since
        if known is not None and changes:
            known.replace(int(table.version), removed, rows)

    # -- rows and embeddings --------------------------------------------------------------

    def _dim(self) -> int:
        cache = self.cache.table()
        if cache is not None:
            return int(cache.schema.field("vector").type.list_size)
        return self.embedder.dim

    def _view_schema(self) -> pa.Schema:
        return view_schema(self._dim())

    def _rows(self, changes: Sequence[FactChange], progress: Progress | None) -> pa.Table:
        """View rows for added or updated facts, with vectors from the cache (embedding the
        texts it lacks)."""
        facts = [
            (c.new_blob, self.store.read_fact(c.new_blob.encode(), c.path.encode()))
            for c in changes if c.new_blob
        ]  # fmt: skip
        hashes = [text_hash(f.text) for _blob, f in facts]
        vectors = self.vectors_for({h: f.text for h, (_b, f) in zip(hashes, facts, strict=True)}, progress)
        return view_rows(facts, [vectors[h] for h in hashes], self._dim())

    # -- queries -----------------------------------------------------------------------------

    def vector_candidates(
        self, view: View, vector: Vectors, where: str | None, n: int
    ) -> list[dict[str, Any]]:
        """Nearest chunks (cosine), best first: rows with id, chunk, blob and `_distance`.
        Exact, over the view's in-memory matrix; a filter of another form than
        `matrix.parse_where` reads goes to LanceDB."""
        conditions = parse_where(where) if where else []
        if conditions is not None:
            matrix = self._matrix(view.table)
            centroids = self.centroids.for_rows(matrix.vectors)
            return matrix.nearest(np.asarray(vector, np.float32), conditions, n, centroids)

        def fetch(limit: int) -> list[dict[str, Any]]:
            query = view.table.search(vector, vector_column_name="vector").distance_type("cosine")
            if where:
                query = query.where(where, prefilter=True)
            return list(query.select(["id", "chunk", "blob", "_distance"]).limit(limit).to_list())

        return top_rows(fetch, n, "_distance")

    def fact_count(self, view: View, where: str) -> int:
        """How many facts of the view match a filter (over the in-memory matrix where it can)."""
        conditions = parse_where(where)
        if conditions is None:
            return int(view.table.count_rows(f"({where}) AND chunk = 0"))
        mask = self._matrix(view.table).mask([*conditions, ("chunk", "=", 0)])
        return int(mask.sum()) if mask is not None else 0

    def similarities(self, view: View, vector: Vectors, ids: list[str]) -> dict[str, tuple[float, int]]:
        """(best chunk cosine, chunk) of each of `ids` in the view, over the in-memory matrix (the
        exact cosine of a fact the keyword side found but the vector side did not return)."""
        return self._matrix(view.table).similarities(np.asarray(vector, np.float32), ids)
