"""Read receipts: every read by an agent (show, ls, search and its hits, blame, diff, merge
conflicts) is recorded with agent, run, trace, operation, query, fact and blob ids, commit and
time; append-only, rotated."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from agentmem import NotFound, PermissionDenied, Repo
from agentmem.governance.receipts import Receipt, Receipts
from conftest import git, invoke
from test_search import use_fake_model


def last_blob(repo: Repo, ref: str = "HEAD") -> str:
    """The blob id of the last file in `ref`'s tree, by path (a fact file: .agentmem/ sorts first)."""
    last = git(repo, "ls-tree", "-r", "--name-only", ref).split()[-1]
    return git(repo, "rev-parse", f"{ref}:{last}").strip()


def test_reads_through_every_interface_are_recorded(repo: Repo, cli: CliRunner) -> None:
    repo = use_fake_model(repo)
    one = repo.as_agent("w").remember("Alice prefers email").id
    two = repo.as_agent("w").remember("Bob prefers phone").id
    head = repo.resolve()
    reader = repo.as_agent("billing", run="run-1", trace="t-9")
    reader.get(one)
    reader.facts()
    hits = reader.search("email", mode="keyword")
    invoke(cli, "show", two, "--agent", "planner", "--run", "run-2")
    invoke(cli, "ls", "--agent", "planner", "--run", "run-2")
    with pytest.raises(NotFound):
        reader.get("0" * 26)  # nothing handed out: no receipt of a fact
    got = repo.receipts.read()
    assert [(r.agent, r.op) for r in got] == [("billing", "show"), ("billing", "ls"),
                                              ("billing", "search"), ("planner", "show"),
                                              ("planner", "ls")]  # fmt: skip
    show = got[0]
    blob = last_blob(repo)
    assert show.facts[0][0] == one and show.commit == head and show.run == "run-1"
    assert show.trace == "t-9" and show.time.endswith("Z")
    all_blobs = set(git(repo, "ls-tree", "-r", "HEAD").split())
    assert all(b in all_blobs for r in got for _i, b in r.facts)
    assert blob in all_blobs
    assert got[2].query == "email" and [i for i, _b in got[2].facts] == [h.fact.id for h in hits]
    assert {i for i, _b in got[1].facts} == {one, two}
    assert [r.agent for r in repo.receipts.read(fact_id=two)] == ["billing", "planner", "planner"]
    assert [r.op for r in repo.receipts.read(run="run-2")] == ["show", "ls"]
    code, out, _ = invoke(cli, "reads", "--fact", one, "--agent", "billing", "--json")
    assert code == 0 and [r["op"] for r in json.loads(out)] == ["show", "ls", "search"]
    code, out, _ = invoke(cli, "reads", "--fact", one, "--agent", "billing", "-n", "2", "--json")
    assert code == 0 and [r["op"] for r in json.loads(out)] == ["ls", "search"]  # the newest two
    code, out, err = invoke(cli, "reads", "-n", "1")
    assert code == 0 and out.startswith("1 of 5 reads\n") and "planner\trun-2\tls" in out, out
    assert "4 older not shown" in err
    assert invoke(cli, "reads", "-n", "-1")[0] == 2
    for option, bad in (("--fact", "../x"), ("--agent", "Billing"), ("--run", "run 2")):  # matches no receipt
        code, _out, err = invoke(cli, "reads", option, bad)
        assert code == 2 and err.startswith("error: invalid"), (option, err)
    assert not (repo.root / ".git" / "reads").exists()
    assert "reads" not in git(repo, "ls-tree", "-r", "--name-only", "HEAD")


def test_the_owner_and_disabled_receipts_write_nothing(repo: Repo) -> None:
    fact = repo.remember("x", agent="w").id
    repo.get(fact)  # the library's caller without an identity
    config = repo.local_dir / "config"
    config.write_text(config.read_text() + "\n[receipts]\nenabled = false\n")
    Repo(repo.root).as_agent("a").get(fact)
    assert repo.receipts.read() == []


def test_receipts_are_bounded_and_rotated(tmp_path) -> None:
    receipts = Receipts(tmp_path, max_bytes=2000, files=3)
    for number in range(200):
        receipts.append(Receipt("a", "show", "c" * 40, [(f"id{number}", "b" * 40)]))
    files = receipts.paths()
    assert len(files) == 3 and all(p.stat().st_size <= 2000 for p in files)
    kept = receipts.read()
    assert kept[-1].fact_ids == ["id199"] and len(kept) < 200
    numbers = [int(r.fact_ids[0][2:]) for r in kept]
    assert numbers == sorted(numbers)  # oldest first, none lost in the middle
    assert numbers == list(range(numbers[0], 200))


