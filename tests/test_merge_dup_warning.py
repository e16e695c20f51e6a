"""`agentmem merge` warns about near-duplicates it brought in, when a search service runs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agentmem import Repo
from agentmem.service import call
from test_search import use_fake_model
from test_service import cli, service_pid

pytestmark = pytest.mark.slow


@pytest.fixture
def mem(repo: Repo) -> Iterator[Repo]:
    repo = use_fake_model(repo)
    repo.remember("Alice prefers email over phone calls", "user:alice", agent="support")
    yield repo
    if service_pid(repo) is not None:
        call(repo.root, "stop", {}, start=False)


def test_merge_warns_about_near_duplicates_it_brings_in(mem: Repo) -> None:
    mem.create_branch("side")
    mem.switch("side")
    dup = mem.remember("Alice prefers email over phone calls!", "user:alice", agent="intake").id
    mem.switch("main")
    mem.remember("Unrelated: the build runs nightly", agent="ci")
    mem.search("x", daemon=True)  # a warm service answers the check
    merged = cli(mem, "merge", "side")
    assert merged.returncode == 0, merged.stderr
    assert merged.stderr.startswith(f"warning: {dup} is a near-duplicate of")
