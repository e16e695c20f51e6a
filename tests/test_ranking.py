"""Ranking: score fusion of BM25 and cosine with a per-query keyword weight (search.fuse,
search.keyword_weight), and, with the real model, the default against each single ranker on
the test splits: the project's evaluation sets (tests/data/eval) and REALTALK (real
conversations, read from outside the project)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from agentmem import Repo
from agentmem.ranking import (
    Candidates,
    entities,
    fuse,
    identifier_like,
    keyword_weight,
    mentioned,
    names,
    query_features,
    rank,
    without,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import realtalk

REALTALK = realtalk.folder()  # read before conftest clears $AGENTMEM_*
EVAL = Path(__file__).resolve().parent / "data" / "eval"
MODES = ("keyword", "vector", "hybrid")


def candidates(keyword: list[tuple[str, float]], vector: list[tuple[str, float]]) -> Candidates:
    return Candidates(keyword=keyword, vector=vector)


def test_fusion_adds_normalised_scores_of_both_sides() -> None:
    found = candidates([("a", 9.0), ("b", 3.0)], [("b", 0.8), ("c", 0.6), ("a", 0.4)])
    # b: 3/9 lexical and the best cosine beats a (best BM25, worst cosine) at equal weights.
    assert [i for i, _s in fuse(found, 0.5)] == ["b", "a", "c"]
    assert fuse(found, 1.0)[0][0] == "a"
    assert [i for i, _s in fuse(found, 0.0)] == ["b", "c", "a"]
    # A fact one side did not return scores that side's floor: c has no BM25 at all.
    assert dict(fuse(found, 0.5))["c"] == pytest.approx(0.5 * (0.6 - 0.4) / (0.8 - 0.4))


def test_a_fact_only_keywords_found_is_fused_with_its_own_cosine() -> None:
    # a: best BM25, not among the vector candidates, but its cosine (0.7) is known; c is the
    # vector side's floor (0.4). a must not be scored as if it were as far as c.
    found = Candidates(keyword=[("a", 9.0), ("b", 3.0)], vector=[("b", 0.8), ("c", 0.4)],
                       similarity={"b": 0.8, "c": 0.4, "a": 0.7})  # fmt: skip
    assert [i for i, _s in fuse(found, 0.0)] == ["b", "a", "c"]
    assert dict(fuse(found, 0.5))["a"] == pytest.approx(0.5 * 1.0 + 0.5 * (0.7 - 0.4) / (0.8 - 0.4))
    assert fuse(found, 0.5)[0][0] == "a"


def test_fusion_ignores_the_scale_of_scores() -> None:
    small = candidates([("a", 2.0), ("b", 1.0)], [("b", 0.50), ("a", 0.45), ("c", 0.40)])
    large = candidates([("a", 20.0), ("b", 10.0)], [("b", 0.90), ("a", 0.85), ("c", 0.80)])
    (ids_small, scores_small), (ids_large, scores_large) = (
        zip(*fuse(f, 0.4), strict=True) for f in (small, large)
    )
    assert ids_small == ids_large == ("b", "a", "c")
    assert scores_small == pytest.approx(scores_large)


def test_single_modes_keep_their_own_scores() -> None:
    found = candidates([("a", 9.0), ("b", 3.0)], [("b", 0.8), ("a", 0.4)])
    assert rank("q", found, "keyword") == [("a", 9.0), ("b", 3.0)]
    assert rank("q", found, "vector") == [("b", 0.8), ("a", 0.4)]


def test_a_code_in_the_query_shifts_weight_to_keywords() -> None:
    found = candidates(
        [(f"k{n}", 10.0 - n) for n in range(10)], [(f"v{n}", 0.6 - n / 100) for n in range(10)]
    )
    plain = keyword_weight("what happened with the refund", found)
    coded = keyword_weight("what happened with ORD-58213", found)
    assert query_features("what happened with ORD-58213", found)["shape"] == pytest.approx(0.25)
    assert 0.0 < plain < coded < 1.0
    assert coded > 0.9  # an exact identifier: BM25 decides


def test_a_querys_names_and_codes_are_its_entities() -> None:
    # Capitalised words that do not open the query, and code-shaped tokens; not "I", not the
    # query's first word, not ordinary words.
    assert entities("What sports did Kevin play with Maria?") == {"kevin", "maria"}
    assert entities("Did I patch CVE-2023-35274 on srv12") == {"cve-2023-35274", "srv12"}
    assert entities("Where does the team meet") == frozenset()
    assert entities("Nebraas's pets") == frozenset()  # the first word is not read as a name
    # A host name is a code too, though it has no digit and no capital.
    assert entities("Who renews the docs.acme-cloud.io TLS cert?") == {"docs.acme-cloud.io", "tls"}


def test_names_are_left_out_of_a_query_as_whole_words() -> None:
    query = "Did Kevin tell Kevin's sister about Kevinson and ORD-58213?"
    assert names(query) == ["Kevin", "Kevinson"]  # each once; ORD-58213 is a code, not a name
    assert without(query, ["Kevin"]) == "Did tell sister about Kevinson and ORD-58213?"
    assert without("Kevin?", ["Kevin"]) == "Kevin?"  # nothing left: the query itself
    assert without("Was Kevin.Smith there", ["Kevin"]) == "Was Kevin.Smith there"


def test_mentioned_counts_the_share_of_entities_a_text_holds_as_words() -> None:
    wanted = entities("What did Kevin tell Maria about ORD-58213?")
    assert mentioned(wanted, "Kevin: the order ORD-58213 shipped") == pytest.approx(2 / 3)
    assert mentioned(wanted, "kevin and MARIA talked about ord-58213") == pytest.approx(1.0)
    # Whole words only: a longer name or code that contains one does not count.
    assert mentioned(wanted, "Kevins order ORD-582130") == 0.0
    assert mentioned(frozenset(), "Kevin") == 0.0


def test_a_candidate_naming_the_querys_entities_is_lifted() -> None:
    rows = [
        {"id": i, "chunk": 0, "blob": n * 40, "_score": 5.0, "text": f"{who}: I played volleyball"}
        for i, n, who in (("a", "1", "Maria"), ("b", "2", "Kevin"))
    ]
    found = Candidates.from_rows([], rows, 50, entities("What sport did Kevin play?"))
    assert found.mentions == {"a": 0.0, "b": 1.0}
    plain, lifted = dict(fuse(found, 0.5, mention=0.0)), dict(fuse(found, 0.5, mention=0.1))
    assert list(plain) == ["a", "b"]  # tied: the keyword side's order
    assert list(lifted) == ["b", "a"]
    assert lifted["b"] == pytest.approx(plain["b"] + 0.1)
    assert lifted["a"] == pytest.approx(plain["a"])
    # A query without names or codes reads no text and lifts nothing.
    assert Candidates.from_rows([], rows, 50, entities("what sport did he play")).mentions == {}


def index_rows(facts: list[tuple[str, float, float, str]]) -> tuple[list[dict], list[dict]]:
    """The vector side's rows (best cosine first) and the keyword side's (best BM25 first, with
    their text) as the index returns them, from (id, BM25, cosine, text); BM25 0: not returned."""
    near = [{"id": i, "chunk": 0, "blob": i, "_distance": 1.0 - c}
            for i, _b, c, _t in sorted(facts, key=lambda fact: -fact[2])]  # fmt: skip
    matched = [{"id": i, "chunk": 0, "blob": i, "_score": b, "text": t}
               for i, b, _c, t in sorted(facts, key=lambda fact: -fact[1]) if b > 0]  # fmt: skip
    return near, matched


def test_a_fact_naming_the_host_asked_about_is_not_outranked_by_facts_naming_other_hosts() -> None:
    # The candidates of a `short` set query (tests/data/eval/short), BM25 and cosine as the index
    # gave them, texts shortened. Each other host's fact says "TLS certificate" and gained the
    # mention bonus when "TLS" was the query's only entity: the one fact naming
    # docs.acme-cloud.io, first for either ranker alone, came sixth.
    query = "Who renews the docs.acme-cloud.io TLS cert?"
    facts = [
        ("s-0182", 16.50, 0.794, "Dmitri will renew the docs.acme-cloud.io certificate before May 2."),
        ("s-0331", 15.71, 0.781, "Cert for admin.acme-cloud.io runs out October 15, Ivan renews."),
        ("s-0291", 15.71, 0.760, "Cert for auth.acme-cloud.io runs out November 9, Keiko renews."),
        ("s-0162", 15.29, 0.755, "The TLS certificate for cdn.acme-cloud.io: Rafael renews it."),
        ("s-0020", 14.74, 0.770, "The TLS certificate for pay.acme-cloud.io: Kwame renews it."),
        ("s-0116", 14.74, 0.769, "The TLS certificate for api.acme-cloud.io: Lucas renews it."),
        ("s-0347", 14.74, 0.769, "The TLS certificate for app.acme-cloud.io: Elif renews it."),
        ("s-0043", 14.74, 0.723, "The TLS certificate for hooks.acme-cloud.io: Uma renews it."),
    ]  # fmt: skip
    found = Candidates.from_rows(*index_rows(facts), 50, entities(query))
    assert found.mentions["s-0182"] == found.mentions["s-0162"] == 0.5  # the host, or TLS
    assert rank(query, found, "hybrid")[0][0] == "s-0182"


def test_an_identifier_is_letters_and_digits_in_one_token() -> None:
    identifiers = ("ORD-58213", "2c495b9", "srv12", "db-stg-2.eu-west-1.internal", "CVE-2023-35274")
    for token in identifiers:
        assert identifier_like(token), token
    for token in ("2023", "4.17.3", "docs.acme-cloud.io", "TLS", "Kevin", "4th", "10am", "2GB", "90s"):
        assert not identifier_like(token), token


def test_a_fact_holding_the_identifier_asked_about_comes_before_its_near_misses() -> None:
    # BM25 and cosines as the real model and index gave them in a ten-fact memory: the vector
    # side is sure of the near miss ORD-51234 (0.762 against 0.638), and the weight model,
    # reading how decided it is, leaves keywords almost no say.
    query = "What happened to order ORD-51243?"
    facts = [
        ("near", 2.26, 0.762, "Order ORD-51234 was refunded after the customer complained."),
        ("other", 2.43, 0.640, "Order ORD-15234 is waiting on payment."),
        ("exact", 3.95, 0.638, "Order ORD-51243 shipped late to the Berlin warehouse."),
        *((f"rest{n}", 0.0, c, "") for n, c in enumerate((0.396, 0.298, 0.294, 0.215, 0.192, 0.081, 0.042))),
    ]  # fmt: skip
    near, matched = index_rows(facts)
    found = Candidates.from_rows(near, matched, 50, entities(query))
    assert found.identifiers == {"exact": 1.0, "near": 0.0, "other": 0.0}
    assert [i for i, _s in rank(query, found, "hybrid")][:3] == ["exact", "near", "other"]
    # Mentions alone (what ranked before identifiers counted) leave the near miss first when the
    # weight model leaves keywords little say: 0.009 here before the sixth step's refit (0.34 now,
    # which alone would put it first; the rule does not hang on a fitted weight).
    found.identifiers.clear()
    assert fuse(found, 0.009)[0][0] == "near"
    # A query without identifiers counts none.
    assert Candidates.from_rows(near, matched, 50, entities("Which order was refunded?")).identifiers == {}


def test_a_name_in_the_query_shifts_weight_to_keywords() -> None:
    found = candidates(
        [(f"k{n}", 10.0 - n) for n in range(10)], [(f"v{n}", 0.6 - n / 100) for n in range(10)]
    )
    assert query_features("what foods does Nebraas like", found)["names"] == pytest.approx(0.2)
    named = keyword_weight("what foods does Nebraas like", found)
    assert named > keyword_weight("what foods does he like", found)


def search_metrics(
    repo: Repo, questions: list[realtalk.Question], scope: str | None = None, prefix: str = "",
    share: bool = False,
) -> dict[str, list[float]]:  # fmt: skip
    """Per mode, the summed (recall@5, MRR@10) over `questions`, through Repo.search (in `scope`,
    fact ids starting with `prefix`). A question counts 1 at 5 when any relevant fact is among
    the first five, or, with `share`, the share of its relevant facts that are."""
    sums = {}
    for mode in MODES:
        r5 = mrr = 0.0
        for question in questions:
            hits = repo.search(question.query, k=10, mode=mode, scope=scope)
            ids = [hit.fact.id.removeprefix(prefix) for hit in hits]
            found = len(question.relevant & set(ids[:5]))
            r5 += found / len(question.relevant) if share else bool(found)
            mrr += next((1 / n for n, i in enumerate(ids, 1) if i in question.relevant), 0.0)
        sums[mode] = [r5, mrr]
    return sums


@pytest.mark.slow
@pytest.mark.skipif(REALTALK is None, reason="REALTALK not found at ../shared/data/realtalk")
@pytest.mark.parametrize("level", realtalk.LEVELS)
def test_default_is_not_below_the_better_ranker_on_realtalk_test(tmp_path: Path, level: str) -> None:
    total = {mode: [0.0, 0.0] for mode in MODES}
    count = 0
    for name in realtalk.TEST:  # conversations never used to choose the ranking
        conv = realtalk.load(name, level, REALTALK)
        repo = Repo.init(tmp_path / name)
        repo.import_facts(conv.facts, agent="eval")
        for mode, sums in search_metrics(repo, conv.questions).items():
            total[mode] = [t + s for t, s in zip(total[mode], sums, strict=True)]
        count += len(conv.questions)
    recall, mrr = ({mode: sums[n] / count for mode, sums in total.items()} for n in (0, 1))
    assert count > 300
    # The bar on a split that chose nothing: not below the better single mode on either
    # metric, and at turn level clearly above keyword alone (docs/benchmarks.md: turn 0.699 /
    # 0.555 against keyword 0.664 / 0.526; session 0.923 / 0.780 against keyword 0.908 / 0.780).
    for metric in (recall, mrr):
        assert metric["hybrid"] >= max(metric["keyword"], metric["vector"]), (recall, mrr)
        if level == "turn":
            assert metric["hybrid"] >= metric["keyword"] + 0.02, (recall, mrr)


@pytest.mark.slow
@pytest.mark.skipif(REALTALK is None, reason="REALTALK not found at ../shared/data/realtalk")
def test_default_is_not_below_the_better_ranker_with_every_chat_in_one_repository(tmp_path: Path) -> None:
    """The test conversations in one repository, each in its own scope, searched in that scope
    (one memory for many users). A chat's speakers are common in their scope and rare in the
    repository: the vector side must judge them among the facts searched, or the default falls
    below keyword alone (it did before: recall@5 0.628 against keyword's 0.664 here)."""
    repo = Repo.init(tmp_path / "chats")
    conversations = [realtalk.load(name, "turn", REALTALK) for name in realtalk.TEST]
    repo.import_facts([fact for conv in conversations for fact in conv.shared_facts()], agent="eval")
    total = {mode: [0.0, 0.0] for mode in MODES}
    for conv in conversations:
        for mode, sums in search_metrics(repo, conv.questions, conv.scope, conv.id_prefix).items():
            total[mode] = [t + s for t, s in zip(total[mode], sums, strict=True)]
    count = sum(len(conv.questions) for conv in conversations)
    recall, mrr = ({mode: sums[n] / count for mode, sums in total.items()} for n in (0, 1))
    for metric in (recall, mrr):
        assert metric["hybrid"] >= max(metric["keyword"], metric["vector"]) + 0.01, (recall, mrr)


SetMetrics = dict[str, dict[str, float]]


@pytest.fixture(scope="module")
def project_set_metrics(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], SetMetrics]:
    """Per mode, recall@5 (the share of a query's relevant facts found) and MRR@10 over one
    project set's test queries, through Repo.search with the real model; each set indexed once."""
    cache: dict[str, SetMetrics] = {}

    def metrics(name: str) -> SetMetrics:
        if name not in cache:
            read = lambda f: [json.loads(line) for line in (EVAL / name / f).read_text().splitlines() if line]  # noqa: E731
            repo = Repo.init(tmp_path_factory.mktemp(name))
            repo.import_facts(read("corpus.jsonl"), agent="eval")
            questions = [realtalk.Question(q["query"], set(q["relevant"]), 0)
                         for q in read("queries.jsonl") if q["split"] == "test"]  # fmt: skip
            sums = search_metrics(repo, questions, share=True)
            cache[name] = {mode: {"recall@5": r5 / len(questions), "mrr": mrr / len(questions)}
                           for mode, (r5, mrr) in sums.items()}  # fmt: skip
        return cache[name]

    return metrics


