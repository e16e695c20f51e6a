"""Remotes: remote add|remove|list, clone, fetch, pull, push. Each is one `Repo` call
(docs/remotes.md)."""

from __future__ import annotations

from typing import Annotated

import typer

from ..errors import InvalidInput
from . import app, open_repo
from .output import console, print_json, table
from .vcs import Agent, Json, Message, _show_merge

remote_app = typer.Typer(help="Manage the remotes this memory is shared through.", no_args_is_help=True)
app.add_typer(remote_app, name="remote")

RemoteArg = Annotated[str | None, typer.Argument(help="Remote name (default: the upstream's).")]
BranchArg = Annotated[str | None, typer.Argument(help="Remote branch (default: the upstream's).")]


@remote_app.command("add")
def remote_add(
    name: Annotated[str, typer.Argument(help="Remote name, e.g. origin.")],
    url: Annotated[str, typer.Argument(help="Path, file://, git://, ssh:// (or host:path) or http(s) URL.")],
) -> None:  # fmt: skip
    """Add a remote (kept in .git/config, as git keeps it)."""
    added = open_repo().add_remote(name, url)
    console.print(f"added remote {added.name}: {added.url}")


@remote_app.command("remove")
def remote_remove(name: Annotated[str, typer.Argument(help="Remote name.")]) -> None:
    """Remove a remote, its remote-tracking branches and the upstreams naming it."""
    removed = open_repo().remove_remote(name)
    console.print(f"removed remote {removed.name}")


@remote_app.command("list")
def remote_list(json_out: Json = False) -> None:
    """List the remotes and their URLs."""
    found = open_repo().remotes()
    if json_out:
        print_json(found)
    else:
        table(("remote", "url"), [[r.name, r.url] for r in found])


@app.command()
def clone(
    url: Annotated[str, typer.Argument(help="Where the memory is: path or git URL.")],
    path: Annotated[str | None, typer.Argument(help="Folder to create (default: from URL).")] = None,
    origin: Annotated[str, typer.Option("--origin", "-o", help="Name of the remote.")] = "origin",
) -> None:  # fmt: skip
    """Copy a memory repository, every branch and tag, with upstreams set; ready to use."""
    from ..repo import Repo

    target = path or url.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1].removesuffix(".git")
    if not target:
        raise InvalidInput("give a PATH to clone into")
    repo = Repo.clone(url, target, remote=origin)
    console.print(f"cloned {url} into {repo.root} (branch {repo.branch})")


@app.command()
def fetch(remote: RemoteArg = None, json_out: Json = False) -> None:
    """Bring a remote's branches (as REMOTE/BRANCH) and new tags here; no merge."""
    result = open_repo().fetch(remote)
    if json_out:
        print_json(result)
        return
    for update in result.updated:
        old = update.old[:12] if update.old else "(new)"
        console.print(f"{update.ref}: {old} -> {update.new[:12]}")
    if not result.updated:
        console.print(f"{result.remote}: up to date")


@app.command()
def pull(
    remote: RemoteArg = None,
    branch: BranchArg = None,
    strategy: Annotated[
        str | None,
        typer.Option("--strategy", help="fail (refuse conflicts, merge nothing), ours, theirs or newest."),
    ] = None,
    agent: Agent = "cli", message: Message = "", json_out: Json = False,
) -> None:  # fmt: skip
    """Fetch and merge fact by fact into the current branch (default: its upstream).

    Without --strategy, conflicts wait for 'agentmem resolve' and 'agentmem merge --continue'."""
    repo = open_repo()
    result = repo.pull(remote, branch, agent=agent, strategy=strategy, message=message)
    if not json_out:
        console.print(f"pulled {result.remote}/{result.branch}")
    _show_merge(result.merge, json_out, repo)


@app.command()
def push(
    remote: RemoteArg = None,
    branch: BranchArg = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the remote branch.")] = False,
    json_out: Json = False,
) -> None:  # fmt: skip
    """Send the current branch (and new tags) to a remote; only a fast-forward unless --force.

    The first push of a branch sets its upstream, so later 'pull' and 'push' need no arguments."""
    result = open_repo().push(remote, branch, force=force)
    if json_out:
        print_json(result)
        return
    old = result.old[:12] if result.old else "(new)"
    console.print(f"{result.remote}/{result.branch}: {result.status} {old} -> {result.new[:12]}")
    if result.tags:
        console.print("tags: " + ", ".join(result.tags))
    if result.upstream_set:
        console.print(f"branch tracks {result.remote}/{result.branch}")
