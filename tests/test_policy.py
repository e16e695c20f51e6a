"""The committed policy on every read and write: an agent cannot read another's private scope
through any interface, a denied write changes nothing (exit 5), a policy change is a commit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from agentmem import InvalidInput, NotFound, PermissionDenied, Repo, merge_state
from agentmem.fact import Fact
from agentmem.service import call
from agentmem.visibility import Actor
from conftest import invoke
from test_search import use_fake_model

POLICY = """
default = "deny"
admins = ["admin"]
[agents.support]
read = ["shared", "user:*", "agent:{agent}"]
write = ["shared", "user:*", "agent:{agent}"]
[agents.billing]
read = ["shared", "agent:{agent}"]
write = ["shared", "agent:{agent}"]
promote = ["shared"]
[agents."ops-*"]
read = ["shared"]
[agents.admin]
read = ["*"]
write = ["*"]
promote = ["*"]
"""
SECRET = "Support escalation password is hunter2"


@pytest.fixture
def gov(repo: Repo) -> Iterator[tuple[Repo, str, str]]:
    """A repository with the policy, one private fact of support's and a shared fact."""
    repo = use_fake_model(repo)
    repo.policy.set(POLICY, agent="admin")
    secret = repo.as_agent("support").remember(SECRET, "agent:support").id
    shared = repo.as_agent("support").remember("The office opens at 9", "shared").id
    yield repo, secret, shared
    call(repo.root, "stop", {}, start=False)


def _same_not_found(cli: CliRunner, *args: str, secret: str) -> None:
    """The hidden fact and a fact that never existed give the same exit code and message."""
    code, out, err = invoke(cli, *args)
    absent = "0" * 26
    code2, out2, err2 = invoke(cli, *[absent if a == secret else a for a in args])
    assert code == code2 == 3 and out == out2 == ""
    assert err.replace(secret, absent) == err2 and err.count("\n") == 1


def test_policy_change_is_a_commit_by_an_admin(gov: tuple[Repo, str, str], cli: CliRunner) -> None:
    repo, _secret, _shared = gov
    assert repo.policy.show() == POLICY
    commit = repo.log(n=3)[-1]
    assert commit.agent == "admin" and commit.subject == "set policy"
    head = repo.resolve()
    with pytest.raises(PermissionDenied):
        repo.policy.set(POLICY.replace('"deny"', '"allow"'), agent="support")
    code, out, err = invoke(cli, "policy", "set", "-", "--agent", "billing", input=POLICY)
    assert code == 5 and err.startswith("error:") and err.count("\n") == 1
    assert repo.resolve() == head
    code, out, _ = invoke(cli, "policy", "explain", "ops-7", "read", "shared")
    assert code == 0 and 'agents."ops-*"' in out and "allow" in out
    code, out, _ = invoke(cli, "policy", "explain", "billing", "read", "agent:support", "--json")
    assert json.loads(out)["allowed"] is False


def test_denied_write_and_promote_exit_5_and_change_nothing(
    gov: tuple[Repo, str, str], cli: CliRunner
) -> None:
    repo, secret, shared = gov
    head = repo.resolve()
    with pytest.raises(PermissionDenied):
        repo.as_agent("billing").remember("I write into support's memory", "agent:support")
    for args in (
        ("remember", "x", "--scope", "agent:support", "--agent", "billing"),
        ("remember", "x", "--scope", "user:bob", "--agent", "ops-1"),
        ("promote", shared, "--to", "user:bob", "--agent", "billing"),
        ("ls", "--scope", "agent:support", "--agent", "billing"),
    ):
        code, out, err = invoke(cli, *args)
        assert code == 5 and out == "" and err.startswith("error:") and err.count("\n") == 1, args
    assert repo.resolve() == head
    # an unreadable fact cannot be changed either, and looks absent
    _same_not_found(cli, "forget", secret, "--agent", "billing", secret=secret)
    _same_not_found(cli, "update", secret, "--text", "y", "--agent", "billing", secret=secret)
    assert repo.resolve() == head


