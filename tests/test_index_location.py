"""`search.index_location`: the LanceDB database may live elsewhere than `.agentmem/index/` (a
folder here; LanceDB also takes s3:// and gs:// URIs, documented, not tested). views.json and the
lock stay in the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmem import Repo
from agentmem.errors import InvalidInput
from test_search import use_fake_model


def located(repo: Repo, value: str) -> Repo:
    config = repo.local_dir / "config"
    config.write_text(config.read_text().replace("[search]\n", f"[search]\nindex_location = {value}\n", 1))
    return Repo(repo.root)


def test_index_in_another_folder(repo: Repo, tmp_path: Path) -> None:
    elsewhere = tmp_path / "lance-db"
    repo = located(use_fake_model(repo), f'"{elsewhere}"')
    repo.remember("The queue runs on Redis", agent="ops")
    hits = repo.search("redis queue", daemon=False)
    assert hits[0].fact.text == "The queue runs on Redis"
    assert any(p.name.startswith("view_") for p in elsewhere.iterdir())
    assert not any(p.name.startswith("view_") for p in (repo.local_dir / "index").iterdir())
    assert (repo.local_dir / "index" / "views.json").exists()
    assert repo.index_status(daemon=False)["path"] == str(elsewhere)


def test_index_location_must_be_text(repo: Repo) -> None:
    repo = located(use_fake_model(repo), "3")
    repo.remember("x", agent="ops")
    with pytest.raises(InvalidInput, match="index_location"):
        repo.search("x", daemon=False)


def test_a_purge_erases_the_fact_from_an_index_elsewhere(repo: Repo, tmp_path: Path) -> None:
    """The index holds each fact's text (its full-text column, the embedding cache's keys are
    hashes): a purge deleted `.agentmem/index/` only, so with the index elsewhere the purged text
    stayed there."""
    elsewhere = tmp_path / "lance-db"
    repo = located(use_fake_model(repo), f'"{elsewhere}"')
    secret = repo.remember("The vault code is 7719-alpha-zulu", "agent:ops", agent="ops").id
    repo.remember("The queue runs on Redis", agent="ops")
    assert repo.search("vault code", daemon=False)

    def held() -> bool:
        return any(b"7719-alpha-zulu" in p.read_bytes() for p in elsewhere.rglob("*") if p.is_file())

    assert held()
    repo.purge(secret, agent="admin", yes=True)
    assert not held()
    assert Repo(repo.root).search("redis queue", daemon=False)[0].fact.text == "The queue runs on Redis"
