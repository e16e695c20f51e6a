"""Listing newest change first (`Session.newest_facts`, `agentmem ls`) from the fact headers kept
in `.agentmem/fact-listing`: the same facts, order and count as reading and sorting every fact,
for every reader; only the page handed out is read in full and leaves a receipt; the file is
read again after commits, damage and deletion, and does not grow without bound."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest

from agentmem import Repo, checked_lines
from agentmem.fact import Fact
from agentmem.layout import fact_path
from agentmem.listing import CACHE_NAME, FactListing, _parse
from agentmem.snapshot import Snapshot
from conftest import invoke
from test_policy import POLICY


def _memory(repo: Repo) -> dict[str, str]:
    """Facts in five scopes under the test policy: updated, expired, quarantined, derived."""
    repo.policy.set(POLICY, agent="admin")
    support, billing = repo.as_agent("support"), repo.as_agent("billing")
    ids = {}
    for n in range(12):
        ids[f"shared{n}"] = support.remember(f"Shared rule number {n}", "shared").id
    ids["dana"] = support.remember("Dana prefers email", "user:dana").id
    ids["own"] = support.remember("Support's own note", "agent:support").id
    ids["bill"] = billing.remember("Invoices go out on the 1st", "agent:billing").id
    ids["gone"] = support.remember("Old promo code", "shared", expires_at="2020-01-01T00:00:00Z").id
    ids["bad"] = support.remember("A wrong refund rule", "shared").id
    ids["child"] = support.remember("Derived from the wrong rule", "shared", derived_from=[ids["bad"]]).id
    support.update(ids["shared3"], text="Shared rule number 3, revised")
    repo.quarantine.add(ids["bad"], agent="admin")
    return ids


def _sorted(facts: list[Fact]) -> list[Fact]:
    return sorted(facts, key=lambda f: (f.updated_at, f.id), reverse=True)


def test_newest_facts_lists_what_reading_and_sorting_every_fact_lists(repo: Repo) -> None:
    ids = _memory(repo)
    readers = [repo.as_agent(a) for a in ("support", "billing", "ops-1", "admin")]

    def check() -> None:
        for reader in readers:
            every = _sorted(reader.facts())
            page = reader.newest_facts()
            assert page.facts == every and page.total == len(every), reader.agent
            assert reader.newest_facts(limit=3).facts == every[:3]
            shared = _sorted(reader.facts("shared"))
            assert reader.newest_facts("shared", limit=2).facts == shared[:2]
        owner = _sorted(repo.facts())
        assert repo.newest_facts().facts == owner and repo.newest_facts(limit=1).total == len(owner)
        assert repo.newest_facts(at="HEAD~3").facts == _sorted(repo.facts(at="HEAD~3"))

    check()
    listed = {f.id for f in repo.newest_facts().facts}
    assert ids["shared3"] in listed and not {ids["gone"], ids["bad"], ids["child"]} & listed
    assert repo.newest_facts(limit=1).facts[0].id == ids["shared3"]  # updated last
    assert (repo.local_dir / CACHE_NAME).exists()
    repo = Repo(repo.root)  # from the file
    readers = [repo.as_agent(a) for a in ("support", "billing", "ops-1", "admin")]
    check()
    repo.as_agent("support").update(ids["shared5"], text="Shared rule number 5, revised")
    repo.as_agent("support").forget(ids["shared7"])
    check()
    assert repo.newest_facts(limit=1).facts[0].id == ids["shared5"]


def test_only_the_page_handed_out_leaves_a_receipt(repo: Repo, cli: object) -> None:
    _memory(repo)
    billing = repo.as_agent("billing", run="r1")
    page = billing.newest_facts(limit=2)
    (receipt,) = repo.receipts.read()
    assert receipt.op == "ls" and receipt.fact_ids == [f.id for f in page.facts] and page.total > 2
    code, out, _ = invoke(cli, "ls", "-n", "1", "--agent", "billing")
    assert code == 0 and f"1 of {page.total} facts" in out
    assert len(repo.receipts.read()[-1].fact_ids) == 1


def _folders(repo: Repo) -> tuple[Snapshot, list[tuple[bytes, bytes]]]:
    snap = repo.snapshot()
    return snap, list(repo.store.scope_trees(snap.tree_id))


def _headers(repo: Repo, local_dir: Path) -> tuple[list[tuple[object, ...]], list[bytes]]:
    """Every header listed with the fact-listing file in `local_dir`, and the fact files read."""
    snap, folders = _folders(repo)
    read: list[bytes] = []
    counting = lambda p, b: (read.append(b), snap.read(p, b))[1]  # noqa: E731
    headers = FactListing(repo.store, local_dir).headers(folders, counting)
    return sorted(tuple(h) for h in headers), read


def test_a_listing_reads_only_the_fact_files_it_does_not_know(repo: Repo) -> None:
    """Read from git once; then from the file (nothing read); after a commit changing one fact,
    that fact's new version only; after the file is damaged or deleted, again as needed."""
    ids = {n: repo.remember(f"Fact number {n}", "shared", agent="a").id for n in range(40)}
    repo.remember("A user fact", "user:ann", agent="a")
    path = repo.local_dir / CACHE_NAME
    truth, read = _headers(repo, repo.local_dir)
    assert len(truth) == 41 and len(read) == 41
    assert _headers(repo, repo.local_dir) == (truth, [])
    repo.update(ids[7], text="Fact number 7, revised", agent="a")
    now, read = _headers(repo, repo.local_dir)
    assert len(read) == 1 and len(now) == 41 and now != truth
    lines = path.read_bytes().splitlines(keepends=True)
    damaged = [b"not a line\n", lines[0][:20] + b"\n", lines[1].replace(b'"facts/', b'"factz/')]
    path.write_bytes(b"".join(damaged + lines[2:]) + b"[1, 2]\t" + b"%08x" % zlib.crc32(b"[1, 2]"))
    listed, read = _headers(repo, repo.local_dir)
    assert listed == now and 0 < len(read) < 41  # the folders of the two damaged lines
    path.unlink()
    listed, read = _headers(repo, repo.local_dir)
    assert listed == now and len(read) == 41


