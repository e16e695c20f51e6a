"""docs/format.md is a contract another tool can implement: its example values are checked here,
against the code and against real git."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentmem import CorruptObject, Fact, Repo
from agentmem.exchange import export_line
from agentmem.fact import content_id
from agentmem.layout import fact_path
from conftest import fsck, git, invoke

DOC = (Path(__file__).resolve().parent.parent / "docs" / "format.md").read_text("utf-8")

EXAMPLE = Fact(
    id="pref-lang", text="Alice writes in [French]", scope="user:alice", tags=("lang", "a"),
    agent="support", run="r7", trace="t-1", derived_from=("0c7w1m2d9r4k8s3h6f5j2a1b0e",),
    source="ticket:4411", created_at="2026-01-02T03:04:05.000Z",
    updated_at="2026-01-02T03:04:05.000Z", expires_at="2026-02-01",
    meta={"confidence": 0.9, "n": 12, "big": 1e16, "small": 0.00001},
)  # fmt: skip
EXAMPLE_BLOB = "ad57ce4e42853efc8a5ae346c7b4b6a1ab09b3cc"


def _doc_block(after: str) -> str:
    """The first fenced block following the line `after` in docs/format.md."""
    start = DOC.index(after)
    match = re.search(r"```\n(.*?)```", DOC[start:], re.S)
    assert match is not None
    return match.group(1)


def test_the_documented_fact_file_is_the_canonical_bytes_of_the_example() -> None:
    data = EXAMPLE.validated().to_bytes()
    assert data.decode() == _doc_block("## A fact file")
    assert Fact.from_bytes(data).to_bytes() == data


def test_the_documented_blob_id_and_path_are_what_git_computes(tmp_path: Path) -> None:
    data = EXAMPLE.validated().to_bytes()
    (tmp_path / "f.md").write_bytes(data)
    blob = subprocess.run(["git", "hash-object", str(tmp_path / "f.md")], check=True,
                          capture_output=True, text=True).stdout.strip()  # fmt: skip
    assert blob == EXAMPLE_BLOB and f"`{EXAMPLE_BLOB}`" in DOC
    path = fact_path("user:alice", "pref-lang").decode()
    assert path == "facts/user/alice/48/c2/pref-lang.md" and f"`{path}`" in DOC


def test_the_documented_content_id_is_the_one_remember_writes(repo: Repo) -> None:
    # The doc once gave `ng0tjp9g...` for this; agentmem writes `01n5ck1f...` (and existing
    # repositories hold such ids, so the code is the reference).
    assert content_id("shared", "x") == "01n5ck1f3rq12ejm62ptrsbrhx"
    assert "`01n5ck1f3rq12ejm62ptrsbrhx`" in DOC and "ng0tjp9g" not in DOC
    assert repo.remember("x", agent="a").id == "01n5ck1f3rq12ejm62ptrsbrhx"
    paths = git(repo, "ls-tree", "-r", "--name-only", "HEAD")
    assert "facts/shared/ba/d7/01n5ck1f3rq12ejm62ptrsbrhx.md" in paths


def test_the_documented_formula_computes_the_id_independently() -> None:
    """The steps of docs/format.md, written out without agentmem's helper."""
    import hashlib

    alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
    number = int.from_bytes(hashlib.sha256(b"shared\0x\0" + b"0").digest()[:17], "big")
    number &= (1 << 130) - 1
    spelt = "".join(alphabet[(number >> (5 * i)) & 31] for i in reversed(range(26)))
    assert spelt == content_id("shared", "x")


def test_the_documented_export_line() -> None:
    line = export_line(EXAMPLE.validated())
    assert line.rstrip("\n") == _doc_block("## JSON lines: import and export").rstrip("\n")


