"""Purge: after `purge --yes` and `git gc --prune=now`, no object and no file under .git holds
the secret; every other fact is unchanged; `git fsck` is clean; the purge is recorded."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentmem import InvalidInput, NotFound, PermissionDenied, Repo
from conftest import fsck, git, invoke

SECRET = "The root password is correct-horse-battery-staple-4711"
NEEDLE = b"correct-horse-battery"


def _everything(repo: Repo) -> bytes:
    """Every object's content plus every file under .git and .agentmem."""
    objects = subprocess.run(["git", "cat-file", "--batch-all-objects", "--batch"], cwd=repo.root,
                             check=True, capture_output=True).stdout  # fmt: skip
    files = b"".join(p.read_bytes() for root in (repo.root / ".git", repo.local_dir)
                     for p in Path(root).rglob("*") if p.is_file())  # fmt: skip
    return objects + files


@pytest.fixture
def leaked(repo: Repo) -> tuple[Repo, str, dict[str, object]]:
    """A secret written, read, updated, merged, tagged, reset away, staged and quoted in messages."""
    keep = repo.as_agent("ops").remember("The deploy window is Tuesday").id
    secret = repo.as_agent("ops", run="r1").remember(SECRET, "agent:ops").id
    repo.as_agent("reader", run="r2").get(secret)
    repo.as_agent("reader", run="r2").facts()
    repo.create_branch("side")
    repo.as_agent("ops", branch="side").update(secret, text=SECRET + " (rotated soon)")
    repo.as_agent("ops", branch="side").remember("Side note")
    repo.tag("v1")
    repo.merge("side", agent="ops")
    derived = repo.as_agent("ops").remember("Derived", derived_from=[secret]).id
    repo.as_agent("ops").remember("Rotate it monthly", message=f"about {SECRET}")
    head = repo.resolve()
    repo.as_agent("ops").remember("Soon reset away " + SECRET[:30], message=SECRET)
    repo.reset(head)  # the commit lives on in the reflog only
    repo.stage({"op": "update", "id": secret, "text": SECRET + "!"})
    repo.stage({"op": "remember", "text": "note: " + SECRET}, agent="ops")  # another agent's stage
    repo.stage({"op": "remember", "text": "unrelated, staged"}, agent="ops")
    before = {f.id: f for f in repo.facts()}
    repo.as_agent("ops").trace_fact(secret)  # .agentmem/commit-facts names its versions
    repo.as_agent("reader").log()  # .agentmem/commit-scopes names the versions messages quote
    repo.newest_facts()  # .agentmem/fact-listing names its blobs and id
    return repo, secret, {"before": before, "keep": keep, "derived": derived}


def test_purge_erases_every_trace(leaked: tuple[Repo, str, dict[str, object]]) -> None:
    repo, secret, info = leaked
    assert NEEDLE in _everything(repo)
    caches = ("commit-facts", "commit-scopes", "fact-listing")  # derived from git, naming the fact
    assert all((repo.local_dir / cache).exists() for cache in caches)
    result = repo.purge(secret, agent="admin", yes=True)
    assert result.id == secret and len(result.blobs) == 2 and result.commits_rewritten > 3
    assert result.derived == [info["derived"]]  # kept, and named
    git(repo, "gc", "--prune=now")
    fsck(repo)
    assert NEEDLE not in _everything(repo), "the secret is left somewhere"
    after = {f.id: f for f in Repo(repo.root).facts()}
    before = info["before"]
    assert set(before) - set(after) == {secret}  # type: ignore[arg-type]
    assert all(after[i] == before[i] for i in after)  # type: ignore[index]
    with pytest.raises(NotFound):
        Repo(repo.root).get(secret, at="v1")
    assert Repo(repo.root).staged() == []
    assert [op.text for op in Repo(repo.root).staged("ops")] == ["unrelated, staged"]
    assert Repo(repo.root).receipts.read(fact_id=secret) == []
    for cache in ("commit-facts", "commit-scopes", "fact-listing"):  # derived from the old history
        assert not (repo.local_dir / cache).exists()
    audit = [json.loads(line) for line in (repo.local_dir / "purge.log").read_text().splitlines()]
    assert audit[-1]["id"] == secret and audit[-1]["blobs"] == result.blobs
    assert "correct" not in (repo.local_dir / "purge.log").read_text()
    purged = git(repo, "show", "main:.agentmem/purged")
    assert all(blob in purged for blob in result.blobs)
    assert "remember " + secret + ": [purged]" in git(repo, "log", "--all", "--format=%B")