def test_no_interface_shows_another_agents_private_scope(
    gov: tuple[Repo, str, str], cli: CliRunner
) -> None:
    repo, secret, shared = gov
    derived = repo.as_agent("support").remember("Ask support for the password", "shared",
                                                 derived_from=[secret]).id  # fmt: skip
    for args in (("show", secret), ("log", secret), ("blame", secret), ("forget", secret, "--dry-run")):
        _same_not_found(cli, *args, "--agent", "billing", secret=secret)
    outputs = []
    for args in (("ls",), ("log",), ("diff", "HEAD~4"), ("blame", derived),
                 ("search", "password hunter2", "--no-daemon"), ("search", "password hunter2"),
                 ("show", derived), ("export",)):
        json_out = ["--json"] if args != ("export",) else []
        code, out, err = invoke(cli, *args, "--agent", "billing", *json_out)
        assert code == 0, (args, err)
        outputs.append(out)
        # not even the hidden source's id: a hash of scope and text, it would confirm a guess
        assert "hunter2" not in out and secret not in out, args
    blame = json.loads(outputs[3])
    assert blame["sources"] == [] and blame["missing"] == []
    assert json.loads(outputs[6])["derived_from"] == []
    assert shared in outputs[0] and derived in outputs[0]
    code, _out, err = invoke(cli, "bisect", "--contains", "hunter2", "--agent", "billing")
    assert code == 3
    for args in (("log", "--scope", "agent:support"), ("ls", "--scope", "agent:support")):
        code, out, err = invoke(cli, *args, "--agent", "billing")  # refused alike, by its rights
        assert code == 5 and "may not read scope agent:support" in err and out == "", args
    # the owner of the scope sees it everywhere
    code, out, _ = invoke(cli, "search", "password hunter2", "--agent", "support", "--json")
    assert code == 0 and json.loads(out)[0]["fact"]["id"] == secret
    assert repo.as_agent("support").get(secret).text == SECRET
    assert repo.as_agent("support").get(derived).derived_from == (secret,)
    with pytest.raises(NotFound):
        repo.as_agent("billing").get(secret)


def test_the_sources_an_agent_is_shown_are_those_it_may_read(gov: tuple[Repo, str, str]) -> None:
    """A fact derived from a readable and a hidden fact names only the first to billing, in
    every version it is shown: a diff, a merge conflict, a search hit. The stored fact keeps
    both, and billing's own update of it does not lose the hidden one."""
    repo, secret, shared = gov
    support, billing = repo.as_agent("support"), repo.as_agent("billing")
    derived = support.remember("Office hours and password policy", "shared", derived_from=[shared, secret]).id
    assert billing.get(derived).derived_from == (shared,)
    again = billing.remember("Office hours and password policy", "shared", derived_from=[shared])
    assert again.id == derived and not again.created and again.not_applied == []  # the same, to it
    assert [f.derived_from for f in billing.facts("shared") if f.id == derived] == [(shared,)]
    change = next(c for c in billing.diff("HEAD~1").changes if c.id == derived)
    assert change.new is not None and change.new["derived_from"] == [shared]
    hits = billing.search("password policy", daemon=False)
    assert [h.fact.derived_from for h in hits if h.fact.id == derived] == [(shared,)]
    written = billing.update(derived, text="Office hours and the password policy")  # its own write
    assert written.fact is not None and written.fact.derived_from == (shared,)
    assert repo.get(derived).derived_from == (shared, secret)
    assert [c.fields for c in billing.diff("HEAD~1").changes] == [["text", "agent", "updated_at"]]
    other = billing.remember("Billing runs monthly", "shared").id
    billing.update(derived, derived_from=[other])  # it names sources; the unseen one stays
    assert repo.get(derived).derived_from == (other, secret)
    with billing.transaction() as tx:
        assert tx.get(derived).derived_from == (other,)
        tx.update(derived, derived_from=[shared])
    assert repo.get(derived).derived_from == (shared, secret)
    exported = list(billing.export_facts("shared"))
    assert secret not in "".join(exported)
    assert repo.import_facts(exported, agent="billing").unchanged  # its own view: no change
    record = json.loads(next(line for line in exported if derived in line))
    record["text"] = "Office hours, replaced by an import"
    result = repo.import_facts([json.dumps(record)], agent="billing", existing="replace")
    assert result.updated == [derived] and repo.get(derived).derived_from == (shared, secret)
    support.update(derived, derived_from=[shared])  # a change of its hidden sources alone
    assert [c.fields for c in repo.diff("HEAD~1").changes] == [["agent", "derived_from", "updated_at"]]
    assert [c.fields for c in billing.diff("HEAD~1").changes] == [["agent", "updated_at"]]
    support.update(derived, derived_from=[shared, secret])
    repo.create_branch("side")
    repo.as_agent("support", branch="side").update(derived, text="Side text")
    support.update(derived, text="Main text")
    result = billing.merge("side")
    assert result.status == "conflicts"
    versions = [v for c in result.conflicts for v in (c.base, c.ours, c.theirs) if v]
    assert len(versions) == 3 and all(v["derived_from"] == [shared] for v in versions)
    assert secret not in json.dumps([vars(c) for c in billing.merge_status().conflicts])


