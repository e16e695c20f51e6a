"""Version control commands: branch, switch, tag, diff, merge, resolve, revert, reset, reflog,
blame, bisect. Each is one `Repo` call rendered as a table or JSON (docs/version-control.md)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ..errors import InvalidInput
from ..values import agent_option
from . import app, open_repo
from .identity import Branch, Run, Trace, session
from .output import console, err, plural, print_json, table, visible

Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]
At = Annotated[
    str | None, typer.Option("--at", help="Branch, tag or commit to read (HEAD~3 works).")
]
ScopeFilter = Annotated[str | None, typer.Option("--scope", "-s", help="Only this scope.")]
Agent = Annotated[
    str, typer.Option("--agent", "-a", envvar="AGENTMEM_AGENT", help="The acting agent.")
]
Message = Annotated[str, typer.Option("--message", "-m", help="Commit message.")]
Strategy = Annotated[
    str | None,
    typer.Option("--strategy", help="Settle conflicts: ours, theirs or newest (larger updated_at)."),
]


def _refs_table(refs: list[Any], what: str) -> None:
    rows = [[("* " if r.current else "  ") + r.name, r.commit[:12], r.subject] for r in refs]
    table((what, "commit", "message"), rows)


@app.command()
def branch(
    name: Annotated[str | None, typer.Argument(help="Branch to create (none: list).")] = None,
    start: Annotated[str | None, typer.Option("--from", help="Start point (default HEAD).")] = None,
    delete: Annotated[str | None, typer.Option("-d", "--delete", help="Delete this branch.")] = None,
    json_out: Json = False, agent: Agent = "cli",
) -> None:  # fmt: skip
    """List branches (current marked *), create one, or delete one with -d.

    Under a policy, only an admin deletes a branch."""
    repo = open_repo()
    if delete is not None:
        gone = repo.as_agent(agent).delete_branch(delete)
        console.print(f"deleted branch {gone.name} (was {gone.commit[:12]})")
    elif name is not None:
        made = repo.as_agent(agent).create_branch(name, start)
        console.print(f"created branch {made.name} at {made.commit[:12]}")
        begun = repo.store.resolve(start)
        if made.commit != begun.decode():  # governance carried (docs/governance.md)
            from ..governance.branching import governance_changes, short_names

            names = short_names(governance_changes(repo.store, begun, made.commit.encode()))
            err(f"note: {name} starts one commit after {start}, with {repo.branch}'s {names}: an agent "
                f"on {name} obeys what it obeys on {repo.branch}")
    else:  # a tip's subject may quote a fact: left empty where the agent may not see that commit
        found = repo.as_agent(agent).branches()
        if json_out:
            print_json(found)
        else:
            _refs_table(found, "branch")


@app.command()
def switch(name: Annotated[str, typer.Argument(help="Branch to switch to.")]) -> None:
    """Make NAME the current branch (writes and reads without --at use it)."""
    info = open_repo().switch(name)
    console.print(f"switched to {info.name} at {info.commit[:12]}")


@app.command()
def tag(
    name: Annotated[str | None, typer.Argument(help="Tag to create (none: list).")] = None,
    ref: Annotated[str | None, typer.Argument(help="Commit to tag (default HEAD).")] = None,
    json_out: Json = False, agent: Agent = "cli",
) -> None:  # fmt: skip
    """List tags, or tag a commit (tags never move)."""
    repo = open_repo()
    if name is None:
        found = repo.as_agent(agent).tags()
        if json_out:
            print_json(found)
        else:
            _refs_table(found, "tag")
        return
    made = repo.tag(name, ref)
    console.print(f"tagged {made.commit[:12]} as {made.name}")


@app.command()
def diff(
    old: Annotated[str | None, typer.Argument(metavar="A", help="From (or A..B).")] = None,
    new: Annotated[str | None, typer.Argument(metavar="B", help="To (default HEAD).")] = None,
    scope: ScopeFilter = None,
    stat: Annotated[bool, typer.Option("--stat", help="Counts per scope only.")] = False,
    json_out: Json = False,
    agent: Agent = "cli", run: Run = None, trace: Trace = None, branch: Branch = None,
) -> None:  # fmt: skip
    """Facts added, removed and changed. No args: what HEAD changed; A: A..HEAD; A B or A..B."""
    if old is not None and ".." in old:
        if new is not None:
            raise InvalidInput("give A..B or A B, not both")
        old, _, rest = old.partition("..")
        new = rest or None
        old = old or None
    result = session(agent, run, trace, branch).diff(old, new, scope=scope, stat=stat)
    if json_out:
        print_json(result)
        return
    stats = result.stats
    if stat or not result.changes:
        rows = [[s.scope, f"+{s.added}", f"~{s.changed}", f"-{s.removed}"] for s in stats]
        verb = "differs" if len(result.changes) == 1 else "differ"
        table(("scope", "added", "changed", "removed"), rows,
              title=f"{plural(len(result.changes), 'fact')} {verb}")  # fmt: skip
        return
    current = None
    for change in result.changes:
        if change.scope != current:
            current = change.scope
            console.print(f"== {current}")
        sign = {"added": "+", "removed": "-", "changed": "~"}[change.op]
        fields = f" ({', '.join(change.fields)})" if change.fields else ""
        console.print(f"{sign} {change.id}{fields}: {change.summary}")
        if change.op == "changed" and change.text_diff:
            for line in change.text_diff.split("\n")[2:]:
                console.print(f"    {line}")


def _print_merge(result: Any) -> None:
    if result.status == "up-to-date":
        console.print("Already up to date.")
    elif result.status == "fast-forward":
        console.print(f"Fast-forward {result.ours[:12]}..{result.theirs[:12]}")
    elif result.status == "nothing":
        console.print("Nothing to revert: the current branch already undoes it.")
    elif result.status == "aborted" and not result.ours:  # its state could not be read
        console.print("merge aborted: its state file could not be read; nothing had been committed")
    elif result.status == "aborted":  # other agents may have moved the branch since it began
        console.print(f"{result.kind} aborted; nothing it began was committed")
    elif result.status == "merged":
        console.print(f"{result.kind}: {result.commit[:12]} ({plural(len(result.taken), 'fact')} taken)")
    elif not result.conflicts:  # each one is on a fact the acting agent may not see
        err(f"error: a {result.kind} by agent {result.agent} is in progress whose conflicts are on "
            "facts this agent may not see: that agent resolves them, or drops it with "
            f"'agentmem merge --abort{agent_option(result.agent)}'")
        raise typer.Exit(4)
    else:
        rows = []
        for c in result.conflicts:
            ours = (c.ours or {}).get("text", "(forgotten)")
            theirs = (c.theirs or {}).get("text", "(forgotten)")
            rows.append([c.id, c.scope, c.reason, c.resolution or "", ours, theirs])  # wrapped, never cut
        by = f" by agent {result.agent}" if result.agent else ""
        title = f"{result.kind}{by}: {plural(len(result.conflicts), 'conflict')}, nothing committed"
        table(("id", "scope", "conflict", "resolved", "ours", "theirs"), rows, title=title)
        open_ids = [c.id for c in result.conflicts if not c.resolution]
        if open_ids:
            flag = agent_option(result.agent)
            err(f"error: {plural(len(open_ids), 'unresolved conflict')}: 'agentmem resolve ID --take "
                f"ours|theirs|edit{flag}', then 'agentmem merge --continue{flag}' (or --abort)")
            raise typer.Exit(4)


@app.command()
def merge(
    other: Annotated[str | None, typer.Argument(metavar="BRANCH", help="Branch to merge.")] = None,
    strategy: Strategy = None,
    continue_: Annotated[bool, typer.Option("--continue", help="Commit the resolved merge.")] = False,
    abort: Annotated[bool, typer.Option("--abort", help="Drop the merge in progress.")] = False,
    agent: Agent = "cli", message: Message = "", json_out: Json = False,
    run: Run = None, trace: Trace = None, branch: Branch = None,
) -> None:  # fmt: skip
    """Three-way merge of BRANCH into the current branch, fact by fact.

    With no BRANCH: show the merge (or revert) in progress."""
    actor = session(agent, run, trace, branch)
    repo = actor.repo
    if sum([other is not None, continue_, abort]) > 1:
        raise InvalidInput("give BRANCH, --continue or --abort (one of them)")
    if continue_:
        result = actor.merge_continue()
    elif abort:
        result = actor.merge_abort()
    elif other is None:
        result = actor.merge_status()
    else:
        result = actor.merge(other, strategy=strategy, message=message)
    _show_merge(result, json_out, repo)
    if not json_out and result.status in ("merged", "fast-forward") and result.taken:
        from .search import dup_warnings  # after the commit: a merge never waits for search

        dup_warnings(actor, result.taken, result.commit or result.theirs)


def _show_merge(result: Any, json_out: bool, repo: Any = None) -> None:
    """Print a merge or revert outcome; conflicts left to resolve exit with 4 in JSON mode too.
    One that changed the branch's governance files says so on stderr: every agent on the branch
    obeys them from now on (a pull brings other people's policy)."""
    if repo is not None and result.status in ("merged", "fast-forward"):
        from ..governance.branching import governance_changes, short_names

        after = result.commit or result.theirs
        changed = governance_changes(repo.store, result.ours.encode(), after.encode())
        if changed:
            err(f"note: this {result.kind} changed {short_names(changed)}, which every agent on the "
                "branch obeys from now on (agentmem policy show, agentmem quarantine)")
    if not json_out:
        _print_merge(result)
        return
    print_json(result)
    if result.status == "conflicts":
        raise typer.Exit(4)


@app.command()
def resolve(
    fact_id: Annotated[str, typer.Argument(metavar="ID")],
    take: Annotated[str, typer.Option("--take", help="ours, theirs or edit.")],
    text: Annotated[str | None, typer.Option("--text", help="The text, with --take edit.")] = None,
    agent: Agent = "cli",
) -> None:  # fmt: skip
    """Settle one conflict of the merge or revert in progress."""
    conflict = session(agent).resolve_conflict(fact_id, take, text)
    console.print(f"{conflict.id}: {take}")


@app.command()
def revert(
    commit: Annotated[str, typer.Argument(help="Commit to undo.")],
    strategy: Strategy = None, agent: Agent = "cli", message: Message = "", json_out: Json = False,
    run: Run = None, trace: Trace = None, branch: Branch = None,
) -> None:  # fmt: skip
    """A new commit undoing COMMIT fact by fact; a later change of one of its facts conflicts."""
    actor = session(agent, run, trace, branch)
    result = actor.revert(commit, strategy=strategy, message=message)
    _show_merge(result, json_out, actor.repo)


@app.command()
def reset(
    ref: Annotated[str, typer.Argument(help="Commit to move the current branch to.")],
    hard: Annotated[bool, typer.Option("--hard", help="Also drop staged writes.")] = False,
    agent: Agent = "cli",
) -> None:  # fmt: skip
    """Move the current branch to REF; the old head stays in the reflog.

    Under a policy, only an admin resets a branch."""
    result = open_repo().as_agent(agent).reset(ref, hard=hard)
    console.print(f"{result.branch}: {result.old[:12]} -> {result.new[:12]} (old head in reflog)")
    if result.dropped:
        agents = ", ".join(f"{count} by {agent}" for agent, count in result.dropped_by.items())
        commits = f"{result.dropped} commit{'' if result.dropped == 1 else 's'}"
        console.print(f"dropped {commits} from {result.branch}: {agents}")


@app.command()
def reflog(
    name: Annotated[str | None, typer.Argument(metavar="BRANCH")] = None,
    n: Annotated[int | None, typer.Option("-n", help="At most N entries.")] = None,
    json_out: Json = False, agent: Agent = "cli",
) -> None:  # fmt: skip
    """Every move of a branch (default: current), newest first."""
    entries = open_repo().as_agent(agent).reflog(name, n)
    if json_out:
        print_json(entries)
        return
    table(("#", "commit", "time", "what"),
          [[f"@{{{e.index}}}", e.new[:12], e.time, e.message] for e in entries])  # fmt: skip


def _blame_lines(root: Any) -> list[str]:
    lines: list[str] = []
    stack: list[tuple[Any, int]] = [(root, 0)]  # iterative: source chains may be deep
    while stack:
        node, depth = stack.pop()
        pad = "  " * depth
        if depth:
            lines.append(f"{'  ' * (depth - 1)}derived from:")
        # Whole first lines, never cut: the terminal wraps them (a pipe gets them whole).
        lines.append(f"{pad}{node.id} [{node.scope}]{'' if node.present else ' (forgotten)'}: "
                     + visible(node.text.strip().split("\n", 1)[0], one_line=True))  # fmt: skip
        for label, info in (("introduced", node.introduced), ("changed", node.last_changed)):
            extra = "".join(f" {k}={v}" for k, v in (("run", info.run), ("trace", info.trace)) if v)
            lines.append(f"{pad}  {label:<10} {info.id[:12]} {info.time} {info.agent}{extra}: "
                         f"{info.subject}")  # fmt: skip
        for missing in node.missing:
            lines.append(f"{pad}  derived from {missing} (never in this history)")
        for seen in node.repeated:
            lines.append(f"{pad}  derived from {seen} (shown above)")
        for cut in node.truncated:
            lines.append(f"{pad}  derived from {cut} (deeper than blame follows)")
        for source in reversed(node.sources):
            stack.append((source, depth + 2))
    return lines


@app.command()
def blame(
    fact_id: Annotated[str, typer.Argument(metavar="ID")],
    at: At = None, scope: ScopeFilter = None, json_out: Json = False,
    agent: Agent = "cli", run: Run = None, trace: Trace = None, branch: Branch = None,
) -> None:  # fmt: skip
    """Who introduced and last changed a fact, and the same for its derived_from sources."""
    reader = session(agent, run, trace, branch)
    result = reader.blame(reader.expand_id(fact_id, at, scope), at=at, scope=scope)
    if json_out:
        print_json(result)
        return
    for line in _blame_lines(result):
        console.print(line, soft_wrap=True)



