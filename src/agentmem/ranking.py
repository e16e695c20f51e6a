"""Ranking: what each ranker returned for a query (`Candidates`), and the default ``hybrid``
mode's fusion of the two into one list.

The fusion mixes scores, not ranks: each candidate's BM25 divided by the best BM25 and its cosine
(exact for every candidate, the keyword side's too: `Candidates.similarity`) min-max normalised
over the candidates are mixed with a keyword weight w chosen per query (`fuse`). w comes from a
small logistic model (`WEIGHT_MODEL`) over features of the query and its candidates
(`query_features`): code-like tokens such as ``ORD-58213`` and names such as ``Nebraas`` push
towards keywords, one fact standing out by meaning pushes towards vectors. A candidate whose text
holds the query's names and codes as words gains `MENTION_WEIGHT` times their share
(`Candidates.mentions`): an embedding knows little of a name or a code, and a fact that names
what the question names is more likely about it. One that holds the query's identifiers
(``ORD-51243``, ``2c495b9``: `identifier_like`) comes before every one that does not
(`IDENTIFIER_WEIGHT`), since to an embedding a near miss looks the same. The coefficients are
fitted on the dev splits of the project's evaluation sets and of REALTALK by
`benchmarks/eval_ranking.py --tune` (see docs/search.md and docs/benchmarks.md).

Pure Python: importing this module imports neither lancedb nor torch.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

# The keyword weight of a query is sigmoid(bias + sum of coefficient x feature), features from
# `query_features`. Fitted on the dev splits by `benchmarks/eval_ranking.py --tune` (figures in
# docs/benchmarks.md); refit whenever a feature changes.
WEIGHT_MODEL: dict[str, float] = {
    "bias": -4.201, "shape": 20.587, "names": 7.521, "keyword_gap": -0.983, "keyword_fill": 1.776,
    "vector_top": 1.045, "vector_gap": -3.747, "vector_spread": 6.74,
}  # fmt: skip
# Added to a candidate's fused score (which lies in [0, 1]) times the share of the query's names
# and codes its text holds; fitted with WEIGHT_MODEL.
MENTION_WEIGHT = 0.141
# A name whose best single-word BM25 score in a view is below this is common there (held by about
# a tenth of the facts or more: a chat's speakers); `search.vector_text` leaves it out. Chosen on
# the dev splits (docs/benchmarks.md).
COMMON_NAME_SCORE = 3.0
# In a filtered search (a scope, an agent, a kind) BM25's statistics still span the whole view, so
# there a name is common when this share of the facts searched hold it (what the score above
# approximates for the whole view; the two chose the same on dev).
COMMON_NAME_FACTS = 0.1
# A query that names a common name is embedded twice, whole and without such names, and searched
# with this share of the whole query's vector plus the rest of the other (`search.search_vector`):
# the name still says a little (whose turn it is), just not enough to outweigh what is asked.
COMMON_NAME_SHARE = 0.3
# Added to a candidate's score times the share of the query's identifiers (`identifier_like`) its
# text holds: more than any fused score can differ by (at most 1 + MENTION_WEIGHT), so a fact
# naming every identifier asked about comes before every fact naming none. A rule, not fitted.
IDENTIFIER_WEIGHT = 2.0
TOKEN = re.compile(r"\w[\w.:/-]*\w|\w")
# A number with a short unit or ordinal suffix: `4th`, `10am`, `2GB`, `90s` (not identifiers).
NUMBER_WITH_UNIT = re.compile(r"\d+[^\W\d_]{1,3}")


def code_like(token: str) -> bool:
    """A token shaped like a code rather than a word: a digit, an underscore, two capitals, or a
    ``.``, ``:`` or ``/`` inside it (``ORD-58213``, ``ERR_TLS_RESET``, ``4.17.3``, ``srv12``,
    ``TLS``, ``docs.acme-cloud.io``). `TOKEN` ends every token on a letter or digit, so such a
    character is always inside it."""
    return (
        any(c.isdigit() or c == "_" or c in ".:/" for c in token) or sum(c.isupper() for c in token) >= 2
    )


def identifier_like(token: str) -> bool:
    """A code that names one thing exactly: letters and digits in one token (``ORD-58213``,
    ``2c495b9``, ``srv12``, ``db-stg-2.eu-west-1.internal``), not a number with a unit or an
    ordinal (``4th``, ``10am``). An embedding model reads such a token as word pieces, so
    ``ORD-51234`` and ``ORD-51243`` look nearly the same to it; only the exact token tells them
    apart."""
    return (
        any(c.isdigit() for c in token) and any(c.isalpha() for c in token)
        and not NUMBER_WITH_UNIT.fullmatch(token)
    )  # fmt: skip


def name_like(token: str, position: int) -> bool:
    """A capitalised word that does not open the query (``Nebraas``, ``Lisbon``, ``Globex``);
    "I" is not one."""
    return position > 0 and len(token) > 1 and token[0].isupper() and not code_like(token)


def names(query: str) -> list[str]:
    """The query's names (`name_like`), as written, each once."""
    tokens = TOKEN.findall(query)
    return list(dict.fromkeys(t for n, t in enumerate(tokens) if name_like(t, n)))