def test_a_write_naming_a_hidden_fact_does_not_tell_that_it_exists(
    gov: tuple[Repo, str, str], cli: CliRunner
) -> None:
    """Updating or forgetting a hidden fact is 'not found'; so is deriving from one, and an id
    it holds is 'taken' without its scope (ids are unique: the write cannot go ahead)."""
    repo, secret, _shared = gov
    pin = repo.as_agent("admin").remember("Dana's pin is 1111", "user:dana", id="dana-pin").id
    head = repo.resolve()
    code, _out, err = invoke(cli, "remember", "x", "--id", pin, "--agent", "billing")
    assert (code, err) == (2, "error: id dana-pin is taken: choose another\n")
    for hidden in (secret, pin):
        code, out, err = invoke(cli, "remember", "Ask support", "-d", hidden, "--agent", "billing")
        absent = "0" * 26
        code2, out2, err2 = invoke(cli, "remember", "Ask support", "-d", absent, "--agent", "billing")
        assert code == code2 == 3 and out == out2 == "" and err.replace(hidden, absent) == err2
    shared = repo.as_agent("billing").remember("Refunds need a manager", "shared").id
    with pytest.raises(NotFound, match=f"derived_from names {pin}, which is not a fact here"):
        repo.as_agent("billing").update(shared, derived_from=[pin])
    assert repo.log(n=1)[0].subject.startswith(f"remember {shared}")  # nothing else written
    # the same through an agent's own transaction (the Python API's batch of writes)
    with repo.as_agent("billing").transaction("peek") as tx:
        assert tx.get(pin) is None and tx.get(secret) is None
        for write in (lambda: tx.update(pin, text="x"), lambda: tx.forget(pin)):
            with pytest.raises(NotFound, match=f"no fact {pin} to"):
                write()
        with pytest.raises(InvalidInput, match="id dana-pin is taken: choose another"):
            tx.put(Fact(id=pin, text="x", scope="shared"))
    assert repo.log(n=1)[0].subject.startswith(f"remember {shared}")
    assert repo.as_agent("support").remember("See the pin", "user:dana", derived_from=[pin]).created
    assert head != repo.resolve()


def test_a_cascade_reaching_hidden_facts_is_neither_listed_nor_done(
    gov: tuple[Repo, str, str], cli: CliRunner
) -> None:
    """`forget --cascade` lists and removes every fact derived from the one named, across
    scopes: one that reaches facts the agent may not see is refused, dry run included (exit 5,
    one line, no id or text of them), and left to an agent that sees them all."""
    repo, _secret, _shared = gov
    rule = repo.as_agent("billing").remember("Refund limit is 50", "shared", id="refund").id
    derived = repo.as_agent("support").remember("Ask support about refunds", "agent:support",
                                                 derived_from=[rule]).id  # fmt: skip
    head = repo.resolve()
    for extra in (("--dry-run",), ()):
        code, out, err = invoke(cli, "forget", rule, "--cascade", *extra, "--agent", "billing")
        assert code == 5 and out == "" and err.count("\n") == 1 and "1 derived fact(s)" in err
        assert derived not in err and "support" not in err
    assert repo.resolve() == head
    code, out, _ = invoke(cli, "forget", rule, "--cascade", "--agent", "admin")
    assert code == 0 and derived in out


def test_the_service_filters_by_itself(gov: tuple[Repo, str, str]) -> None:
    """A client that sends its identity and no filter still gets only what it may read, and
    the ranks of what it gets never hint at hidden facts (the scopes are an index prefilter)."""
    repo, secret, _shared = gov
    params = {"query": "password hunter2", "at": "main", "k": 10, "mode": "hybrid"}
    hits = call(repo.root, "search", params, actor=Actor("billing", branch="main"))
    assert hits and all(h["fact"]["scope"] == "shared" for h in hits)
    assert sorted(h["keyword_rank"] for h in hits if h["keyword_rank"]) == [1, 2][: len(
        [h for h in hits if h["keyword_rank"]])]  # fmt: skip
    owner = call(repo.root, "search", params, actor=Actor("support", branch="main"))
    assert secret in [h["fact"]["id"] for h in owner]


def test_merge_conflict_on_a_private_fact_is_not_shown(gov: tuple[Repo, str, str], cli: CliRunner) -> None:
    repo, secret, _shared = gov
    repo.create_branch("side")
    repo.as_agent("support", branch="side").update(secret, text=SECRET + " (side)")
    repo.as_agent("support").update(secret, text=SECRET + " (main)")
    # billing could never finish it (it may not resolve that conflict): dropped at once, unnamed
    code, out, err = invoke(cli, "merge", "side", "--agent", "billing", "--json")
    assert code == 4 and out == "" and err.count("\n") == 1 and "1 fact agent billing may not see" in err
    assert "hunter2" not in err and secret not in err
    with pytest.raises(NotFound):
        repo.merges.status()  # no merge in progress
    # a merge support began is support's: billing has none to look at or finish, and sees no id
    code, out, _ = invoke(cli, "merge", "side", "--agent", "support", "--json")
    assert code == 4 and "hunter2" in out
    for args in (("merge", "--json"), ("merge", "--continue"), ("resolve", secret, "--take", "ours")):
        code, out, err = invoke(cli, *args, "--agent", "billing")
        shown = out + err
        assert code == 3 and "--agent support" in err and secret not in shown and "hunter2" not in shown
    code, out, err = invoke(cli, "merge", "--continue", "--agent", "support")
    assert code == 4 and secret in err
    assert invoke(cli, "merge", "--abort", "--agent", "support")[0] == 0
    head = repo.resolve()
    code, _out, err = invoke(cli, "merge", "side", "--agent", "billing", "--strategy", "theirs")
    assert code == 5 and repo.resolve() == head


