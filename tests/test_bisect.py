"""`bisect`: interactive, `run`, and the direct `--contains` form, within the evaluation bound."""

from __future__ import annotations

import json
import math
import sys

import pytest
from typer.testing import CliRunner

from agentmem import Repo
from conftest import invoke


def _history(repo: Repo, n: int, bad_at: int) -> list[str]:
    """n commits after the root; commit number `bad_at` (1-based) adds the bad fact."""
    commits = []
    for number in range(1, n + 1):
        text = "the bad fact" if number == bad_at else f"fact {number}"
        commits.append(repo.remember(text, agent=f"agent{number % 3}").commit or "")
    return commits


@pytest.mark.parametrize("bad_at", [1, 2, 17, 31, 32])
def test_contains_finds_the_first_commit_within_the_bound(repo: Repo, bad_at: int) -> None:
    commits = _history(repo, 32, bad_at)
    step = repo.bisect("bad fa.t")
    assert step.status == "found" and step.first_bad is not None
    assert step.first_bad.id == commits[bad_at - 1]
    assert step.evaluations <= math.ceil(math.log2(step.commits)) + 1
    good = repo.bisect("the bad fact", good=commits[0], bad=commits[-1]) if bad_at > 1 else step
    assert good.first_bad is not None and good.first_bad.id == commits[bad_at - 1]


def test_interactive_bisect_with_skip(repo: Repo, cli: CliRunner) -> None:
    commits = _history(repo, 20, 13)
    bad_id = commits[12]
    assert "Bisecting" not in invoke(cli, "status")[1]
    code, out, _ = invoke(cli, "bisect", "start", "--bad", "HEAD", "--good", "HEAD~20")
    assert code == 0 and out.startswith("test ")
    assert "Bisecting: 'agentmem bisect status'" in invoke(cli, "status")[1]
    skipped = False
    for _ in range(30):
        state = repo.bisect_status()
        if state.status != "testing":
            break
        assert state.candidate is not None
        if not skipped:
            skipped = True
            code, out, _ = invoke(cli, "bisect", "skip")
            continue
        verdict = "bad" if "the bad fact" in {f.text for f in repo.facts(at=state.candidate)} else "good"
        code, out, _ = invoke(cli, "bisect", verdict)
        assert code == 0
    assert "first bad commit: " + bad_id in out
    assert repo.bisect_status().first_bad.id == bad_id  # type: ignore[union-attr]
    assert invoke(cli, "bisect", "reset")[0] == 0 and not (repo.local_dir / "BISECT.json").exists()
    assert json.loads(invoke(cli, "status", "--json")[1])["bisecting"] is False


def test_bisect_run_uses_the_exit_status(repo: Repo, cli: CliRunner) -> None:
    commits = _history(repo, 40, 29)
    check = (
        "import os, sys; from agentmem import Repo; r = Repo.open(); "
        "sys.exit(1 if any(f.text == 'the bad fact' for f in r.facts(at=os.environ['AGENTMEM_REF'])) else 0)"
    )
    repo.bisect_start(good="HEAD~40", bad="HEAD")
    code, out, _ = invoke(cli, "bisect", "run", sys.executable, "-c", check)
    assert code == 0 and "first bad commit: " + commits[28] in out
    evaluations = int(out.rsplit("evaluations: ", 1)[1].split()[0])
    assert evaluations <= math.ceil(math.log2(40)) + 2  # both ends are tested first
    repo.bisect_reset()
    repo.bisect_start(good="HEAD~40", bad="HEAD")
    code, _, err = invoke(cli, "bisect", "run", sys.executable, "-c", "raise SystemExit(200)")
    assert code == 1 and "aborted" in err and err.count("\n") == 1