def without(query: str, words: list[str]) -> str:
    """The query with `words` (and their possessive ``'s``) left out; the query itself when
    nothing would be left."""
    text = query
    for word in words:
        text = re.sub(rf"(?<![\w.:/-]){re.escape(word)}(?:'s)?(?![\w.:/-]*\w)", " ", text)
    text = " ".join(text.split())
    return text if any(c.isalnum() for c in text) else query


def entities(query: str) -> frozenset[str]:
    """The query's names and codes, lowercased: the words a fact about the same thing names."""
    tokens = TOKEN.findall(query)
    return frozenset(t.lower() for n, t in enumerate(tokens) if code_like(t) or name_like(t, n))


def mentioned(wanted: frozenset[str], text: str) -> float:
    """The share of `wanted` (from `entities`) that `text` holds as words, in [0, 1]."""
    return _share(wanted, words(text))


def words(text: str) -> frozenset[str]:
    """`text`'s tokens, lowercased."""
    return frozenset(t.lower() for t in TOKEN.findall(text))


def _share(wanted: frozenset[str], held: frozenset[str]) -> float:
    return len(wanted & held) / len(wanted) if wanted else 0.0


@dataclass
class Candidates:
    """What each ranker returned for one query, best first, one entry per fact."""

    keyword: list[tuple[str, float]] = field(default_factory=list)  # (fact id, BM25 score)
    vector: list[tuple[str, float]] = field(default_factory=list)  # (fact id, best chunk's cosine)
    chunks: dict[str, int] = field(default_factory=dict)  # fact id -> its best chunk
    blobs: dict[str, str] = field(default_factory=dict)  # fact id -> blob id
    # The best chunk's cosine of every candidate, the keyword side's too (exact, from the view's
    # matrix); a candidate missing here scores the lowest cosine fetched.
    similarity: dict[str, float] = field(default_factory=dict)
    # Share of the query's names and codes (`entities`) each keyword candidate's text holds; known
    # for the keyword side only, whose rows carry their text (a fact naming them matches BM25).
    mentions: dict[str, float] = field(default_factory=dict)
    # The same for the query's identifiers alone (`identifier_like`); empty when it has none.
    identifiers: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, near: list[dict[str, Any]], matched: list[dict[str, Any]], pool: int,
                  wanted: frozenset[str] = frozenset()) -> Candidates:  # fmt: skip
        """From the index's rows: chunks of one fact collapse into the fact's best chunk.
        `wanted`: the query's `entities`, whose mentions are counted in the keyword rows' text."""
        found = cls()
        for row in near:
            if row["id"] not in found.chunks and len(found.vector) < pool:
                found.chunks[row["id"]] = int(row["chunk"])
                found.blobs[row["id"]] = row["blob"]
                found.vector.append((row["id"], 1.0 - float(row["_distance"])))
        found.similarity = dict(found.vector)
        exact = frozenset(filter(identifier_like, wanted))
        for row in matched:
            found.keyword.append((row["id"], float(row["_score"])))
            found.blobs.setdefault(row["id"], row["blob"])
            if wanted:
                held = words(row.get("text") or "")
                found.mentions[row["id"]] = _share(wanted, held)
                if exact:
                    found.identifiers[row["id"]] = _share(exact, held)
        return found

    def unscored(self) -> list[str]:
        """Keyword candidates whose cosine is not known yet."""
        return [fact_id for fact_id, _s in self.keyword if fact_id not in self.similarity]

    def add_similarities(self, found: dict[str, tuple[float, int]]) -> None:
        """Record (cosine, best chunk) of facts only the keyword side returned."""
        for fact_id, (cosine, chunk) in found.items():
            self.similarity.setdefault(fact_id, cosine)
            self.chunks.setdefault(fact_id, chunk)