def test_settling_a_conflict_needs_the_write_right_on_its_scope(
    gov: tuple[Repo, str, str], cli: CliRunner
) -> None:
    """A resolution decides the fact's text, and the merge commit writes it under the name of
    the agent who began the merge: an agent that may read a scope but not write it must not
    settle a conflict there (exit 5, nothing recorded)."""
    repo, _secret, _shared = gov
    repo.policy.set(POLICY + '[agents.auditor]\nread = ["*"]\n', agent="admin")
    limit = repo.as_agent("admin").remember("Dana's limit is 100", "user:dana").id
    repo.create_branch("side")
    repo.as_agent("admin", branch="side").update(limit, text="Dana's limit is 300")
    repo.as_agent("admin").update(limit, text="Dana's limit is 200")
    assert invoke(cli, "merge", "side", "--agent", "auditor")[0] == 4  # it may read both versions
    code, _out, err = invoke(cli, "resolve", limit, "--take", "edit", "--text", "Dana's limit is 999999",
                             "--agent", "auditor")  # fmt: skip
    assert code == 5 and err == "error: agent auditor may not write scope user:dana\n"
    assert [c.resolution for c in repo.merges.status().conflicts] == [None]
    assert invoke(cli, "merge", "--abort", "--agent", "auditor")[0] == 0
    assert invoke(cli, "merge", "side", "--agent", "admin")[0] == 4
    assert invoke(cli, "resolve", limit, "--take", "theirs", "--agent", "admin")[0] == 0
    assert invoke(cli, "merge", "--continue", "--agent", "admin")[0] == 0
    assert repo.get(limit).text == "Dana's limit is 300"


def test_each_agent_settles_its_own_merge_in_progress(gov: tuple[Repo, str, str], cli: CliRunner) -> None:
    """Its commit is written under that agent's name, so it is that agent's alone: another agent
    (even one that may read and write the facts) has none to look at, settle, continue or abort,
    and may begin its own meanwhile. Switching the checkout's branch waits for both."""
    repo, _secret, shared = gov
    repo.create_branch("side")
    repo.as_agent("support", branch="side").update(shared, text="The refund window is 60 days")
    repo.as_agent("support").update(shared, text="The refund window is 45 days")
    assert invoke(cli, "merge", "side", "--agent", "support")[0] == 4
    saved = merge_state.state_path(repo.local_dir, "support")
    state = saved.read_bytes()
    refused = ("error: no merge or revert in progress for agent billing; another agent's is: agentmem "
               "merge --continue --agent support\n")
    for args in (("merge",), ("resolve", shared, "--take", "theirs"), ("merge", "--continue"),
                 ("merge", "--abort")):
        code, _out, err = invoke(cli, *args, "--agent", "billing")
        assert code == 3 and err == refused, (args, err)
        assert saved.read_bytes() == state
    with pytest.raises(NotFound):
        repo.as_agent("billing").resolve_conflict(shared, "theirs")
    assert invoke(cli, "merge", "side", "--agent", "billing")[0] == 4  # its own, beside support's
    assert merge_state.state_path(repo.local_dir, "billing").is_file() and saved.read_bytes() == state
    code, _out, err = invoke(cli, "switch", "side")
    assert code == 4 and "(agent billing, support;" in err and err.count("\n") == 1
    assert invoke(cli, "merge", "--abort", "--agent", "billing")[0] == 0
    assert invoke(cli, "resolve", shared, "--take", "theirs", "--agent", "support")[0] == 0
    assert invoke(cli, "merge", "--continue", "--agent", "support")[0] == 0
    assert repo.log()[0].agent == "support" and "60 days" in repo.get(shared).text
    assert not merge_state.state_paths(repo.local_dir)
    # a merge an older agentmem saved in the checkout's one MERGE.json stays its agent's
    repo.as_agent("support", branch="side").update(shared, text="The refund window is 90 days")
    repo.as_agent("support").update(shared, text="The refund window is 30 days")
    assert invoke(cli, "merge", "side", "--agent", "support")[0] == 4
    saved.rename(repo.local_dir / "MERGE.json")
    code, out, _err = invoke(cli, "merge", "--agent", "support")
    assert code == 4 and "merge by agent support: 1 conflict" in out
    code, _out, err = invoke(cli, "merge", "--continue")  # agent cli, whose file it is
    assert code == 5 and err.startswith("error: the merge in progress was begun by agent support: ")
    assert invoke(cli, "merge", "--abort", "--agent", "support")[0] == 0
    assert not merge_state.state_paths(repo.local_dir)


def test_identity_from_the_environment_on_the_command_line(gov: tuple[Repo, str, str]) -> None:
    repo, secret, _shared = gov
    env = {**os.environ, "AGENTMEM_REPO": str(repo.root), "AGENTMEM_AGENT": "billing"}
    shown = subprocess.run([sys.executable, "-m", "agentmem", "show", secret], env=env,
                           capture_output=True, text=True)  # fmt: skip
    assert shown.returncode == 3 and "hunter2" not in shown.stdout + shown.stderr
    env["AGENTMEM_AGENT"] = "support"
    shown = subprocess.run([sys.executable, "-m", "agentmem", "show", secret], env=env,
                           capture_output=True, text=True)  # fmt: skip
    assert shown.returncode == 0 and "hunter2" in shown.stdout


