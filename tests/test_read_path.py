"""The one read path, checked as a whole: every `Session` method that hands out memory, called by
an agent whose reads the policy limits, returns nothing of a fact it may not read (text or id,
in the JSON the CLI and the MCP server print), and every fact whose text it does return has a
read receipt from that call. A method added later without either fails here."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from typer.testing import CliRunner

from agentmem import Repo
from agentmem.cli.output import to_jsonable
from agentmem.errors import AgentmemError
from agentmem.governance.promotion import reviewable
from agentmem.session import Session
from conftest import invoke
from test_policy import POLICY
from test_search import use_fake_model

# The hidden texts as they would appear: "4242" alone is in about one run in seven of the ~10,000
# hex digits of commit and blob ids the calls print.
HIDDEN_TEXTS = ("hunter2", "PIN is 4242")


@pytest.fixture
def memory(repo: Repo) -> tuple[Repo, dict[str, str], list[str]]:
    """Shared facts (id -> a word only its text holds) and hidden facts (their ids), written in
    every shape a read meets: a commit of both kinds, sources each way, a tag, a branch."""
    repo = use_fake_model(repo)
    repo.policy.set(POLICY, agent="admin")
    support = repo.as_agent("support")
    shared = {}
    for word in ("alphaword", "betaword", "gammaword"):
        shared[support.remember(f"Refund rule {word}: within 14 days", "shared").id] = word
    first = next(iter(shared))
    secret = support.remember("Escalation password hunter2", "agent:support", derived_from=[first]).id
    pin = support.remember("Dana's PIN is 4242", "user:dana").id
    with support.transaction("notes") as tx:  # one commit, a shared and a hidden change
        tx.update(pin, text="Dana's PIN is 4242, rotated")
        both = tx.remember("Refund rule deltaword: weekends count", "shared").id
    shared[both] = "deltaword"
    from_hidden = support.remember("Escalations epsilonword go to tier 2", "shared", derived_from=[secret]).id
    shared[from_hidden] = "epsilonword"
    repo.tag("v1")
    support.update(first, text="Refund rule alphaword: within 30 days")
    support.create_branch("side")
    side = repo.as_agent("support", branch="side")
    side.remember("Side note zetaword", "shared")
    side.update(first, text="Refund rule alphaword: within 45 days")
    support.update(first, text="Refund rule alphaword: within 60 days")  # a merge conflicts on it
    return repo, shared, [secret, pin]


def _calls(billing: Session, shared: list[str]) -> dict[str, Callable[[], Any]]:
    first, last = shared[0], shared[-1]
    return {
        "get": lambda: billing.get(first),
        "get at v1": lambda: billing.get(first, at="v1"),
        "expand_id": lambda: billing.expand_id(first[:6]),
        "facts": lambda: billing.facts(),
        "newest_facts": lambda: billing.newest_facts(),
        "export_facts": lambda: list(billing.export_facts()),
        "log": lambda: billing.log(),
        "log of a fact": lambda: billing.log(first),
        "log of a scope": lambda: billing.log(scope="shared"),
        "blame": lambda: billing.blame(last),
        "diff": lambda: billing.diff("HEAD~4"),
        "diff of a tag": lambda: billing.diff("v1~1", "v1"),
        "search": lambda: billing.search("refund rule escalation", daemon=False),
        "keyword search": lambda: billing.search("refund password PIN", mode="keyword", daemon=False),
        "near_duplicates": lambda: billing.near_duplicates(first, daemon=False, threshold=-1.0),
        "duplicates": lambda: billing.duplicates("shared", daemon=False, threshold=-1.0),
        "trace_fact": lambda: billing.trace_fact(first),
        "branches": lambda: billing.branches(),
        "tags": lambda: billing.tags(),
        "reflog": lambda: billing.reflog(),
        "commit_info": lambda: billing.commit_info("HEAD"),
        "bisect": lambda: billing.bisect("deltaword"),
        "create_branch": lambda: billing.create_branch("billing-copy", "v1"),
        "forget_cascade dry run": lambda: billing.forget_cascade(first, dry_run=True),
        "reads": lambda: billing.reads(),
        "review": lambda: reviewable(billing),
        "merge": lambda: billing.merge("side"),
        "merge_status": lambda: billing.merge_status(),
    }


# Session methods that hand out no memory of their own: writes (their result is what was
# written; its near-duplicate warning is `near_duplicates`), the plumbing of the read path, the
# manual bisection (its first bad commit is `bisect`'s), and ids only (`blast_radius`).
NOT_READS = {
    "remember", "update", "forget", "promote", "transaction", "commit_file", "reset",
    "delete_branch", "revert", "resolve_conflict", "merge_continue", "merge_abort",
    "bisect_start", "bisect_mark", "bisect_status", "bisect_run", "bisect_shown", "bisect_reset",
    "hand_out", "records_reads", "commit_visible", "reading", "snapshot", "tip", "visibility",
    "signature", "blast_radius",
}  # fmt: skip


def test_every_session_method_is_checked_or_hands_out_nothing() -> None:
    """A public `Session` method added later must join the calls below or the list above."""
    public = {name for name in dir(Session) if not name.startswith("_") and callable(getattr(Session, name))}
    called = {name.split()[0] for name in _calls(Session.__new__(Session), ["x"])}
    assert public - called - NOT_READS == set()
    assert not called & NOT_READS


def test_no_read_hands_out_a_hidden_fact_and_every_text_shown_has_a_receipt(
    memory: tuple[Repo, dict[str, str], list[str]],
) -> None:
    repo, shared, hidden = memory
    billing = repo.as_agent("billing", run="audit-1")
    checked = []
    for name, call in _calls(billing, list(shared)).items():
        before = len(repo.receipts.read())
        try:
            printed = json.dumps(to_jsonable(call()), ensure_ascii=False)
        except AgentmemError as exc:  # a refusal says no more than the output would
            printed = str(exc)
        for secret in (*HIDDEN_TEXTS, *hidden):
            assert secret not in printed, (name, secret)
        receipts = repo.receipts.read()[before:]
        assert {r.agent for r in receipts} <= {"billing"}, name
        handed = {fact_id for r in receipts for fact_id in r.fact_ids}
        shown = {fact_id for fact_id, word in shared.items() if word in printed}
        assert shown <= handed, (name, shown - handed)
        checked.append((name, bool(shown)))
    # the calls do show memory (else the receipt check above would pass for nothing)
    assert sum(showed for _name, showed in checked) >= 19, checked
    assert billing.merge_abort().status == "aborted"


def test_no_read_hands_out_a_quarantined_fact(memory: tuple[Repo, dict[str, str], list[str]]) -> None:
    """The same reads once a readable fact is quarantined: its text, and that of the fact derived
    from it, is in no output (their ids may be, in the quarantine's own commit)."""
    repo, shared, _hidden = memory
    ids = list(shared)
    derived = repo.as_agent("support").remember("Refund rule thetaword: see above", derived_from=[ids[1]]).id
    repo.quarantine.add(ids[1], agent="admin", reason="wrong")
    billing = repo.as_agent("billing")
    assert derived in repo.quarantine.list()[0].hidden
    for name, call in _calls(billing, [ids[0], ids[2]]).items():
        try:
            printed = json.dumps(to_jsonable(call()), ensure_ascii=False)
        except AgentmemError as exc:
            printed = str(exc)
        assert "betaword" not in printed and "thetaword" not in printed, name
    billing.merge_abort()


# Commands that show no memory of their own: writes (their output names what was written),
# transport and set-up, and the admin's purge (ids only).
CLI_NOT_READS = {
    "init", "remember", "update", "add", "commit", "unstage", "import", "switch", "resolve",
    "revert", "reset", "index", "service", "promote", "purge", "remote", "clone", "fetch",
    "pull", "push", "serve",
}  # fmt: skip


def _cli_reads(shared: list[str]) -> dict[str, list[str]]:
    first, last = shared[0], shared[-1]
    return {
        "show": ["show", first, "--json"], "ls": ["ls", "--json"], "export": ["export"],
        "log": ["log", "--json"], "cat-commit": ["cat-commit", "HEAD", "--json"],
        "branch": ["branch", "--json"], "tag": ["tag", "--json"], "reflog": ["reflog", "--json"],
        "diff": ["diff", "HEAD~4", "--json"], "blame": ["blame", last, "--json"],
        "bisect": ["bisect", "--contains", "deltaword", "--json"],
        "search": ["search", "refund rule password PIN", "--json"], "dedupe": ["dedupe", "--json"],
        "trace": ["trace", first, "--json"], "review": ["review", "--json"],
        "reads": ["reads", "--json", "--as", "billing"], "quarantine": ["quarantine", "--json"],
        "status": ["status", "--json"], "expire": ["expire", "--dry-run", "--json"],
        "forget": ["forget", first, "--cascade", "--dry-run", "--json"],
        "merge": ["merge", "--json"], "policy": ["policy", "show"],
    }  # fmt: skip


def test_every_command_is_checked_or_shows_nothing() -> None:
    from agentmem.cli.commands import COMMANDS

    checked = set(_cli_reads(["x"]))
    assert set(COMMANDS) - checked - CLI_NOT_READS == set()
    assert not checked & CLI_NOT_READS


def test_no_command_shows_a_restricted_agent_what_it_may_not_read(
    memory: tuple[Repo, dict[str, str], list[str]], cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command line is a skin over the session, but a few commands read more than the
    session hands out (`status` read every agent's stage): each, as billing, shows nothing hidden."""
    _repo, shared, hidden = memory
    staged = ("add", "Dana's PIN is 4242, staged", "--scope", "user:dana", "--agent", "support")
    assert invoke(cli, *staged)[0] == 0
    monkeypatch.setenv("AGENTMEM_AGENT", "billing")
    for name, args in _cli_reads(list(shared)).items():
        code, out, err = invoke(cli, *args)
        assert code in (0, 3, 5), (name, code, err)
        for secret in (*HIDDEN_TEXTS, *hidden):
            assert secret not in out + err, (name, secret)
