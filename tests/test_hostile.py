"""Hostile repository content (issue 12.4): crafted branches built with plain git (see
hostile_corpus.py) are refused by merge, fast-forward and three-way, with one line naming the
path and object, and nothing moves; every reader (ls, show, log, blame, diff, search) of such a
branch answers or fails with one line, never a traceback or a hang."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentmem import Repo, merge_state
from agentmem.cli import app
from agentmem.errors import CorruptObject
from agentmem.fact import Fact
from agentmem.layout import fact_path
from agentmem.object_size import object_size
from agentmem.store import MAX_FACT_BYTES, GitStore
from agentmem.validate import validate_incoming
from conftest import AGENTMEM, fsck
from hostile_corpus import CASES, Case, build_case, fact_file, fan, git, put, read_tree, write_tree
from test_search import use_fake_model

READERS = [
    ("ls", "--at", "{b}"),
    ("show", "{id}", "--at", "{b}"),
    ("log", "{id}", "--at", "{b}"),
    ("blame", "{id}", "--at", "{b}"),
    ("diff", "main", "{b}", "--json"),
]
SEARCH = ("search", "hostile text", "--at", "{b}", "--no-daemon")
# Cases whose bad object sits where `show evil` reads it: that read must fail, naming it. Search
# (the slowest reader) runs on these.
BAD_AT_PATH = {
    "deep-json", "gitlink", "missing-blob", "symlink", "huge-blob", "tree-for-fact",
    "invalid-utf8", "no-front-matter", "scope-mismatch", "id-mismatch", "commit-as-blob",
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Repo, dict[str, str]]:
    """One repository holding every hostile branch (built once: the readers never write)."""
    root = tmp_path_factory.mktemp("hostile") / "mem"
    repo = use_fake_model(Repo.init(root))
    repo.remember("alice likes tea", "user:alice", id="alice-tea", agent="a")
    repo.remember("the build is green", id="build", agent="a")
    head = repo.resolve()
    branches = {case.name: build_case(repo.root, case, head) for case in CASES}
    return repo, branches


class Hung(BaseException):
    """Raised by the alarm: a BaseException, so the command line's last resort cannot turn a
    hang into an ordinary error."""


def run(repo: Repo, *args: str, timeout: int = 60) -> tuple[int, str, str]:
    """The CLI in-process; a command still running after `timeout` seconds fails the test."""

    def hung(_signum: int, _frame: object) -> None:
        raise Hung(f"agentmem {' '.join(args)[:80]} hung")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(timeout)
    try:
        result = CliRunner().invoke(app, ["-C", str(repo.root), *args])
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"agentmem {' '.join(args)[:80]} raised {result.exception!r}")
    # 70: an exception agentmem did not expect (the command line's last resort, cli/__init__.py)
    assert result.exit_code != 70, f"agentmem {' '.join(args)[:80]}: {result.stderr}"
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_merge_refuses_hostile_branch(corpus: tuple[Repo, dict[str, str]], case: Case) -> None:
    repo, _branches = corpus
    before = repo.resolve("main")
    code, _out, err = run(repo, "merge", f"hostile/{case.name}")
    assert code != 0, f"{case.name} was merged"
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert case.path in err and "object " in err, err
    assert repo.resolve("main") == before
    assert not merge_state.state_paths(repo.local_dir)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_readers_of_hostile_branch(corpus: tuple[Repo, dict[str, str]], case: Case) -> None:
    repo, _branches = corpus
    branch = f"hostile/{case.name}"
    readers = [*READERS, SEARCH] if case.name in BAD_AT_PATH else READERS
    for template in readers:
        args = [a.format(b=branch, id=case.fact) for a in template]
        code, _out, err = run(repo, *args)
        assert err.count("\n") <= 1, (args, err)
        assert code in (0, 1, 2, 3), (args, code, err)
        if code == 1:
            assert "object " in err, (args, err)  # a corrupt object, named
    if case.name in BAD_AT_PATH:
        code, _out, err = run(repo, "show", case.fact, "--at", branch)
        assert code == 1 and "evil.md" in err and "object " in err, err


def test_real_facts_readable_next_to_a_bad_scope_folder(corpus: tuple[Repo, dict[str, str]]) -> None:
    """`facts/user/ALICE/` must not break lookups of `user:alice` facts."""
    repo, _branches = corpus
    code, out, err = run(repo, "show", "alice-tea", "--at", "hostile/scope-uppercase")
    assert code == 0 and "alice likes tea" in out, err
    code, out, err = run(repo, "ls", "--at", "hostile/scope-uppercase", "--scope", "user:alice")
    assert code == 0 and "alice-tea" in out, err


def test_three_way_merge_refuses_too(repo: Repo) -> None:
    """Our branch moved on since the fork: the merge is three-way, and still refused."""
    repo.remember("base fact", id="base", agent="a")
    fork = repo.resolve()
    refused = [c for c in CASES if c.name in ("gitlink", "deep-json", "duplicate-id", "repo-toml")]
    for case in refused:
        build_case(repo.root, case, fork)
    repo.remember("ours moved", id="ours", agent="a")
    before = repo.resolve()
    for case in refused:
        with pytest.raises(CorruptObject, match="refused"):
            repo.merge(f"hostile/{case.name}")
        assert repo.resolve() == before
    fsck_ok = subprocess.run(["git", "fsck", "--connectivity-only"], cwd=repo.root,
                             capture_output=True)  # fmt: skip
    assert fsck_ok.returncode in (0, 1, 2)  # the corpus has dangling gitlinks on purpose


def test_three_way_merge_refuses_an_id_ours_holds_in_another_scope(repo: Repo) -> None:
    fork = repo.resolve()
    tree = read_tree(repo.root, f"{fork}^{{tree}}")
    put(tree, [b"facts", b"shared", *fan("twin"), b"twin.md"], ("100644", fact_file("twin")))
    commit = git(repo.root, "commit-tree", write_tree(repo.root, tree), "-p", fork, "-m", "t")
    git(repo.root, "update-ref", "refs/heads/theirs", commit)
    validate_incoming(repo.store, fork.encode(), commit.encode())  # valid on its own
    repo.remember("ours", "agent:x", id="twin", agent="a")
    before = repo.resolve()
    with pytest.raises(CorruptObject, match="also in scope agent:x"):
        repo.merge("theirs")
    assert repo.resolve() == before


def test_valid_incoming_branch_is_accepted(repo: Repo) -> None:
    """Content written by agentmem itself passes: another branch's facts in every scope."""
    repo.create_branch("other")
    repo.switch("other")
    for n, scope in enumerate(("shared", "user:alice", "agent:planner", "run:r1", "app:x")):
        repo.remember(f"fact {n}", scope, agent="a", tags=["t"], meta={"k": [1, {"a": None}]})
    repo.switch("main")
    validate_incoming(repo.store, repo.store.resolve("main"), repo.store.resolve("other"))
    assert repo.merge("other").status == "fast-forward"
    fsck(repo)


