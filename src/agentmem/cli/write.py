"""Commands that write: init, remember, update, forget, add/status/commit/unstage, and the
JSON-lines exchange: import and export."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import InvalidInput
from ..fact import first_line
from ..values import agent_option, parse_expiry
from . import app, input_file, open_repo
from .identity import Agent as Reader
from .identity import Branch, note_if_blind, session
from .output import console, err, err_console, plural, print_json, table
from .write_args import (
    Agent,
    DerivedFrom,
    Expires,
    FactId,
    Json,
    Kind,
    Message,
    Meta,
    Run,
    Scope,
    Source,
    Tags,
    Trace,
    complete_sources,
    expand_id,
    fact_fields,
    note_if_expired,
    text_arg,
)


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Folder to create the repository in.")] = Path("."),
    branch: Annotated[str, typer.Option(help="Name of the first branch.")] = "main",
) -> None:
    """Create a memory repository (a git repository plus a local .agentmem/ folder)."""
    from ..repo import Repo

    repo = Repo.init(path, branch=branch)
    console.print(f"Initialised memory repository in {repo.root}")


@app.command()
def remember(
    text: Annotated[str, typer.Argument(help="The fact's text ('-' reads stdin).")],
    agent: Agent = "cli", scope: Scope = "shared", run: Run = None, trace: Trace = None,
    message: Message = "", derived_from: DerivedFrom = None, tag: Tags = None, kind: Kind = None,
    meta: Meta = None, source: Source = None, expires: Expires = None, id: FactId = None,
    json_out: Json = False, branch: Branch = None,
    no_dup_check: Annotated[
        bool, typer.Option("--no-dup-check", help="Skip the near-duplicate check.")
    ] = False,
    no_daemon: Annotated[
        bool, typer.Option("--no-daemon", help="No search service, so no duplicate check.")
    ] = False,
) -> None:  # fmt: skip
    """Add one fact and commit at once; print its id. The same text again is a no-op.

    After the commit, a running search service is asked for near-duplicates (a warning on
    stderr)."""
    fields = fact_fields(kind, tag, meta, derived_from, source, expires)
    writer = session(agent, run, trace, branch)
    fields = complete_sources(writer, fields)
    result = writer.remember(text_arg(text), scope, message=message, id=id, **fields)
    if json_out:
        print_json(result)
    else:
        console.print(result.id)
        if not result.created:
            note = f"already stored as {result.id}; nothing changed"
            if result.not_applied:
                note += (f" (not applied: {', '.join(result.not_applied)}; use "
                         f"'agentmem update {result.id}' to change them)")  # fmt: skip
            err(note)
    if result.created and result.fact is not None:
        note_if_expired(result.fact.expires_at, result.id)
    if result.commit and not (no_dup_check or no_daemon):
        from .search import dup_warnings  # after the commit: a write never waits for search

        dup_warnings(writer, [result.id], result.commit)


@app.command()
def update(
    fact_id: Annotated[str, typer.Argument(metavar="ID")],
    text: Annotated[str | None, typer.Argument(help="New text ('-' reads stdin).")] = None,
    text_option: Annotated[
        str | None, typer.Option("--text", help="New text, as an option ('-' reads stdin).")
    ] = None,
    agent: Agent = "cli", run: Run = None, trace: Trace = None, message: Message = "",
    derived_from: DerivedFrom = None, tag: Tags = None, kind: Kind = None, meta: Meta = None,
    source: Source = None, expires: Expires = None, json_out: Json = False, branch: Branch = None,
) -> None:  # fmt: skip
    """Change a fact (text, tags, metadata...) and commit at once; its id stays."""
    fields = fact_fields(kind, tag, meta, derived_from, source, expires)
    if text is not None and text_option is not None:
        raise InvalidInput("give the new text once: as TEXT or as --text")
    text = text if text is not None else text_option
    if text is not None:
        fields["text"] = text_arg(text)
    writer = session(agent, run, trace, branch)
    result = writer.update(writer.expand_id(fact_id), message=message, **complete_sources(writer, fields))
    if json_out:
        print_json(result)
    else:
        console.print(f"{result.id} {'updated' if result.commit else 'unchanged'}")
    if expires is not None and result.fact is not None:
        note_if_expired(result.fact.expires_at, result.id)


@app.command()
def forget(
    fact_id: Annotated[str, typer.Argument(metavar="ID")],
    agent: Agent = "cli", run: Run = None, trace: Trace = None, message: Message = "",
    json_out: Json = False, branch: Branch = None,
    cascade: Annotated[
        bool, typer.Option("--cascade", help="Also forget every fact derived from it.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only show what would go; commit nothing.")
    ] = False,
) -> None:  # fmt: skip
    """Remove a fact from the branch in one commit (history keeps it)."""
    writer = session(agent, run, trace, branch)
    fact_id = writer.expand_id(fact_id)
    if dry_run and not cascade:
        fact = writer.get(fact_id)
        if json_out:
            print_json({"dry_run": True, "facts": [fact]})
        else:
            console.print(f"would forget {fact.id} ({fact.scope}): {fact.summary}")
        return
    if cascade:
        gone = writer.forget_cascade(
            fact_id, message=message, dry_run=dry_run
        )
        if json_out:
            print_json(gone)
            return
        verb = "would forget" if dry_run else "forgot"
        table(("id", "scope", "derived from", "text"),
              [[f.id, f.scope, f.via or "", f.summary] for f in gone.facts],
              title=f"{verb} {plural(len(gone.facts), 'fact')}"
              + (f" in {gone.commit[:12]}" if gone.commit else ""))  # fmt: skip
        return
    result = writer.forget(fact_id, message=message)
    if json_out:
        print_json(result)
    else:
        console.print(f"forgot {fact_id} in {result.commit[:12] if result.commit else '-'}")


@app.command()
def add(
    text: Annotated[str | None, typer.Argument(help="Text of a new fact ('-' reads stdin).")] = None,
    update_id: Annotated[
        str | None, typer.Option("--update", help="Stage a change of this fact instead.")
    ] = None,
    forget_id: Annotated[str | None, typer.Option("--forget", help="Stage forgetting this fact.")] = None,
    scope: Scope = "shared", derived_from: DerivedFrom = None, tag: Tags = None, kind: Kind = None,
    meta: Meta = None, source: Source = None, expires: Expires = None, id: FactId = None,
    agent: Agent = "cli",
) -> None:  # fmt: skip
    """Stage a write (new fact, --update ID, or --forget ID) for the agent's next `agentmem commit`.

    Each agent has its own stage: `agentmem commit --agent A` commits what A staged."""
    fields = fact_fields(kind, tag, meta, derived_from, source, expires)
    repo = open_repo()
    actor = repo.as_agent(agent)
    staged = frozenset(op.id for op in repo.staged(agent) if op.op == "remember" and op.id)
    fields = complete_sources(actor, fields, staged)
    if forget_id is not None:
        op: dict[str, Any] = {"op": "forget", "id": expand_id(actor, forget_id, staged)}
    elif update_id is not None:
        op = {"op": "update", "id": expand_id(actor, update_id, staged), **fields}
        if text is not None:
            op["text"] = text_arg(text)
    elif text is not None:
        op = {"op": "remember", "text": text_arg(text), "scope": scope, "id": id, **fields}
    else:
        raise InvalidInput("give TEXT, --update ID or --forget ID")
    staged = repo.stage(op, agent=agent)
    what = staged.id or first_line(staged.text or "", 60)
    count = plural(len(repo.staged(agent)), "write")
    console.print(f"staged {staged.op} {what} ({count} staged for 'agentmem commit{agent_option(agent)}')")
    if expires is not None:
        note_if_expired(parse_expiry(expires), staged.id or "the fact")


@app.command()
def status(json_out: Json = False, agent: Reader = "cli") -> None:
    """Show the current branch, the agent's staged writes, and a merge or bisection in progress.

    Other agents' staged writes are counted, not shown: theirs to commit."""
    repo = open_repo()
    contents = repo.stage_contents(agent)
    ops = contents.ops
    if contents.unreadable:
        err(f"warning: skipped {plural(contents.unreadable, 'unreadable staged line')} "
            "(an 'add' killed mid-write)")
    others = repo.staged_by_others(agent)
    merging, bisecting = _in_progress(repo, agent)
    if json_out:
        print_json({"branch": repo.branch, "head": repo.resolve(), "agent": agent,
                    "staged": [o.to_dict() for o in ops], "unreadable": contents.unreadable,
                    "staged_by_others": others, "merge": merging, "bisecting": bisecting})  # fmt: skip
        return
    console.print(f"On branch {repo.branch} at {repo.resolve()[:12]}")
    if others:
        counts = ", ".join(f"{n} by {a}" for a, n in others.items())
        console.print(f"Other agents' staged writes (theirs to commit): {counts}.")
    flag = agent_option(agent)
    if merging is not None:
        unresolved = plural(merging["unresolved"], "unresolved conflict")
        console.print(f"A {merging['kind']} is in progress ({unresolved}): 'agentmem merge{flag}' lists "
                      f"the conflicts; 'agentmem merge --continue{flag}' or --abort ends it.")  # fmt: skip
    if bisecting:
        console.print(f"Bisecting: 'agentmem bisect status{flag}' shows the candidate; "
                      f"'agentmem bisect reset{flag}' ends it.")  # fmt: skip
    if not ops:
        console.print(f"Nothing staged by agent {agent}.")
        return
    rows = [[o.op, o.id or "", o.scope or "", (o.text or "")[:60]] for o in ops]
    table(("op", "id", "scope", "text"), rows, title=f"{len(ops)} staged")