def test_a_read_of_many_facts_is_split_into_bounded_lines(tmp_path) -> None:
    """An export of a large memory names every fact it hands out: one line for all of them would
    pass `max_bytes`, so the files would no longer bound what is kept."""
    receipts = Receipts(tmp_path, max_bytes=4000, files=3)
    receipts.append(Receipt("a", "show", "c" * 40, [("first", "b" * 40)]))
    many = [(f"fact{number:04d}", f"{number:040x}") for number in range(100)]
    receipts.append(Receipt("a", "export", "c" * 40, many, run="r1", query="shared"))
    lines = [line for path in receipts.paths() for line in path.read_bytes().splitlines(keepends=True)]
    assert len(lines) > 5 and all(len(line) <= 1000 for line in lines)
    kept = receipts.read()
    exported = [r for r in kept if r.op == "export"]
    assert {(r.agent, r.commit, r.run, r.query, r.time) for r in exported} == {
        ("a", "c" * 40, "r1", "shared", exported[0].time)}
    assert all(p.stat().st_size <= 4000 for p in receipts.paths())
    assert [pair for r in exported for pair in r.facts] == many  # in order, none lost
    assert kept[0].fact_ids == ["first"]  # the read before is still there
    assert [r.fact_ids for r in receipts.read(fact_id="fact0099")] == [exported[-1].fact_ids]


def test_a_torn_line_is_skipped(tmp_path) -> None:
    receipts = Receipts(tmp_path)
    receipts.append(Receipt("a", "show", "c" * 40, [("x", "b" * 40)]))
    with open(receipts.paths()[0], "a") as handle:
        handle.write('{"agent": "half')
    receipts.append(Receipt("b", "ls", "c" * 40))
    assert [r.agent for r in receipts.read()] == ["a"]  # the torn line glued the next record


def test_a_blame_records_every_text_it_shows(repo: Repo, cli: CliRunner) -> None:
    """A blame shows the fact and its sources: each is a read, with the version shown; a source
    the reader may not see is neither shown nor recorded."""
    writer = repo.as_agent("w")
    root = writer.remember("Acme pays in EUR", "app:billing").id
    secret = writer.remember("Acme's card ends in 4242", "agent:w").id
    derived = writer.remember("Invoice Acme in EUR", derived_from=[root, secret]).id
    repo.policy.set('default = "allow"\n[agents.support]\nread = ["shared", "app:*"]\n', agent="admin")
    code, out, err = invoke(cli, "blame", derived, "--agent", "support", "--json")
    assert code == 0, err
    blamed = repo.receipts.read(agent="support")[-1]
    assert blamed.op == "blame" and blamed.query == derived
    tree = dict(line.split("\t")[::-1] for line in git(repo, "ls-tree", "-r", "HEAD").splitlines())
    blob = {fact: next(entry.split()[2] for path, entry in tree.items() if fact in path)
            for fact in (root, derived)}  # fmt: skip
    assert blamed.facts == [(derived, blob[derived]), (root, blob[root])]
    assert "ends in 4242" not in out and secret not in out and json.loads(out)["missing"] == []
    assert [r.op for r in repo.receipts.read(fact_id=root)] == ["blame"]


def test_a_diff_records_both_versions_it_shows(repo: Repo, cli: CliRunner) -> None:
    writer = repo.as_agent("w")
    fact = writer.remember("The deploy window is Tuesday").id
    old_blob = last_blob(repo)
    writer.update(fact, text="The deploy window is Wednesday")
    new_blob = last_blob(repo)
    assert invoke(cli, "diff", "--stat", "--agent", "support")[0] == 0  # counts only: no text shown
    assert repo.receipts.read(agent="support") == []
    code, out, _err = invoke(cli, "diff", "HEAD~1", "--agent", "support")
    assert code == 0 and "Tuesday" in out and "Wednesday" in out
    [diffed] = repo.receipts.read(agent="support")
    assert diffed.op == "diff" and diffed.commit == repo.resolve()
    assert diffed.facts == [(fact, old_blob), (fact, new_blob)]
    assert [r.op for r in repo.receipts.read(fact_id=fact)] == ["diff"]


