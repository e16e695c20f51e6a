"""Ranking quality of keyword, vector and hybrid search on the evaluation sets in tests/data/eval.

Each set's corpus is imported (with its ids) into a temporary repository and indexed with the
real model. For every query the keyword and vector candidate lists are fetched once; fusion
parameters are chosen on the dev split (grid search) and all figures are reported for dev and
test. The chosen parameters are the ones to put in `search.FUSION`.

    python benchmarks/eval_ranking.py            # all sets
    python benchmarks/eval_ranking.py short long # some sets
"""

from __future__ import annotations

import itertools
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from agentmem import Repo
from agentmem.search import FUSION, fuse, keyword_weight, run_search

EVAL = Path(__file__).resolve().parent.parent / "tests" / "data" / "eval"
SETS = ["short", "conversation", "long", "paraphrase", "identifiers"]
POOL = 50
WEIGHTS = [0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5]  # keyword weight, queries without identifiers
ID_WEIGHTS = [0.5, 0.7, 0.8, 0.9]  # keyword weight, queries naming an identifier
KS = [1.0, 3.0, 10.0, 30.0, 60.0]


def load(name: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    read = lambda f: [json.loads(l) for l in (EVAL / name / f).read_text().splitlines() if l.strip()]  # noqa: E731,E741
    return read("corpus.jsonl"), read("queries.jsonl")


def candidates(name: str, workdir: Path) -> list[dict[str, Any]]:
    """Per query: its split, relevant ids, keyword and vector candidate ids (best first)."""
    corpus, queries = load(name)
    repo = Repo.init(workdir / name)
    records = [{"id": r["id"], "text": r["text"], "scope": r["scope"], "kind": r["kind"],
                "meta": r.get("meta") or {}} for r in corpus]  # fmt: skip
    repo.import_facts(records, agent="eval", message=f"eval set {name}")
    started = time.perf_counter()
    repo.index()
    index = repo.__dict__["_search_index"]
    print(f"# {name}: {len(corpus)} facts indexed in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    out = []
    for query in queries:
        lists = {}
        for mode in ("keyword", "vector"):
            hits = run_search(index, query["query"], k=POOL, mode=mode, fusion={"candidates": POOL})
            lists[mode] = [hit.fact.id for hit in hits]
        out.append({"query": query["query"], "split": query["split"],
                    "relevant": set(query["relevant"]), **lists})  # fmt: skip
    return out


def metrics(ranked: list[list[str]], relevant: list[set[str]]) -> dict[str, float]:
    r5 = r10 = mrr = 0.0
    for ids, good in zip(ranked, relevant, strict=True):
        r5 += len(good & set(ids[:5])) / len(good)
        r10 += len(good & set(ids[:10])) / len(good)
        mrr += next((1.0 / n for n, i in enumerate(ids[:10], 1) if i in good), 0.0)
    n = max(1, len(ranked))
    return {"recall@5": r5 / n, "recall@10": r10 / n, "mrr": mrr / n}


def evaluate(rows: list[dict[str, Any]], mode: str, params: dict[str, float]) -> dict[str, float]:
    if mode == "hybrid":
        ranked = [[i for i, _ in fuse(r["keyword"], r["vector"], keyword_weight(r["query"], params),
                                      params["k"])] for r in rows]  # fmt: skip
    else:
        ranked = [r[mode] for r in rows]
    return metrics(ranked, [r["relevant"] for r in rows])


def choose(data: dict[str, list[dict[str, Any]]]) -> dict[str, float]:
    """Fusion parameters for the dev split: fewest (set, metric) pairs where hybrid loses to the
    better single ranker, then the highest summed recall@5 + MRR over sets, then the larger
    keyword weight (so keywords keep a say where it costs nothing)."""
    best: tuple[Any, ...] = ()
    for weight, id_weight, k in itertools.product(WEIGHTS, ID_WEIGHTS, KS):
        params = {**FUSION, "keyword_weight": weight, "identifier_keyword_weight": id_weight, "k": k}
        losses, total = 0, 0.0
        for rows in data.values():
            dev = [r for r in rows if r["split"] == "dev"]
            hybrid = evaluate(dev, "hybrid", params)
            singles = [evaluate(dev, m, params) for m in ("keyword", "vector")]
            for metric in ("recall@5", "mrr"):
                losses += hybrid[metric] + 1e-9 < max(s[metric] for s in singles)
            total += hybrid["recall@5"] + hybrid["mrr"]
        score = (-losses, round(total, 6), weight, id_weight, -k)
        if not best or score > best[0]:
            best = (score, params)
    return dict(best[1])


def main() -> None:
    names = sys.argv[1:] or SETS
    with tempfile.TemporaryDirectory() as tmp:
        data = {name: candidates(name, Path(tmp)) for name in names}
    params = choose(data)
    print(f"chosen on dev: {params}\ncurrent search.FUSION: {FUSION}\n")
    print("| set | split | mode | recall@5 | recall@10 | MRR |")
    print("|---|---|---|---:|---:|---:|")
    for name, rows in data.items():
        for split in ("dev", "test"):
            part = [r for r in rows if r["split"] == split]
            for mode in ("keyword", "vector", "hybrid"):
                m = evaluate(part, mode, params)
                print(f"| {name} | {split} | {mode} | {m['recall@5']:.3f} | {m['recall@10']:.3f} "
                      f"| {m['mrr']:.3f} |")  # fmt: skip


if __name__ == "__main__":
    main()
