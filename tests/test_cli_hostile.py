"""Every command given hostile arguments (a path out of the repository, a lone surrogate, 5,000
characters, a ref that cannot resolve, an option where a value goes): each ends with one of the
documented exit codes and one short line on stderr, never the exit code of a bug (70) or a
traceback, and the repository stays a valid git repository."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from agentmem import Repo
from agentmem.cli.commands import COMMANDS
from conftest import fsck, invoke
from test_search import use_fake_model

HOSTILE = ["", "../x", "x" * 5000, "HEAD~999", "\U0001f4a5", "-", "refs/heads/../../x", "@{-1}",
           "user:", "\ud800"]  # fmt: skip
AFTER_AN_ID = {"", "../x", "x" * 5000, "HEAD~999", "\ud800"}
# They start or wait on something else (a server, a service, a new repository elsewhere): their
# hostile arguments are tested with them (test_mcp, test_service, test_remotes).
LEFT_OUT = {"serve", "service", "clone", "init"}
DOCUMENTED = {0, 1, 2, 3, 4, 5, 6}  # errors.py


# dulwich warns of a ref name it will refuse in a later version: `diff ../x` read "/x" as a ref
# and looked up refs/tags//x (now "invalid ref '/x'", as git's check-ref-format would have it)
@pytest.mark.filterwarnings("error::DeprecationWarning:dulwich")
def test_every_command_answers_hostile_arguments_in_one_line(repo: Repo, cli: CliRunner) -> None:
    repo = use_fake_model(repo)
    repo.remember("Alice prefers email", "user:alice", agent="support", id="alice-email")
    wrong = []
    for command in sorted(set(COMMANDS) - LEFT_OUT):
        for value in HOSTILE:
            # after a fact id (update ID TEXT, promote ID SCOPE, tag NAME REF...): the values a
            # second argument is most often checked against
            second = [[command, "alice-email", value]] if value in AFTER_AN_ID else []
            for args in ([command, value], *second):
                code, _out, err = invoke(cli, *args)
                lines = err.strip().splitlines()
                if code not in DOCUMENTED or "Traceback" in err or "error: unexpected" in err or (
                    code in (1, 3, 4, 5, 6) and (len(lines) != 1 or len(lines[0]) > 400)
                ):
                    wrong.append(f"{args!r:.60}: exit {code}: {err.strip()[:120]!r}")
    assert wrong == [], "\n".join(wrong)
    assert fsck(repo) == ""
