"""`agentmem bisect`: the interactive form (start/good/bad/skip/run/reset) and the direct form
``bisect --contains PATTERN``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ..errors import InvalidInput
from . import app, open_repo
from .identity import Agent
from .output import console, plural, print_json

bisect_app = typer.Typer(
    help="Find the commit that introduced a bad fact (binary search, first-parent chain).",
    no_args_is_help=False,
    invoke_without_command=True,
)
app.add_typer(bisect_app, name="bisect")

Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]
RefArg = Annotated[str | None, typer.Argument(metavar="REF", help="Default: the candidate.")]


def _show(step: Any, json_out: bool, agent: str) -> None:
    if json_out:
        print_json(step)
        return
    if step.status == "testing":
        console.print(f"test {step.candidate}  (about {plural(step.steps_left, 'step')} left; "
                      f"read it with --at {step.candidate[:12]})")  # fmt: skip
    elif step.status == "found":
        info = step.first_bad
        console.print(f"first bad commit: {info.id}")
        console.print(f"  agent {info.agent}  time {info.time}  run {info.run or '-'}  "
                      f"trace {info.trace or '-'}")  # fmt: skip
        console.print(f"  {info.subject or f'(it changes facts agent {agent} may not see)'}")
        for change in info.changes:
            console.print(f"  {change.op} {change.id} [{change.scope}]")
    else:
        console.print("skipped commits leave several candidates: " + " ".join(
            s[:12] for s in step.suspects))  # fmt: skip
    console.print(f"evaluations: {step.evaluations} over {plural(step.commits, 'commit')}")


@bisect_app.callback()
def _bisect(
    ctx: typer.Context,
    contains: Annotated[
        str | None, typer.Option("--contains", help="Text or regex: find where a match appears.")
    ] = None,
    scope: Annotated[str | None, typer.Option("--scope", "-s", help="Only this scope.")] = None,
    good: Annotated[str | None, typer.Option("--good", help="Known good (default: root).")] = None,
    bad: Annotated[str | None, typer.Option("--bad", help="Known bad (default HEAD).")] = None,
    json_out: Json = False, agent: Agent = "cli",
) -> None:  # fmt: skip
    """Direct form: ``agentmem bisect --contains TEXT``; else see the subcommands."""
    if ctx.invoked_subcommand is not None:
        if contains is not None:
            raise InvalidInput("--contains is the direct form; use it without a subcommand")
        return
    if contains is None:
        console.print(ctx.get_help())
        raise typer.Exit(2)
    actor = open_repo().as_agent(agent)
    _show(actor.bisect(contains, scope=scope, good=good, bad=bad), json_out, agent)


@bisect_app.command("start")
def start(
    bad: Annotated[str, typer.Option("--bad", help="A commit that has the problem.")] = "HEAD",
    good: Annotated[
        str | None, typer.Option("--good", help="An older commit that does not (default: the root).")
    ] = None,
    json_out: Json = False, agent: Agent = "cli",
) -> None:  # fmt: skip
    """Start a bisection between a good and a bad commit.

    `bisect run` tests both ends before searching."""
    _show(open_repo().as_agent(agent).bisect_start(good=good, bad=bad), json_out, agent)


@bisect_app.command("good")
def good_(ref: RefArg = None, json_out: Json = False, agent: Agent = "cli") -> None:
    """Mark the candidate (or REF) good."""
    _show(open_repo().as_agent(agent).bisect_mark("good", ref), json_out, agent)


@bisect_app.command("bad")
def bad_(ref: RefArg = None, json_out: Json = False, agent: Agent = "cli") -> None:
    """Mark the candidate (or REF) bad."""
    _show(open_repo().as_agent(agent).bisect_mark("bad", ref), json_out, agent)


@bisect_app.command("skip")
def skip(ref: RefArg = None, json_out: Json = False, agent: Agent = "cli") -> None:
    """Skip the candidate (or REF): it cannot be tested."""
    _show(open_repo().as_agent(agent).bisect_mark("skip", ref), json_out, agent)


@bisect_app.command("status")
def status(json_out: Json = False, agent: Agent = "cli") -> None:
    """Show where the bisection stands."""
    _show(open_repo().as_agent(agent).bisect_status(), json_out, agent)


@bisect_app.command("reset")
def reset(agent: Agent = "cli") -> None:
    """End the agent's bisection (each agent has its own)."""
    dropped = open_repo().as_agent(agent).bisect_reset()
    console.print("bisection ended" if dropped else "no bisection in progress")


@bisect_app.command(
    "run", context_settings={"allow_extra_args": True, "ignore_unknown_options": True}
)
def run(
    command: Annotated[list[str], typer.Argument(metavar="CMD", help="Command to run.")],
    json_out: Json = False, agent: Agent = "cli",
) -> None:  # fmt: skip
    """Run CMD on each candidate ($AGENTMEM_REF): exit 0 good, 125 skip, 1-127 bad, else abort.

    It first runs CMD on both ends: a bad end that tests good, or a good end that tests bad, is
    an error (never a confident wrong answer)."""
    _show(open_repo().as_agent(agent).bisect_run(command), json_out, agent)