def test_bad_inputs(repo: Repo, cli: CliRunner) -> None:
    _history(repo, 5, 3)
    repo.create_branch("side", "HEAD~2")
    repo.switch("side")
    repo.remember("off the line", agent="x")
    repo.switch("main")
    cases = [
        (("bisect", "--contains", "never written"), 3), (("bisect", "good"), 3),
        (("bisect", "start", "--bad", "HEAD", "--good", "nope"), 3),
        (("bisect", "start", "--bad", "HEAD", "--good", "side"), 2),
        (("bisect", "start", "--bad", "HEAD", "--good", "HEAD"), 2),
        (("bisect", "--contains", ""), 2), (("bisect", "--contains", "x", "--scope", "bogus"), 2),
    ]  # fmt: skip
    for args, want in cases:
        code, _, err = invoke(cli, *args)
        assert code == want, (args, err)
        assert err.startswith("error: ") and err.count("\n") == 1
    assert not (repo.local_dir / "BISECT.json").exists()
    repo.bisect_start(good="HEAD~5", bad="HEAD")
    for args, want in ((("bisect", "start", "--bad", "HEAD", "--good", "HEAD~1"), 2),
                       (("bisect", "good", "side"), 2), (("bisect", "bad", "HEAD~5"), 2)):  # fmt: skip
        code, _, err = invoke(cli, *args)
        assert code == want, (args, err)


def test_bisect_checks_both_ends_first(repo: Repo, cli: CliRunner) -> None:
    """A --good that is already bad, or a --bad that is good, is a one-line error, never a
    confident wrong answer (issue 11, item 9)."""
    commits = _history(repo, 8, 3)
    # direct form: the bad fact already exists at --good
    code, _, err = invoke(cli, "bisect", "--contains", "the bad fact", "--good", commits[4])
    assert code == 2 and "already at --good" in err and err.count("\n") == 1
    check = (
        "import os, sys; from agentmem import Repo; r = Repo.open(); "
        "sys.exit(1 if any(f.text == 'the bad fact' for f in r.facts(at=os.environ['AGENTMEM_REF'])) else 0)"
    )
    # run: the good end tests bad
    repo.bisect_start(good=commits[4], bad="HEAD")
    code, _, err = invoke(cli, "bisect", "run", sys.executable, "-c", check)
    assert code == 2 and "good end" in err and err.count("\n") == 1
    repo.bisect_reset()
    # run: the bad end tests good
    repo.bisect_start(bad=commits[1])
    code, _, err = invoke(cli, "bisect", "run", sys.executable, "-c", check)
    assert code == 2 and "bad end" in err and err.count("\n") == 1
    repo.bisect_reset()
    # start without --good: from the root commit, and the answer is right
    code, out, _ = invoke(cli, "bisect", "start", "--bad", "HEAD")
    assert code == 0 and out.startswith("test ")
    code, out, _ = invoke(cli, "bisect", "run", sys.executable, "-c", check)
    assert code == 0 and "first bad commit: " + commits[2] in out


def test_contains_finds_what_each_reader_may_see_first(repo: Repo) -> None:
    """Each folder is searched once for the whole bisection (its verdict is its tree's): the
    first commit found is still the first where a fact the reader may see matches, for the owner,
    for a reader that may not read where the match first appears, within one scope, and after
    the matching fact is changed and forgotten and written again."""
    policy = '[agents.admin]\nread = ["*"]\nwrite = ["*"]\n[agents.billing]\nread = ["shared"]\n'
    repo.policy.set('default = "deny"\nadmins = ["admin"]\n' + policy, agent="admin")
    admin = repo.as_agent("admin")
    with admin.transaction("many facts") as tx:
        for n in range(60):
            tx.remember(f"background fact {n}", "shared" if n % 2 else "user:dana")
    commits: dict[str, str] = {}
    for n in range(24):
        text = {8: "dana's needle", 14: "a shared needle"}.get(n, f"step {n}")
        written = admin.remember(text, "user:dana" if n == 8 else "shared")
        commits[text] = written.commit or ""
        if n == 17:
            admin.update(written.id, text="step 17, changed")
    found = {agent: repo.as_agent(agent).bisect("needle").first_bad for agent in ("admin", "billing")}
    assert found["admin"] is not None and found["admin"].id == commits["dana's needle"]
    assert found["billing"] is not None and found["billing"].id == commits["a shared needle"]
    in_scope = admin.bisect("needle", scope="shared").first_bad
    assert in_scope is not None and in_scope.id == commits["a shared needle"]
    shared_needle = next(f.id for f in admin.facts("shared") if f.text == "a shared needle")
    gone = admin.forget(shared_needle).commit or ""
    admin.remember("step 24", "shared")
    again = admin.remember("a shared needle, again", "shared").commit
    step = repo.as_agent("billing").bisect("needle", good=gone)
    assert step.first_bad is not None and step.first_bad.id == again
