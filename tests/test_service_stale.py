"""A search service started with other settings (or another agentmem version) steps aside for a
fresh one, so a changed model or an upgrade never answers with stale vectors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agentmem import Repo
from agentmem.service import call
from test_search import use_fake_model
from test_service import service_pid, wait_gone

pytestmark = pytest.mark.slow


@pytest.fixture
def mem(repo: Repo) -> Iterator[Repo]:
    repo = use_fake_model(repo)
    repo.remember("Alice prefers email over phone calls", "user:alice", agent="support")
    yield repo
    if service_pid(repo) is not None:
        call(repo.root, "stop", {}, start=False)


def test_changed_settings_restart_the_service(mem: Repo) -> None:
    first_hits = mem.search("email", daemon=True)
    first = service_pid(mem)
    assert first is not None
    config = mem.local_dir / "config"
    config.write_text(config.read_text() + "\n# edited\n")
    again = Repo(mem.root).search("email", daemon=True)
    second = service_pid(mem)
    assert second is not None and second != first
    assert wait_gone(first)
    assert [h.fact.id for h in again] == [h.fact.id for h in first_hits]
    assert "stepping aside" in (mem.local_dir / "search.log").read_text()