def test_the_file_is_written_again_when_outdated_lines_outnumber_current_ones(repo: Repo) -> None:
    fact = repo.remember("Counter at 0", agent="a").id
    path = repo.local_dir / CACHE_NAME
    sizes = []
    for n in range(1, 100):
        repo.update(fact, text=f"Counter at {n}", agent="a")
        assert repo.newest_facts().facts[0].text == f"Counter at {n}"
        sizes.append(len(path.read_bytes().splitlines()))
    assert max(sizes) <= 2 * 64 + 2 and sizes[-1] < max(sizes)


def test_the_fact_listing_example_in_the_format_reads_as_a_line(tmp_path: Path) -> None:
    """docs/format.md's example line of `.agentmem/fact-listing` is one the cache reads."""
    text = (Path(__file__).parent.parent / "docs" / "format.md").read_text()
    section = text.split("## The facts' headers for listings")[1]
    example = next(line for line in section.splitlines() if line.startswith('["'))
    (tmp_path / CACHE_NAME).write_text(example + "\n")
    (value,) = checked_lines.read(tmp_path / CACHE_NAME, 1 << 20)
    parsed = _parse(value)
    assert parsed is not None and parsed[0] == ("facts/shared/87", "c3a91e0d5b7f2468ace13579bdf02468ace13579")
    assert parsed[1] == (
        ("eb/2mzp7c0rxq1v9b3k6j4t8d5w0e.md", "8f2e6a1c4b7d9e0f3a5c2b1d6e8f7a9c0b3d5e2f",
         "2026-11-27T10:02:11.408Z", None, ("4fsnzf57jt4qz43edyn6arwdep",)),
    )  # fmt: skip


def test_a_known_fact_file_at_a_path_that_does_not_name_it_is_refused(repo: Repo) -> None:
    """A hostile commit puts a fact file the listing already knows at another id's path, and in
    another scope's folder: the listing reads it there (a header is reused only for the same
    blob under the same name in the same scope) and refuses it in one error naming the path."""
    from agentmem.errors import CorruptObject
    from hostile_corpus import BLOB, fan, git, put, read_tree, write_tree

    fact = repo.remember("Alice prefers email", "shared", agent="a").id
    repo.newest_facts()  # the listing knows the fact's blob
    head = repo.resolve()
    blob = git(repo.root, "rev-parse", f"{head}:{fact_path('shared', fact).decode()}")
    other_id = [b"facts", b"shared", *fan("other"), b"other.md"]
    other_scope = [b"facts", b"user", b"bob", *fan(fact), f"{fact}.md".encode()]
    for name, path in (("other-id", other_id), ("other-scope", other_scope)):
        tree = read_tree(repo.root, f"{head}^{{tree}}")
        put(tree, path, (BLOB, blob))
        commit = git(repo.root, "commit-tree", write_tree(repo.root, tree), "-p", head, "-m", name)
        with pytest.raises(CorruptObject, match="/".join(p.decode() for p in path)):
            repo.newest_facts(at=commit, limit=0)  # no fact handed out: the listing itself refuses
    assert [f.id for f in repo.newest_facts().facts] == [fact]


