"""Bad values are one-line errors that change nothing; honest no-ops; the small write-side things
(issue 11 items 5, 7, 12; issue 12 items 8, 9)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentmem import Fact, InvalidInput, NotFound, Repo
from agentmem.fact import parse_expiry
from conftest import AGENTMEM, fsck, invoke

ROOT = Path(__file__).resolve().parent.parent


def _refused(cli: CliRunner, repo: Repo, *args: str, code: int = 2, needle: str = "",
             input: str | None = None) -> str:  # fmt: skip
    head = repo.resolve()
    got, out, err = invoke(cli, *args, input=input)
    assert got == code, (args, out, err)
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert needle in err, err
    assert repo.resolve() == head
    return err


@pytest.mark.parametrize(
    "meta,needle",
    [
        ("[1,2]", "must be a JSON object"),
        ('"s"', "must be a JSON object"),
        ("3", "must be a JSON object"),
        ('{"a": NaN}', "NaN"),
        ('{"a": Infinity}', "Infinity"),
        ('{"a": -Infinity}', "Infinity"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"a": ' * 40 + "1" + "}" * 40, "nested more than 32"),
        ('{"a": 9223372036854775808}', "64-bit"),
    ],
    ids=lambda v: v[:20],
)
def test_meta_that_is_not_a_finite_json_object_is_one_line(
    repo: Repo, cli: CliRunner, meta: str, needle: str
) -> None:
    _refused(cli, repo, "remember", "x", "--meta", meta, needle=needle)


def test_nan_and_infinity_are_refused_everywhere_facts_are_validated(repo: Repo, cli: CliRunner) -> None:
    for bad in (float("nan"), float("inf"), -float("inf")):
        with pytest.raises(InvalidInput, match="NaN or Infinity"):
            repo.remember("x", agent="a", meta={"deep": [1, {"v": bad}]})
    repo.remember("ok", agent="a", id="f")
    with pytest.raises(InvalidInput):
        repo.update("f", agent="a", meta={"v": float("nan")})
    with pytest.raises(InvalidInput), repo.transaction(agent="a") as tx:
        tx.put(Fact(id="g", text="t", meta={"v": float("nan")}))
    code, out, _ = invoke(cli, "ls", "--json")
    assert code == 0 and json.loads(out)  # every --json output stays valid JSON
    code, out, _ = invoke(cli, "show", "f", "--json")
    assert json.loads(out)["id"] == "f"


def test_deep_meta_through_the_api_is_refused_without_recursion_error(repo: Repo) -> None:
    deep: object = 1
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(InvalidInput, match="nested more than 32"):
        repo.remember("x", agent="a", meta={"d": deep})


@pytest.mark.parametrize(
    "fields",
    [{"text": "lone \ud800"}, {"meta": {"a": "\udcff"}}, {"meta": {"\udcff": 1}},
     {"source": "s\ud800"}],
    ids=["text", "meta-value", "meta-key", "source"],
)
def test_lone_surrogates_are_refused(repo: Repo, fields: dict[str, object]) -> None:
    text = str(fields.pop("text", "ok"))
    with pytest.raises(InvalidInput, match="UTF-8"):
        repo.remember(text, agent="a", **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "argv",
    [[b"remember", b"caf\xe9"], [b"search", b"q\xff"], [b"ls", b"--scope", b"user:\xff"],
     [b"remember", b"x", b"--meta", b'{"a": "\xff"}']],
    ids=["remember", "search", "scope", "meta"],
)
def test_arguments_that_are_not_utf8_are_one_line_errors(repo: Repo, argv: list[bytes]) -> None:
    env = {**os.environ, "AGENTMEM_REPO": str(repo.root), "LC_ALL": "C.UTF-8"}
    done = subprocess.run([a.encode() for a in AGENTMEM] + argv, capture_output=True, env=env,
                          timeout=60)  # fmt: skip
    err = done.stderr.decode()
    assert done.returncode == 2 and err.startswith("error: ") and err.count("\n") == 1, err
    assert "not valid UTF-8" in err and repo.facts() == []


def test_stdin_that_is_not_utf8_is_one_line(repo: Repo) -> None:
    env = {**os.environ, "AGENTMEM_REPO": str(repo.root)}
    for args in (["remember", "-"], ["add", "-"], ["import", "-"]):
        done = subprocess.run([*AGENTMEM, *args], input=b'{"text": "caf\xe9"}\n', capture_output=True,
                              env=env, timeout=60)  # fmt: skip
        err = done.stderr.decode()
        assert done.returncode == 2 and err.count("\n") == 1 and "not valid UTF-8" in err, (args, err)
    assert repo.facts() == [] and repo.staged() == []


def test_expires_takes_a_time_a_date_or_a_duration(repo: Repo, cli: CliRunner) -> None:
    now = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert parse_expiry("2026-12-01", now) == "2026-12-01T00:00:00.000Z"
    assert parse_expiry("2026-12-01T10:00:00+02:00", now) == "2026-12-01T08:00:00.000Z"
    assert parse_expiry("7d", now) == "2026-03-11T05:06:07.000Z"
    assert parse_expiry("12h", now) == "2026-03-04T17:06:07.000Z"
    assert parse_expiry("30m", now) == "2026-03-04T05:36:07.000Z"
    assert parse_expiry("45s", now) == "2026-03-04T05:06:52.000Z"
    code, out, err = invoke(cli, "remember", "soon gone", "--expires", "7d", "--json")
    assert code == 0, err
    stored = datetime.fromisoformat(json.loads(out)["fact"]["expires_at"].replace("Z", "+00:00"))
    assert abs(stored - (datetime.now(UTC) + timedelta(days=7))) < timedelta(minutes=5)
    code, out, _ = invoke(cli, "remember", "dated", "--expires", "2030-01-02", "--json")
    assert json.loads(out)["fact"]["expires_at"] == "2030-01-02T00:00:00.000Z"


@pytest.mark.parametrize(
    "value",
    ["999999999d", "9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00", "2026-02-30", "7y",
     "tomorrow", "2026-01-01T00:00:00"],
)
def test_bad_or_overflowing_expiry_is_one_line(repo: Repo, cli: CliRunner, value: str) -> None:
    _refused(cli, repo, "remember", "x", "--expires", value, needle="expir")


@pytest.mark.parametrize("char", ["\x01", "\x1b", "\r", "\x7f", "\x85", "\x00"], ids=repr)
def test_control_characters_in_text_are_refused(repo: Repo, cli: CliRunner, char: str) -> None:
    with pytest.raises(InvalidInput, match="control character"):
        repo.remember(f"bad{char}text", agent="a")
    _refused(cli, repo, "remember", "-", input=f"a{char}b", needle="control character")


def test_tab_and_newline_stay_allowed(repo: Repo) -> None:
    written = repo.remember("line one\n\tindented", agent="a")
    assert repo.get(written.id).text == "line one\n\tindented"


@pytest.mark.parametrize("message", ["nul\0inside", "escape \x1b]0;pwned\x07", "cr\rhidden"], ids=repr)
def test_commit_messages_with_nul_or_controls_are_refused_and_fsck_stays_clean(
    repo: Repo, cli: CliRunner, message: str
) -> None:
    head = repo.resolve()
    with pytest.raises(InvalidInput, match="commit message"):
        repo.remember("x", agent="a", message=message)
    with pytest.raises(InvalidInput, match="commit message"), repo.transaction(agent="a", message=message):
        pass
    repo.create_branch("side")
    with pytest.raises(InvalidInput, match="commit message"):  # merges and reverts too
        repo.merge("side", message=message)
    with pytest.raises(InvalidInput, match="commit message"):
        repo.revert("HEAD", message=message)
    assert repo.resolve() == head
    _refused(cli, repo, "remember", "y", "-m", message.replace("\0", "\x01"), needle="commit message")
    repo.remember("multi-line\n\tmessages stay fine", agent="a", message="subject\n\n\tbody")
    fsck(repo)


def test_run_and_trace_are_checked_even_when_no_fact_carries_them(repo: Repo) -> None:
    repo.remember("x", agent="a", id="f")
    with pytest.raises(InvalidInput, match="run id"):
        repo.forget("f", agent="a", run="r1\nAgentmem-Agent: forged")
    assert repo.get("f").text == "x"


@pytest.mark.parametrize("name", ["tags", "derived_from"])
def test_a_string_where_a_list_belongs_is_an_error(repo: Repo, name: str) -> None:
    repo.remember("abc", agent="a", id="abc")
    with pytest.raises(InvalidInput, match=f"{name} must be a list"):
        repo.remember("x", agent="a", **{name: "abc"})
    with pytest.raises(InvalidInput, match=f"{name} must be a list"):
        repo.update("abc", agent="a", **{name: "abc"})
    with pytest.raises(InvalidInput, match=f"{name} must be a list"):
        repo.import_facts([{"text": "y", name: "abc"}], agent="a")
    assert [f.id for f in repo.facts()] == ["abc"] and repo.get("abc").tags == ()


# -- honest no-ops (issue 11 item 7) ---------------------------------------------------------


def test_remembering_stored_text_says_so_and_names_what_was_not_applied(
    repo: Repo, cli: CliRunner
) -> None:
    first = repo.remember("Alice prefers email", agent="a")
    head = repo.resolve()
    again = repo.remember("Alice prefers email", agent="b", tags=["pref"], kind="preference")
    assert (again.id, again.commit, again.created) == (first.id, None, False)
    assert again.not_applied == ["kind", "tags"] and again.fact == repo.get(first.id)
    code, out, err = invoke(cli, "remember", "Alice prefers email", "-t", "pref")
    assert code == 0 and out.strip() == first.id  # stdout: the id, for scripts
    assert f"already stored as {first.id}; nothing changed" in err and "not applied: tags" in err
    code, out, err = invoke(cli, "remember", "Alice prefers email")
    assert err.strip() == f"already stored as {first.id}; nothing changed"
    assert repo.resolve() == head


def test_every_field_is_validated_before_the_dedupe_shortcut(repo: Repo, cli: CliRunner) -> None:
    repo.remember("exists", agent="a")
    _refused(cli, repo, "remember", "exists", "--kind", "bad kind", needle="invalid kind")
    _refused(cli, repo, "remember", "exists", "--tag", "no spaces", needle="invalid tag")
    _refused(cli, repo, "remember", "exists", "--expires", "never", needle="expiry")
    _refused(cli, repo, "remember", "exists", "--meta", "[1]", needle="JSON object")


def test_derived_from_a_fact_that_does_not_exist_is_not_found(repo: Repo, cli: CliRunner) -> None:
    repo.remember("source", agent="a", id="src")
    _refused(cli, repo, "remember", "derived", "-d", "ghost", code=3, needle="ghost")
    _refused(cli, repo, "remember", "source", "-d", "ghost", code=3, needle="ghost")  # text exists
    repo.remember("derived", agent="a", id="d", derived_from=["src"])
    with pytest.raises(NotFound, match="ghost"):
        repo.update("d", agent="a", derived_from=["src", "ghost"])
    with repo.transaction(agent="a") as tx:  # a source written in the same transaction counts
        tx.remember("new source", id="fresh")
        tx.remember("uses it", derived_from=["fresh"])


# -- small things (issue 11 item 12) ------------------------------------------------------------


def test_update_takes_the_text_positionally(repo: Repo, cli: CliRunner) -> None:
    repo.remember("old text", agent="a", id="f")
    code, out, err = invoke(cli, "update", "f", "new text")
    assert code == 0 and "f updated" in out, err
    assert repo.get("f").text == "new text"
    code, _, err = invoke(cli, "update", "f", "-", input="from stdin")
    assert code == 0 and repo.get("f").text == "from stdin"
    _refused(cli, repo, "update", "f", "a", "--text", "b", needle="once")


def test_forget_dry_run_without_cascade_changes_nothing(repo: Repo, cli: CliRunner) -> None:
    repo.remember("doomed fact", agent="a", id="f")
    head = repo.resolve()
    code, out, err = invoke(cli, "forget", "f", "--dry-run")
    assert code == 0 and "would forget f" in out and "doomed fact" in out, err
    code, out, _ = invoke(cli, "forget", "f", "--dry-run", "--json")
    assert json.loads(out)["dry_run"] is True and json.loads(out)["facts"][0]["id"] == "f"
    assert repo.resolve() == head and repo.get("f").text == "doomed fact"


def test_write_output_uses_correct_plurals(repo: Repo, cli: CliRunner, tmp_path: Path) -> None:
    repo.remember("only one", agent="a", id="f")
    code, out, _ = invoke(cli, "forget", "f", "--cascade")
    assert code == 0 and "forgot 1 fact " in out + " " and "fact(s)" not in out
    invoke(cli, "add", "staged")
    code, out, _ = invoke(cli, "unstage")
    assert out.strip() == "dropped 1 staged write"
    path = tmp_path / "one.jsonl"
    path.write_text('{"text": "single"}\n')
    code, out, _ = invoke(cli, "import", str(path))
    assert "1 line read: 1 added" in out and "(s)" not in out


def test_the_readme_python_example_runs(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    block = re.search(r"```python\n(from agentmem import Repo\n.*?)```", readme, re.S)
    assert block is not None
    assert not re.search(r"^fact = repo\.remember", block.group(1), re.M)  # it returns a WriteResult
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run([sys.executable, "-c", block.group(1)], cwd=tmp_path, capture_output=True,
                          text=True, env=env, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
