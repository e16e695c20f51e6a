"""Ranking quality of keyword, vector and the default hybrid search, on the project's evaluation
sets (tests/data/eval) and on REALTALK (real conversations, see benchmarks/realtalk.py).

Every set is imported into a repository under benchmarks/out/ (ranking/<set>,
realtalk/<conversation>-<level>; kept, so the embedding cache makes a second run cheap) and
indexed with the real model.

    python benchmarks/eval_ranking.py            # the table for ranking.WEIGHT_MODEL
    python benchmarks/eval_ranking.py --tune     # refit the weight model on the dev splits
    python benchmarks/eval_ranking.py --one-repository   # and REALTALK as one memory of many users
    python benchmarks/eval_ranking.py --model PATH  # another sentence-transformers model (a folder),
                                                    # and its query embedding time beside the default's

`--one-repository` adds rows for every REALTALK conversation imported into one repository, each
in its own scope (``user:chat_N``), each question searched through `Repo.search(..., scope=)`
in its conversation's scope: one memory serving many users, where a chat's speakers are common
in their scope and rare in the repository.

Each query's candidates are fetched once (`search.find_candidates`, 50 per ranker, as
`Repo.search` does) and ranked in-process by `ranking.rank` for each mode and each model tried,
so tuning costs seconds; `check_api` first confirms on a few queries per set that
`Repo.search(q, k=10, mode=M)` returns exactly those rankings.
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

import numpy as np
import realtalk

from agentmem import Repo
from agentmem.embed import DEFAULT_MODEL
from agentmem.ranking import (
    IDENTIFIER_WEIGHT,
    MENTION_WEIGHT,
    WEIGHT_MODEL,
    Candidates,
    fuse,
    query_features,
    rank,
)
from agentmem.search import FUSION, find_candidates, mix_query_vectors, vector_text

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "tests" / "data" / "eval"
OUT = ROOT / "benchmarks" / "out"
PROJECT_SETS = ["short", "conversation", "long", "paraphrase", "identifiers"]
MODES = ("keyword", "vector", "hybrid")
POOL = 50
MODEL: str | None = None  # --model: embed with this model, in benchmarks/out/<its folder name>/


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
        if MODEL is not None:  # the checkout's own setting (docs/format.md), as a user sets it
            config = path / ".agentmem" / "config"
            default = f'model = "{DEFAULT_MODEL}"'
            config.write_text(config.read_text().replace(default, f"model = {json.dumps(MODEL)}"))
        repo.import_facts(records, agent="eval", message=f"eval set {name}")
    repo = Repo(path)
    started = time.perf_counter()
    repo.index(daemon=False)  # in this process: the table reads its `Index` directly
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
        repo = _open(f"realtalk/{name}-{level}", conv.facts)
        sets.append(EvalSet(f"realtalk-{level}/{name}", repo, queries))
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


def check_api(groups: dict[str, list[EvalSet]], per_set: int = 3) -> None:
    """The table ranks cached candidates with `ranking.rank`, as `run_search` does; check that
    Repo.search(q, k=10, mode=M) gives the same ids on the first queries of every set."""
    for sets in groups.values():
        for eval_set in sets:
            index = eval_set.repo.__dict__["_search_index"]
            for query in eval_set.queries[:per_set]:
                _view, found = find_candidates(index, query.text, pool=POOL)
                for mode in MODES:
                    api = [h.fact.id for h in eval_set.repo.search(query.text, k=10, mode=mode, daemon=False)]
                    assert api == [i for i, _s in rank(query.text, found, mode)][:10], (query, mode)


def fetch(groups: dict[str, list[EvalSet]]) -> dict[str, list[tuple[Query, Candidates]]]:
    out: dict[str, list[tuple[Query, Candidates]]] = {}
    for group, sets in groups.items():
        for eval_set in sets:
            index = eval_set.repo.__dict__["_search_index"]
            view = index.view(None)
            # One batch for the set's queries (the model's vectors, as one query at a time gives),
            # each as the vector side embeds it
            texts = [vector_text(view, query.text) for query in eval_set.queries]
            wholes = index.embedder.encode([query.text for query in eval_set.queries])
            without = index.embedder.encode(texts)
            for n, query in enumerate(eval_set.queries):
                vector = wholes[n] if texts[n] == query.text else mix_query_vectors(wholes[n], without[n])
                _view, found = find_candidates(index, query.text, pool=POOL, query_vector=vector)
                out.setdefault(group, []).append((query, found))
    return out


def evaluate(
    rows: list[tuple[Query, Candidates]], mode: str, model: dict[str, float] | None = None,
    mention: float | None = None,
) -> dict[str, float]:  # fmt: skip
    ranked = [[i for i, _s in rank(q.text, found, mode, model, mention)] for q, found in rows]
    return metrics(ranked, [q for q, _f in rows])


@dataclass
class Prepared:
    """One query ready for fast re-fusion: its candidates' normalised scores and its features."""

    query: Query
    ids: list[str]
    lexical: np.ndarray
    meaning: np.ndarray
    mentions: np.ndarray
    identifiers: np.ndarray
    features: np.ndarray  # in WEIGHT_MODEL order