@pytest.mark.parametrize("every", [4, 1000])
def test_an_interrupted_first_listing_keeps_what_it_read(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, every: int
) -> None:
    """The folders read from git are appended every FLUSH_EVERY folders (a listing killed midway
    keeps them) and when the listing is interrupted; the next listing reads only the rest."""
    from agentmem import listing

    monkeypatch.setattr(listing, "FLUSH_EVERY", every)
    with repo.transaction(agent="bulk") as tx:
        for n in range(120):
            tx.remember(f"Fact number {n}")
    path = repo.local_dir / CACHE_NAME
    snap, folders = _folders(repo)
    read: list[bytes] = []

    def interrupted(p: bytes, b: bytes) -> Fact:
        if len(read) == 60:
            if every == 4:  # appended along the way, not only at the interruption
                assert len(path.read_bytes().splitlines()) >= 40
            raise KeyboardInterrupt
        read.append(b)
        return snap.read(p, b)

    with pytest.raises(KeyboardInterrupt):
        FactListing(repo.store, repo.local_dir).headers(folders, interrupted)
    lines = [_parse(value) for value in checked_lines.read(path, 1 << 30)]
    kept = sum(len(line[1]) for line in lines if line is not None)
    assert kept > 50  # the facts of every folder completed before the interruption
    listed, again = _headers(repo, repo.local_dir)
    assert len(listed) == 120 and len(again) == 120 - kept


def test_an_import_records_its_facts_so_the_next_listing_reads_none(repo: Repo, tmp_path: Path) -> None:
    """An import writes its facts' headers to the file from what it wrote; they are the headers
    that reading every fact from git gives (checked against a listing with no file), for new
    facts, replaced ones, expiries and sources."""
    first = repo.remember("Already here before the import", "shared", agent="a").id
    repo.newest_facts()  # the file knows the folder of the fact already here
    records = [{"text": f"Imported fact {n}", "scope": ("shared", "user:ann", "app:billing")[n % 3],
                "id": f"imp{n}"} for n in range(300)]  # fmt: skip
    repo.import_facts(records, agent="loader")
    truth, _read = _headers(repo, tmp_path / "none")  # from git alone
    assert len(truth) == 301
    assert _headers(repo, repo.local_dir) == (truth, [])
    changed = [{**r, "text": r["text"] + ", revised", "expires_at": "2099-01-01T00:00:00Z",
                "derived_from": [first]} for r in records[:40]]  # fmt: skip
    repo.import_facts(changed, agent="loader", existing="replace")
    truth, _read = _headers(repo, tmp_path / "none2")
    assert _headers(repo, repo.local_dir) == (truth, [])
    assert {h[5] for h in truth} == {None, "2099-01-01T00:00:00.000Z"}
    assert ((first,),) in {h[6:] for h in truth}
    assert repo.newest_facts(limit=1).facts[0].text.endswith(", revised")


def test_an_import_leaves_folders_it_cannot_know_to_the_next_listing(repo: Repo) -> None:
    """A folder that held facts the file does not know, and a commit replayed on another
    writer's commit (which may keep that writer's version of a path), are not recorded."""
    from agentmem.exchange import import_records

    for n in range(30):
        repo.remember(f"Written before, never listed {n}", "shared", agent="a")
    repo.import_facts([{"text": f"Imported {n}", "scope": "user:bob"} for n in range(50)], agent="loader")
    path = repo.local_dir / CACHE_NAME
    truth, read = _headers(repo, repo.local_dir)
    assert len(truth) == 80 and len(read) >= 30  # the shared folders, the facts written before
    assert {h[3] for h in truth if h[1] in read} >= {"shared"}
    assert not {h[3] for h in truth if h[1] in read} & {"user:bob"}  # the imported folders: none
    size = path.stat().st_size
    with repo.transaction(agent="loader") as tx:
        import_records(tx, [{"text": f"Replayed {n}", "scope": "user:cy"} for n in range(20)])
        repo.remember("Another writer got there first", "shared", agent="b")
    assert tx.result is not None and tx.result.commit is not None
    repo._list_imported(tx, tx.result.commit.encode())
    assert path.stat().st_size == size  # nothing recorded
    truth, read = _headers(repo, repo.local_dir)
    assert len(truth) == 101 and {h[3] for h in truth if h[1] in read} == {"user:cy", "shared"}


