"""The CLI for issue 2: writes, reads, staging, import, and one-line errors with exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentmem import Repo
from conftest import fsck, invoke


def test_remember_show_ls_log(repo: Repo, cli: CliRunner) -> None:
    code, out, _ = invoke(cli, "remember", "Alice likes [email]", "--scope", "user:alice",
                          "--agent", "support", "--run", "r7", "--trace", "t-1", "-t", "pref")  # fmt: skip
    assert code == 0
    fact_id = out.strip()
    code, out, _ = invoke(cli, "show", fact_id)
    assert code == 0 and "Alice likes [email]" in out and 'scope: "user:alice"' in out
    code, out, _ = invoke(cli, "show", fact_id, "--json")
    shown = json.loads(out)
    assert shown["agent"] == "support" and shown["commit"] == repo.resolve()
    code, out, _ = invoke(cli, "ls", "--json", "--scope", "user:alice")
    assert [f["id"] for f in json.loads(out)] == [fact_id]
    code, out, _ = invoke(cli, "ls")
    assert code == 0 and fact_id in out
    code, out, _ = invoke(cli, "log", "--json", "-n", "1")
    entry = json.loads(out)[0]
    assert (entry["agent"], entry["run"], entry["trace"]) == ("support", "r7", "t-1")
    code, out, _ = invoke(cli, "log", fact_id)
    assert code == 0 and "support" in out
    code, out, _ = invoke(cli, "cat-commit", "HEAD", "--json")
    assert json.loads(out)["changes"][0]["id"] == fact_id
    code, out, _ = invoke(cli, "cat-commit")
    assert code == 0 and "agent  support" in out


def test_update_and_forget(repo: Repo, cli: CliRunner) -> None:
    fact_id = repo.remember("v1", agent="a").id
    code, out, _ = invoke(cli, "update", fact_id, "--text", "v2", "--meta", '{"k": 1}')
    assert code == 0 and "updated" in out
    assert repo.get(fact_id).meta == {"k": 1}
    code, out, _ = invoke(cli, "forget", fact_id, "-m", "wrong")
    assert code == 0
    assert repo.log(n=1)[0].message == "wrong"


def test_stage_then_commit_atomically(repo: Repo, cli: CliRunner) -> None:
    keep = repo.remember("keep", agent="a").id
    head = repo.resolve()
    # each add names what it staged and how many writes the agent's commit will take
    code, out, _ = invoke(cli, "add", "one", "--agent", "planner")
    assert (code, out) == (0, "staged remember one (1 write staged for 'agentmem commit --agent planner')\n")
    code, out, _ = invoke(cli, "add", "two", "--scope", "agent:planner", "--id", "plan-2", "-a", "planner")
    assert out == "staged remember plan-2 (2 writes staged for 'agentmem commit --agent planner')\n"
    code, out, _ = invoke(cli, "add", "--update", keep, "keep, edited", "--agent", "planner")
    assert code == 0 and out.startswith(f"staged update {keep} (3 writes")
    code, out, _ = invoke(cli, "status", "--json", "--agent", "planner")
    assert len(json.loads(out)["staged"]) == 3
    assert repo.resolve() == head  # staging writes no commit
    code, out, _ = invoke(cli, "commit", "-m", "three at once", "--agent", "planner")
    assert code == 0 and "+2 ~1" in out
    assert len(repo.log()) == 3 and repo.get("plan-2").scope == "agent:planner"
    assert repo.staged("planner") == []
    code, _, err = invoke(cli, "commit", "-m", "again", "--agent", "planner")
    assert code == 2 and "nothing staged by agent planner: use 'agentmem add --agent planner'" in err


def test_each_agent_commits_what_it_staged(repo: Repo, cli: CliRunner) -> None:
    """One folder, two agents staging: a commit took the whole stage under the committer's name
    (support's fact recorded as billing's), and under a policy support's write in a scope billing
    may not write refused billing's commit of its own. Each agent now has its own stage."""
    policy = ('default = "deny"\nadmins = ["admin"]\n[agents.support]\nread = ["*"]\n'
              'write = ["shared", "user:*"]\n[agents.billing]\nread = ["shared"]\nwrite = ["shared"]\n')
    repo.policy.set(policy, agent="admin")
    assert invoke(cli, "add", "Dana's PIN is 4242", "--scope", "user:dana", "--agent", "support")[0] == 0
    assert invoke(cli, "add", "Invoices go out on the 1st", "--agent", "billing")[0] == 0
    code, out, _ = invoke(cli, "status", "--agent", "billing")
    assert code == 0 and "Invoices go out" in out and "PIN is 4242" not in out and "1 by support" in out
    code, out, _ = invoke(cli, "status", "--json", "--agent", "billing")
    assert json.loads(out)["staged_by_others"] == {"support": 1}
    code, _out, err = invoke(cli, "commit", "--agent", "planner")  # staged nothing: says who did
    assert code == 2 and err.count("\n") == 1 and "nothing staged by agent planner" in err
    assert "1 by billing, 1 by support" in err and "PIN is 4242" not in err
    code, out, err = invoke(cli, "commit", "--agent", "billing", "--json")
    assert code == 0, err
    assert [repo.get(i).agent for i in json.loads(out)["added"]] == ["billing"]
    assert [op.text for op in repo.staged("support")] == ["Dana's PIN is 4242"]  # still support's
    assert invoke(cli, "unstage", "--agent", "billing")[1].startswith("dropped 0")
    code, out, _ = invoke(cli, "commit", "--agent", "support", "--json")
    assert code == 0 and [repo.get(i).agent for i in json.loads(out)["added"]] == ["support"]
    assert repo.staging_agents() == []
    code, _out, err = invoke(cli, "add", "x", "--agent", "../up")
    assert code == 2 and err.count("\n") == 1 and not (repo.local_dir / "up").exists()


