"""An incident in a shared memory: a wrong fact, two facts derived from it, and the clean-up.

Three agents (researcher, planner, writer) write over 200 commits. Early on the researcher
records a wrong rate limit; the planner derives a plan from it and the writer derives a note
from the plan. Then we:

1. blame the writer's note: the `derived_from` chain leads to the wrong fact, its commit and agent;
2. bisect for the first commit holding the wrong claim, in at most ceil(log2(n)) + 1 evaluations;
3. forget the wrong fact with --cascade: it and its two descendants go, in one commit, and nothing
   else changes.

Run:  python examples/incident.py [PATH]   (default: a temporary folder)
"""

from __future__ import annotations

import math
import subprocess
import sys
import tempfile
from pathlib import Path

from agentmem import Repo

AGENTS = ("researcher", "planner", "writer")
WRONG = "The payments API allows 10,000 requests per minute"
BAD_AT = 71  # the commit number (1-based) where the wrong fact is written


def build(repo: Repo) -> dict[str, str]:
    """210 commits of ordinary work by three agents, with the incident woven in."""
    ids: dict[str, str] = {}
    for number in range(1, 211):
        agent = AGENTS[number % 3]
        run = f"run-{number // 10}"
        if number == BAD_AT:
            ids["wrong"] = repo.remember(WRONG, agent="researcher", run=run,
                                         trace="trace-rate-limit", tags=["api"]).id  # fmt: skip
        elif number == 120:
            ids["plan"] = repo.remember(
                "Plan: batch payment sync at 9,000 requests per minute", agent="planner", run=run,
                derived_from=[ids["wrong"]],
            ).id
        elif number == 160:
            ids["note"] = repo.remember(
                "Runbook: no back-off needed below 9,000 requests per minute", "app:runbook",
                agent="writer", run=run, derived_from=[ids["plan"], ids["good-source"]],
            ).id
        elif number == 30:
            ids["good-source"] = repo.remember("Payments retries use exponential back-off",
                                               agent="researcher", run=run).id  # fmt: skip
        elif number % 7 == 0 and number > 40:
            repo.remember(f"Derived observation {number}", agent=agent, run=run,
                          derived_from=[ids["good-source"]])  # fmt: skip
        else:
            repo.remember(f"Observation {number} by {agent}", agent=agent, run=run)
    return ids


def main(root: Path) -> None:
    repo = Repo.init(root)
    ids = build(repo)
    commits = len(repo.log()) - 1
    print(f"{commits} commits by {', '.join(AGENTS)}; {len(repo.facts())} facts in memory.")
    assert commits > 200

    # 1. Blame the writer's runbook note and walk its sources.
    blame = repo.blame(ids["note"])
    print(f"\nThe writer's note {ids['note']} says: {blame.text!r}")
    plan = next(s for s in blame.sources if s.id == ids["plan"])
    wrong = plan.sources[0]
    culprit = wrong.introduced
    print(f"  it derives from the planner's fact {plan.id} ({plan.introduced.agent}, "
          f"{plan.introduced.id[:12]}),")  # fmt: skip
    print(f"  which derives from {wrong.id}: {wrong.text!r},")
    print(f"  introduced in {culprit.id[:12]} by {culprit.agent} (run {culprit.run}, "
          f"trace {culprit.trace}) at {culprit.time}.")  # fmt: skip
    assert wrong.id == ids["wrong"] and culprit.agent == "researcher"
    assert culprit.trace == "trace-rate-limit"

    # 2. Bisect independently: which commit first held a fact claiming 10,000 requests?
    step = repo.bisect(r"10,000 requests")
    bound = math.ceil(math.log2(step.commits)) + 1
    assert step.first_bad is not None
    print(f"\nbisect --contains '10,000 requests': first bad commit {step.first_bad.id[:12]} "
          f"by {step.first_bad.agent}, {step.evaluations} evaluations over {step.commits} commits "
          f"(bound {bound}).")  # fmt: skip
    assert step.first_bad.id == culprit.id and step.evaluations <= bound
    assert step.commits >= 200 and step.evaluations <= math.ceil(math.log2(200)) + 1

    # 3. Forget the wrong fact and everything derived from it.
    before = {f.id: f for f in repo.facts()}
    preview = repo.forget_cascade(ids["wrong"], agent="incident-response", dry_run=True)
    print(f"\nforget --cascade --dry-run {ids['wrong']}:")
    for fact in preview.facts:
        print(f"  {fact.id} [{fact.scope}] {fact.summary!r}" + (f" (from {fact.via})" if fact.via else ""))
    done = repo.forget_cascade(ids["wrong"], agent="incident-response",
                               message="incident: remove wrong rate limit and its descendants")  # fmt: skip
    after = {f.id: f for f in repo.facts()}
    removed = set(before) - set(after)
    assert removed == {ids["wrong"], ids["plan"], ids["note"]}
    assert all(after[i] == before[i] for i in after) and set(after) <= set(before)
    assert ids["good-source"] in after
    assert done.commit is not None
    print(f"Forgot {len(removed)} facts in {done.commit[:12]}; the other {len(after)} are unchanged.")
    fsck = subprocess.run(["git", "fsck", "--full"], cwd=root, capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stderr
    print("git fsck --full: clean. The history still holds the wrong fact for the record: "
          f"agentmem show {ids['wrong']} --at {culprit.id[:12]}")  # fmt: skip


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp) / "memory")
