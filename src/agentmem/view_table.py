"""A view's LanceDB table: its schema and rows, and the queries that read it directly (the
keyword side's BM25 candidates, one word's best score, rows by filter), every cut at a limit made
deterministic by `top_rows`. The vector side reads the table's in-memory matrix instead
(`matrix.ViewMatrix`, held by `index.Index`).

Imports neither lancedb nor torch: tables come from the index, opened.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from .embed import Vectors
from .fact import Fact
from .search import keyword_text

# A tie at the candidate cut is resolved by id up to this many times the pool in rows (a tie
# larger than that, such as hundreds of identical texts, is cut where LanceDB cuts it).
_TIE_ROWS = 16
COLUMNS = ("id", "chunk", "blob", "scope", "kind", "agent", "text", "vector")
# The columns a search filters on (a reader's scopes, `--scope`, `--agent`, `--kind`): each has
# a bitmap index, so a filtered BM25 query reads the matching rows from it instead of testing
# every row (at 100,000 facts: 17 -> 9 ms for a reader of two scopes).
FILTER_COLUMNS = ("scope", "kind", "agent")


@dataclass
class View:
    """A view's table, opened and indexed at `commit`."""

    key: str
    commit: str
    table: Any


def view_schema(dim: int) -> pa.Schema:
    """One row per chunk of a fact: the keyword text on chunk 0 only (`search.keyword_text`)."""
    return pa.schema([
        ("id", pa.string()), ("chunk", pa.int32()), ("blob", pa.string()),
        ("scope", pa.string()), ("kind", pa.string()), ("agent", pa.string()),
        ("text", pa.string()), ("vector", pa.list_(pa.float32(), dim)),
    ])  # fmt: skip


def view_rows(facts: Sequence[tuple[str, Fact]], vectors: Sequence[list[Vectors]], dim: int) -> pa.Table:
    """The rows of (blob id, fact) pairs, each fact with its chunk vectors."""
    columns: dict[str, list[Any]] = {name: [] for name in COLUMNS}
    for (blob, fact), chunks in zip(facts, vectors, strict=True):
        for number, vector in enumerate(chunks):
            values = (fact.id, number, blob, fact.scope, fact.kind, fact.agent or "",
                      keyword_text(fact) if number == 0 else "", vector)  # fmt: skip
            for name, value in zip(COLUMNS, values, strict=True):
                columns[name].append(value)
    schema = view_schema(dim)
    if not facts:
        return schema.empty_table()
    flat = np.asarray(columns.pop("vector"), dtype=np.float32).reshape(-1)
    arrays = [pa.array(columns[f.name], type=f.type) for f in schema if f.name != "vector"]
    arrays.append(pa.FixedSizeListArray.from_arrays(pa.array(flat), dim))
    return pa.Table.from_arrays(arrays, schema=schema)


def keyword_candidates(
    view: View, text: str, where: str | None, n: int, with_text: bool = False
) -> list[dict[str, Any]]:
    """The `n` best BM25 matches (chunk 0 rows only hold text), best first, with `_score`
    (and their keyword text, `with_text`)."""
    columns = ["id", "chunk", "blob", *(["text"] if with_text else []), "_score"]

    def fetch(limit: int) -> list[dict[str, Any]]:
        return list(full_text(view, text, where).select(columns).limit(limit).to_list())

    return top_rows(fetch, n, "-_score")


def best_score(view: View, word: str) -> float:
    """The best BM25 score of one word alone in the view (0.0 where no fact holds it): low for
    a word many facts hold, high for a rare one (its inverse document frequency, scaled)."""
    found = full_text(view, word).select(["id", "_score"]).limit(1).to_list()
    return float(found[0]["_score"]) if found else 0.0


def holders(view: View, word: str, where: str, limit: int) -> int:
    """How many facts matching `where` hold `word` (as BM25 reads it), counted up to `limit`."""
    return int(full_text(view, word, where).select(["id", "_score"]).limit(limit).to_arrow().num_rows)


def full_text(view: View, text: str, where: str | None = None) -> Any:
    """A BM25 query of `text` over the view's keyword text, prefiltered by `where`."""
    query = view.table.search(text, query_type="fts", fts_columns="text")
    return query.where(where, prefilter=True) if where else query


def index_table(table: Any) -> None:
    """A new view table's indices: full text (BM25) on `text`, and `index_filters`."""
    with warnings.catch_warnings():  # deprecated in favour of an async-only API
        warnings.simplefilter("ignore")
        table.create_fts_index("text", use_tantivy=False, replace=True)
    index_filters(table)


def index_filters(table: Any) -> None:
    """Give `table` a bitmap index on each of `FILTER_COLUMNS` it lacks one on (a view built
    before they existed gains them when first opened)."""
    held = {column for config in table.list_indices() for column in config.columns}
    for column in FILTER_COLUMNS:
        if column not in held:
            with warnings.catch_warnings():  # deprecated in favour of an async-only API
                warnings.simplefilter("ignore")
                table.create_scalar_index(column, index_type="BITMAP", replace=True)


def unindexed_rows(table: Any) -> int:
    """Rows added since the full-text index was last built or optimised (0 if unknown)."""
    try:
        stats = table.index_stats("text_idx")
        return int(stats.num_unindexed_rows) if stats is not None else 0
    except (ValueError, RuntimeError):
        return 0


def matching_rows(view: View, where: str) -> pa.Table:
    """Every row matching a filter (id, chunk, blob, vector), for duplicate checks."""
    query = view.table.search().where(where).select(["id", "chunk", "blob", "vector"])
    return query.limit(None).to_arrow()


def top_rows(fetch: Callable[[int], list[dict[str, Any]]], n: int, order: str) -> list[dict[str, Any]]:
    """The `n` first rows of a LanceDB query by `order` (a column, ``-`` for descending), ties by
    (id, chunk). LanceDB cuts a tie at its limit by storage order, which another process may
    see differently; rows are fetched until the cut falls between two values, so the same query
    on the same view always gets the same rows."""
    if n <= 0:
        return []
    column, sign = order.lstrip("-"), (-1.0 if order.startswith("-") else 1.0)
    limit = 2 * n + 1  # a tie of up to n rows at the cut costs no second query
    while True:
        found = fetch(limit)
        found.sort(key=lambda row: (sign * row[column], row["id"], row["chunk"]))
        resolved = len(found) < limit or sign * found[-1][column] > sign * found[n - 1][column]
        if resolved or limit > _TIE_ROWS * n:
            return found[:n]
        limit *= 4