def test_no_policy_behaves_as_before(repo: Repo, cli: CliRunner) -> None:
    written = repo.as_agent("anyone").remember("Private note", "agent:someone-else")
    code, out, _ = invoke(cli, "show", written.id, "--agent", "stranger")
    assert code == 0 and "Private note" in out


def test_bad_policy_is_refused(repo: Repo, cli: CliRunner) -> None:
    head = repo.resolve()
    for text in ('default = "maybe"', "[agents.x]\nread = 3", "[retention]\n'run:*' = 'soon'", "[[x"):
        code, _out, err = invoke(cli, "policy", "set", "-", "--agent", "admin", input=text)
        assert code == 2 and err.count("\n") == 1, text
    assert repo.resolve() == head


def test_an_agent_the_policy_lets_read_nothing_is_told_so(gov: tuple[Repo, str, str], cli: CliRunner) -> None:
    """Under default = "deny", an agent no rule names (the CLI's default `cli` among them) sees
    an empty memory; one line on stderr says that is its rights, not lost facts. It names only
    the reader's own rights: an agent that may read something gets no such line."""
    repo, _secret, shared = gov
    assert repo.as_agent("cli").visibility().reads_nothing
    assert not repo.as_agent("billing").visibility().reads_nothing
    assert not repo.as_agent("ops-7").visibility().reads_nothing  # a glob rule names it
    for args in (("ls",), ("log",), ("search", "office", "--no-daemon"), ("ls", "--json")):
        code, out, err = invoke(cli, *args)
        assert code == 0, (args, err)
        assert shared not in out, args
        assert err.count("\n") == 1 and "the policy lets agent cli read no scope" in err, (args, err)
        code, out, err = invoke(cli, *args, "--agent", "billing")
        assert code == 0 and "read no scope" not in err, (args, err)
    code, out, err = invoke(cli, "ls", "--agent", "billing", "--json")
    assert shared in out
    # An MCP server speaking for such an agent says so once, as it starts (stdin closed: it stops).
    env = {**os.environ, "AGENTMEM_REPO": str(repo.root)}
    for agent, told in (("cli", True), ("billing", False)):
        served = subprocess.run([sys.executable, "-m", "agentmem", "serve", "--mcp", "--agent", agent],
                                env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                timeout=60)  # fmt: skip
        assert served.returncode == 0 and served.stdout == "", served.stderr
        assert ("read no scope" in served.stderr) == told, (agent, served.stderr)


def test_reads_nothing_follows_the_rules_that_name_the_agent() -> None:
    from agentmem.governance.policy import OPEN, Policy

    assert OPEN.grants_any("anyone", "write")  # no policy: everything is open
    allow = Policy.parse('default = "allow"\n[agents.x]\nwrite = ["shared"]\n')
    assert allow.grants_any("stranger", "read")  # no rule names it: the default allows
    assert not allow.grants_any("x", "read")  # x's rule lists no read pattern
    deny = Policy.parse('default = "deny"\n[agents."bot-*"]\nread = ["agent:{agent}"]\n')
    assert deny.grants_any("bot-1", "read") and not deny.grants_any("bot-1", "write")
    assert not deny.grants_any("human", "read")


def test_a_policy_change_reaches_the_branches_that_held_the_same_policy(repo: Repo, cli: CliRunner) -> None:
    """Each agent obeys the policy on its own branch: a revocation set on main must reach the
    branch an agent works on. `policy set` changes every branch that held the same policy (or
    none, for the first), names them, and leaves a branch with a policy of its own as it was."""
    private = repo.as_agent("owner").remember("Dana's pin is 4321", "user:dana").id
    repo.create_branch("billing")
    repo.create_branch("custom")
    repo.policy.set('default = "allow"\nadmins = ["admin"]\n', agent="admin")  # the first: all three
    assert repo.policy.show("billing") == repo.policy.show("custom") == repo.policy.show("main")
    own = 'default = "allow"\nadmins = ["admin", "lead"]\n'
    repo.policy.set(own, agent="admin", branch="custom")  # one branch, named
    on_billing = repo.as_agent("billing", branch="billing")
    assert on_billing.get(private).id == private
    strict = 'default = "deny"\nadmins = ["admin"]\n[agents.billing]\nread = ["shared"]\n'
    (repo.root.parent / "strict.toml").write_text(strict)
    code, out, err = invoke(cli, "policy", "set", str(repo.root.parent / "strict.toml"), "--agent", "admin")
    assert code == 0 and "held the same policy: billing" in out and "policy of their own: custom" in err
    code, out, err = invoke(cli, "policy", "set", str(repo.root.parent / "strict.toml"), "--agent", "admin")
    assert code == 0 and out == "policy unchanged\n", out  # and so on no other branch either
    with pytest.raises(NotFound):
        on_billing.get(private)
    assert repo.policy.show("billing") == strict and repo.policy.show("custom") == own