def test_unrelated_history_is_checked_whole(repo: Repo) -> None:
    """No merge base: every entry of the incoming tree is checked."""
    root = repo.root
    tree = read_tree(root, "main^{tree}")
    put(tree, [b"facts", b"shared", *fan("evil"), b"evil.md"], ("100644", fact_file("other")))
    commit = git(root, "commit-tree", write_tree(root, tree), "-m", "orphan")
    git(root, "update-ref", "refs/heads/orphan", commit)
    with pytest.raises(CorruptObject, match=r"evil\.md"):
        repo.merge("orphan")


def test_huge_fact_in_history_is_refused_unread(tmp_path: Path) -> None:
    """A 100 MB fact already on a branch: `show` refuses it from the object header, at once."""
    repo = Repo.init(tmp_path / "mem")
    head = repo.resolve()
    tree = read_tree(repo.root, f"{head}^{{tree}}")
    big = fact_file("evil", text="x" * (100 * 1024 * 1024))
    put(tree, [b"facts", b"shared", *fan("evil"), b"evil.md"], ("100644", big))
    commit = git(repo.root, "commit-tree", write_tree(repo.root, tree), "-p", head, "-m", "big")
    git(repo.root, "update-ref", "refs/heads/main", commit)
    started = time.monotonic()
    result = subprocess.run([*AGENTMEM, "show", "evil"], capture_output=True, text=True,
                            env={**os.environ, "AGENTMEM_REPO": str(repo.root)}, timeout=120)  # fmt: skip
    assert result.returncode == 1 and "evil.md" in result.stderr and "limit" in result.stderr
    assert result.stderr.count("\n") == 1
    assert time.monotonic() - started < 60


