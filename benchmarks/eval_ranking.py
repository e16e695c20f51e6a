"""Ranking quality of keyword, vector and the default hybrid search, on the project's evaluation
sets (tests/data/eval) and on REALTALK (real conversations, see benchmarks/realtalk.py).

Every set is imported into a repository under benchmarks/out/ (ranking/<set>, realtalk/<conversation>-<level>; kept, so the
embedding cache makes a second run cheap) and indexed with the real model.

    python benchmarks/eval_ranking.py            # figures through Repo.search(q, k=10, mode=M)
    python benchmarks/eval_ranking.py --tune     # fusion parameters chosen on the dev splits

`--tune` fetches each query's candidates once (`search.find_candidates`, 50 per ranker) and
ranks them in-process with `search.rank` for every parameter point, so a grid costs seconds.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import realtalk
from agentmem import Repo
from agentmem.search import FUSION, Candidates, find_candidates, rank

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "tests" / "data" / "eval"
OUT = ROOT / "benchmarks" / "out"
PROJECT_SETS = ["short", "conversation", "long", "paraphrase", "identifiers"]
MODES = ("keyword", "vector", "hybrid")
POOL = 50


@dataclass
class Query:
    text: str
    relevant: set[str]
    split: str  # "dev" or "test"
    any_hit: bool  # REALTALK: answered when any evidence fact is found; else recall counts each


@dataclass
class EvalSet:
    name: str
    repo: Repo
    queries: list[Query]


def _open(name: str, records: list[dict[str, Any]]) -> Repo:
    path = OUT / name
    if not (path / ".agentmem").exists():
        repo = Repo.init(path)
        repo.import_facts(records, agent="eval", message=f"eval set {name}")
    repo = Repo(path)
    started = time.perf_counter()
    repo.index()
    print(f"# {name}: {len(records)} facts, index ready in {time.perf_counter() - started:.1f}s",
          file=sys.stderr)  # fmt: skip
    return repo


def project_set(name: str) -> EvalSet:
    read = lambda f: [json.loads(line) for line in (EVAL / name / f).read_text().splitlines() if line.strip()]  # noqa: E731
    records = [{"id": r["id"], "text": r["text"], "scope": r["scope"], "kind": r["kind"],
                "meta": r.get("meta") or {}} for r in read("corpus.jsonl")]  # fmt: skip
    queries = [Query(q["query"], set(q["relevant"]), q["split"], False) for q in read("queries.jsonl")]
    return EvalSet(name, _open(f"ranking/{name}", records), queries)


def realtalk_sets(level: str, names: list[str] | None = None) -> list[EvalSet]:
    sets = []
    for name in names or realtalk.DEV + realtalk.TEST:
        conv = realtalk.load(name, level)
        split = "dev" if name in realtalk.DEV else "test"
        queries = [Query(q.query, q.relevant, split, True) for q in conv.questions]
        sets.append(EvalSet(f"realtalk-{level}/{name}", _open(f"realtalk/{name}-{level}", conv.facts), queries))
    return sets


def all_sets(args: argparse.Namespace) -> dict[str, list[EvalSet]]:
    """Sets grouped as reported: each project set, and REALTALK per level (its conversations
    pooled)."""
    groups = {name: [project_set(name)] for name in args.sets}
    if realtalk.folder() is None:
        print("# REALTALK not found (set AGENTMEM_REALTALK): skipped", file=sys.stderr)
    else:
        for level in args.levels:
            groups[f"realtalk-{level}"] = realtalk_sets(level)
    return groups


def metrics(ranked: list[list[str]], queries: list[Query]) -> dict[str, float]:
    r5 = r10 = mrr = 0.0
    for ids, query in zip(ranked, queries, strict=True):
        good = query.relevant
        for cut, add in ((5, 0), (10, 1)):
            found = len(good & set(ids[:cut]))
            value = float(found > 0) if query.any_hit else found / len(good)
            r5, r10 = (r5 + value, r10) if add == 0 else (r5, r10 + value)
        mrr += next((1.0 / n for n, i in enumerate(ids[:10], 1) if i in good), 0.0)
    n = max(1, len(ranked))
    return {"recall@5": r5 / n, "recall@10": r10 / n, "mrr": mrr / n}


def report(groups: dict[str, list[EvalSet]]) -> None:
    """The figures, through the real API: Repo.search(q, k=10, mode=M)."""
    print(f"search.FUSION: {FUSION}\n")
    print("| set | split | queries | mode | recall@5 | recall@10 | MRR@10 |")
    print("|---|---|---:|---|---:|---:|---:|")
    for group, sets in groups.items():
        ranked: dict[tuple[str, str], list[list[str]]] = {}
        queries: dict[str, list[Query]] = {"dev": [], "test": []}
        for eval_set in sets:
            for query in eval_set.queries:
                queries[query.split].append(query)
                for mode in MODES:
                    hits = eval_set.repo.search(query.text, k=10, mode=mode)
                    ranked.setdefault((query.split, mode), []).append([h.fact.id for h in hits])
        for split in ("dev", "test"):
            for mode in MODES:
                if queries[split]:
                    m = metrics(ranked[(split, mode)], queries[split])
                    print(f"| {group} | {split} | {len(queries[split])} | {mode} | {m['recall@5']:.3f} "
                          f"| {m['recall@10']:.3f} | {m['mrr']:.3f} |", flush=True)  # fmt: skip


def fetch(groups: dict[str, list[EvalSet]]) -> dict[str, list[tuple[Query, Candidates]]]:
    out: dict[str, list[tuple[Query, Candidates]]] = {}
    for group, sets in groups.items():
        for eval_set in sets:
            index = eval_set.repo.__dict__["_search_index"]
            for query in eval_set.queries:
                _view, found = find_candidates(index, query.text, pool=POOL)
                out.setdefault(group, []).append((query, found))
    return out


def evaluate(rows: list[tuple[Query, Candidates]], mode: str, params: dict[str, float]) -> dict[str, float]:
    ranked = [[i for i, _s in rank(q.text, found, mode, params)] for q, found in rows]
    return metrics(ranked, [q for q, _f in rows])


def tune(data: dict[str, list[tuple[Query, Candidates]]], grid: dict[str, list[float]]) -> dict[str, float]:
    """The grid point with the fewest (group, metric) pairs on dev where hybrid loses to the
    better single ranker, then the highest summed recall@5 + MRR over groups."""
    best: tuple[Any, ...] = ()
    singles = {}
    for group, rows in data.items():
        dev = [r for r in rows if r[0].split == "dev"]
        singles[group] = [evaluate(dev, m, FUSION) for m in ("keyword", "vector")]
    for point in itertools.product(*grid.values()):
        params = {**FUSION, **dict(zip(grid, point, strict=True))}
        losses, total = 0, 0.0
        for group, rows in data.items():
            hybrid = evaluate([r for r in rows if r[0].split == "dev"], "hybrid", params)
            for metric in ("recall@5", "mrr"):
                losses += hybrid[metric] + 1e-9 < max(s[metric] for s in singles[group])
            total += hybrid["recall@5"] + hybrid["mrr"]
        score = (-losses, round(total, 6))
        if not best or score > best[0]:
            best = (score, params)
            print(f"# {score}: {params}", file=sys.stderr)
    return dict(best[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tune", action="store_true", help="choose fusion parameters on dev")
    parser.add_argument("--sets", nargs="*", default=PROJECT_SETS, help="project evaluation sets")
    parser.add_argument("--levels", nargs="*", default=list(realtalk.LEVELS), help="REALTALK levels")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    groups = all_sets(args)
    if not args.tune:
        report(groups)
        return
    data = fetch(groups)
    params = tune(data, {"keyword_weight": [0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7], "k": [1.0, 3.0, 10.0, 60.0]})
    print(f"chosen on dev: {params}\ncurrent search.FUSION: {FUSION}\n")
    print("| set | split | mode | recall@5 | recall@10 | MRR@10 |\n|---|---|---|---:|---:|---:|")
    for group, rows in data.items():
        for split, mode in itertools.product(("dev", "test"), MODES):
            part = [r for r in rows if r[0].split == split]
            if part:
                m = evaluate(part, mode, params)
                print(f"| {group} | {split} | {mode} | {m['recall@5']:.3f} | {m['recall@10']:.3f} "
                      f"| {m['mrr']:.3f} |")  # fmt: skip


if __name__ == "__main__":
    main()