def test_a_merge_conflict_records_the_versions_it_shows(repo: Repo, cli: CliRunner) -> None:
    """A conflict shows base, ours and theirs: each is handed out, at the merge, at a later
    `merge` that shows it again, and at `resolve`, which returns it."""
    writer = repo.as_agent("w")
    fact = writer.remember("The deploy window is Tuesday").id
    base = last_blob(repo)
    repo.create_branch("side")
    repo.as_agent("w", branch="side").update(fact, text="The deploy window is Thursday")
    theirs = last_blob(repo, "side")
    writer.update(fact, text="The deploy window is Wednesday")
    ours, head = last_blob(repo), repo.resolve()
    code, out, _err = invoke(cli, "merge", "side", "--agent", "support", "--json")
    assert code == 4 and "Thursday" in out and "Wednesday" in out
    [merged] = repo.receipts.read(agent="support")
    assert merged.op == "merge" and merged.commit == head and merged.query == repo.resolve("side")
    assert merged.facts == [(fact, base), (fact, ours), (fact, theirs)]
    assert invoke(cli, "merge", "--agent", "support")[0] == 4  # shows the open conflicts again
    assert invoke(cli, "resolve", fact, "--take", "theirs", "--agent", "support")[0] == 0
    ops = [(r.op, r.query, r.facts) for r in repo.receipts.read(agent="support")]
    assert ops[1:] == [("merge", merged.query, merged.facts), ("resolve", fact, merged.facts)]
    assert [r.op for r in repo.receipts.read(fact_id=fact)] == ["merge", "merge", "resolve"]


def test_under_a_policy_an_agent_reads_only_its_own_receipts(repo: Repo, cli: CliRunner) -> None:
    """A receipt holds what an agent asked (a search's text) and the ids it was handed: under a
    policy another agent's are an admin's to read."""
    repo.policy.set('admins = ["admin"]\n[agents.support]\nread = ["*"]\nwrite = ["*"]\n'
                    '[agents.billing]\nread = ["shared"]\nwrite = ["shared"]\n', agent="admin")  # fmt: skip
    secret = repo.as_agent("support").remember("The vault code is 9911", "user:dana").id
    repo.as_agent("support").get(secret)
    repo.as_agent("billing").facts()
    billing = repo.as_agent("billing")
    assert {r.agent for r in billing.reads()} == {"billing"}
    with pytest.raises(PermissionDenied):
        billing.reads(agent="support")
    code, out, err = invoke(cli, "reads", "--as", "billing", "--agent", "support")
    assert code == 5 and out == "" and err.count("\n") == 1
    code, out, _ = invoke(cli, "reads", "--as", "billing", "--json")
    assert code == 0 and secret not in out and {r["agent"] for r in json.loads(out)} == {"billing"}
    assert {r.agent for r in repo.as_agent("admin").reads()} == {"support", "billing"}


def test_a_log_records_the_texts_its_messages_quote(repo: Repo, cli: CliRunner) -> None:
    """`remember <id>: <text>` in a subject, or in the body of a commit of many changes, shows
    that text: a log hands it out, in the version that commit wrote. A message quoting nothing
    (a forget, a merge) names no fact; `-n` records only what it shows."""
    writer = repo.as_agent("w")
    first = writer.remember("The deploy window is Tuesday").id
    first_blob = last_blob(repo)
    writer.update(first, text="The deploy window is Wednesday")
    with writer.transaction() as tx:
        second = tx.remember("Deploys need two approvals").id
        third = tx.remember("Rollbacks are automatic", "app:ops").id
    writer.forget(second)
    code, out, _ = invoke(cli, "log", "--agent", "reader")
    assert code == 0 and "Wednesday" in out
    logged = repo.receipts.read(agent="reader")[-1]
    assert logged.op == "log" and logged.commit == repo.resolve()
    ids = [fact for fact, _blob in logged.facts]
    assert ids == [second, third, first, first] and (first, first_blob) in logged.facts
    assert len({blob for _fact, blob in logged.facts}) == 4  # each version as its commit wrote it
    assert [r.op for r in repo.receipts.read(fact_id=third)] == ["log"]
    invoke(cli, "log", "-n", "1", "--agent", "reader")  # the forget: it quotes no text
    assert repo.receipts.read(agent="reader")[-1].facts == []


def test_ref_lists_and_cat_commit_record_the_texts_they_quote(repo: Repo, cli: CliRunner) -> None:
    """A branch or tag list shows each tip's subject, a reflog each move's label and
    `cat-commit` the whole message: where they quote a fact's text, that is a read too."""
    writer = repo.as_agent("w")
    fact = writer.remember("The deploy window is Tuesday").id
    blob = last_blob(repo)
    repo.tag("v1")
    for args, op in ((("branch",), "branch"), (("tag",), "tag"), (("reflog",), "reflog"),
                     (("cat-commit", "HEAD"), "commit")):
        code, out, err = invoke(cli, *args, "--agent", "reader")
        assert code == 0 and "Tuesday" in out, (args, err)
        receipt = repo.receipts.read(agent="reader")[-1]
        assert (receipt.op, receipt.facts) == (op, [(fact, blob)]), args
    writer.forget(fact)  # its subject quotes no text: no receipt
    before = len(repo.receipts.read(agent="reader"))
    assert invoke(cli, "branch", "--agent", "reader")[0] == 0
    assert len(repo.receipts.read(agent="reader")) == before