def test_object_headers_in_deltified_packs_read_as_git_reads_them(repo: Repo) -> None:
    """`object_size` follows delta chains in a pack to the object's type and reads the size from
    the delta: checked against `git cat-file` for every object of a repository whose fact
    versions git packed as chains of deltas, a packed fact over the limit included."""
    def text(n: int) -> str:  # each version one note changed from the last: a chain of deltas
        notes = (f" note {k} is {'checked, ok' if k < n else 'no'}." for k in range(40))
        return "Deploy notes:" + "".join(notes)

    repo.remember(text(1), id="window", agent="a")
    for n in range(2, 41):  # git deltas each version against the next, a chain
        repo.update("window", text=text(n), agent="a")
    head = repo.resolve()
    tree = read_tree(repo.root, f"{head}^{{tree}}")
    for n in range(2):
        big = fact_file("evil", text=f"{n} " + "x" * MAX_FACT_BYTES)
        put(tree, [b"facts", b"shared", *fan("evil"), b"evil.md"], ("100644", big))
        head = git(repo.root, "commit-tree", write_tree(repo.root, tree), "-p", head, "-m", "big")
    git(repo.root, "update-ref", "refs/heads/main", head)
    git(repo.root, "repack", "-a", "-d", "-f", "--depth=50", "--window=50")
    (pack,) = (repo.root / ".git" / "objects" / "pack").glob("*.pack")
    chains = [line.split() for line in git(repo.root, "verify-pack", "-v", str(pack)).splitlines()]
    depths = [int(parts[5]) for parts in chains if len(parts) == 7]  # deltas: ... depth base
    assert max(depths, default=0) >= 10  # real chains, not whole objects only
    store = Repo(repo.root).store
    objects = git(repo.root, "cat-file", "--batch-all-objects", "--batch-check").splitlines()
    for sha, kind, size in (line.split() for line in objects):
        assert object_size(store.objects, sha.encode()) == (kind, int(size)), sha
    newest = store.lookup(store.commit(store.resolve("main~2")).tree, fact_path("shared", "window"))
    assert newest is not None and store.read_fact(newest).text == text(40)
    with pytest.raises(CorruptObject, match="limit"):
        Repo(repo.root).get("evil")


def test_object_headers_are_read_from_packs_written_or_removed_after_the_first_read(repo: Repo) -> None:
    """`object_size` keeps the store's pack list while the pack folder is unchanged: a pack
    written by another process afterwards, and a repack that removes the packs it read, are
    both seen by the same store object."""
    def every_object() -> list[list[str]]:
        listed = git(repo.root, "cat-file", "--batch-all-objects", "--batch-check").splitlines()
        return [line.split() for line in listed]

    repo.import_facts([{"text": f"first {n}"} for n in range(300)], agent="a")  # a pack
    store = Repo(repo.root).store
    for sha, kind, size in every_object():
        assert object_size(store.objects, sha.encode()) == (kind, int(size)), sha
    Repo(repo.root).import_facts([{"text": f"later {n}"} for n in range(300)], agent="a")  # another
    for sha, kind, size in every_object():
        assert object_size(store.objects, sha.encode()) == (kind, int(size)), sha
    git(repo.root, "repack", "-a", "-d")  # both packs read so far are removed (as `git gc` does)
    for sha, kind, size in every_object():
        assert object_size(store.objects, sha.encode()) == (kind, int(size)), sha
    assert {f.text for f in Repo(repo.root).facts()} == {fact.text for fact in store_facts(store)}