def test_a_branch_made_at_an_older_commit_is_governed_as_the_branch_it_is_made_from(
    repo: Repo, cli: CliRunner
) -> None:
    """An agent reads any commit under the governance files of its own branch. A branch made at a
    commit from before the policy or a quarantine (or fetched from elsewhere) would hold older
    files or none, so an agent could read there what is hidden from it where it works: the new
    branch starts one commit later with the files of the branch it is made from."""
    admin = repo.as_agent("admin")
    private = admin.remember("Dana's pin is 4321", "user:dana").id
    leaked = admin.remember("The vendor password is hunter2", "shared").id
    before = repo.store.resolve("main").decode()
    repo.policy.set(POLICY, agent="admin")
    repo.quarantine.add(leaked, agent="admin", reason="a secret")
    billing = repo.as_agent("billing")
    assert [f.id for f in billing.facts(at=before)] == []  # --at reads under main's files
    made = billing.create_branch("mine", before)
    assert made.commit != before and repo.store.commit(made.commit.encode()).parents == [before.encode()]
    on_mine = repo.as_agent("billing", branch="mine")
    assert [f.id for f in on_mine.facts()] == []
    for hidden in (private, leaked):
        with pytest.raises(NotFound):
            on_mine.get(hidden)
    assert repo.quarantine.list("mine") == repo.quarantine.list("main")
    assert repo.diff(before, "mine").changes == []  # no fact changed: only the governance files
    # The owner's branch too (the command line), said on stderr; a branch tip is a start as it is.
    code, _out, err = invoke(cli, "branch", "debug", "--from", before)
    assert code == 0 and "starts one commit after" in err and "policy.toml, quarantine.json" in err
    assert repo.policy.show("debug") == POLICY
    assert repo.create_branch("same", "main").commit == repo.store.resolve("main").decode()


def test_without_governance_files_a_branch_starts_where_asked(repo: Repo) -> None:
    first = repo.store.resolve("main").decode()
    repo.as_agent("planner").remember("The launch is on Monday", "shared")
    assert repo.as_agent("planner").create_branch("old", first).commit == first


def test_a_merge_that_changes_the_policy_says_so(repo: Repo, cli: CliRunner) -> None:
    """A merge or pull can bring another branch's (or another team's) policy: every agent on the
    branch obeys it from then on, so the command says so on stderr."""
    repo.policy.set(POLICY, agent="admin")
    repo.create_branch("side")
    opened = POLICY.replace('default = "deny"', 'default = "allow"')
    repo.policy.set(opened, agent="admin", branch="side")
    code, _out, err = invoke(cli, "merge", "side", "--agent", "billing")
    assert code == 5 and "may not change .agentmem/policy.toml" in err
    code, out, err = invoke(cli, "merge", "side", "--agent", "admin")
    assert code == 0 and "Fast-forward" in out and "note: this merge changed policy.toml" in err
    assert repo.policy.show() == opened
    code, _out, err = invoke(cli, "merge", "side", "--agent", "admin")
    assert code == 0 and err == ""  # up to date: nothing changed


def test_a_writer_learns_nothing_more_of_a_stored_fact_it_may_not_read(
    gov: tuple[Repo, str, str], cli: CliRunner, tmp_path
) -> None:
    """An agent that may write a scope but not read it (an inbox) wrote the text it sends, so it
    may learn that the text is stored; not who stored it, its tags or meta, nor which of them
    differ. Nor may it replace that fact by id through an import (`update` finds no such fact)."""
    repo, _secret, _shared = gov
    repo.policy.set(POLICY + '[agents.intake]\nread = ["shared"]\nwrite = ["app:inbox"]\n', agent="admin")
    text = "Dana's card ends 4242"
    stored = repo.as_agent("admin").remember(text, "app:inbox", tags=["pii"], meta={"ticket": "T-99 private"})
    before = repo.as_agent("admin").get(stored.id)
    again = repo.as_agent("intake").remember(text, "app:inbox", tags=["other"])
    assert (again.id, again.created, again.fact, again.not_applied) == (stored.id, False, None, [])
    code, out, _ = invoke(cli, "remember", text, "--scope", "app:inbox", "--agent", "intake", "--json")
    assert code == 0 and json.loads(out)["fact"] is None and "T-99" not in out and "admin" not in out
    with pytest.raises(NotFound):
        repo.as_agent("intake").update(stored.id, text="replaced")
    head = repo.resolve()
    by_id = tmp_path / "by-id.jsonl"
    by_id.write_text(json.dumps({"id": stored.id, "scope": "app:inbox", "text": "replaced by intake"}) + "\n")
    code, _out, err = invoke(cli, "import", str(by_id), "--agent", "intake")
    assert code == 2 and err == f"error: line 1: id {stored.id} is taken: choose another\n"
    same = tmp_path / "same.jsonl"
    same.write_text(json.dumps({"scope": "app:inbox", "text": text, "tags": ["other"]}) + "\n")
    code, out, _ = invoke(cli, "import", str(same), "--agent", "intake")
    assert code == 0 and "0 added, 0 replaced, 1 unchanged" in out
    assert repo.resolve() == head and repo.as_agent("admin").get(stored.id) == before
    # the same for a fact the writer's scope holds but a quarantine hides
    repo.quarantine.add(stored.id, agent="admin", reason="card number")
    assert repo.as_agent("admin").remember(text, "app:inbox").fact is None


