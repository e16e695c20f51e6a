"""The Python API over a real git repository on disk."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from agentmem import Conflict, CorruptObject, InvalidInput, NotARepository, NotFound, Repo
from agentmem.layout import fact_path
from conftest import fsck, git


def test_init_makes_a_real_git_repository(repo: Repo) -> None:
    assert (repo.root / ".git").is_dir()
    assert (repo.root / ".agentmem" / "config").is_file()
    assert "init memory repository" in git(repo, "log", "--oneline")
    assert git(repo, "show", "HEAD:.agentmem/repo.toml").strip().endswith("format = 1")
    fsck(repo)
    with pytest.raises(InvalidInput):
        Repo.init(repo.root)


def test_open_finds_the_repository_upward_or_from_env(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inner = repo.root / "some" / "folder"
    inner.mkdir(parents=True)
    monkeypatch.chdir(inner)
    assert Repo.open().root == repo.root
    monkeypatch.chdir(tmp_path)
    with pytest.raises(NotARepository):
        Repo.open()
    monkeypatch.setenv("AGENTMEM_REPO", str(repo.root))
    assert Repo.open().root == repo.root
    with pytest.raises(NotARepository):
        Repo.open(tmp_path / "nowhere")


def test_remember_commits_with_provenance_that_git_shows(repo: Repo) -> None:
    repo.remember("ticket 42 says so", agent="support", id="source-1")
    written = repo.remember(
        "Alice prefers email", "user:alice", agent="support", run="r1", trace="t-9",
        derived_from=["source-1"], source="ticket:42", tags=["pref"], meta={"confidence": 0.9},
    )  # fmt: skip
    assert written.created and written.commit == repo.resolve()
    fact = repo.get(written.id)
    assert (fact.scope, fact.agent, fact.run, fact.trace) == ("user:alice", "support", "r1", "t-9")
    assert fact.derived_from == ("source-1",) and fact.meta == {"confidence": 0.9}
    shown = git(repo, "log", "-1", "--format=%an%n%B")
    assert shown.startswith("support\n")
    assert "Agentmem-Run: r1" in shown and "Agentmem-Trace: t-9" in shown
    info = repo.log(n=1)[0]
    assert (info.agent, info.run, info.trace) == ("support", "r1", "t-9")
    path = fact_path("user:alice", written.id).decode()
    assert "Alice prefers email" in git(repo, "show", f"HEAD:{path}")
    fsck(repo)


def test_same_text_in_same_scope_is_a_no_op(repo: Repo) -> None:
    first = repo.remember("Billing runs on the 1st", agent="billing")
    head = repo.resolve()
    again = repo.remember("Billing runs on the 1st", agent="planner")
    assert again.id == first.id and again.commit is None and not again.created
    assert repo.resolve() == head
    other_scope = repo.remember("Billing runs on the 1st", "agent:billing", agent="billing")
    assert other_scope.id != first.id


def test_remembering_again_after_the_text_changed_makes_a_new_fact(repo: Repo) -> None:
    first = repo.remember("v1", agent="a")
    repo.update(first.id, agent="a", text="v2")
    second = repo.remember("v1", agent="a")
    assert second.created and second.id != first.id
    assert repo.remember("v1", agent="a").id == second.id


def test_update_keeps_id_and_creation_time(repo: Repo) -> None:
    first = repo.remember("Postgres 15", "agent:planner", agent="planner")
    before = repo.get(first.id)
    repo.update(first.id, agent="coder", text="Postgres 16", tags=["db"])
    after = repo.get(first.id)
    assert after.id == before.id and after.created_at == before.created_at
    assert (after.text, after.tags, after.agent) == ("Postgres 16", ("db",), "coder")
    assert repo.get(first.id, at="HEAD~1").text == "Postgres 15"
    assert [c.agent for c in repo.log(first.id)] == ["coder", "planner"]
    unchanged = repo.update(first.id, agent="coder", text="Postgres 16")
    assert unchanged.commit is None
    with pytest.raises(NotFound):
        repo.update("missing", agent="coder", text="x")


def test_forget_removes_from_the_tree_but_history_keeps_it(repo: Repo) -> None:
    fact_id = repo.remember("temporary", agent="a").id
    repo.forget(fact_id, agent="a")
    with pytest.raises(NotFound):
        repo.get(fact_id)
    assert repo.get(fact_id, at="HEAD~1").text == "temporary"
    assert [c.changes[0].op for c in repo.log(fact_id)] == ["forget", "add"]
    with pytest.raises(NotFound):
        repo.forget(fact_id, agent="a")


def test_transaction_commits_once_or_not_at_all(repo: Repo) -> None:
    keep = repo.remember("keep me", agent="a").id
    with repo.transaction(agent="planner", message="plan v2", run="r2") as tx:
        a = tx.remember("step one", "run:r2").id
        tx.remember("step two", "run:r2", id="step-2")
        tx.update(keep, text="keep me, edited")
        assert tx.get(a) is not None  # a transaction reads its own writes
    assert tx.result is not None and tx.result.added == [a, "step-2"]
    assert repo.log(n=1)[0].message == "plan v2"
    assert len(repo.facts(scope="run:r2")) == 2
    head = repo.resolve()
    with pytest.raises(RuntimeError), repo.transaction(agent="planner") as tx:
        tx.remember("never stored")
        tx.forget(keep)
        raise RuntimeError("agent crashed")
    assert repo.resolve() == head
    assert repo.get(keep).text == "keep me, edited"


def test_explicit_ids_are_unique_across_scopes(repo: Repo) -> None:
    repo.remember("x", "user:alice", id="pref", agent="a")
    with pytest.raises(InvalidInput):
        repo.remember("y", "user:bob", id="pref", agent="a")
    assert repo.remember("x", "user:alice", id="pref", agent="a").commit is None


def test_import_writes_many_facts_in_one_commit(repo: Repo) -> None:
    records = [{"text": f"fact {i}", "scope": f"agent:a{i % 3}"} for i in range(500)]
    records.append({"id": "readable-key", "text": "with an id", "tags": ["x"]})
    seen: list[int] = []
    result = repo.import_facts(records, agent="loader", progress=seen.append)
    assert len(result.added) == 501 and seen[-1] == 501
    assert len(repo.log()) == 2 and len(repo.facts()) == 501
    again = repo.import_facts(records[:10], agent="loader")
    assert again.commit is None and len(again.unchanged) == 10
    fsck(repo)


def test_import_is_all_or_nothing(repo: Repo) -> None:
    head = repo.resolve()
    with pytest.raises(InvalidInput, match="record 3"):
        repo.import_facts([{"text": "a"}, {"text": "b"}, {"text": "c", "scope": "../etc"}], agent="x")
    with pytest.raises(InvalidInput, match="record 1"):
        repo.import_facts([{"text": "a", "bogus_field": 1}], agent="x")
    assert repo.resolve() == head


def test_no_tree_grows_past_a_few_hundred_entries(repo: Repo) -> None:
    repo.import_facts(({"text": f"n{i}"} for i in range(3000)), agent="bulk")
    tree_id = repo.store.commit(repo.store.resolve()).tree
    biggest = max(
        len(repo.store.tree(sha))
        for sha in _all_trees(repo, tree_id)
    )
    assert biggest <= 256


def _all_trees(repo: Repo, tree_id: bytes) -> list[bytes]:
    found = [tree_id]
    for entry in repo.store.tree(tree_id).iteritems():
        if entry.mode & 0o40000:
            found.extend(_all_trees(repo, entry.sha))
    return found


def test_one_fact_commit_writes_only_the_changed_path(repo: Repo) -> None:
    repo.import_facts(({"text": f"n{i}"} for i in range(2000)), agent="bulk")
    objects = repo.root / ".git" / "objects"
    before = {p.name for d in objects.iterdir() if len(d.name) == 2 for p in d.iterdir()}
    repo.remember("one more", agent="a")
    after = {p.name for d in objects.iterdir() if len(d.name) == 2 for p in d.iterdir()}
    # blob + leaf tree + 2 fan-out trees + scope tree + facts tree + root tree + commit
    assert len(after - before) <= 8


def test_concurrent_edit_of_the_same_fact_is_a_conflict(repo: Repo) -> None:
    fact_id = repo.remember("shared plan", agent="a").id
    slow = repo.transaction(agent="slow")
    slow.update(fact_id, text="slow edit")
    repo.update(fact_id, agent="fast", text="fast edit")  # lands first
    other = repo.transaction(agent="other")
    other.remember("unrelated")
    repo.remember("also unrelated", agent="fast")
    assert other.commit().commit is not None  # rebased onto the new head
    with pytest.raises(Conflict) as caught:
        slow.commit()
    assert caught.value.fact_ids == [fact_id]
    assert repo.get(fact_id).text == "fast edit"


def test_unknown_refs_and_bad_input_raise_clear_errors(repo: Repo) -> None:
    for ref in ("nope", "HEAD~99", "a" * 40, "main..x", "x\ny"):
        with pytest.raises((NotFound, InvalidInput)):
            repo.get("x", at=ref)
    with pytest.raises(InvalidInput):
        repo.get("../etc/passwd")
    with pytest.raises(InvalidInput):
        repo.remember("x", "agent:../../x", agent="a")
    with pytest.raises(InvalidInput):
        repo.remember("x" * (300 * 1024), agent="a")
    with pytest.raises(InvalidInput):
        repo.log(n=-1)
    assert len(repo.log()) == 1


def test_corrupt_object_is_reported_and_nothing_else_changes(repo: Repo) -> None:
    fact_id = repo.remember("will be damaged", agent="a").id
    other = repo.remember("stays fine", "user:bob", agent="a").id
    blob = repo.snapshot().blob_of(fact_id)
    assert blob is not None
    path = repo.root / ".git" / "objects" / blob[:2].decode() / blob[2:].decode()
    os.chmod(path, 0o644)
    path.write_bytes(b"garbage")
    head = repo.resolve()
    with pytest.raises(CorruptObject):
        repo.get(fact_id)
    assert repo.get(other).text == "stays fine"
    assert repo.resolve() == head


def test_a_fact_added_then_forgotten_in_one_transaction_leaves_no_commit(repo: Repo) -> None:
    head = repo.resolve()
    with repo.transaction(agent="a") as tx:
        fact_id = tx.remember("second thoughts").id
        tx.forget(fact_id)
        assert tx.get(fact_id) is None
    assert tx.result is not None and tx.result.commit is None
    assert repo.resolve() == head


def test_arguments_of_the_wrong_type_are_named_and_change_nothing(repo: Repo) -> None:
    """The Python API is the product: a ref, a count or an import of the wrong type (or text
    that is not text) is an InvalidInput saying what was expected, not a TypeError or
    UnicodeEncodeError from deep inside, and writes nothing."""
    fact = repo.remember("Alice prefers email", "user:alice", agent="support").id
    head, refs = repo.resolve(), git(repo, "show-ref")
    wrong: list[tuple[str, Any]] = [
        ("a ref must be a string .*, not int", lambda: repo.get(fact, at=5)),
        ("a ref must be a string .*, not int", lambda: repo.diff(5)),
        ("a ref must be a string .*, not int", lambda: repo.merge(5)),
        ("a ref must be a string .*, not int", lambda: repo.revert(5, agent="ops")),
        ("a ref must be a string .*, not int", lambda: repo.reset(5)),
        ("a ref must be a string .*, not int", lambda: repo.create_branch("x", 5)),
        ("a branch name must be a string, not int", lambda: repo.create_branch(5)),
        ("a tag name must be a string, not NoneType", lambda: repo.tag(None)),
        ("-n must be a whole number, zero or more, not 'x'", lambda: repo.log(n="x")),
        ("-n must be a whole number, zero or more, not 1.5", lambda: repo.log(fact, n=1.5)),
        ("the limit must be a whole number, zero or more, not -1", lambda: repo.newest_facts(limit=-1)),
        ("import takes records .* not one str", lambda: repo.import_facts("facts.jsonl", agent="a")),
        ("import takes records .* not one int", lambda: repo.import_facts(5, agent="a")),
        ("line 2: a record is a dict or a line of JSON, not int",
         lambda: repo.import_facts([{"text": "fine"}, 5], agent="a")),
        ("--contains needs a non-empty pattern .*, not 5", lambda: repo.bisect(5)),
        ("a staged operation is a dict .*, not int", lambda: repo.stage(5, agent="a")),
        ("a remote name must be a string, not int", lambda: repo.add_remote(5, "x")),
        ("a remote URL must be a string, not int", lambda: repo.add_remote("origin", 5)),
        # a lone surrogate (what Python makes of bytes that are not UTF-8) is not text either
        ("ref is not valid UTF-8 text", lambda: repo.facts(at="\ud800")),
        ("ref is not valid UTF-8 text", lambda: repo.diff("main", "\ud800")),
        ("the policy is not valid UTF-8 text", lambda: repo.policy.set("\ud800", agent="a")),
        ("remote URL is not valid UTF-8 text", lambda: repo.add_remote("origin", "/tmp/\ud800")),
        # a yes/no read as truthy would do the opposite of what was asked: erase, commit, force
        ("yes must be True or False, not 'no'", lambda: repo.purge(fact, agent="a", yes="no")),
        ("dry_run must be True or False, not ''", lambda: repo.forget_cascade(fact, agent="a", dry_run="")),
        ("hard must be True or False, not 'no'", lambda: repo.reset("HEAD", hard="no")),
        ("force must be True or False, not 'yes'", lambda: repo.push(force="yes")),
        ("propose must be True or False, not 1",
         lambda: repo.as_agent("a").promote(fact, "shared", propose=1)),
        # found by calling every public method with such values (2026-11-28)
        ("-n must be a whole number, zero or more, not 1.5", lambda: repo.reflog(n=1.5)),
        ("the limit must be a whole number, zero or more, not -1",
         lambda: repo.as_agent("support").facts(limit=-1)),
        ("the threshold must be a cosine between -1 and 1, not ''",
         lambda: repo.duplicates("shared", threshold="", daemon=False)),
        ("the threshold must be a cosine between -1 and 1, not 2",
         lambda: repo.near_duplicates(fact, threshold=2, daemon=False)),
        # refused before the request is sent to the search service (json's TypeError before)
        ("invalid kind b'note'", lambda: repo.search("x", kind=b"note", daemon=True)),
        ("invalid agent name b'support'", lambda: repo.search("x", author=b"support", daemon=True)),
        ("at must be a string or a number, not bytes", lambda: repo.index(at=b"main", daemon=True)),
        ("actor must be an agentmem.visibility.Actor, not int", lambda: repo.search("x", actor=5)),
        ("invalid branch name", lambda: repo.as_agent("a").delete_branch("\ud800")),
        # and the other yes/no arguments: "no" read as truthy did the opposite, harmless or not
        ("include_expired must be True or False, not 'no'", lambda: repo.facts(include_expired="no")),
        ("stat must be True or False, not 'no'", lambda: repo.diff(stat="no")),
        ("follow must be True or False, not 'no'", lambda: repo.as_agent("a").log(fact, follow="no")),
        ("changes must be True or False, not 0", lambda: repo.as_agent("a").log(fact, changes=0)),
        ("daemon must be True or False, not 'no'", lambda: repo.search("x", daemon="no")),
        ("daemon must be True or False, not 'no'", lambda: repo.index_status(daemon="no")),
        ("rebuild must be True or False, not 'no'", lambda: repo.index(rebuild="no", daemon=False)),
        ("start must be True or False, not 'no'", lambda: repo.near_duplicates(fact, start="no")),
    ]
    for message, call in wrong:
        with pytest.raises(InvalidInput, match=message):
            call()
    assert repo.resolve() == head and git(repo, "show-ref") == refs
    assert repo.staged("a") == [] and repo.remotes() == []
    assert repo.log(n=0) == [] and repo.newest_facts(limit=0).total == 1


def test_a_field_that_remember_or_update_does_not_take_is_named_with_the_nearest(repo: Repo) -> None:
    """`remember` and `update` of `Repo` and `Session` declare the fields `Transaction` takes:
    a misspelt one is a TypeError from the verb the caller called, naming the field it is
    nearest to, and nothing is written (it was a TypeError from `Transaction.remember`)."""
    fact = repo.remember("Alice prefers email", "user:alice", agent="support").id
    head = repo.resolve()
    session = repo.as_agent("support")
    wrong: list[tuple[str, Any]] = [
        (r"^remember\(\) got an unexpected keyword argument 'expires'; did you mean 'expires_at'\?$",
         lambda: repo.remember("Bob prefers chat", agent="support", expires="2030-01-01T00:00:00Z")),
        (r"^remember\(\) got an unexpected keyword argument 'tag'; did you mean 'tags'\?$",
         lambda: session.remember("Bob prefers chat", tag=["x"])),
        (r"^remember\(\) got an unexpected keyword argument 'colour' \(it takes kind, tags, .*, id\)$",
         lambda: repo.remember("Bob prefers chat", agent="support", colour="red")),
        (r"^update\(\) got an unexpected keyword argument 'txt'; did you mean 'text'\?$",
         lambda: repo.update(fact, agent="support", txt="Alice prefers chat")),
        (r"^update\(\) got an unexpected keyword argument 'scope'",
         lambda: session.update(fact, scope="shared")),
    ]  # fmt: skip
    for message, call in wrong:
        with pytest.raises(TypeError, match=message):
            call()
    assert repo.resolve() == head and repo.get(fact).text == "Alice prefers email"


def test_the_declared_write_fields_are_the_ones_transaction_takes() -> None:
    """`NewFactFields` and `ChangedFactFields` repeat `Transaction.remember`'s and `update`'s
    keywords for `Repo` and `Session`: a field added to one and not the other is caught here."""
    import inspect

    from agentmem.transaction import Transaction
    from agentmem.write_fields import ChangedFactFields, NewFactFields

    def keywords(method: Any) -> set[str]:
        params = inspect.signature(method).parameters.values()
        return {p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY}

    assert set(NewFactFields.__annotations__) == keywords(Transaction.remember)
    assert set(ChangedFactFields.__annotations__) == keywords(Transaction.update)