def store_facts(store: GitStore) -> list[Fact]:
    """Every fact at the head, read through `store` (a store opened before a repack)."""
    head = store.commit(store.resolve("HEAD")).tree
    return [store.read_fact(blob, path) for path, blob in store.entries(head, None)]


def test_blame_over_a_1000_deep_derived_from_chain(repo: Repo) -> None:
    """Issue 12.9: no RecursionError. Blame follows 100 levels and names where it stopped."""
    with repo.transaction(agent="a") as tx:
        for n in range(1000):
            tx.remember(f"step {n}", id=f"f{n}", derived_from=[f"f{n - 1}"] if n else [])
    result = repo.blame("f999")
    depth, node = 0, result
    while node.sources:
        node, depth = node.sources[0], depth + 1
    assert depth == 100 and node.truncated == ["f898"]
    code, out, err = run(repo, "blame", "f999")
    assert code == 0 and "f898 (deeper than blame follows)" in out, err
    code, out, err = run(repo, "blame", "f999", "--json")
    assert code == 0 and '"truncated"' in out, err


@pytest.mark.parametrize("damage", ["header", "body"])
def test_a_damaged_object_on_a_branch_is_refused_by_merge_and_named(repo: Repo, damage: str) -> None:
    """A fact file whose loose object cannot be inflated (bit rot, a bad copy): merging the
    branch refuses it in one line naming its path, and nothing moves. Its header may be damaged
    (the size check fails) or only its body (the size check passes, the read fails)."""
    import zlib

    repo.create_branch("side")
    fact = repo.as_agent("a", branch="side").remember("a side fact about cranes").id
    blob = git(repo.root, "rev-parse", f"side:{fact_path('shared', fact).decode()}")
    loose = repo.root / ".git" / "objects" / blob[:2] / blob[2:]
    raw = zlib.decompress(loose.read_bytes())
    if damage == "header":
        data = b"x\x9c garbage that is not zlib"
    else:  # a stream whose header (and what the size check reads past it) inflates, the rest not
        squeeze = zlib.compressobj()
        data = squeeze.compress(raw[:100]) + squeeze.flush(zlib.Z_SYNC_FLUSH) + b"\xff" * 40
    loose.chmod(0o644)
    loose.write_bytes(data)
    before = repo.resolve("main")
    code, _out, err = run(repo, "merge", "side")
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err, err
    assert fact in err and "unreadable object" in err, err
    assert repo.resolve("main") == before and not merge_state.state_paths(repo.local_dir)


def _damage(repo: Repo, sha: str) -> None:
    loose = repo.root / ".git" / "objects" / sha[:2] / sha[2:]
    loose.chmod(0o644)
    loose.write_bytes(b"x\x9c garbage that is not zlib")


def test_a_damaged_commit_or_tree_in_history_is_named_in_one_line(repo: Repo) -> None:
    """dulwich reads objects inside its walker, merge-base search and tree diff: a damaged
    commit or tree met there is a one-line error (exit 1), as any corrupt object, for every
    command that walks or compares histories; nothing moves."""
    repo.create_branch("side")
    side = repo.as_agent("a", branch="side")
    fact = side.remember("a side fact about cranes").id
    side.remember("a second side fact")
    _damage(repo, git(repo.root, "rev-parse", "side~1"))  # a commit in the middle of the history
    before = repo.resolve("main")
    for args in (["log", "--branch", "side"], ["merge", "side"], ["blame", fact, "--at", "side"],
                 ["trace", fact, "--branch", "side"]):  # fmt: skip
        code, _out, err = run(repo, *args)
        assert code == 1 and err.count("\n") == 1 and "damaged object" in err, (args, err)
    repo.create_branch("other", before)
    repo.as_agent("a", branch="other").remember("a fact of another branch")
    _damage(repo, git(repo.root, "rev-parse", "other:facts"))  # a tree the tip's tree names
    for args in (["diff", "main", "other"], ["revert", "other"]):
        code, _out, err = run(repo, *args)
        assert code == 1 and err.count("\n") == 1 and "damaged object" in err, (args, err)
    assert repo.resolve("main") == before and not merge_state.state_paths(repo.local_dir)