def prepare(rows: list[tuple[Query, Candidates]]) -> list[Prepared]:
    out = []
    for query, found in rows:
        lexical, meaning = dict(fuse(found, 1.0, 0.0, 0.0)), dict(fuse(found, 0.0, 0.0, 0.0))
        ids = list(meaning)  # vector order first, as fuse breaks ties
        features = query_features(query.text, found)
        out.append(Prepared(
            query, ids, np.array([lexical[i] for i in ids]), np.array([meaning[i] for i in ids]),
            np.array([found.mentions.get(i, 0.0) for i in ids]),
            np.array([found.identifiers.get(i, 0.0) for i in ids]),
            np.array([features[name] for name in WEIGHT_MODEL]),
        ))  # fmt: skip
    return out


def fused_metrics(prepared: list[Prepared], params: np.ndarray) -> dict[str, float]:
    """Same as evaluate(..., "hybrid", model, mention) for params = (WEIGHT_MODEL's
    coefficients, MENTION_WEIGHT), vectorised (ties may break differently)."""
    beta, mention = params[:-1], params[-1]
    ranked = []
    for p in prepared:
        weight = 1.0 / (1.0 + np.exp(-np.clip(p.features @ beta, -50, 50)))
        score = weight * p.lexical + (1 - weight) * p.meaning + mention * p.mentions
        score += IDENTIFIER_WEIGHT * p.identifiers  # a rule, not fitted (ranking.IDENTIFIER_WEIGHT)
        order = np.argsort(-score, kind="stable")[:10]
        ranked.append([p.ids[j] for j in order])
    return metrics(ranked, [p.query for p in prepared])


def tune(
    data: dict[str, list[tuple[Query, Candidates]]], starts: int = 5, sweeps: int = 6,
    penalty: float = 10.0,
) -> tuple[dict[str, float], float]:  # fmt: skip
    """Fit WEIGHT_MODEL and MENTION_WEIGHT on the dev splits, by coordinate search from several
    starts (the current model and random moves from it), keeping the
    start whose fit scores best on dev. The objective sums, over groups and the two metrics
    (recall@5, MRR@10), the margin of hybrid over the better single ranker, every group
    weighing the same (the bar is "never below, on every set"), a shortfall counting
    `penalty` + 1 times what an equal gain earns."""
    dev_rows = {g: [r for r in rows if r[0].split == "dev"] for g, rows in data.items()}
    dev = {g: prepare(rows) for g, rows in dev_rows.items() if rows}
    best_single = {}
    for group in dev:
        singles = [evaluate(dev_rows[group], m) for m in ("keyword", "vector")]
        best_single[group] = {m: max(s[m] for s in singles) for m in ("recall@5", "mrr")}

    def objective(params: np.ndarray) -> float:
        total = 0.0
        for group, prepared in dev.items():
            got = fused_metrics(prepared, params)
            for metric in ("recall@5", "mrr"):
                margin = got[metric] - best_single[group][metric]
                total += 100 * (margin + penalty * min(margin, 0.0))
        return total

    def search(params: np.ndarray) -> tuple[float, np.ndarray]:
        score = objective(params)
        for sweep in range(sweeps):
            scale = 1.0 if sweep < sweeps // 2 else 0.5
            for j in range(len(params)):
                steps = (-4, -2, -1, -0.5, -0.25, 0.25, 0.5, 1, 2, 4)
                for step in steps if j < len(params) - 1 else [s / 20 for s in steps]:
                    trial = params.copy()
                    trial[j] += step * scale
                    trial_score = objective(trial)
                    if trial_score > score:
                        params, score = trial, trial_score
        print(f"# start: {score:.3f} {np.round(params, 3).tolist()}", file=sys.stderr)
        return score, params

    current = np.array([*WEIGHT_MODEL.values(), MENTION_WEIGHT])
    rng = np.random.default_rng(0)
    coefficients = np.arange(len(current)) < len(current) - 1  # random moves leave MENTION_WEIGHT
    tries = [current, *(current + rng.normal(0, 2, len(current)) * coefficients for _ in range(starts - 1))]
    _score, params = max((search(p) for p in tries), key=lambda found: found[0])
    model = {name: round(float(b), 3) for name, b in zip(WEIGHT_MODEL, params[:-1], strict=True)}
    return model, round(float(params[-1]), 3)


