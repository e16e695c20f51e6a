"""Search plumbing with real LanceDB and the deterministic fake embedder (``fake:64``): catch-up,
the embedding cache, views per branch and commit, filters, a damaged index, bad input."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from agentmem import InvalidInput, NotFound, Repo
from agentmem.index import Index
from conftest import invoke


def use_fake_model(repo: Repo) -> Repo:
    path = repo.local_dir / "config"
    path.write_text(path.read_text().replace('model = "all-MiniLM-L6-v2"', 'model = "fake:64"'))
    return Repo(repo.root)


@pytest.fixture
def mem(repo: Repo) -> Repo:
    repo = use_fake_model(repo)
    repo.remember("Alice prefers email over phone calls", "user:alice", agent="support")
    repo.remember("Order ORD-58213 shipped two days late", agent="billing", kind="event")
    repo.remember("The staging database runs Postgres 16", "app:infra", agent="ops")
    return repo


def index_of(repo: Repo) -> Index:
    index: Index = repo.__dict__["_search_index"]
    return index


def texts(hits: list) -> list[str]:
    return [hit.fact.text for hit in hits]


def test_search_ranks_and_names_its_commit(mem: Repo) -> None:
    hits = mem.search("email alice", k=3)
    assert hits[0].fact.text == "Alice prefers email over phone calls"
    assert all(hit.commit == mem.resolve() for hit in hits)
    assert hits[0].keyword_rank == 1 and hits[0].vector_rank == 1 and hits[0].chunk == 0
    assert hits[0].score > hits[1].score


def test_keyword_mode_finds_identifiers(mem: Repo) -> None:
    hits = mem.search("ORD-58213", mode="keyword")
    assert texts(hits)[0] == "Order ORD-58213 shipped two days late"
    assert all(hit.vector_rank is None for hit in hits)


def test_filters_are_pushed_down(mem: Repo) -> None:
    assert texts(mem.search("email", scope="app:infra")) == ["The staging database runs Postgres 16"]
    assert texts(mem.search("late", author="billing")) == ["Order ORD-58213 shipped two days late"]
    assert texts(mem.search("late", kind="event", mode="vector")) == [
        "Order ORD-58213 shipped two days late"
    ]
    assert mem.search("email", scope="user:nobody") == []


def test_the_old_name_of_the_author_filter_still_filters_and_warns(mem: Repo) -> None:
    """`Repo.search(agent=)` and `Repo.log(agent=)` kept only that agent's facts or commits while
    reading as the owner: the name said "search as". It is now `author=`; the old name still
    works, with a warning that says where "search as" is."""
    with pytest.warns(DeprecationWarning, match="as_agent"):
        hits = mem.search("late", agent="billing")
    assert texts(hits) == ["Order ORD-58213 shipped two days late"]
    with pytest.warns(DeprecationWarning, match="author="):
        assert [c.agent for c in mem.log(agent="ops")] == ["ops"]
    assert [c.agent for c in mem.log(author="ops")] == ["ops"]
    with pytest.raises(InvalidInput, match="author= alone"):
        mem.search("late", author="billing", agent="ops")


@pytest.mark.parametrize("field", ["scope", "author", "kind"])
@pytest.mark.parametrize("value", ["x' OR 1=1 --", "shared' OR '1'='1", "a\"; DROP TABLE x"])
def test_hostile_filter_values_are_refused(mem: Repo, field: str, value: str) -> None:
    with pytest.raises(InvalidInput):
        mem.search("email", **{field: value})


def test_hostile_query_text_is_only_text(mem: Repo) -> None:
    for query in ["x' OR 1=1 --", '"unbalanced (', "*", "id = 'a'"]:
        hits = mem.search(query, scope="user:alice")
        assert {hit.fact.scope for hit in hits} <= {"user:alice"}


def test_at_an_old_commit_reproduces_its_results(mem: Repo) -> None:
    old = mem.resolve()
    before = [(h.fact.id, h.score) for h in mem.search("email phone")]
    mem.remember("Alice now prefers phone calls over email", "user:alice", agent="support")
    now = mem.search("email phone")
    assert len(now) == 4 and now[0].commit == mem.resolve()
    again = mem.search("email phone", at=old)
    assert [(h.fact.id, h.score) for h in again] == before
    assert {h.commit for h in again} == {old}


def test_catch_up_embeds_only_new_texts(mem: Repo) -> None:
    mem.search("anything")
    index = index_of(mem)
    assert index.embedded_texts == 3
    mem.remember("A brand new fact about caching", agent="a")
    fact = mem.facts("shared")[0]
    mem.update(fact.id, agent="a", tags=["x"])  # same text: a new blob, no new embedding
    mem.search("anything")
    assert index.embedded_texts == 4
    assert mem.search("caching", k=1)[0].fact.text == "A brand new fact about caching"


def test_forget_and_update_reach_the_index(mem: Repo) -> None:
    fact = mem.search("ORD-58213", k=1)[0].fact
    mem.update(fact.id, agent="a", text="Order ORD-58213 was refunded")
    assert texts(mem.search("ORD-58213", mode="keyword")) == ["Order ORD-58213 was refunded"]
    mem.forget(fact.id, agent="a")
    assert "Order ORD-58213 was refunded" not in texts(mem.search("ORD-58213"))


def test_switching_branches_and_commits_embeds_nothing(mem: Repo) -> None:
    base = mem.resolve()
    mem.search("x")
    mem.create_branch("other")
    mem.remember("Only on main: the cache is warm", agent="a")
    mem.switch("other")
    mem.remember("Only on other: the queue is full", agent="a")
    mem.switch("main")
    index = index_of(mem)
    mem.search("x", at="main")
    mem.search("x", at="other")
    embedded = index.embedded_texts
    for at in ("main", "other", base, "main", "other~1"):
        hits = mem.search("cache queue", at=at)
        assert {h.commit for h in hits} == {mem.resolve(at)}
    assert index.embedded_texts == embedded
    assert "Only on other: the queue is full" not in texts(mem.search("queue", at="main"))
    assert "Only on other: the queue is full" in texts(mem.search("queue", at="other"))


def test_a_fresh_process_reuses_the_cache(mem: Repo) -> None:
    mem.search("x")
    fresh = Repo(mem.root)
    fresh.search("x", at="HEAD~1")
    assert index_of(fresh).embedded_texts == 0


def test_deleted_index_is_rebuilt(mem: Repo) -> None:
    before = texts(mem.search("email"))
    shutil.rmtree(mem.local_dir / "index")
    assert texts(Repo(mem.root).search("email")) == before


def test_corrupted_index_is_rebuilt(mem: Repo) -> None:
    before = texts(mem.search("email"))
    (mem.local_dir / "index" / "views.json").write_text("{not json")
    for path in (mem.local_dir / "index").rglob("*"):
        if path.is_file() and path.suffix in (".lance", ".manifest"):
            path.write_bytes(b"garbage")
    assert texts(Repo(mem.root).search("email")) == before


def test_rebuild_and_status(mem: Repo) -> None:
    mem.search("x")
    status = mem.index(rebuild=True)
    assert status["commit"] == mem.resolve()
    assert index_of(mem).embedded_texts == 3  # the rebuild reused the cache
    views = mem.index_status()["views"]
    assert [(v["view"], v["rows"]) for v in views] == [("refs/heads/main", 3)]


def test_bad_input(mem: Repo) -> None:
    with pytest.raises(InvalidInput):
        mem.search("   ")
    with pytest.raises(InvalidInput):
        mem.search("x", k=0)
    with pytest.raises(InvalidInput):
        mem.search("x", mode="fuzzy")
    with pytest.raises(InvalidInput):
        mem.search("x" * 5000)
    with pytest.raises(NotFound):
        mem.search("x", at="no-such-branch")
    # the wrong type is named, in-process and through the service, never a ValueError or TypeError
    for daemon in (False, True):
        for k in ("abc", "5", 5.5, True, None):
            with pytest.raises(InvalidInput, match=f"-k must be a whole number .*, not {k!r}"):
                mem.search("x", k=k, daemon=daemon)  # type: ignore[arg-type]
        with pytest.raises(InvalidInput, match="search query must be a string, not int"):
            mem.search(123, daemon=daemon)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="fact text must be a string, not NoneType"):
        mem.remember(None, agent="x")  # type: ignore[arg-type]


def test_near_duplicates(mem: Repo) -> None:
    first = next(f for f in mem.facts("user:alice"))
    second = mem.remember("Alice prefers email over phone calls!", "user:alice", agent="a")
    found = mem.near_duplicates(second.id)
    assert found is not None and [h.fact.id for h in found] == [first.id]
    assert found[0].similarity is not None and found[0].similarity > 0.92
    commit, pairs = mem.duplicates("user:alice")
    assert commit == mem.resolve() and {pairs[0][0], pairs[0][1]} == {first.id, second.id}
    assert mem.duplicates("app:infra")[1] == []


def test_cli_search_json_and_explain(mem: Repo, cli) -> None:
    code, out, _ = invoke(cli, "search", "email alice", "--no-daemon", "--json", "-k", "2")
    assert code == 0
    hits = json.loads(out)
    assert hits[0]["fact"]["text"] == "Alice prefers email over phone calls"
    assert hits[0]["commit"] == mem.resolve()
    code, out, _ = invoke(cli, "search", "email", "--no-daemon", "--explain")
    assert code == 0 and "kw" in out and "vec" in out


@pytest.mark.parametrize("option", ["--scope", "--agent", "--kind"])
def test_cli_hostile_filter_is_a_one_line_error(mem: Repo, cli, option: str) -> None:
    head = mem.resolve()
    code, out, err = invoke(cli, "search", "email", "--no-daemon", option, "x' OR 1=1 --")
    assert code == 2 and out == "" and err.startswith("error: invalid") and err.count("\n") == 1
    assert mem.resolve() == head


def test_cli_bad_ref_and_mode(mem: Repo, cli) -> None:
    code, _, err = invoke(cli, "search", "x", "--no-daemon", "--at", "nope")
    assert code == 3 and err.startswith("error:")
    code, _, err = invoke(cli, "search", "x", "--no-daemon", "--mode", "fuzzy")
    assert code == 2 and "mode" in err


def test_cli_index_and_dedupe(mem: Repo, cli) -> None:
    code, out, _ = invoke(cli, "index", "--no-daemon", "--json")
    assert code == 0 and json.loads(out)["commit"] == mem.resolve()
    code, out, _ = invoke(cli, "index", "--status", "--no-daemon")
    assert code == 0 and "refs/heads/main" in out
    code, out, _ = invoke(cli, "dedupe", "--scope", "user:alice", "--no-daemon", "--json")
    assert code == 0 and json.loads(out)["pairs"] == []


def test_changing_the_model_reindexes_without_mixing_vectors(mem: Repo) -> None:
    mem.search("email")
    config = mem.local_dir / "config"
    config.write_text(config.read_text().replace('model = "fake:64"', 'model = "fake:32"'))
    other = Repo(mem.root)
    assert other.search("email alice", k=1)[0].fact.scope == "user:alice"
    assert index_of(other).embedded_texts == 3
    assert other.index_status()["model"] == "fake:32"


def test_progress_is_reported_while_embedding(mem: Repo) -> None:
    calls: list[tuple[int, int]] = []
    mem.index(progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1] == (3, 3)


def test_daemon_off_in_config_keeps_the_cli_in_process(mem: Repo, cli) -> None:
    config = mem.local_dir / "config"
    config.write_text(config.read_text().replace("daemon = true", "daemon = false"))
    code, out, _ = invoke(cli, "search", "email", "--json")
    assert code == 0 and json.loads(out)
    assert not (mem.local_dir / "search.sock").exists()


def test_damaged_data_files_are_rebuilt(mem: Repo) -> None:
    before = texts(mem.search("email"))
    for path in (mem.local_dir / "index").rglob("*.lance"):
        if path.is_file():
            path.write_bytes(b"garbage")
    assert texts(Repo(mem.root).search("email")) == before


def test_tags_and_meta_values_are_searchable_by_keyword(repo: Repo) -> None:
    repo = use_fake_model(repo)
    repo.remember("We met at the usual place", agent="chat", tags=["offsite"],
                  meta={"speaker": "Zanzibar", "when": {"day": "2024-05-07", "n": [17]}})  # fmt: skip
    repo.remember("The speaker system was broken", agent="chat")
    for word in ("zanzibar", "offsite", "2024-05-07", "17"):
        hits = repo.search(word, mode="keyword")
        assert texts(hits) == ["We met at the usual place"], word
    # Keys are not indexed (they would match every fact carrying them), values are.
    assert texts(repo.search("speaker", mode="keyword")) == ["The speaker system was broken"]
    assert repo.search("zanzibar", k=1)[0].fact.meta["speaker"] == "Zanzibar"


def test_a_fact_only_keywords_found_carries_its_own_cosine(mem: Repo) -> None:
    from agentmem.search import find_candidates

    exact = {hit.fact.id: hit.similarity for hit in mem.search("email", mode="vector")}
    # One candidate per ranker: the keyword side's best is not the vector side's.
    _view, found = find_candidates(index_of(mem), "email", pool=1)
    assert found.keyword[0][0] != found.vector[0][0]
    assert found.similarity == pytest.approx({i: exact[i] for i in (found.keyword[0][0], found.vector[0][0])})


def test_a_bm25_tie_at_the_candidate_cut_is_resolved_by_id(repo: Repo) -> None:
    """LanceDB cuts a tie at its limit by storage order; two processes could then fuse different
    candidates for one query on one commit. The cut falls by id instead."""
    repo = use_fake_model(repo)
    with repo.transaction(agent="bulk") as tx:
        ids = [tx.remember(f"crane report {n:03d}").id for n in range(120)]
    tied = sorted(ids)  # same length, same term counts: one BM25 score for "crane" in all
    hits = repo.search("crane", k=10, mode="keyword")
    assert len({hit.score for hit in hits}) == 1
    assert [hit.fact.id for hit in hits] == tied[:10]
    from agentmem.search import find_candidates

    _view, found = find_candidates(index_of(repo), "crane", pool=30)
    assert [fact_id for fact_id, _score in found.keyword] == tied[:30]


def test_a_cosine_tie_at_a_filtered_cut_is_resolved_by_id(repo: Repo) -> None:
    """The same for the vector side when LanceDB evaluates the filter (a form the in-memory
    matrix does not read): identical texts, identical vectors, cut by id."""
    repo = use_fake_model(repo)
    with repo.transaction(agent="bulk") as tx:
        ids = [tx.remember("the harbour crane is blue", f"app:t{n:02d}").id for n in range(60)]
    repo.search("crane")
    index = index_of(repo)
    view = index.view(None)
    rows = index.vector_candidates(view, index.embed_query("harbour crane"), "scope LIKE 'app:%'", 12)
    assert [row["id"] for row in rows] == sorted(ids)[:12]


def test_the_vector_side_leaves_out_names_that_most_facts_hold(repo: Repo) -> None:
    """A chat's speakers are named in every fact: such a name pulls the query's embedding
    towards all of them and says nothing of what is asked, so the vector side embeds the query
    without it. A rare name (held by one fact) and a name no fact holds stay."""
    repo = use_fake_model(repo)
    with repo.transaction(agent="chat") as tx:
        for n in range(199):
            tx.remember(f"Kevin: message number {n} about the weather")
        tx.remember("Kevin: Globex renewed the contract")
    repo.search("warm up", k=1)
    from agentmem.ranking import COMMON_NAME_SHARE
    from agentmem.search import search_vector, vector_text
    from agentmem.view_table import best_score

    index = index_of(repo)
    view = index.view(None)
    assert best_score(view, "Kevin") < 3.0 < best_score(view, "Globex")
    assert best_score(view, "Zanzibar") == 0.0
    assert vector_text(view, "What did Kevin say about Globex?") == "What did say about Globex?"
    assert vector_text(view, "What did Kevin's boss say?") == "What did boss say?"
    assert vector_text(view, "Did Zanzibar call?") == "Did Zanzibar call?"
    assert vector_text(view, "Kevin") == "Kevin"  # a name alone: nothing else to embed
    # What the vector side searches with: the query's embedding where no name is common, else
    # COMMON_NAME_SHARE of it and the rest of vector_text's, unit length again.
    assert (search_vector(index, view, "Did Zanzibar call?") == index.embed_query("Did Zanzibar call?")).all()
    whole, without = index.embed_query("What did Kevin say?"), index.embed_query("What did say?")
    mixed = COMMON_NAME_SHARE * whole + (1 - COMMON_NAME_SHARE) * without
    vector = search_vector(index, view, "What did Kevin say?")
    assert np.allclose(vector, mixed / np.linalg.norm(mixed), atol=1e-6)
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5
    # The keyword side still reads the name.
    hits = repo.search("What did Kevin say about Globex?", k=1, mode="keyword")
    assert hits[0].fact.text == "Kevin: Globex renewed the contract"


def test_a_name_common_in_the_scope_searched_is_common_there(repo: Repo) -> None:
    """One repository, many conversations, each in its own scope: a speaker is named in every
    fact of their scope and in few of the repository's. BM25's statistics span the whole view,
    so under a filter a name is common when a tenth of the facts searched hold it."""
    repo = use_fake_model(repo)
    with repo.transaction(agent="chat") as tx:
        for n in range(10):
            tx.remember(f"Kevin: message number {n} about the weather", scope="user:kevin")
        for n in range(390):
            tx.remember(f"Dana: note {n} on the quarterly report", scope="user:dana")
    repo.search("warm up", k=1)
    from agentmem.search import search_vector, vector_text, where_clause
    from agentmem.view_table import best_score

    index = index_of(repo)
    view = index.view(None)
    kevin, dana = where_clause(scope="user:kevin"), where_clause(scope="user:dana")
    assert best_score(view, "Kevin") > 3.0  # 2.5% of the repository: not common over the view
    assert vector_text(view, "What did Kevin say?") == "What did Kevin say?"
    assert index.fact_count(view, kevin) == 10
    assert vector_text(view, "What did Kevin say?", kevin, 10) == "What did say?"
    assert vector_text(view, "What did Kevin say?", dana, 390) == "What did Kevin say?"  # none hold it
    assert vector_text(view, "What did Kevin say?", kevin, 0) == "What did Kevin say?"
    # Through the search path: the filtered query is embedded with and without the name.
    whole = search_vector(index, view, "What did Kevin say?")
    assert (whole == index.embed_query("What did Kevin say?")).all()
    assert not (search_vector(index, view, "What did Kevin say?", kevin) == whole).all()
    # A filter of a form the matrix cannot read is counted by LanceDB.
    assert index.fact_count(view, "scope = 'user:kevin' OR scope = 'user:dana'") == 400


def test_the_filtered_columns_have_bitmap_indices_and_filter_as_a_scan_would(repo: Repo) -> None:
    """A view's scope, kind and agent columns are indexed (a reader's filtered BM25 query reads
    the index, not every row); a view built without them gains them when next opened; a
    filtered keyword search finds exactly the matching facts of the scopes asked for."""
    repo = use_fake_model(repo)
    with repo.transaction(agent="bulk") as tx:
        for n in range(60):
            tx.remember(f"harbour crane report {n}", ("shared", "agent:billing", "user:oneil")[n % 3],
                        kind=("note", "event")[n % 2])  # fmt: skip
        tx.remember("an unrelated line", "user:oneil")

    def indexed() -> dict[str, str]:
        table = index_of(repo).view(None).table
        return {c.columns[0]: c.index_type for c in table.list_indices() if c.columns[0] != "text"}

    repo.search("crane")
    assert indexed() == dict.fromkeys(("scope", "kind", "agent"), "Bitmap")
    table = index_of(repo).view(None).table
    for column in ("scope", "kind", "agent"):
        table.drop_index(f"{column}_idx")
    repo = Repo(repo.root)  # a new process's index: the view is opened, not built
    repo.search("crane")
    assert indexed() == dict.fromkeys(("scope", "kind", "agent"), "Bitmap")
    policy = ('default = "deny"\nadmins = ["admin"]\n[agents.one]\nread = ["user:oneil"]\n'
              '[agents.two]\nread = ["shared", "user:oneil"]\n')  # fmt: skip
    repo.policy.set(policy, agent="admin")
    for reader, scopes in (("one", ["user:oneil"]), ("two", ["shared", "user:oneil"])):
        hits = repo.as_agent(reader).search("crane report", k=100, mode="keyword")
        expected = {f.id for f in repo.facts() if f.scope in scopes and "crane" in f.text}
        assert {h.fact.id for h in hits} == expected and len(expected) == 20 * len(scopes)
    hits = repo.search("crane", k=100, mode="keyword", scope="agent:billing", kind="event")
    billing_events = {f.id for f in repo.facts() if f.scope == "agent:billing" and f.kind == "event"}
    assert {h.fact.id for h in hits} == billing_events and len(billing_events) == 10


def test_a_readers_scopes_filter_the_in_memory_matrix_as_lancedb_would(repo: Repo) -> None:
    """A reader under a policy searches with `scope IN (...)` (its readable scopes): the vector
    side reads that filter over the in-memory matrix (not LanceDB's flat scan), with the same
    rows as LanceDB evaluating it."""
    from agentmem.matrix import parse_where

    repo = use_fake_model(repo)
    with repo.transaction(agent="bulk") as tx:
        for n in range(90):
            tx.remember(f"harbour crane report {n}", ("shared", "agent:billing", "user:oneil")[n % 3])
    repo.search("crane")
    index = index_of(repo)
    view = index.view(None)
    where = "scope IN ('shared', 'user:oneil') AND chunk = 0"
    assert parse_where(where) == [("scope", "IN", ("shared", "user:oneil")), ("chunk", "=", 0)]
    assert parse_where("scope IN ('it''s, here', 'b')") == [("scope", "IN", ("it's, here", "b"))]
    for hostile in ("scope IN ('a' OR 1=1)", "scope IN ()", "scope IN ('a'), id", "text IN ('a')"):
        assert parse_where(hostile) is None  # left to LanceDB, which refuses or evaluates it
    vector = index.embed_query("harbour crane report")
    in_memory = index.vector_candidates(view, vector, where, 40)
    by_lancedb = index.vector_candidates(view, vector, where + " AND (id != '')", 40)  # unparsed form
    assert [row["id"] for row in in_memory] == [row["id"] for row in by_lancedb]
    assert len(in_memory) == 40 and all(repo.get(row["id"]).scope != "agent:billing" for row in in_memory)
    assert index.fact_count(view, where) == 60
