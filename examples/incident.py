"""An incident in a shared memory: a wrong fact, two facts derived from it, and the clean-up.

Three agents (researcher, planner, writer) write over 200 commits. Early on the researcher
records a wrong rate limit; the planner derives a plan from it and the writer derives a note
from the plan. Then we:

1. blame the writer's note: the `derived_from` chain leads to the wrong fact, its commit and agent;
2. bisect for the first commit holding the wrong claim, in at most ceil(log2(n)) + 1 evaluations;
3. forget the wrong fact with --cascade: it and its two descendants go, in one commit, and nothing
   else changes.

Then agents as identities (`governed`), under a committed policy: a support agent writes a wrong
refund rule; billing and planner read it; billing derives two facts and planner one from
billing's. We

4. trace it: exactly the three derived facts, and exactly the two agents (with their runs) that read;
5. quarantine it: the four facts vanish from every read of every agent at once;
6. prove from the read receipts who saw what, in which run, at which commit;
7. release the quarantine and forget --cascade: exactly those four facts go.

Run:  python examples/incident.py [PATH]   (default: a temporary folder)
"""

from __future__ import annotations

import math
import subprocess
import sys
import tempfile
from pathlib import Path

from agentmem import NotFound, Repo

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


POLICY = """
default = "deny"
admins = ["incident-response"]
[agents.support]
read = ["shared", "agent:{agent}"]
write = ["shared", "agent:{agent}"]
[agents.billing]
read = ["shared", "agent:{agent}"]
write = ["shared", "agent:{agent}"]
[agents.planner]
read = ["shared", "agent:billing", "agent:{agent}"]
write = ["shared", "agent:{agent}"]
[agents.incident-response]
read = ["*"]
write = ["*"]
"""
WRONG_RULE = "Refunds are allowed up to 365 days after purchase"


def governed(root: Path) -> None:
    """The incident again, with agents as identities: trace, quarantine, receipts, cascade."""
    repo = Repo.init(root)
    repo.policy.set(POLICY, agent="incident-response", message="policy: agents and scopes")
    support = repo.as_agent("support", run="support-run-1", trace="ticket-4411")
    billing = repo.as_agent("billing", run="billing-run-7")
    planner = repo.as_agent("planner", run="planner-run-3")
    for number in range(12):
        support.remember(f"Customer note {number}")
    wrong = support.remember(WRONG_RULE, tags=["refunds"]).id
    read_at = {}
    for reader in (billing, planner):
        read_at[reader.agent] = reader.snapshot().commit
        reader.get(wrong)
    b1 = billing.remember("Approve refund requests up to one year old", "agent:billing",
                          derived_from=[wrong]).id  # fmt: skip
    b2 = billing.remember("Refund window shown on invoices: 365 days", derived_from=[wrong]).id
    planner.get(b1)
    p1 = planner.remember("Plan: no refund escalations before day 365", "agent:planner",
                          derived_from=[b1]).id  # fmt: skip
    unrelated = billing.remember("Invoices are sent on the first of the month").id
    print(f"\nsupport wrote {wrong}: {WRONG_RULE!r}; billing and planner read it;")
    print(f"billing derived {b1} and {b2}, planner derived {p1} from {b1}.")

    # 4. Trace: the blast radius, from an agent allowed to see everything.
    responder = repo.as_agent("incident-response", run="ir-1")
    radius = responder.trace_fact(wrong)
    derived = {d.id for d in radius.derived} - {wrong}
    readers = set(radius.readers)
    print(f"trace {wrong}: introduced by {radius.origin.introduced.agent}; derived "
          f"{sorted(derived)}; read by {sorted(f'{a} ({r})' for a, r in readers)}")  # fmt: skip
    assert derived == {b1, b2, p1}
    assert readers == {("billing", "billing-run-7"), ("planner", "planner-run-3")}

    # 5. Quarantine: every fact of the radius disappears from every read at once.
    entry = repo.quarantine.add(wrong, agent="incident-response", reason="wrong refund window")
    assert set(entry.hidden) == {b1, b2, p1}
    for agent in (billing, planner, support, responder):
        visible = {f.id for f in agent.facts()}
        assert not visible & {wrong, b1, b2, p1}
        for fact_id in (wrong, b1, b2, p1):
            try:
                agent.get(fact_id)
                raise AssertionError(f"{agent.agent} still sees {fact_id}")
            except NotFound:
                pass
    assert unrelated in {f.id for f in billing.facts()}
    print(f"quarantine {wrong}: {1 + len(entry.hidden)} facts hidden from every agent; "
          "the rest unchanged.")  # fmt: skip

    # 6. Receipts: who saw the wrong rule, in which run, at which commit (the responder's trace
    #    showed it too, and is recorded like any read).
    seen = [(r.agent, r.run, r.commit) for r in repo.receipts.read(fact_id=wrong)]
    assert seen == [("billing", "billing-run-7", read_at["billing"]),
                    ("planner", "planner-run-3", read_at["planner"]),
                    ("incident-response", "ir-1", radius.commit)], seen  # fmt: skip
    for agent, run, commit in seen:
        print(f"  receipt: {agent} ({run}) read {wrong} at {commit[:12]}")

    # 7. Release and forget the whole radius for good (history keeps it).
    repo.quarantine.release(wrong, agent="incident-response")
    before = {f.id for f in repo.facts()}
    gone = responder.forget_cascade(wrong, message="incident: wrong refund window")
    after = {f.id for f in repo.facts()}
    assert {d.id for d in gone.facts} == before - after == {wrong, b1, b2, p1}
    print(f"forget --cascade {wrong}: removed exactly {len(before - after)} facts; "
          f"{len(after)} others unchanged.")  # fmt: skip


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
        governed(Path(sys.argv[1] + "-governed"))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp) / "memory")
            governed(Path(tmp) / "governed")
