"""Human output that is safe and reads well in a pipe and at scale (issue 11 items 8, 11, 12;
issue 12 item 8): terminal escapes in stored content are shown, never obeyed; tables in a pipe
are tab-separated full lines; `ls` pages; `log --oneline` and `--scope`; nothing is cut
mid-word; `--debug` keeps exit codes; a bad setting is a one-line error."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentmem import Repo
from conftest import AGENTMEM, git, invoke
from test_search import use_fake_model

EVIL = "\x1b]0;pwned\x07\x1b[2J\u202eevil\x9b31m"
SHOWN = "\\x1b]0;pwned\\x07\\x1b[2J\\u202eevil\\x9b31m"
RAW = ("\x1b", "\x07", "\u202e", "\x9b")


def _hostile(repo: Repo) -> str:
    """A commit made with plain git, as a pull would bring it: a fact whose text, a commit
    subject and an agent name carry terminal escapes. Returns the fact id."""
    fact = repo.remember("The office wifi is MARKER on floor two", agent="a")
    path = next(p for p in git(repo, "ls-tree", "-r", "--name-only", "HEAD").split() if fact.id in p)
    text = git(repo, "show", f"HEAD:{path}").replace("MARKER", EVIL)
    blob = subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=repo.root, input=text,
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    env = {**os.environ, "GIT_INDEX_FILE": str(repo.root / ".git" / "tmp-index"),
           "GIT_AUTHOR_NAME": "x", "GIT_AUTHOR_EMAIL": "x@x", "GIT_COMMITTER_NAME": "x",
           "GIT_COMMITTER_EMAIL": "x@x"}  # fmt: skip

    def run(*args: str, stdin: str | None = None) -> str:
        return subprocess.run(["git", *args], cwd=repo.root, env=env, input=stdin, text=True,
                              capture_output=True, check=True).stdout.strip()  # fmt: skip

    run("read-tree", "HEAD")
    run("update-index", "--cacheinfo", f"100644,{blob},{path}")
    tree = run("write-tree")
    message = f"edit {EVIL} subject\n\n{EVIL} body line\n\nAgentmem-Agent: agent{EVIL}\n"
    commit = run("commit-tree", tree, "-p", "HEAD", stdin=message)
    run("update-ref", "refs/heads/main", commit)
    return fact.id


def _safe(out: str) -> None:
    assert not any(char in out for char in RAW), repr(out)
    assert SHOWN in out, out


def test_escapes_in_stored_content_are_shown_not_obeyed(repo: Repo, cli: CliRunner) -> None:
    fact_id = _hostile(repo)
    for args in (["ls"], ["show", fact_id], ["log"], ["log", "--oneline"], ["log", fact_id],
                 ["blame", fact_id], ["diff"], ["cat-commit"]):  # fmt: skip
        code, out, err = invoke(cli, *args)
        assert code == 0, (args, err)
        _safe(out)
    code, out, _ = invoke(cli, "show", fact_id, "--json")
    assert EVIL in json.loads(out)["text"]  # JSON stays exact
    code, out, _ = invoke(cli, "log", "--json", "-n", "1")
    assert EVIL in json.loads(out)[0]["message"]


def test_search_output_is_escaped_and_its_score_labelled(repo: Repo, cli: CliRunner) -> None:
    use_fake_model(repo)
    _hostile(repo)
    code, out, err = invoke(cli, "search", "office wifi floor", "--no-daemon", "--mode", "keyword")
    assert code == 0, err
    _safe(out)
    assert "rank score" in out and "BM25" in err and "not a similarity" in err
    code, out, err = invoke(cli, "search", "office wifi floor", "--no-daemon", "--mode", "vector")
    assert code == 0 and "cosine similarity" in err and "fused" not in err, err
    code, out, err = invoke(cli, "search", "office wifi floor", "--no-daemon")
    assert code == 0 and "fused" in err, err
    assert out.startswith("1 result at ") or "\n1 result at " in out, out  # not "1 results"


def test_a_terminal_sees_the_escapes_too(repo: Repo) -> None:
    """The rich table path, through a real pseudo-terminal."""
    fact_id = _hostile(repo)
    for args in (["ls"], ["show", fact_id], ["log"]):
        leader, follower = pty.openpty()
        env = {**os.environ, "AGENTMEM_REPO": str(repo.root), "COLUMNS": "200", "TERM": "xterm"}
        process = subprocess.Popen([*AGENTMEM, *args], stdin=follower, stdout=follower,
                                   stderr=follower, env=env)  # fmt: skip
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert process.wait(timeout=60) == 0
        os.close(leader)
        out = b"".join(chunks).decode("utf-8", "replace")
        assert "pwned\x07" not in out and "\x1b[2J" not in out and "\u202e" not in out
        assert "\\x1b]0;pwned\\x07" in out.replace("\r\n", "\n").replace("\n", "")


def test_tables_in_a_pipe_are_full_tab_separated_lines(repo: Repo, cli: CliRunner) -> None:
    long_text = " ".join(f"word{n}" for n in range(60))  # far wider than 80 columns
    fact = repo.remember(long_text, agent="a")
    code, out, _ = invoke(cli, "ls")
    assert code == 0
    lines = out.splitlines()
    assert lines[1].split("\t") == ["id", "scope", "kind", "agent", "updated", "text"]
    row = next(line.split("\t") for line in lines if line.startswith(fact.id))
    assert row[-1] == long_text[:69] + "..."  # the summary, on one line
    _code, out, _ = invoke(cli, "log", "--oneline")
    head = repo.log(n=1)[0]
    assert out.splitlines()[0] == f"{head.id[:12]} {head.subject}" and len(out.splitlines()) == 2


def test_ls_shows_a_bounded_sorted_page_and_says_what_it_left_out(repo: Repo, cli: CliRunner) -> None:
    with repo.transaction(agent="a") as tx:
        for number in range(60):
            tx.remember(f"fact number {number}", "shared")
    code, out, err = invoke(cli, "ls")
    rows = [line for line in out.splitlines()[2:] if line]
    assert code == 0 and len(rows) == 50 and "10 more not shown" in err
    updated = [row.split("\t")[4] for row in rows]
    assert updated == sorted(updated, reverse=True)  # newest change first
    code, out, err = invoke(cli, "ls", "-n", "5")
    assert len(out.splitlines()) == 2 + 5 and "55 more" in err
    code, out, err = invoke(cli, "ls", "--all")
    assert len(out.splitlines()) == 2 + 60 and err == ""
    code, out, _ = invoke(cli, "ls", "--json")
    assert len(json.loads(out)) == 60


def test_log_scope_lists_only_commits_that_touched_it(repo: Repo, cli: CliRunner) -> None:
    alice = repo.remember("Alice likes tea", "user:alice", agent="a").commit
    repo.remember("Shared thing", agent="a")
    bob = repo.remember("Bob likes coffee", "user:bob", agent="a").commit
    edit = repo.update(repo.facts("user:alice")[0].id, agent="a", text="Alice likes green tea").commit
    assert [c.id for c in repo.log(scope="user:alice")] == [edit, alice]
    assert [c.id for c in repo.log(scope="user:bob")] == [bob]
    code, out, _ = invoke(cli, "log", "--scope", "user:alice", "--json")
    assert code == 0 and [c["id"] for c in json.loads(out)] == [edit, alice]
    assert all(ch["scope"] == "user:alice" for c in json.loads(out) for ch in c["changes"])
    code, out, err = invoke(cli, "log", "--scope", "user:../x")
    assert code == 2 and out == "" and err.startswith("error: ") and err.count("\n") == 1


def test_merge_conflicts_show_both_full_texts(repo: Repo, cli: CliRunner) -> None:
    base = repo.remember("The deploy window is short", agent="a", id="window")
    repo.create_branch("side")
    ours = "The deploy window is Tuesday 14:00 to 16:00 UTC, announced in the ops channel first"
    theirs = "The deploy window moved to Thursday mornings after the incident review of last month"
    repo.update(base.id, agent="a", text=ours)
    repo.switch("side")
    repo.update(base.id, agent="b", text=theirs)
    repo.switch("main")
    code, out, _ = invoke(cli, "merge", "side")
    assert code == 4 and ours in out and theirs in out


def test_blame_never_cuts_a_message(repo: Repo, cli: CliRunner) -> None:
    text = "A fact whose first line is much longer than seventy characters, so that it used to be cut"
    message = "A commit subject that is longer than sixty characters and was cut mid-word before"
    fact = repo.remember(text, agent="a", message=message)
    code, out, _ = invoke(cli, "blame", fact.id)
    assert code == 0 and text in out and message in out


def test_debug_keeps_the_exit_code(repo: Repo) -> None:
    env = {**os.environ, "AGENTMEM_REPO": str(repo.root)}
    plain = subprocess.run([*AGENTMEM, "show", "nosuchfact"], capture_output=True, text=True, env=env)
    debug = subprocess.run([*AGENTMEM, "--debug", "show", "nosuchfact"], capture_output=True, text=True,
                           env=env)  # fmt: skip
    assert plain.returncode == debug.returncode == 3
    assert "Traceback" not in plain.stderr and plain.stderr.count("\n") == 1
    assert "Traceback" in debug.stderr and debug.stderr.rstrip().endswith(plain.stderr.strip())


@pytest.mark.parametrize("line", ['daemon = "no"', "daemon = 0", 'daemon = "false"'])
def test_a_setting_of_the_wrong_type_is_a_one_line_error(repo: Repo, line: str, tmp_path: Path) -> None:
    config = repo.local_dir / "config"
    config.write_text(re.sub(r"daemon = (true|false)", line, config.read_text()))
    result = subprocess.run([*AGENTMEM, "-C", str(repo.root), "log"], capture_output=True, text=True)
    assert result.returncode == 2 and "search.daemon" in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_dedupe_shows_texts_and_takes_n(repo: Repo, cli: CliRunner) -> None:
    use_fake_model(repo)
    for number in range(3):
        repo.remember(f"Alice prefers email {'!' * (number + 1)}", "user:alice", agent="a")
    code, out, _ = invoke(cli, "dedupe", "-s", "user:alice", "--no-daemon", "--json", "--threshold", "0.5")
    pairs = json.loads(out)["pairs"]
    assert code == 0 and len(pairs) >= 2
    code, out, err = invoke(cli, "dedupe", "-s", "user:alice", "--no-daemon", "--threshold", "0.5",
                            "-n", "1")  # fmt: skip
    rows = out.splitlines()[2:]
    assert code == 0 and len(rows) == 1 and "Alice prefers email" in rows[0]
    assert f"{len(pairs) - 1} more pairs not shown" in err


def test_version_and_help_value_names() -> None:
    result = subprocess.run([*AGENTMEM, "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("agentmem ")
    result = subprocess.run([*AGENTMEM, "remember", "--help"], capture_output=True, text=True,
                            env={**os.environ, "COLUMNS": "200"})  # fmt: skip
    assert "<list[str]>" not in result.stdout and "TAG" in result.stdout


def test_ls_counts_one_fact_in_the_singular(repo: Repo, cli: CliRunner) -> None:
    repo.remember("The office opens at 9", agent="planner")
    code, out, _err = invoke(cli, "ls")
    assert code == 0 and "1 fact at " in out and "1 facts" not in out, out


def test_a_reader_that_stops_reading_ends_the_command_quietly(repo: Repo) -> None:
    """`agentmem log | head -1`: when the reader has gone, the command ends with 141 (a command
    killed by SIGPIPE, as git) and says nothing; it printed "error: [Errno 32] Broken pipe"."""
    repo.remember("The nightly export runs at 02:00", agent="w")
    for args in (["ls"], ["ls", "--json"], ["log"], ["log", "--json"]):
        read_end, write_end = os.pipe()
        os.close(read_end)  # the reader is gone before the first write
        done = subprocess.run([*AGENTMEM, "-C", str(repo.root), *args], stdout=write_end,
                              stderr=subprocess.PIPE, check=False)  # fmt: skip
        os.close(write_end)
        assert (done.returncode, done.stderr) == (141, b""), args


def test_plural_of_words_ending_in_y() -> None:
    from agentmem.cli.output import plural

    assert [plural(1, "text"), plural(2, "text"), plural(1, "repository"), plural(2, "repository"),
            plural(0, "key"), plural(3, "entry")] == [
        "1 text", "2 texts", "1 repository", "2 repositories", "0 keys", "3 entries"]  # fmt: skip


def test_what_the_file_system_refuses_is_one_short_line(repo: Repo, cli: CliRunner) -> None:
    """An OSError exits 1 with its reason and path as a person reads them; it printed
    "error: [Errno 36] File name too long: 'xxxx...'" with all 5,000 characters of the name."""
    head = repo.resolve()
    code, out, err = invoke(cli, "import", "x" * 5000)
    assert code == 1 and out == ""
    assert re.fullmatch(r"error: file name too long: x{60}\.\.\.x{40} \(5000 characters\)\n", err), err
    code, _, err = invoke(cli, "export", "-o", str(repo.root / "missing" / "out.jsonl"))
    assert code == 1
    assert err == f"error: no such file or directory: {repo.root / 'missing' / 'out.jsonl.partial'}\n"
    assert repo.resolve() == head
