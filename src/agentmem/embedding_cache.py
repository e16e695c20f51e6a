"""The embedding cache: a table ``emb_<sha1(model)[:12]>`` in the index's LanceDB database, one
row per (sha256 of a fact text, chunk number) with its vector (see docs/search.md).

A text is embedded once, whatever branch, commit or fact it appears in: a view catching up reads
the vectors of texts seen before and embeds only the others. Imports neither lancedb nor torch:
the database and the model come from the index, opened and loaded when first needed.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from .chunking import chunk_text
from .embed import Embedder, Vectors
from .matrix import vector_matrix
from .search import quote

Progress = Callable[[int, int], None]
IN_BATCH = 500  # ids or hashes per `IN (...)` query
_EMBED_BATCH = 4096  # texts per cache write


def text_hash(text: str) -> str:
    """The cache's key of a text: its sha256, hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """The cached chunk vectors of one model in one database. `database` and `embedder` return
    the index's LanceDB connection and model, each opened or loaded on first use."""

    def __init__(
        self, database: Callable[[], Any], model_name: str, embedder: Callable[[], Embedder]
    ) -> None:
        self.name = "emb_" + hashlib.sha1(model_name.encode()).hexdigest()[:12]
        self._database = database
        self._embedder = embedder
        self.embedded_texts = 0  # texts embedded through this object (tests and benchmarks count them)

    def table(self) -> Any | None:
        """The cache's table, or None before anything was cached."""
        try:
            return self._database().open_table(self.name)
        except (FileNotFoundError, ValueError):
            return None

    def vectors_for(
        self, texts: dict[str, str], progress: Progress | None = None
    ) -> dict[str, list[Vectors]]:
        """Chunk vectors of each text (keyed by its `text_hash`): cached ones read, the others
        embedded once and added to the cache."""
        found = self._cached(list(texts))
        missing = [h for h in texts if h not in found]
        if missing:
            embedder = self._embedder()
            chunks: list[tuple[str, int, str]] = []
            for digest in missing:
                pieces = chunk_text(texts[digest], embedder.window, embedder.token_counts)
                chunks.extend((digest, number, piece) for number, piece in enumerate(pieces))
            # Cached batch by batch (never splitting a text): an interrupted build keeps its work.
            starts = [*[n for n, c in enumerate(chunks) if c[1] == 0][::_EMBED_BATCH], len(chunks)]
            if progress is not None:
                progress(0, len(chunks))
            for start, end in itertools.pairwise(starts):
                batch = chunks[start:end]
                vectors = embedder.encode([c[2] for c in batch])
                self.store([c[0] for c in batch], [c[1] for c in batch], vectors)
                for (digest, number, _piece), vector in zip(batch, vectors, strict=True):
                    found.setdefault(digest, {})[number] = vector
                if progress is not None:
                    progress(end, len(chunks))
            self.embedded_texts += len(missing)
        return {h: [chunks_[n] for n in sorted(chunks_)] for h, chunks_ in found.items()}

    def store(self, hashes: list[str], numbers: list[int], vectors: Vectors) -> None:
        """Add the vectors of (text hash, chunk number) pairs."""
        dim = vectors.shape[1]
        schema = pa.schema([("hash", pa.string()), ("chunk", pa.int32()),
                            ("vector", pa.list_(pa.float32(), dim))])  # fmt: skip
        data = pa.Table.from_arrays([
            pa.array(hashes, pa.string()), pa.array(numbers, pa.int32()),
            pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1)), dim),
        ], schema=schema)  # fmt: skip
        cache = self.table()
        if cache is None:
            self._database().create_table(self.name, data=data, schema=schema)
        else:
            cache.add(data)

    def _cached(self, hashes: list[str]) -> dict[str, dict[int, Vectors]]:
        cache = self.table()
        found: dict[str, dict[int, Vectors]] = {}
        if cache is None or not hashes:
            return found
        if len(hashes) > 4 * IN_BATCH:
            table = cache.to_arrow()
            tables = [table.filter(pc.is_in(table["hash"], pa.array(hashes)))]
        else:
            tables = []
            for start in range(0, len(hashes), IN_BATCH):
                listed = ", ".join(quote(h) for h in hashes[start : start + IN_BATCH])
                tables.append(cache.search().where(f"hash IN ({listed})").limit(None).to_arrow())
        for table in tables:
            if not table.num_rows:
                continue
            matrix = vector_matrix(table)
            for digest, number, vector in zip(table["hash"].to_pylist(), table["chunk"].to_pylist(),
                                              matrix, strict=True):  # fmt: skip
                found.setdefault(digest, {})[number] = vector
        return found