def test_export_writes_only_the_facts_the_agent_may_read(gov: tuple[Repo, str, str], cli: CliRunner) -> None:
    """`export` reads like `ls`: an agent (--agent, AGENTMEM_AGENT) exporting "its memory" got
    every fact of every scope, quarantined ones too."""
    repo, secret, shared = gov
    leaked = repo.as_agent("support").remember("The shared vault code is 9911", "shared").id
    repo.quarantine.add(leaked, agent="admin", reason="a secret")
    code, out, _ = invoke(cli, "export", "--agent", "billing")
    assert code == 0 and [json.loads(line)["id"] for line in out.splitlines()] == [shared]
    assert "hunter2" not in out and "9911" not in out
    out_file = str(repo.root.parent / "billing.jsonl")
    code, _out, err = invoke(cli, "export", "--agent", "billing", "-s", "agent:support", "-o", out_file)
    assert code == 5 and err == "error: agent billing may not read scope agent:support\n"
    assert not list(repo.root.parent.glob("billing.jsonl*"))  # refused before a file is opened
    code, out, _ = invoke(cli, "export", "--agent", "support")
    assert code == 0 and secret in out and leaked not in out
    receipt = repo.receipts.read(agent="support")[-1]
    assert receipt.op == "export" and set(receipt.fact_ids) == {secret, shared}


def test_ref_lists_and_cat_commit_hide_subjects_of_commits_the_agent_may_not_see(
    gov: tuple[Repo, str, str], cli: CliRunner
) -> None:
    """A commit's subject quotes the fact it wrote (`remember <id>: <text>`): `log` leaves such
    commits out, and `branch`, `tag`, `reflog` and `cat-commit` showed them to every agent."""
    repo, secret, _shared = gov
    repo.as_agent("support").update(secret, text=SECRET + ", since Monday")
    repo.tag("v1")
    repo.create_branch("side")
    for args in [(verb, *json_out) for verb in ("branch", "tag", "reflog") for json_out in ((), ("--json",))]:
        code, out, _ = invoke(cli, *args, "--agent", "billing")
        assert code == 0 and "hunter2" not in out and secret not in out, args
        code, out, _ = invoke(cli, *args, "--agent", "support")
        assert code == 0 and "hunter2" in out, args
    for verb in ("cat-commit", "revert"):  # a revert's subject would quote the commit's
        code, out, err = invoke(cli, verb, "v1", "--agent", "billing")
        assert code == 5 and out == "" and "hunter2" not in err and err.count("\n") == 1
        assert err.startswith("error: agent billing may not see commit ") and "agent:support" not in err
    assert invoke(cli, "cat-commit", "v1", "--agent", "support")[0] == 0
    billing = repo.as_agent("billing")
    assert [t.subject for t in billing.tags()] == [""] and billing.reflog()[0].message == ""
    with pytest.raises(PermissionDenied):
        billing.commit_info("v1")
    # the branch a session creates (the MCP `branch` tool returns it) is listed the same way
    assert billing.create_branch("billing-side").subject == ""
    made = repo.as_agent("support").create_branch("support-side")
    assert "hunter2" in made.subject and repo.receipts.read(agent="support")[-1].op == "branch"


def test_under_a_policy_only_an_admin_resets_or_deletes_a_branch(
    gov: tuple[Repo, str, str], cli: CliRunner
) -> None:
    """A reset moves a branch to any commit, one from before its policy too, and drops other
    agents' commits; a delete drops them all. Neither makes a commit the gate would check."""
    repo, secret, _shared = gov
    before_policy = repo.log()[-1].id
    head = repo.resolve()
    for args in (("reset", "--hard", before_policy), ("reset", "HEAD~1"), ("branch", "-d", "main")):
        code, out, err = invoke(cli, *args, "--agent", "billing")
        assert code == 5 and out == "" and err.startswith("error: agent billing may not "), args
        assert repo.resolve() == head and repo.as_agent("admin").get(secret)
    repo.create_branch("side")
    with pytest.raises(PermissionDenied):
        repo.as_agent("support").delete_branch("side")
    assert invoke(cli, "branch", "-d", "side", "--agent", "admin")[0] == 0
    code, out, _ = invoke(cli, "reset", "HEAD~1", "--agent", "admin")
    assert code == 0 and "dropped 1 commit from main: 1 by support" in out


