"""Commands that read: show, ls, log, cat-commit."""

from __future__ import annotations

from typing import Annotated

import typer

from ..fact import Fact
from . import app, open_repo
from .output import (
    COMMIT_COLUMNS,
    FACT_COLUMNS,
    commit_rows,
    console,
    fact_rows,
    print_json,
    table,
)  # fmt: skip

At = Annotated[
    str | None, typer.Option("--at", help="Branch, tag or commit to read (HEAD~3 works).")
]
ScopeFilter = Annotated[str | None, typer.Option("--scope", "-s", help="Only this scope.")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@app.command()
def show(
    fact_id: Annotated[str, typer.Argument(metavar="ID")],
    at: At = None, scope: ScopeFilter = None, json_out: Json = False,
) -> None:  # fmt: skip
    """Show one fact as stored (front matter and text)."""
    repo = open_repo()
    snapshot = repo.snapshot(at)
    fact = snapshot.get(fact_id, scope)
    if json_out:
        print_json({**fact.to_dict(), "commit": snapshot.commit})
        return
    console.print(f"# at {snapshot.commit[:12]}")
    console.print(fact.to_bytes().decode("utf-8"), end="")


@app.command("ls")
def ls(
    scope: ScopeFilter = None, at: At = None,
    limit: Annotated[int | None, typer.Option("-n", help="Show at most N facts.")] = None,
    json_out: Json = False,
) -> None:  # fmt: skip
    """List the facts on a branch or commit."""
    repo = open_repo()
    snapshot = repo.snapshot(at)
    facts: list[Fact] = []
    for fact in snapshot.facts(scope):
        if limit is not None and len(facts) >= limit:
            break
        facts.append(fact)
    if json_out:
        print_json([f.to_dict() for f in facts])
        return
    table(FACT_COLUMNS, fact_rows(facts), title=f"{len(facts)} facts at {snapshot.commit[:12]}")


@app.command()
def log(
    fact_id: Annotated[str | None, typer.Argument(metavar="[ID]", help="Only this fact.")] = None,
    n: Annotated[int | None, typer.Option("-n", help="At most N commits.")] = None,
    agent: Annotated[str | None, typer.Option("--agent", help="Only this agent's commits.")] = None,
    at: At = None, scope: ScopeFilter = None, json_out: Json = False,
    follow: Annotated[
        bool, typer.Option("--follow", help="With ID: include merges that brought changes in.")
    ] = False,
) -> None:  # fmt: skip
    """History of the branch, or of one fact."""
    repo = open_repo()
    if follow and fact_id is not None:
        commits = repo.log_follow(fact_id, n=n, agent=agent, at=at, scope=scope)
    else:
        commits = repo.log(fact_id, n=n, agent=agent, at=at, scope=scope)
    if json_out:
        print_json(commits)
        return
    table(COMMIT_COLUMNS, commit_rows(commits))


@app.command("cat-commit")
def cat_commit(
    ref: Annotated[str, typer.Argument(help="Commit, branch or tag.")] = "HEAD",
    json_out: Json = False,
) -> None:  # fmt: skip
    """Show a commit's provenance and the facts it changed."""
    info = open_repo().commit_info(ref)
    if json_out:
        print_json(info)
        return
    console.print(f"commit {info.id}")
    for parent in info.parents:
        console.print(f"parent {parent}")
    console.print(f"agent  {info.agent}")
    if info.run:
        console.print(f"run    {info.run}")
    if info.trace:
        console.print(f"trace  {info.trace}")
    console.print(f"time   {info.time}\n")
    console.print(info.message + "\n")
    table(("op", "id", "scope"), [[c.op, c.id, c.scope] for c in info.changes])