def test_purge_names_the_facts_derived_from_it_that_it_keeps(repo: Repo, cli: CliRunner) -> None:
    """A promoted copy holds the same text under another id; purge erases one fact, so it says
    which facts derived from it (transitively, on any branch) stay and may quote it."""
    secret = repo.as_agent("ops").remember(SECRET, "user:dana").id
    copy = repo.as_agent("ops").promote(secret, "shared", propose=True).id  # on proposals/ops only
    summary = repo.as_agent("ops", branch="proposals/ops").remember("Rotate it", derived_from=[copy]).id
    repo.as_agent("ops").remember("Unrelated")
    code, out, err = invoke(cli, "purge", secret, "--yes", "--agent", "admin")
    assert code == 0 and out.startswith(f"purged {secret}")
    assert err == f"warning: kept 2 facts derived from it, which may quote it: {copy} {summary} " \
                  "(purge each one that does)\n"  # fmt: skip
    audit = json.loads((repo.local_dir / "purge.log").read_text().splitlines()[-1])
    assert audit["derived"] == [copy, summary]
    code, out, err = invoke(cli, "purge", copy, "--yes", "--agent", "admin")
    assert code == 0 and "1 fact derived from it" in err
    assert NEEDLE not in _everything(repo)


def test_purge_refuses_without_yes_and_for_non_admins(repo: Repo, cli: CliRunner) -> None:
    secret = repo.as_agent("ops").remember(SECRET).id
    head = repo.resolve()
    code, _out, err = invoke(cli, "purge", secret, "--agent", "admin")
    assert code == 2 and "--yes" in err and repo.resolve() == head
    with pytest.raises(InvalidInput):
        repo.purge(secret, agent="admin")
    repo.policy.set('default = "allow"\nadmins = ["admin"]\n', agent="admin")
    head = repo.resolve()
    with pytest.raises(PermissionDenied):
        repo.purge(secret, agent="ops", yes=True)
    code, _out, _err = invoke(cli, "purge", "0" * 26, "--yes", "--agent", "admin")
    assert code == 3 and repo.resolve() == head
    code, out, _err = invoke(cli, "purge", secret, "--yes", "--agent", "admin", "--json")
    assert code == 0 and json.loads(out)["id"] == secret


HOLD_THE_WRITER_LOCK = """
import sys
from agentmem import Repo
repo = Repo(sys.argv[1])
with repo.store.writing():
    print("held", flush=True)
    sys.stdin.readline()
    repo.as_agent("ops").remember("Written while the purge waited")  # the lock is re-entrant
"""


def test_purge_waits_for_a_writer_holding_the_lock(repo: Repo) -> None:
    """A purge reads the refs and moves them under the writer lock: while another process holds
    it, nothing moves; the commit that process makes meanwhile is purged too, not left holding
    the secret (before, the purge read the refs first and its move of the branch failed
    silently)."""
    import sys
    import threading

    secret = repo.as_agent("ops").remember(SECRET, "agent:ops").id
    repo.as_agent("ops").remember("Another fact")
    head = repo.resolve()
    writer = subprocess.Popen([sys.executable, "-c", HOLD_THE_WRITER_LOCK, str(repo.root)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert writer.stdout is not None and writer.stdin is not None
    assert writer.stdout.readline().strip() == "held"
    outcome: list[object] = []
    purging = threading.Thread(target=lambda: outcome.append(repo.purge(secret, agent="ops", yes=True)))
    purging.start()
    purging.join(timeout=3)
    try:
        assert purging.is_alive()  # waiting for the lock
        assert Repo(repo.root).resolve() == head  # no ref moved under the other writer
    finally:
        writer.stdin.write("\n")
        writer.stdin.close()
        writer.wait(timeout=30)
        purging.join(timeout=60)
    after = Repo(repo.root)
    assert outcome and after.resolve() != head
    with pytest.raises(NotFound):
        after.get(secret)
    assert "Written while the purge waited" in {f.text for f in after.facts()}
    assert NEEDLE not in _everything(after)


def test_what_a_cache_has_yet_to_write_does_not_outlive_a_purge(repo: Repo) -> None:
    """Versions read into `.agentmem/commit-facts` but not yet written (a log writes at its end,
    a ref list when the process exits) are written before the purge deletes the file, so the
    process's exit cannot bring the purged blob back."""
    secret = repo.remember(SECRET, agent="ops")
    held = repo.commit_facts
    assert held.versions(repo.store.commit((secret.commit or "").encode()))  # read, not yet written
    repo.purge(secret.id, agent="admin", yes=True)
    held.flush()  # what the process's exit would do
    assert not (repo.local_dir / "commit-facts").exists()
