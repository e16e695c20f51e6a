"""Governance commands: policy, promote, review, expire, reads, trace, quarantine, purge.

Each is one API call (`repo.policy`, `session.promote`, `repo.receipts`, ...) rendered as a
table or JSON; see docs/governance.md."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ..errors import InvalidInput
from ..values import complete_id
from . import app, input_text, open_repo
from .identity import Agent, Branch, Run, Trace, session
from .output import console, err, plural, print_json, table

Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]
FactId = Annotated[str, typer.Argument(metavar="ID")]
Message = Annotated[str, typer.Option("--message", "-m", help="Commit message.")]

policy_app = typer.Typer(help="The committed access policy (.agentmem/policy.toml).",
                         no_args_is_help=True)  # fmt: skip
app.add_typer(policy_app, name="policy")
review_app = typer.Typer(help="Proposed promotions (branches proposals/<agent>).",
                         invoke_without_command=True)  # fmt: skip
app.add_typer(review_app, name="review")


@policy_app.command("set")
def policy_set(
    file: Annotated[str, typer.Argument(help="TOML policy file ('-' reads stdin).")],
    agent: Agent = "cli", message: Message = "", branch: Branch = None,
) -> None:  # fmt: skip
    """Commit FILE as the new policy (only an admin of the current policy may)."""
    text = input_text(file)
    repo = open_repo()
    current = branch or repo.as_agent(agent).branch
    names = [current] if branch else repo.policy.sharing(current)
    commit = repo.policy.set(text, agent=agent, message=message, branch=branch)
    console.print(f"policy {'committed in ' + commit[:12] if commit else 'unchanged'}")
    if commit and len(names) > 1:  # unchanged here: unchanged on the branches sharing it too
        console.print(f"and on every branch that held the same policy: {', '.join(names[1:])}")
    left = [ref.name for ref in repo.branches() if ref.name not in names]
    if left and not branch:
        err(f"note: left as they are, with a policy of their own: {', '.join(left)}")


@policy_app.command("show")
def policy_show(
    at: Annotated[str | None, typer.Option("--at", help="Branch, tag or commit.")] = None,
) -> None:  # fmt: skip
    """Print the policy (none: every agent may do everything)."""
    text = open_repo().policy.show(at)
    console.print(text if text is not None else "# no policy: every agent may do everything", end="")


@policy_app.command("explain")
def policy_explain(
    agent_name: Annotated[str, typer.Argument(metavar="AGENT")],
    action: Annotated[str, typer.Argument(help="read, write or promote.")],
    scope: Annotated[str, typer.Argument(metavar="SCOPE")],
    json_out: Json = False,
) -> None:  # fmt: skip
    """Which rule allows or denies AGENT to ACTION in SCOPE."""
    decision = open_repo().policy.explain(agent_name, action, scope)
    if json_out:
        print_json(decision)
        return
    verdict = "allow" if decision.allowed else "deny"
    console.print(f"{verdict}: {decision.agent} {decision.action} {decision.scope} ({decision.reason})")


@app.command()
def promote(
    fact_id: FactId,
    to: Annotated[str, typer.Option("--to", help="Scope to promote into.")],
    propose: Annotated[
        bool, typer.Option("--propose", help="Put it on proposals/<agent> for review.")
    ] = False,
    agent: Agent = "cli", run: Run = None, trace: Trace = None, branch: Branch = None,
    json_out: Json = False,
) -> None:  # fmt: skip
    """Write a copy of a fact in a wider scope, derived from it (needs the promote right)."""
    actor = session(agent, run, trace, branch)
    result = actor.promote(actor.expand_id(fact_id), to, propose=propose)
    if json_out:
        print_json(result)
    else:
        console.print(result.id)


@review_app.callback()
def review(ctx: typer.Context, json_out: Json = False, agent: Agent = "cli", branch: Branch = None) -> None:
    """List the proposals the agent may review, with their fact diffs (subcommands: accept, reject)."""
    if ctx.invoked_subcommand is not None:
        return
    from ..governance.promotion import reviewable

    acting = session(agent, None, None, branch)
    found = reviewable(acting)
    if json_out:
        print_json(found)
        return
    for proposal in found:
        unseen = f"; {plural(proposal.hidden, 'fact')} agent {agent} may not see" if proposal.hidden else ""
        if not proposal.changes:
            console.print(f"{proposal.branch} ({proposal.agent}): nothing left to review{unseen}, "
                          f"every fact is on {acting.branch} "
                          f"(review reject {proposal.agent} drops the branch)")  # fmt: skip
            continue
        rows = [[c.id, c.scope, c.op, c.summary] for c in proposal.changes]
        table(("id", "scope", "op", "text"), rows, title=f"{proposal.branch} ({proposal.agent}){unseen}")
    if not found:
        console.print("No proposals.")
        policy = acting.visibility().policy
        if not (policy.is_admin(agent) or policy.grants_any(agent, "promote")):
            err(f"note: agent {agent} reviews only its own proposal: under the policy, admins and "
                "agents with a promote right review others' (act as one with --agent)")  # fmt: skip


Ids = Annotated[list[str] | None, typer.Argument(metavar="ID", help="Only these facts.")]
Proposer = Annotated[str, typer.Argument(metavar="PROPOSAL", help="proposals/<agent> or <agent>.")]


@review_app.command("accept")
def review_accept(
    name: Proposer, ids: Ids = None, agent: Agent = "cli", branch: Branch = None
) -> None:
    """Copy the proposal's facts (or the IDs given) onto the branch, fact by fact."""
    from ..governance.promotion import accept

    taken = accept(session(agent, None, None, branch), name, ids)
    console.print(f"accepted {plural(len(taken), 'fact')}: {' '.join(taken)}")


