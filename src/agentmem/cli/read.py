"""Commands that read: show, ls, log, cat-commit. Every text shown passes `output.visible`."""

from __future__ import annotations

from typing import Annotated

import typer

from ..values import validate_count
from . import app, open_repo
from .identity import Agent, Branch, Run, Trace, note_if_blind, session
from .output import (
    COMMIT_COLUMNS,
    FACT_COLUMNS,
    commit_rows,
    console,
    fact_rows,
    plural,
    print_json,
    table,
    visible,
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
    agent: Agent = "cli", run: Run = None, trace: Trace = None, branch: Branch = None,
) -> None:  # fmt: skip
    """Show one fact as stored (front matter and text)."""
    reader = session(agent, run, trace, branch)
    commit = reader.snapshot(at).commit
    fact = reader.get(reader.expand_id(fact_id, commit, scope), commit, scope)
    expired = reader.visibility().expired(fact)  # own expiry or the scope's time to live
    if json_out:
        print_json({**fact.to_dict(), "commit": commit, "expired": expired})
        return
    console.print(f"# at {commit[:12]}")
    if expired:
        when = f" at {fact.expires_at}" if fact.expires_at else " (its scope's time to live)"
        console.print(f"# expired{when}: hidden from ls and search")
    console.print(fact.to_bytes().decode("utf-8"), end="")


PAGE = 50  # facts `ls` shows by default


@app.command("ls")
def ls(
    scope: ScopeFilter = None, at: At = None,
    limit: Annotated[
        int | None, typer.Option("-n", "--limit", help=f"Show at most N facts (default {PAGE}).")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Show every fact.")] = False,
    json_out: Json = False,
    agent: Agent = "cli", run: Run = None, trace: Trace = None, branch: Branch = None,
) -> None:  # fmt: skip
    """List the facts on a branch or commit, newest change first (expired facts are hidden).

    Shows one page (-n, default 50) and says how many it left out; --all shows every fact;
    --json lists every fact unless -n is given. Only the facts shown are read in full and named
    in the read receipt."""
    validate_count(limit, "-n")  # here too: --all and --json would set it aside
    reader = session(agent, run, trace, branch)
    every = all_ or (json_out and limit is None)
    listed = reader.newest_facts(scope, at, limit=None if every else PAGE if limit is None else limit)
    note_if_blind(reader)
    page, commit = listed.facts, listed.commit
    if json_out:
        print_json([f.to_dict() for f in page])
        return
    left_out = listed.total - len(page)
    footer = f"{left_out} more not shown (-n N or --all)" if left_out else None
    title = f"{len(page)} of {listed.total} facts at {commit[:12]}" if left_out else (
        f"{plural(listed.total, 'fact')} at {commit[:12]}")  # fmt: skip
    table(FACT_COLUMNS, fact_rows(page), title=title, footer=footer)


@app.command()
def log(
    fact_id: Annotated[str | None, typer.Argument(metavar="ID", help="Only this fact.")] = None,
    n: Annotated[int | None, typer.Option("-n", help="At most N commits.")] = None,
    author: Annotated[str | None, typer.Option("--author", help="Only this agent's commits.")] = None,
    at: At = None,
    scope: Annotated[
        str | None, typer.Option("--scope", "-s", help="Only commits that changed this scope.")
    ] = None,
    json_out: Json = False,
    follow: Annotated[
        bool, typer.Option("--follow", help="With ID: include merges that brought changes in.")
    ] = False,
    oneline: Annotated[bool, typer.Option("--oneline", help="One line per commit: id and subject.")] = False,
    agent: Agent = "cli", run: Run = None, trace: Trace = None, branch: Branch = None,
) -> None:  # fmt: skip
    """History of the branch, or of one fact, or of one scope (--scope without ID)."""
    reader = session(agent, run, trace, branch)
    fact_id = None if fact_id is None else reader.expand_id(fact_id, at)
    commits = reader.log(  # the table shows no changes: they are not read for it
        fact_id, n=n, author=author, at=at, scope=scope, follow=follow and fact_id is not None,
        changes=json_out,
    )
    note_if_blind(reader)
    if json_out:
        print_json(commits)
    elif oneline:
        for commit in commits:
            console.print(f"{commit.id[:12]} {visible(commit.subject, one_line=True)}")
    else:
        table(COMMIT_COLUMNS, commit_rows(commits))


@app.command("cat-commit")
def cat_commit(
    ref: Annotated[str, typer.Argument(help="Commit, branch or tag.")] = "HEAD",
    json_out: Json = False, agent: Agent = "cli",
) -> None:  # fmt: skip
    """Show a commit's provenance and the facts it changed.

    One touching a fact the agent may not see is refused: its message may quote it."""
    info = open_repo().as_agent(agent).commit_info(ref)
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