@pytest.mark.parametrize(
    "value,spelt",
    [
        (12, "12"), (-3, "-3"), (1.0, "1.0"), (0.9, "0.9"), (1e16, "1e+16"), (1e15, "1000000000000000.0"),
        (0.0001, "0.0001"), (0.00001, "1e-05"), (1.5e300, "1.5e+300"), (True, "true"), (None, "null"),
        (2**63 - 1, "9223372036854775807"), ("é\n\x1b", '"é\\n\\u001b"'),
    ],
)  # fmt: skip
def test_numbers_and_strings_are_spelt_as_documented(value: object, spelt: str) -> None:
    fact = Fact(id="n", text="t", created_at="2026-01-02T03:04:05Z", meta={"v": value}).validated()
    assert f"meta: {{\"v\": {spelt}}}\n" in fact.to_bytes().decode()


def _plant(repo: Repo, path: str, data: bytes, tmp_path: Path) -> str:
    """Commit a hand-made file at `path` with plain git plumbing (as another tool would)."""
    env = {**os.environ, "GIT_INDEX_FILE": str(tmp_path / "plant.index"), "GIT_AUTHOR_NAME": "tool",
           "GIT_AUTHOR_EMAIL": "tool@example.org", "GIT_COMMITTER_NAME": "tool",
           "GIT_COMMITTER_EMAIL": "tool@example.org"}  # fmt: skip

    def run(*args: str, data_in: bytes | None = None) -> str:
        done = subprocess.run(["git", *args], cwd=repo.root, check=True, capture_output=True,
                              input=data_in, env=env)  # fmt: skip
        return done.stdout.decode().strip()

    blob = run("hash-object", "-w", "--stdin", data_in=data)
    run("read-tree", "HEAD")
    run("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}")
    commit = run("commit-tree", run("write-tree"), "-p", "HEAD", "-m", "planted by another tool")
    run("update-ref", "refs/heads/main", commit)
    return blob


def test_unknown_front_matter_keys_are_kept_through_an_update(
    repo: Repo, cli: CliRunner, tmp_path: Path
) -> None:
    later = (b'---\nid: "fut"\nscope: "shared"\nkind: "note"\ncreated_at: "2026-01-02T03:04:05.000Z"\n'
             b'updated_at: "2026-01-02T03:04:05.000Z"\nconfidence_v2: {"p": 0.5}\nzeta: [1, 2]\n---\n'
             b'a fact from a later version\n')  # fmt: skip
    _plant(repo, fact_path("shared", "fut").decode(), later, tmp_path)
    fact = repo.get("fut")
    assert fact.extra == {"confidence_v2": {"p": 0.5}, "zeta": [1, 2]}
    assert fact.to_bytes() == later  # read and written back unchanged
    code, _, err = invoke(cli, "update", "fut", "--tag", "kept", "--agent", "b")
    assert code == 0, err
    data = git(repo, "show", f"HEAD:{fact_path('shared', 'fut').decode()}")
    assert data.endswith('confidence_v2: {"p": 0.5}\nzeta: [1, 2]\n---\na fact from a later version\n')
    assert 'tags: ["kept"]' in data
    fsck(repo)


@pytest.mark.parametrize(
    "line,needle",
    [
        (b'id: 123', "invalid fact id"),
        (b'tags: "abc"', "tags must be a list"),
        (b'meta: [1, 2]', "meta must be a JSON object"),
        (b'meta: {"a": NaN}', "NaN"),
        (b'agent: 7', "agent must be a string"),
    ],
)
def test_a_file_with_wrong_types_is_refused_where_it_is_read(
    repo: Repo, cli: CliRunner, tmp_path: Path, line: bytes, needle: str
) -> None:
    if line.startswith(b"id:"):
        body = b"---\n" + line + b'\nscope: "shared"\n---\ntext\n'
    else:
        body = b'---\nid: "bad"\n' + line + b"\n---\ntext\n"
    blob = _plant(repo, fact_path("shared", "bad").decode(), body, tmp_path)
    with pytest.raises(CorruptObject, match=needle):
        repo.store.read_fact(blob.encode())
    code, _, err = invoke(cli, "show", "bad")
    assert code == 1 and err.count("\n") == 1 and blob in err and needle in err, err