@review_app.command("reject")
def review_reject(
    name: Proposer, ids: Ids = None, agent: Agent = "cli", branch: Branch = None
) -> None:
    """Drop the proposal (or only the IDs given)."""
    from ..governance.promotion import reject

    dropped = reject(session(agent, None, None, branch), name, ids)
    console.print(f"rejected {plural(len(dropped), 'fact')}")


@app.command()
def expire(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only list what is expired.")] = False,
    agent: Agent = "cli", run: Run = None, trace: Trace = None, branch: Branch = None,
    json_out: Json = False,
) -> None:  # fmt: skip
    """Commit the removal of every expired fact (own expiry or the scope's time to live)."""
    from ..governance.retention import expire as run_expire

    result = run_expire(session(agent, run, trace, branch), dry_run=dry_run)
    if json_out:
        print_json(result)
        return
    verb = "would remove" if dry_run else "removed"
    console.print(f"{verb} {plural(len(result.ids), 'expired fact')}"
                  + (f" in {result.commit[:12]}" if result.commit else ""))  # fmt: skip


@app.command()
def reads(
    fact: Annotated[str | None, typer.Option("--fact", help="Reads that handed out this fact.")] = None,
    agent: Annotated[str | None, typer.Option("--agent", help="Reads by this agent.")] = None,
    run: Annotated[str | None, typer.Option("--run", help="Reads in this run.")] = None,
    limit: Annotated[int | None, typer.Option(
        "-n", "--limit", min=0, help="Only the newest N (still oldest first).")] = None,
    json_out: Json = False,
    reader: Annotated[str, typer.Option(
        "--as", envvar="AGENTMEM_AGENT", help="The acting agent (under a policy, a non-admin reads its own)."
    )] = "cli",
) -> None:  # fmt: skip
    """Read receipts: who read which facts, in which run, at which commit, when.

    Oldest first; -n N shows only the newest N."""
    everything = session(reader).reads(fact_id=fact, agent=agent, run=run)
    found = everything if limit is None else everything[len(everything) - limit:]
    if json_out:
        print_json(found)
        return
    rows = [[r.time[:19], r.agent, r.run, r.op, r.commit[:12], len(r.facts),
             " ".join(r.fact_ids[:3]) + (" ..." if len(r.facts) > 3 else "")] for r in found]  # fmt: skip
    left_out = len(everything) - len(found)
    title = f"{len(found)} of {len(everything)} reads" if left_out else plural(len(found), "read")
    footer = f"{left_out} older not shown" if left_out else None
    table(("time", "agent", "run", "op", "commit", "facts", "ids"), rows, title=title, footer=footer)


