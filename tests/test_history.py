"""`log ID --follow`: a fact's history through merge commits."""

from __future__ import annotations

from typer.testing import CliRunner

from agentmem import Repo
from conftest import invoke


def test_follow_shows_the_merge_that_brought_a_change_in(repo: Repo, cli: CliRunner) -> None:
    repo.remember("v1", agent="a", id="f")
    repo.create_branch("side")
    repo.switch("side")
    repo.update("f", agent="s", text="v2")
    side = repo.resolve()
    repo.switch("main")
    repo.remember("other", agent="m")
    repo.merge("side")
    merge = repo.resolve()
    plain = [c.id for c in repo.log("f")]
    followed = [c.id for c in repo.log_follow("f")]
    assert side in plain and merge not in plain
    assert followed[0] == merge and side in followed and len(followed) == len(plain) + 1
    code, out, _ = invoke(cli, "log", "f", "--follow")
    assert code == 0 and merge[:12] in out
    code, out, _ = invoke(cli, "log", "f")
    assert code == 0 and merge[:12] not in out