def test_a_few_facts_imported_into_a_large_listing_are_left_to_the_next_listing(repo: Repo) -> None:
    """Recording means loading the whole file; for a few facts the next listing reading just
    those is cheaper (`LEARN_BYTES_PER_FACT`). Enough facts are recorded again."""
    from agentmem.listing import LEARN_BYTES_PER_FACT

    repo.import_facts([{"text": f"Already here {n}"} for n in range(20)], agent="loader")
    path = repo.local_dir / CACHE_NAME
    with path.open("ab") as handle:  # what a large memory's file weighs (lines that do not check are skipped)
        handle.write(b"x" * (LEARN_BYTES_PER_FACT * 30) + b"\n")
    size = path.stat().st_size
    repo = Repo(repo.root)  # a new process: the file not loaded yet
    repo.import_facts([{"text": f"A few more {n}", "scope": "user:ann"} for n in range(10)], agent="loader")
    assert path.stat().st_size == size
    truth, read = _headers(repo, repo.local_dir)
    assert len(truth) == 30 and len(read) == 10
    repo = Repo(repo.root)
    repo.import_facts([{"text": f"Many more {n}", "scope": "user:bob"} for n in range(60)], agent="loader")
    assert path.stat().st_size > size
    truth, read = _headers(repo, repo.local_dir)
    assert len(truth) == 90 and read == []


def test_a_listing_leaves_the_cycle_collector_as_it_found_it(repo: Repo) -> None:
    """A listing pauses Python's cycle collector while it makes its tuples; it is on again after
    it, after one interrupted, and stays off where the caller had turned it off."""
    import gc

    for n in range(20):
        repo.remember(f"Fact number {n}", agent="a")
    snap, folders = _folders(repo)

    def interrupted(p: bytes, b: bytes) -> Fact:
        assert not gc.isenabled()  # paused while the listing runs
        raise KeyboardInterrupt

    assert gc.isenabled()
    with pytest.raises(KeyboardInterrupt):
        FactListing(repo.store, repo.local_dir).headers(folders, interrupted)
    assert gc.isenabled()
    assert len(FactListing(repo.store, repo.local_dir).headers(folders, snap.read)) == 20
    assert gc.isenabled()
    gc.disable()
    try:
        FactListing(repo.store, repo.local_dir).headers(folders, snap.read)
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize("row", [
    "eb/x.md", ["eb/x.md", "0" * 40, "t", None], ["eb/x.txt", "0" * 40, "t", None, []],
    ["eb/x.md", "0" * 39, "t", None, []], ["eb/x.md", "G" * 40, "t", None, []],
    ["eb/x.md", "0" * 40, 7, None, []], ["eb/x.md", "0" * 40, "t", 3, []],
    ["eb/x.md", "0" * 40, "t", None, "abc"], ["eb/x.md", "0" * 40, "t", None, [1]],
    [1, "0" * 40, "t", None, []],
])  # fmt: skip
def test_a_line_with_a_row_of_the_wrong_shape_is_foreign(row: object) -> None:
    """Every row is checked (a line that checks its CRC can still be written by anything); one
    wrong row makes the whole line foreign, to be computed again."""
    good = ["eb/y.md", "1" * 40, "2026-01-01T00:00:00.000Z", None, ["src"]]
    assert _parse(["facts/shared/87", "a" * 40, [good]]) == (
        ("facts/shared/87", "a" * 40), (("eb/y.md", "1" * 40, "2026-01-01T00:00:00.000Z", None, ("src",)),))
    assert _parse(["facts/shared/87", "a" * 40, [good, row]]) is None