def _in_progress(repo: Any, agent: str) -> tuple[dict[str, Any] | None, bool]:
    """The agent's merge or revert waiting for its conflicts (kind, conflicts, unresolved), or
    None; and whether it has a bisection under way. Both live in .agentmem/ until finished or
    aborted, each agent's apart."""
    merging = None
    pending = repo.merges.in_progress(agent)
    if pending is not None:
        unresolved = sum(1 for c in pending.conflicts if not c.resolution)
        merging = {"kind": pending.kind, "conflicts": len(pending.conflicts), "unresolved": unresolved}
    return merging, repo.bisect.active(agent=agent)


@app.command()
def commit(
    message: Message = "", agent: Agent = "cli", run: Run = None, trace: Trace = None,
    json_out: Json = False,
) -> None:  # fmt: skip
    """Commit every write the agent staged atomically (all or nothing)."""
    result = open_repo().commit_staged(agent=agent, message=message, run=run, trace=trace)
    if result.unreadable:
        err(f"warning: skipped {plural(result.unreadable, 'unreadable staged line')} "
            "(an 'add' killed mid-write)")
    if json_out:
        print_json(result)
        return
    summary = f"+{len(result.added)} ~{len(result.updated)} -{len(result.forgotten)}"
    console.print(f"{result.commit[:12] if result.commit else 'nothing to commit'} {summary}")