def query_features(query: str, found: Candidates) -> dict[str, float]:
    """What the weight model reads: the query's share of code-like tokens and of names, and how
    decided each ranker is (a large lead of its best candidate, a wide spread of cosines)."""
    tokens = TOKEN.findall(query)
    bm25 = [s for _i, s in found.keyword]
    cosine = [s for _i, s in found.vector]
    top = cosine[:10]
    mean = sum(top) / len(top) if top else 0.0
    share = (lambda count: count / len(tokens)) if tokens else (lambda count: 0.0)
    return {
        "bias": 1.0,
        "shape": share(sum(map(code_like, tokens))),
        "names": share(sum(name_like(t, n) for n, t in enumerate(tokens))),
        "keyword_gap": (bm25[0] - bm25[1]) / bm25[0] if len(bm25) > 1 and bm25[0] > 0 else float(bool(bm25)),
        "keyword_fill": min(1.0, len(bm25) / max(1, len(cosine))),
        "vector_top": cosine[0] if cosine else 0.0,
        "vector_gap": 10 * (cosine[0] - cosine[min(4, len(cosine) - 1)]) if cosine else 0.0,
        "vector_spread": 10 * (sum((c - mean) ** 2 for c in top) / len(top)) ** 0.5 if top else 0.0,
    }  # fmt: skip


def keyword_weight(query: str, found: Candidates, model: dict[str, float] | None = None) -> float:
    """The keyword side's share of the fused score for this query, in (0, 1)."""
    features = query_features(query, found)
    z = sum(coefficient * features[name] for name, coefficient in (model or WEIGHT_MODEL).items())
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def fuse(
    found: Candidates, weight: float, mention: float | None = None, identifier: float | None = None
) -> list[tuple[str, float]]:
    """Score fusion: ``weight * bm25 / best bm25 + (1 - weight) * (cosine - lowest) / (best -
    lowest) + mention * mentions + IDENTIFIER_WEIGHT * identifiers`` over the candidates of both
    rankers. Every candidate has its own cosine (`Candidates.similarity`; one without it scores
    the lowest fetched); one the keyword side did not return scores BM25 0. Ties keep vector
    order. `mention` and `identifier` override the two weights (the benchmark sets them to 0)."""
    mention = MENTION_WEIGHT if mention is None else mention
    identifier = IDENTIFIER_WEIGHT if identifier is None else identifier
    bm25 = dict(found.keyword)
    floor = min((s for _i, s in found.vector), default=0.0)
    cosine = dict(found.vector)
    cosine.update((i, found.similarity.get(i, floor)) for i in bm25 if i not in cosine)
    best_bm25 = max(bm25.values(), default=0.0) or 1.0
    low, high = min(cosine.values(), default=0.0), max(cosine.values(), default=0.0)
    span = (high - low) or 1.0
    scores = {
        fact_id: weight * bm25.get(fact_id, 0.0) / best_bm25 + (1 - weight) * (meaning - low) / span
        + mention * found.mentions.get(fact_id, 0.0) + identifier * found.identifiers.get(fact_id, 0.0)
        for fact_id, meaning in cosine.items()
    }  # fmt: skip
    return sorted(scores.items(), key=lambda item: -item[1])


def rank(
    query: str, found: Candidates, mode: str, model: dict[str, float] | None = None,
    mention: float | None = None,
) -> list[tuple[str, float]]:  # fmt: skip
    """(fact id, score), best first: one ranker's own scores, or the two fused."""
    if mode == "vector":
        return list(found.vector)
    if mode == "keyword":
        return list(found.keyword)
    return fuse(found, keyword_weight(query, found, model), mention)
