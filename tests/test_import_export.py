"""Import never surprises; export round-trips through import exactly (issue 11 item 4)."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from agentmem import Conflict, Fact, InvalidInput, Repo
from conftest import fsck, git, invoke

ROOT = Path(__file__).resolve().parent.parent


def _write(path: Path, *lines: str | bytes) -> Path:
    path.write_bytes(b"".join((x if isinstance(x, bytes) else x.encode()) + b"\n" for x in lines))
    return path


def test_an_id_in_another_scope_is_an_error_never_a_move(repo: Repo, cli: CliRunner, tmp_path: Path) -> None:
    repo.remember("the shared truth", agent="a", id="k")
    head = repo.resolve()
    path = _write(tmp_path / "in.jsonl", '{"id": "k", "scope": "user:bob", "text": "private"}')
    code, _, err = invoke(cli, "import", str(path))
    assert code == 4 and err.count("\n") == 1
    assert "line 1: fact k exists in scope shared, not user:bob" in err
    for flag in ("replace", "skip"):  # no flag moves a fact either
        assert invoke(cli, "import", str(path), "--existing", flag)[0] == 4
    assert repo.resolve() == head and repo.get("k").text == "the shared truth"


def test_replacing_an_id_in_the_same_scope_needs_the_flag(repo: Repo, cli: CliRunner, tmp_path: Path) -> None:
    repo.remember("v1", agent="a", id="k", tags=["t"])
    repo.remember("other", agent="a", id="j")
    head = repo.resolve()
    path = _write(tmp_path / "in.jsonl", '{"id": "j", "text": "other"}', '{"id": "k", "text": "v2"}')
    code, _, err = invoke(cli, "import", str(path))
    assert code == 4 and "line 2: fact k already exists with other content" in err
    assert repo.resolve() == head
    code, out, err = invoke(cli, "import", str(path), "--existing", "skip")
    assert code == 0 and "nothing to commit" in out and "1 unchanged, 1 skipped" in out
    assert "line 2: k exists with other content; kept the stored fact" in err
    code, out, _ = invoke(cli, "import", str(path), "--existing", "replace", "--json")
    result = json.loads(out)
    assert code == 0 and result["updated"] == ["k"] and result["unchanged"] == ["j"]
    fact = repo.get("k")
    assert fact.text == "v2" and fact.tags == () and fact.created_at == repo.get("k", at=head).created_at
    fsck(repo)


def test_unknown_keys_bad_json_and_non_utf8_are_one_line_errors(
    repo: Repo, cli: CliRunner, tmp_path: Path
) -> None:
    head = repo.resolve()
    cases = [
        ((b'{"text": "a"}', b'{"text": "b", "colour": "red"}'), "line 2: unknown key 'colour'"),
        ((b'{"text": "a"}', b"", b'{"text": "caf\xe9"}'), "line 3: not valid UTF-8"),
        ((b'{"text": "a", "meta": {"x": NaN}}',), "line 1: NaN is not a JSON number"),
        ((b'["text"]',), "line 1: expected a JSON object"),
        ((b'{"text": "a", "tags": "abc"}',), "line 1: tags must be a list"),
        ((b"[" * 100_000,), "line 1:"),
        ((b'{"text": "a\tb"}',), "line 1: not JSON (Invalid control character at column 12)"),
        ((b'{"text": "a"}', b'{"text": "b", "scope": "shared"'), "line 2: not JSON (Expecting ',' "
         "delimiter at the end of the line)"),
        ((b'{"text": "a", "tags": ["x",',), "line 1: not JSON (Expecting value at the end of the line)"),
    ]
    for lines, needle in cases:
        code, _, err = invoke(cli, "import", str(_write(tmp_path / "bad.jsonl", *lines)))
        assert code == 2 and err.startswith("error: ") and err.count("\n") == 1, err
        assert needle in err, err
    assert repo.resolve() == head and repo.facts() == []


def test_the_summary_counts_every_line_read(repo: Repo, cli: CliRunner, tmp_path: Path) -> None:
    repo.remember("already here", agent="a")
    repo.remember("stays", agent="a", id="s")
    path = _write(
        tmp_path / "in.jsonl",
        "\ufeff" + '{"text": "new one"}', "", '{"text": "already here"}', "   ",
        '{"id": "s", "text": "changed"}', '{"text": "new one"}',
        '{"id": "x", "text": "x", "scope": "run:r1"}',
    )  # fmt: skip
    code, out, err = invoke(cli, "import", str(path), "--existing", "skip", "--json")
    assert code == 0, err
    got = json.loads(out)
    assert got["lines"] == 7 and got["blank"] == 2 and len(got["added"]) == 2
    assert len(got["unchanged"]) == 2 and got["skipped"] == [{"line": 5, "id": "s"}]
    parts = len(got["added"]) + len(got["updated"]) + len(got["unchanged"]) + len(got["skipped"])
    assert parts + got["blank"] == got["lines"]


def test_import_help_links_the_record_format() -> None:
    done = subprocess.run([*_agentmem(), "import", "--help"], capture_output=True, text=True, timeout=60)
    assert "docs/format.md" in done.stdout and "JSON lines" in done.stdout
    assert "## JSON lines: import and export" in (ROOT / "docs" / "format.md").read_text()
    assert "docs/format.md" in (ROOT / "docs" / "cli.md").read_text().split("## agentmem import")[1]


def _agentmem() -> list[str]:
    from conftest import AGENTMEM

    return AGENTMEM


def test_cli_export_round_trips_through_import(repo: Repo, cli: CliRunner, tmp_path: Path) -> None:
    repo.remember("Alice prefers email", "user:alice", agent="support", run="r1", tags=["pref"],
                  meta={"confidence": 0.9, "n": [1, 2.5, None]}, expires_at="2030-01-01")  # fmt: skip
    repo.remember("shared fact\nwith two lines\tand a tab", agent="planner", id="plan")
    repo.remember("later", agent="planner")
    code, out, _ = invoke(cli, "export", "--at", "HEAD~1")
    assert code == 0 and len(out.splitlines()) == 2
    code, out, _ = invoke(cli, "export", "--scope", "user:alice")
    assert [json.loads(x)["scope"] for x in out.splitlines()] == ["user:alice"]
    target = tmp_path / "all.jsonl"
    assert invoke(cli, "export", "-o", str(target))[0] == 0
    fresh = Repo.init(tmp_path / "fresh")
    result = fresh.import_facts(target.open("rb"), agent="loader")
    assert len(result.added) == 3
    assert list(fresh.export_facts()) == target.read_text("utf-8").splitlines(keepends=True)
    assert _blobs(fresh) == _blobs(repo)
    again = repo.import_facts(target.read_bytes().splitlines(keepends=True), agent="loader")
    assert again.commit is None and len(again.unchanged) == 3  # re-importing is a no-op


def _blobs(repo: Repo) -> set[str]:
    return {line.split()[2] + " " + line.split("\t")[1]
            for line in git(repo, "ls-tree", "-r", "HEAD", "facts").splitlines()}  # fmt: skip


json_leaf = (st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1)
             | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=6))  # fmt: skip
json_values = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)
texts = st.text(st.characters(exclude_categories=("Cs", "Cc"), include_characters="\n\t"),
                min_size=1, max_size=40).filter(str.strip)  # fmt: skip
facts = st.builds(
    Fact,
    id=st.from_regex(r"[a-z0-9][a-z0-9_-]{0,12}", fullmatch=True),
    text=texts,
    scope=st.sampled_from(["shared", "user:alice", "agent:planner", "run:r-1"]),
    kind=st.sampled_from(["note", "preference"]),
    tags=st.lists(st.from_regex(r"[a-z][a-z0-9:/-]{0,6}", fullmatch=True), max_size=3).map(tuple),
    agent=st.none() | st.sampled_from(["a", "b@x"]),
    run=st.none() | st.just("r1"),
    trace=st.none() | st.just("t/9"),
    derived_from=st.lists(st.from_regex(r"[a-z0-9]{1,6}", fullmatch=True), max_size=2).map(tuple),
    source=st.none() | texts.map(lambda t: t.replace("\n", " ").replace("\t", " ")).filter(str.strip),
    created_at=st.just("2026-01-02T03:04:05.123Z"),
    expires_at=st.none() | st.just("2031-01-01T00:00:00.000Z"),
    meta=st.dictionaries(st.text(min_size=1, max_size=5), json_values, max_size=3),
    extra=st.dictionaries(st.sampled_from(["zz_later", "v2_note"]), json_values, max_size=1),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(facts, max_size=6, unique_by=lambda f: f.id))
def test_export_import_export_gives_identical_bytes_and_blobs(tmp_path: Path, batch: list[Fact]) -> None:
    base = Path(tempfile.mkdtemp(dir=tmp_path))
    source = Repo.init(base / "a")
    with source.transaction(agent="writer") as tx:
        for fact in batch:
            tx.put(fact)
    exported = list(source.export_facts())
    target = Repo.init(base / "b")
    target.import_facts((line.encode() for line in exported), agent="importer")
    assert list(target.export_facts()) == exported
    assert _blobs(target) == _blobs(source)
    for line in exported:
        json.loads(line)  # every line is strict JSON


def test_api_errors_name_the_record(repo: Repo) -> None:
    with pytest.raises(InvalidInput, match="record 2: unknown key 'bogus'"):
        repo.import_facts([{"text": "a"}, {"text": "b", "bogus": 1}], agent="x")
    repo.remember("x", agent="a", id="k")
    with pytest.raises(Conflict, match="record 1: fact k exists in scope shared"):
        repo.import_facts([{"id": "k", "scope": "app:y", "text": "x"}], agent="x")
    with pytest.raises(InvalidInput, match="existing must be one of"):
        repo.import_facts([], agent="x", existing="merge")


def test_export_lists_facts_in_path_order(repo: Repo) -> None:
    """As documented: by scope, then by path, the facts of one fan-out folder too (2,000 facts in
    a scope put several in one folder; they came out in reverse before)."""
    from agentmem.layout import fact_path

    with repo.transaction(agent="loader") as tx:
        for n in range(2_000):
            tx.remember(f"Fact number {n}", ("shared", "user:ann")[n % 2])
    exported = [json.loads(line) for line in repo.export_facts()]
    paths = [fact_path(f["scope"], f["id"]) for f in exported]
    folders = [p.rsplit(b"/", 1)[0] for p in paths]
    assert len(paths) == 2_000 and len(set(folders)) < len(folders)  # folders holding several
    assert paths == sorted(paths)
    assert [f.id for f in repo.facts("user:ann")] == [f["id"] for f in exported if f["scope"] == "user:ann"]
