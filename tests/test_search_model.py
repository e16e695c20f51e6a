"""Search with the real all-MiniLM-L6-v2 model, loaded once per test session: meaning, chunking
of long facts, and identical vectors with and without the search service."""

from __future__ import annotations

import pytest

from agentmem import Repo
from agentmem.embed import load_embedder
from agentmem.service import call
from conftest import invoke
from test_service import service_pid, wait_gone

pytestmark = pytest.mark.slow

LONG_FACT = " ".join(
    f"Paragraph {n}: the quarterly planning meeting covered budgets, hiring plans, office moves "
    "and a long list of routine status updates from every team in the company."
    for n in range(1, 31)
) + " Finally, the lighthouse keeper on the northern island adopted a grey parrot named Captain."


@pytest.fixture(scope="session")
def model():
    """The real model, loaded once; every in-process index of the session reuses it."""
    return load_embedder({"model": "all-MiniLM-L6-v2", "device": "cpu", "batch_size": 64})


@pytest.fixture
def mem(repo: Repo, model):
    with repo.transaction(agent="test") as tx:
        tx.remember("Alice prefers to be contacted by email rather than phone", "user:alice")
        tx.remember("The staging database runs Postgres 16 on a single node")
        tx.remember("Invoices are sent on the first business day of each month")
        tx.remember("Bob is allergic to peanuts", "user:bob")
        tx.remember(LONG_FACT)
    return repo


def test_search_by_meaning(mem: Repo) -> None:
    hits = mem.search("how should I reach Alice?", k=2, mode="vector")
    assert hits[0].fact.text.startswith("Alice prefers")
    hits = mem.search("which SQL server do we use for testing", k=1)
    assert hits[0].fact.text.startswith("The staging database")
    hits = mem.search("food intolerance", k=1)
    assert hits[0].fact.text == "Bob is allergic to peanuts"


def test_long_fact_found_by_a_sentence_from_its_tail(mem: Repo, model) -> None:
    assert model.token_counts([LONG_FACT])[0] > 3 * model.window  # four chunks or more
    hits = mem.search("a lighthouse keeper has a pet bird", k=3, mode="vector")
    assert hits[0].fact.text == LONG_FACT
    assert hits[0].chunk is not None and hits[0].chunk > 0
    assert [h.fact.id for h in hits].count(hits[0].fact.id) == 1  # the fact once


def test_same_vectors_with_and_without_the_service(mem: Repo, model) -> None:
    texts = ["how should I reach Alice?", LONG_FACT[:200]]
    try:
        served = call(mem.root, "embed", {"texts": texts})
        local = [[float(x) for x in model.encode([t])[0]] for t in texts]
        assert served == local
        daemon = mem.search("contact preferences", daemon=True)
        inproc = Repo(mem.root).search("contact preferences")
        assert [(h.fact.id, h.score, h.similarity) for h in daemon] == [
            (h.fact.id, h.score, h.similarity) for h in inproc
        ]
    finally:
        pid = service_pid(mem)
        call(mem.root, "stop", {}, start=False)
        if pid:
            wait_gone(pid)


def test_a_common_name_still_says_whose_turn_it_is(repo: Repo, model) -> None:
    """Both speakers of a chat are common names, so the vector side mostly embeds the question
    without them; the share it keeps of the whole question is what puts the asked-about
    speaker's turn first when the other said nearly the same."""
    topics = ["the weather", "lunch", "a movie", "work", "the bus", "music", "a book", "coffee"]
    with repo.transaction(agent="chat") as tx:
        for n in range(40):
            tx.remember(f"{('Kevin', 'Paola')[n % 2]}: let me tell you about {topics[n % 8]} today")
        tx.remember("Kevin: I love hiking in the mountains")
        tx.remember("Paola: I love hiking in the mountains too")
    hits = repo.search("What does Kevin love doing in the mountains?", k=2, mode="vector")
    assert [h.fact.text for h in hits] == [
        "Kevin: I love hiking in the mountains", "Paola: I love hiking in the mountains too",
    ]  # fmt: skip
    hits = repo.search("What does Paola love doing in the mountains?", k=1, mode="vector")
    assert hits[0].fact.text == "Paola: I love hiking in the mountains too"


def test_a_fact_naming_the_identifier_asked_about_comes_before_its_near_misses(repo: Repo, model) -> None:
    """The model reads ORD-51243 and ORD-51234 as nearly the same word pieces, and in a small
    memory it is sure of the wrong one; the fact holding the exact identifier still comes first,
    whatever else the query names."""
    with repo.transaction(agent="ops") as tx:
        for text in (
            "Order ORD-51234 was refunded after the customer complained.",
            "Order ORD-51243 shipped late to the Berlin warehouse.",
            "Order ORD-15234 is waiting on payment.",
            "Ticket INC-4821 covers the VPN outage on Monday.",
            "Build b7a91e2 broke the nightly deploy.",
            "Build b7a9e12 passed every test.",
        ):
            tx.remember(text)
    for query, exact in (
        ("What happened to order ORD-51243?", "ORD-51243"),
        ("What did Dana say about ORD-51243?", "ORD-51243"),
        ("Which build is b7a9e12?", "b7a9e12"),
        ("ORD-15234 status", "ORD-15234"),
    ):
        assert exact in repo.search(query, k=3)[0].fact.text, query


@pytest.mark.parametrize(
    ("setting", "message"),
    [('model = "no-such-model-anywhere"', "cannot load embedding model"),
     ('device = "tpu"', "invalid embedding device"), ("batch_size = 0", "batch_size")],
)
def test_bad_embedding_config_is_a_one_line_error(repo: Repo, cli, setting: str, message: str) -> None:
    config = repo.local_dir / "config"
    key = setting.split(" =")[0]
    lines = [setting if line.startswith(key + " ") else line for line in config.read_text().splitlines()]
    config.write_text("\n".join(lines) + "\n")
    repo.remember("a fact", agent="a")
    head = repo.resolve()
    code, out, err = invoke(cli, "search", "fact", "--no-daemon")
    # at most a note of what it was doing ("loading the embedding model..."), then one error line
    error = err.splitlines()[-1]
    assert code == 2 and out == "" and message in error and err.count("error:") == 1
    assert all(line.startswith("loading the embedding model ") for line in err.splitlines()[:-1])
    assert repo.resolve() == head