PROJECT_SETS = sorted(path.name for path in EVAL.iterdir() if (path / "queries.jsonl").is_file())
# Known shortfalls on a test split, documented in docs/benchmarks.md ("Where the default is still
# below"): strict, so a change that ends one fails here until the mark is removed.
BELOW = {
    "paraphrase": "MRR@10 0.660 against vector's 0.724 (docs/benchmarks.md)",
}


@pytest.mark.slow
@pytest.mark.parametrize("name", PROJECT_SETS)
def test_default_recall_is_not_below_the_better_ranker_on_each_project_set(
    project_set_metrics: Callable[[str], SetMetrics], name: str
) -> None:
    found = project_set_metrics(name)
    best = max(found["keyword"]["recall@5"], found["vector"]["recall@5"])
    assert found["hybrid"]["recall@5"] >= best - 1e-9, found


@pytest.mark.slow
@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=BELOW[n])) for n in BELOW]
    + [n for n in PROJECT_SETS if n not in BELOW],
)
def test_default_mrr_is_not_below_the_better_ranker_on_each_project_set(
    project_set_metrics: Callable[[str], SetMetrics], name: str
) -> None:
    found = project_set_metrics(name)
    assert found["hybrid"]["mrr"] >= max(found["keyword"]["mrr"], found["vector"]["mrr"]) - 1e-9, found