def test_a_bisection_names_a_hidden_first_bad_commit_without_its_subject(
    gov: tuple[Repo, str, str], cli: CliRunner
) -> None:
    """The first bad commit is printed with its subject and changes: for an agent that may not
    see that commit, they quote or name a fact it may not read."""
    repo, secret, _shared = gov
    repo.as_agent("support").update(secret, text=SECRET + ", since Monday")
    repo.as_agent("billing").remember("Refunds take 5 days", "shared")
    for agent in ("billing", "support"):  # each agent has its own bisection
        assert invoke(cli, "bisect", "start", "--good", "HEAD~2", "--agent", agent)[0] == 0
    code, out, _ = invoke(cli, "bisect", "bad", "HEAD~1", "--agent", "billing")
    assert code == 0 and "first bad commit" in out and "hunter2" not in out and secret not in out
    assert "may not see" in out
    code, out, _ = invoke(cli, "bisect", "status", "--json", "--agent", "billing")
    assert code == 0 and json.loads(out)["first_bad"]["changes"] == [] and "hunter2" not in out
    code, out, _ = invoke(cli, "bisect", "status", "--agent", "support")  # billing's verdict is not its
    assert code == 0 and out.startswith("test ")
    code, out, _ = invoke(cli, "bisect", "bad", "HEAD~1", "--agent", "support")
    assert code == 0 and "hunter2" in out
    assert invoke(cli, "bisect", "status", "--agent", "cli")[0] == 3  # the default agent has none
    assert invoke(cli, "bisect", "reset", "--agent", "billing")[1] == "bisection ended\n"
    code, _out, err = invoke(cli, "bisect", "status", "--agent", "billing")  # the hint names its agent
    assert code == 3 and "'agentmem bisect start --bad REF --good REF --agent billing'" in err
    assert invoke(cli, "bisect", "status", "--agent", "support")[0] == 0


def test_an_agents_bisection_through_the_python_api_is_shown_as_through_the_cli(
    gov: tuple[Repo, str, str],
) -> None:
    """The CLI hid a hidden first bad commit's subject and changes; `repo.bisect(pattern,
    agent=...)` returned them whole, the secret's id among the changes. The session's bisect
    does it now, for every interface."""
    repo, secret, _shared = gov
    with repo.as_agent("support").transaction("notes") as tx:  # one commit, both scopes
        tx.update(secret, text=SECRET + ", rotated")
        tx.remember("Refunds take 5 days", "shared")
    billing = repo.as_agent("billing", run="b-1")
    for step in (billing.bisect("Refunds"), repo.bisect("Refunds", agent="billing")):
        assert step.first_bad is not None and step.first_bad.changes == []
        assert step.first_bad.message == "" and step.first_bad.agent == "support"
    assert {c.id for c in repo.bisect("Refunds").first_bad.changes} >= {secret}  # the owner's
    with pytest.raises(PermissionDenied, match="may not read scope agent:support"):
        billing.bisect("hunter2", scope="agent:support")
    with pytest.raises(NotFound):  # the secret matches nowhere billing may look
        billing.bisect("hunter2")
    found = repo.as_agent("support").bisect("5 days")  # a first bad commit it may see: its
    assert found.first_bad is not None and "notes" in found.first_bad.message  # subject shown
    quoted = billing.remember("Refund window: 14 days").id
    step = billing.bisect("14 days")
    assert step.first_bad is not None and quoted in step.first_bad.message
    receipt = repo.receipts.read(agent="billing")[-1]  # its subject quotes the fact's text
    assert receipt.op == "commit" and receipt.fact_ids == [quoted] and receipt.run == "b-1"


def test_a_merge_refused_for_changes_in_a_hidden_scope_does_not_name_it(
    gov: tuple[Repo, str, str], cli: CliRunner
) -> None:
    """billing's log hides support's commits in `user:dana`; the gate's refusal of a merge that
    brings them must not name that scope either. A scope it may read is named as before."""
    repo, _secret, _shared = gov
    repo.create_branch("side")
    repo.as_agent("support", branch="side").remember("Dana's PIN is 4242", "user:dana")
    head = repo.store.resolve("main")
    code, _out, err = invoke(cli, "merge", "side", "--agent", "billing")
    assert code == 5 and "dana" not in err and err.count("\n") == 1
    assert "changes facts agent billing may not see" in err
    repo.create_branch("open", "main")
    repo.as_agent("support", branch="open").remember("Side note", "shared")
    code, _out, err = invoke(cli, "merge", "open", "--agent", "ops-1")  # reads shared, writes nothing
    assert code == 5 and "agent ops-1 may not write scope shared" in err
    assert repo.store.resolve("main") == head


def test_a_restricted_agent_lists_its_scopes_in_the_owners_order(gov: tuple[Repo, str, str]) -> None:
    """Its list reads only the scopes it may read, one by one, in the order of the whole list."""
    repo, _secret, _shared = gov
    for scope in ("user:a-b", "user:a", "user:a0", "app:x", "agent:support"):
        repo.as_agent("admin").remember(f"a fact in {scope}", scope)
    expected = [f.id for f in repo.facts() if f.scope != "app:x"]
    assert [f.id for f in repo.as_agent("support").facts()] == expected