def test_a_failing_commit_keeps_the_stage(repo: Repo, cli: CliRunner) -> None:
    invoke(cli, "add", "fine")
    invoke(cli, "add", "--forget", "does-not-exist")
    head = repo.resolve()
    code, _, err = invoke(cli, "commit", "-m", "x")
    assert code == 3 and err.count("\n") == 1
    assert repo.resolve() == head and len(repo.staged()) == 2
    assert invoke(cli, "unstage")[0] == 0 and repo.staged() == []


def test_import_jsonl_in_one_commit(repo: Repo, cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "facts.jsonl"
    path.write_text("\n".join(json.dumps({"text": f"fact {i}", "scope": "shared"}) for i in range(300)))
    code, out, _ = invoke(cli, "import", str(path), "--agent", "loader")
    assert code == 0 and "300 added" in out
    assert len(repo.facts()) == 300 and len(repo.log()) == 2
    code, out, _ = invoke(cli, "import", "-", "--json", input='{"text": "from stdin"}\n')
    assert len(json.loads(out)["added"]) == 1
    fsck(repo)


@pytest.mark.parametrize(
    "args,code,needle",
    [
        (["show", "../etc/passwd"], 2, "invalid fact id"),
        (["show", "nope"], 3, "no fact nope"),
        (["ls", "--at", "no-such-branch"], 3, "unknown ref"),
        (["ls", "--scope", "agent:../x"], 2, "invalid scope"),
        (["remember", "x", "--scope", "bogus"], 2, "invalid scope"),
        (["remember", "x", "--agent", "Bad Agent"], 2, "invalid agent"),
        (["remember", "x", "--meta", "{not json"], 2, "--meta is not JSON"),
        (["remember", "x", "--derived-from", "../y"], 2, "invalid fact id"),
        (["remember", "   "], 2, "empty"),
        (["update", "missing", "--text", "x"], 3, "no fact missing"),
        (["forget", "a/b"], 2, "invalid fact id"),
        (["log", "-n", "-3"], 2, "-n"),
        (["cat-commit", "deadbeef"], 3, "unknown ref"),
        (["import", "/no/such/file"], 2, "no such file"),
        (["import", "/"], 2, "/ is a folder, not a file"),
        (["policy", "set", "/"], 2, "/ is a folder, not a file"),
        (["policy", "set", "/no/such/file"], 2, "no such file"),
        (["add"], 2, "give TEXT"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(
    repo: Repo, cli: CliRunner, args: list[str], code: int, needle: str
) -> None:
    repo.remember("existing", agent="a")
    head = repo.resolve()
    got, _, err = invoke(cli, *args)
    assert got == code, err
    assert needle in err and err.startswith("error: ") and err.count("\n") == 1
    assert repo.resolve() == head


def test_huge_payload_and_bad_import_store_nothing(repo: Repo, cli: CliRunner, tmp_path: Path) -> None:
    head = repo.resolve()
    code, _, err = invoke(cli, "remember", "-", input="x" * (1024 * 1024))
    assert code == 2 and "KiB" in err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\n{"text": broken\n')
    code, _, err = invoke(cli, "import", str(bad))
    assert code == 2 and "line 2" in err
    binary = tmp_path / "policy.toml"
    binary.write_bytes(b'default = "allow"\n# \xff\n')  # not UTF-8: a one-line error, not a bug (exit 70)
    code, _, err = invoke(cli, "policy", "set", str(binary))
    assert code == 2 and err == f"error: {binary} is not UTF-8 text (byte 21)\n", err
    code, _, err = invoke(cli, "policy", "set", "-", input=binary.read_bytes())
    assert code == 2 and err == "error: standard input is not UTF-8 text (byte 21)\n", err
    assert repo.resolve() == head


def test_outside_a_repository_exits_6(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "agentmem", "log"], cwd=tmp_path, capture_output=True, text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 6
    assert result.stderr.startswith("error: not inside an agentmem repository")
    assert "Traceback" not in result.stderr


def test_init_command(tmp_path: Path) -> None:
    runner = CliRunner()
    code, _out, _ = invoke(runner, "init", str(tmp_path / "m"))
    assert code == 0 and (tmp_path / "m" / ".git").is_dir()
    code, _, err = invoke(runner, "init", str(tmp_path / "m"))
    assert code == 2 and "already holds a repository" in err


def test_help_lists_the_commands() -> None:
    _code, out, _ = invoke(CliRunner(), "--help")
    for command in ("init", "remember", "add", "commit", "import", "show", "ls", "log", "cat-commit"):
        assert command in out


def test_a_file_system_refusal_is_one_line_not_a_traceback(repo: Repo) -> None:
    """Anything the command line did not expect is one line on stderr too: a file where the read
    receipts' folder belongs stops `ls` with exit 1; --debug adds the traceback."""
    repo.remember("The office opens at 9", agent="planner")
    reads = repo.local_dir / "reads"
    if reads.exists():
        for child in reads.iterdir():
            child.unlink()
        reads.rmdir()
    reads.write_text("in the way")
    run = [sys.executable, "-m", "agentmem", "-C", str(repo.root)]
    done = subprocess.run([*run, "ls"], capture_output=True, text=True)
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("error: ") and "reads" in done.stderr
    debug = subprocess.run([*run, "--debug", "ls"], capture_output=True, text=True)
    assert debug.returncode == 1 and "Traceback" in debug.stderr