def one_repository(level: str) -> None:
    """REALTALK's conversations in one repository, a scope each, searched in that scope."""
    conversations = {name: realtalk.load(name, level) for name in realtalk.DEV + realtalk.TEST}
    records = [fact for conv in conversations.values() for fact in conv.shared_facts()]
    repo = _open(f"realtalk/one-repository-{level}", records)
    for split, names in (("dev", realtalk.DEV), ("test", realtalk.TEST)):
        for mode in MODES:
            ranked, queries = [], []
            for name in names:
                conv = conversations[name]
                for question in conv.questions:
                    hits = repo.search(question.query, k=10, mode=mode, scope=conv.scope, daemon=False)
                    ranked.append([hit.fact.id.removeprefix(conv.id_prefix) for hit in hits])
                    queries.append(Query(question.query, question.relevant, split, True))
            m = metrics(ranked, queries)
            print(f"| realtalk-{level}, one repository | {split} | {len(queries)} | {mode} "
                  f"| {m['recall@5']:.3f} | {m['recall@10']:.3f} | {m['mrr']:.3f} |")  # fmt: skip


def query_latency(queries: list[str]) -> None:
    """p50 / p95 of one query embedded alone, the default model and --model alternated per query."""
    from agentmem.embed import SentenceTransformerEmbedder

    models = {name: SentenceTransformerEmbedder(name) for name in (DEFAULT_MODEL, str(MODEL))}
    times: dict[str, list[float]] = {name: [] for name in models}
    for embedder in models.values():
        embedder.encode(queries[:4])  # warm
    for query in queries:
        for name, embedder in models.items():
            started = time.perf_counter()
            embedder.encode([query])
            times[name].append((time.perf_counter() - started) * 1000)
    for name, spent in times.items():
        spent.sort()
        p50, p95 = spent[len(spent) // 2], spent[int(len(spent) * 0.95) - 1]
        print(f"query embedding, {Path(name).name}: p50 {p50:.1f} ms, p95 {p95:.1f} ms "
              f"({len(spent)} queries, one at a time)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tune", action="store_true", help="fit the ranking model on the dev splits")
    parser.add_argument("--sets", nargs="*", default=PROJECT_SETS, help="project evaluation sets")
    parser.add_argument("--levels", nargs="*", default=list(realtalk.LEVELS), help="REALTALK levels")
    parser.add_argument("--one-repository", action="store_true",
                        help="also REALTALK in one repository, a scope per conversation")  # fmt: skip
    parser.add_argument("--model", help="embedding model (name or folder) instead of the default")
    args = parser.parse_args()
    if args.model:
        global MODEL, OUT
        MODEL, OUT = args.model, OUT / Path(args.model).name
    OUT.mkdir(parents=True, exist_ok=True)
    groups = all_sets(args)
    check_api(groups)
    data = fetch(groups)
    model, mention = tune(data) if args.tune else (dict(WEIGHT_MODEL), MENTION_WEIGHT)
    print(f"search.FUSION = {FUSION}\nranking.WEIGHT_MODEL = {WEIGHT_MODEL}\n"
          f"ranking.MENTION_WEIGHT = {MENTION_WEIGHT}\n")  # fmt: skip
    if args.tune:
        print(f"fitted on dev: WEIGHT_MODEL = {model}, MENTION_WEIGHT = {mention}\n")
    print("| set | split | queries | mode | recall@5 | recall@10 | MRR@10 |")
    print("|---|---|---:|---|---:|---:|---:|")
    for group, rows in data.items():
        for split, mode in itertools.product(("dev", "test"), MODES):
            part = [r for r in rows if r[0].split == split]
            if part:
                m = evaluate(part, mode, model, mention)
                print(f"| {group} | {split} | {len(part)} | {mode} | {m['recall@5']:.3f} "
                      f"| {m['recall@10']:.3f} | {m['mrr']:.3f} |")  # fmt: skip
    if args.one_repository and realtalk.folder() is not None:
        for level in args.levels:
            one_repository(level)
    if MODEL is not None:
        query_latency([query.text for rows in data.values() for query, _found in rows][:40])


if __name__ == "__main__":
    main()