@app.command("trace")
def trace_(
    fact_id: FactId, agent: Agent = "cli", branch: Branch = None, json_out: Json = False
) -> None:
    """A fact's blast radius: its origin, the facts derived from it, and who read them.

    Derived facts on the branch and in its history, and every agent and run that read any of
    them."""
    reader = session(agent, None, None, branch)
    found = reader.trace_fact(reader.expand_id(fact_id))
    if json_out:
        print_json(found)
        return
    origin = found.origin.introduced
    console.print(f"{found.id} introduced in {origin.id[:12]} by {origin.agent} "
                  f"(run {origin.run or '-'}, trace {origin.trace or '-'}) at {origin.time}")  # fmt: skip
    table(("id", "scope", "from", "on branch", "text"),
          [[d.id, d.scope, d.via or "", "yes" if d.present else "no", d.summary] for d in found.derived],
          title=f"{plural(len(found.derived), 'fact')} in the blast radius")  # fmt: skip
    table(("time", "agent", "run", "op", "fact", "commit"),
          [[r.time[:19], r.agent, r.run, r.op, r.fact, r.commit[:12]] for r in found.reads],
          title=plural(len(found.readers), "reader"))  # fmt: skip


@app.command()
def quarantine(
    target: Annotated[str | None, typer.Argument(
        metavar="ID | release", help="The fact to quarantine, or 'release'.")] = None,
    fact_id: Annotated[str | None, typer.Argument(
        metavar="ID", help="After 'release': the fact to release.")] = None,
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the list).")] = "",
    agent: Agent = "cli", run: Run = None, trace: Trace = None, branch: Branch = None,
    json_out: Json = False,
) -> None:  # fmt: skip
    """Hide a fact and its blast radius from every read (a committed list).

    `quarantine release ID` lifts it; no argument lists the quarantined facts."""
    repo = open_repo()
    if target == "release":
        if fact_id is None:
            raise InvalidInput("quarantine release needs an ID")
        lists = [repo.quarantine.list(name, agent=agent) for name in ([branch] if branch else
                 [ref.name for ref in repo.branches()])]  # fmt: skip
        fact_id = complete_id(fact_id, (entry.id for listed in lists for entry in listed))
        held = [branch] if branch else repo.quarantine.holding(fact_id)
        entry: Any = repo.quarantine.release(fact_id, agent=agent, branch=branch)
        console.print(f"released {entry.id} and {plural(len(entry.hidden), 'derived fact')} "
                      f"on {_branch_list(held)}")  # fmt: skip
        return
    if target is None:
        entries = repo.quarantine.list(branch, agent=agent)
        if json_out:
            print_json(entries)
        else:
            table(("id", "hidden", "by", "at", "reason"),
                  [[e.id, len(e.hidden), e.by, e.at, e.reason] for e in entries])  # fmt: skip
        return
    if fact_id is not None:
        raise InvalidInput("give one ID (or: quarantine release ID)")
    target = repo.as_agent(agent, run=run, trace=trace, branch=branch).expand_id(target)
    entry = repo.quarantine.add(target, agent=agent, reason=reason, run=run, trace=trace,
                                branch=branch)  # fmt: skip
    if json_out:
        print_json(entry)
    else:
        held = [branch] if branch else repo.quarantine.holding(entry.id)
        console.print(f"quarantined {entry.id} and {plural(len(entry.hidden), 'derived fact')} "
                      f"on {_branch_list(held)}")  # fmt: skip


def _branch_list(names: list[str]) -> str:
    return f"branch {names[0]}" if len(names) == 1 else f"{len(names)} branches: {', '.join(names)}"


@app.command()
def purge(
    fact_id: FactId,
    yes: Annotated[bool, typer.Option("--yes", help="Really erase it (rewrites history).")] = False,
    agent: Agent = "cli", json_out: Json = False,
) -> None:  # fmt: skip
    """Erase a fact from every branch, tag, reflog, index and receipt (rewrites history)."""
    result = open_repo().purge(fact_id, agent=agent, yes=yes)
    if json_out:
        print_json(result)
        return
    rewritten = f"{plural(result.commits_rewritten, 'commit')} rewritten on {plural(len(result.refs), 'ref')}"
    console.print(f"purged {result.id}: {plural(len(result.blobs), 'version')}, {rewritten}")
    if result.derived:
        err(f"warning: kept {plural(len(result.derived), 'fact')} derived from it, which may quote it: "
            f"{' '.join(result.derived)} (purge each one that does)")  # fmt: skip