@app.command()
def unstage(agent: Agent = "cli") -> None:
    """Drop every write the agent staged."""
    console.print(f"dropped {plural(open_repo().unstage(agent), 'staged write')}")


@app.command("import")
def import_(
    file: Annotated[str, typer.Argument(help="JSON-lines file of facts ('-' reads stdin).")],
    agent: Agent = "cli", run: Run = None, trace: Trace = None, message: Message = "",
    existing: Annotated[
        str, typer.Option("--existing", metavar="error|skip|replace",
                          help="A fact that exists with other content: refuse the import, "
                               "keep the stored fact, or replace it.")
    ] = "error",
    json_out: Json = False,
) -> None:  # fmt: skip
    """Import facts from JSON lines in one commit (all or nothing), with a progress bar.

    One JSON object per line, as `agentmem export` writes: the record is specified in
    docs/format.md, section "JSON lines: import and export". A fact is never moved to another
    scope; every line read is counted as added, replaced, unchanged, skipped or blank."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    repo = open_repo()
    if file == "-":
        handle, total = sys.stdin.buffer, None
    else:
        input_file(file)
        with open(file, "rb") as counting:
            total = sum(1 for _ in counting)
        handle = open(file, "rb")  # noqa: SIM115 (closed below)
    columns = (TextColumn("importing"), BarColumn(), MofNCompleteColumn())
    try:
        # the bar is for a person at a terminal: on stderr, never into a pipe
        with Progress(*columns, console=err_console, disable=json_out or not sys.stderr.isatty()) as bar:
            task = bar.add_task("import", total=total)
            result = repo.import_facts(
                handle, agent=agent, run=run, trace=trace, existing=existing,
                message=message or f"import {file}",
                progress=lambda n: bar.update(task, completed=n),
            )  # fmt: skip
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()
    if json_out:
        print_json(result)
        return
    for skip in result.skipped:
        err(f"line {skip.line}: {skip.id} exists with other content; kept the stored fact")
    console.print(
        f"{result.commit[:12] if result.commit else 'nothing to commit'}: "
        f"{plural(result.lines, 'line')} read: {len(result.added)} added, "
        f"{len(result.updated)} replaced, {len(result.unchanged)} unchanged, "
        f"{len(result.skipped)} skipped, {result.blank} blank",
        soft_wrap=True,
    )


@app.command()
def export(
    scope: Annotated[str | None, typer.Option("--scope", "-s", help="Only this scope.")] = None,
    at: Annotated[str | None, typer.Option("--at", help="Branch, tag or commit (default HEAD).")] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
    agent: Reader = "cli", branch: Branch = None,
) -> None:  # fmt: skip
    """Write the facts (every field) as JSON lines that `agentmem import` reads back.

    Only the facts the acting agent may read, as `ls` lists them. Importing the output into an
    empty repository gives the same fact files byte for byte. Format: docs/format.md, section
    "JSON lines: import and export"."""
    reader = session(agent, branch=branch)
    note_if_blind(reader)
    lines = reader.export_facts(scope=scope, at=at)
    if output is None:
        for line in lines:
            sys.stdout.buffer.write(line.encode("utf-8"))
        sys.stdout.buffer.flush()
        return
    partial = output.with_name(output.name + ".partial")
    with open(partial, "wb") as handle:
        for line in lines:
            handle.write(line.encode("utf-8"))
    partial.replace(output)
