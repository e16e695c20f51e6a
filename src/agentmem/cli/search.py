"""Commands that search: search, index, dedupe, service.

By default they ask the user's warm search service (started on demand, see service.py), so this
process imports neither lancedb nor torch; ``--no-daemon`` (or ``search.daemon = false``) runs
everything here instead, with the same results. What a first search is doing (starting the
service, loading the model, indexing) is said on stderr, with a progress bar on a terminal;
stdout carries only the results.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ..errors import AgentmemError, NotFound
from . import app, open_repo
from .identity import Agent, Branch, Run, Trace, note_if_blind, session
from .output import console, err, err_console, plural, print_json, table

At = Annotated[str | None, typer.Option("--at", help="Branch, tag or commit to search (default: HEAD).")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]
NoDaemon = Annotated[bool, typer.Option("--no-daemon", help="Load the model and index in this process.")]

service_app = typer.Typer(help="The warm search service of this user.", no_args_is_help=True)
app.add_typer(service_app, name="service")


def _daemon(repo: Any, no_daemon: bool) -> bool:
    from .. import service

    return service.daemon_enabled(repo.config) and not no_daemon


class _Bar:
    """What a long search is doing, on a terminal's stderr: notes as lines ("starting the search
    service...", "loading the embedding model...") and indexing as a progress bar. Silent when
    stderr is not a terminal (an error stays one line there) or with `enabled` false (--json)."""

    def __init__(self, label: str, enabled: bool) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.label = label
        self.enabled = enabled
        self.terminal = err_console.is_terminal
        self.progress = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(),
                                 console=err_console, disable=not (enabled and self.terminal),
                                 transient=True)  # fmt: skip
        self.task: Any = None

    def note(self, text: str) -> None:
        if self.enabled and self.terminal:
            err(f"{text}...")

    def __call__(self, done: int, total: int) -> None:
        if self.task is None:
            if self.enabled and self.terminal:
                err(f"{self.label}: embedding {total} texts...")
            self.progress.start()
            self.task = self.progress.add_task("", total=total)
        self.progress.update(self.task, completed=done, total=total)

    def close(self) -> None:
        if self.task is not None:
            self.progress.stop()


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for, in words.")],
    at: At = None,
    scope: Annotated[str | None, typer.Option("--scope", "-s", help="Only this scope.")] = None,
    author: Annotated[str | None, typer.Option("--author", help="Only facts by this agent.")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="Only facts of this kind.")] = None,
    k: Annotated[int, typer.Option("-k", help="Number of results.")] = 10,
    mode: Annotated[str, typer.Option("--mode", help="hybrid, vector or keyword.")] = "hybrid",
    explain: Annotated[bool, typer.Option("--explain", help="Show each ranker's placing.")] = False,
    no_daemon: NoDaemon = False, json_out: Json = False,
    agent: Agent = "cli", run: Run = None, trace: Trace = None, branch: Branch = None,
) -> None:  # fmt: skip
    """Facts ranked by meaning (and keywords); each result names the commit it was read from."""
    reader = session(agent, run, trace, branch)
    repo = reader.repo
    bar = _Bar("indexing", not json_out)
    try:
        hits = reader.search(query, at=at, scope=scope, author=author, kind=kind, k=k, mode=mode,
                             daemon=_daemon(repo, no_daemon), progress=bar, note=bar.note)  # fmt: skip
    finally:
        bar.close()
    note_if_blind(reader)
    if json_out:
        print_json([hit.to_dict() for hit in hits])
        return
    commit = hits[0].commit[:12] if hits else reader.snapshot(at).commit[:12]
    columns = ["id", "rank score", "scope", "text"]  # fused rank, not a similarity: see footer
    if explain:
        columns[2:2] = ["kw", "vec", "chunk", "cos"]  # ranks by keyword, by vector
    rows = []
    for hit in hits:
        row: list[Any] = [hit.fact.id, f"{hit.score:.4f}", hit.fact.scope, hit.fact.summary]
        if explain:
            cosine = "" if hit.similarity is None else f"{hit.similarity:.3f}"
            row[2:2] = [hit.keyword_rank or "-", hit.vector_rank or "-", hit.chunk, cosine]
        rows.append(row)
    footer = SCORE_NOTES[mode] if hits else None
    table(columns, rows, title=f"{plural(len(hits), 'result')} at {commit} ({mode})", footer=footer)


# What a hit's "rank score" is, per mode (the footer of the table).
SCORE_NOTES = {
    "hybrid": "rank score: keyword and meaning scores fused (see docs/search.md), higher first; "
              "not a similarity (--explain shows the cosine)",
    "keyword": "rank score: BM25 over the fact's text, tags and meta values, higher first; not a similarity",
    "vector": "rank score: cosine similarity of the fact's best chunk to the query, higher first",
}  # fmt: skip


@app.command()
def index(
    at: At = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Rebuild from scratch.")] = False,
    status: Annotated[bool, typer.Option("--status", help="Only show what is indexed.")] = False,
    no_daemon: NoDaemon = False, json_out: Json = False,
) -> None:  # fmt: skip
    """Bring the search index up to date (it also catches up on every search)."""
    repo = open_repo()
    daemon = _daemon(repo, no_daemon)
    if status:
        info = repo.index_status(daemon=daemon)
    else:
        bar = _Bar("embedding", not json_out)
        try:
            info = repo.index(at=at, rebuild=rebuild, daemon=daemon, progress=bar, note=bar.note)
        finally:
            bar.close()
    if json_out:
        print_json(info)
        return
    console.print(f"index {info['path']} (model {info['model']}, {info['cached_chunks']} cached vectors)")
    rows = [[v["view"], v["commit"][:12], v["rows"]] for v in info["views"]]
    table(("view", "commit", "rows"), rows)


@app.command()
def dedupe(
    scope: Annotated[str, typer.Option("--scope", "-s", help="Scope to check.")] = "shared",
    at: At = None,
    threshold: Annotated[
        float | None, typer.Option("--threshold", help="Cosine at or above which facts are duplicates.")
    ] = None,
    limit: Annotated[int | None, typer.Option("-n", help="At most N pairs, most similar first.")] = None,
    no_daemon: NoDaemon = False, json_out: Json = False, agent: Agent = "cli",
) -> None:  # fmt: skip
    """List pairs of near-duplicate facts in a scope.

    Both facts of each pair are ones the acting agent may read."""
    reader = session(agent)
    repo = reader.repo
    commit, pairs = reader.duplicates(scope, at=at, threshold=threshold, daemon=_daemon(repo, no_daemon))
    shown = pairs if limit is None else pairs[: max(limit, 0)]
    if json_out:
        print_json({"commit": commit, "pairs": [{"a": a, "b": b, "similarity": s} for a, b, s in shown]})
        return
    snapshot = repo.snapshot(commit)
    text = {i: snapshot.get(i, scope).summary for pair in shown for i in pair[:2]}
    left_out = len(pairs) - len(shown)
    table(("fact", "text", "near-duplicate of", "text", "cosine"),
          [[a, text[a], b, text[b], f"{s:.3f}"] for a, b, s in shown],
          title=f"{len(pairs)} near-duplicate pairs in {scope} at {commit[:12]}",
          footer=f"{left_out} more pairs not shown" if left_out else None)  # fmt: skip


@service_app.command("status")
def service_status(json_out: Json = False) -> None:
    """Whether the search service runs, the repositories it has open and what it is doing.
    Answers at once, even while the service is indexing."""
    from .. import service

    info = service.call(open_repo().root, "status", {}, start=False)
    if json_out:
        print_json(info)
        return
    if info is None:
        console.print("search service: not running")
        return
    repositories = plural(len(info["repositories"]), "repository")
    console.print(f"search service: pid {info['pid']}, {repositories} open")
    for entry in info["repositories"]:
        doing = entry["doing"] or "idle"
        if entry["progress"]:
            doing += " ({}/{})".format(*entry["progress"])
        console.print(f"  {entry['root']}: {doing}, {plural(entry['embedded_texts'], 'text')} embedded")


@service_app.command("stop")
def service_stop() -> None:
    """Stop the search service (the next search starts a new one)."""
    from .. import service

    stopped = service.call(open_repo().root, "stop", {}, start=False)
    console.print("stopped" if stopped else "search service: not running")


def dup_warnings(writer: Any, fact_ids: list[str], commit: str | None, limit: int = 100) -> None:
    """After a write committed (`remember`, `merge`): warn on stderr about near-duplicates of
    the written facts in their scopes, those the writing agent may read, asking only a search
    service that already runs and is free: a write never waits for a model, an index catch-up
    or a busy service (each check gives up after `service.QUICK_DEADLINE`). At most `limit`
    facts are checked."""
    try:
        if not _daemon(writer.repo, False):
            return
    except AgentmemError:  # an invalid setting is reported by the next search, not by a write
        return
    for fact_id in fact_ids[:limit]:
        try:
            found = writer.near_duplicates(fact_id, at=commit, daemon=True, start=False)
        except NotFound:  # a fact the writer may not read (an inbox): nothing to compare
            continue
        except Exception:  # a failed check must never fail the write that succeeded
            return
        if found is None:  # no service running
            return
        for hit in found:
            err(f"warning: {fact_id} is a near-duplicate of {hit.fact.id} "
                f"(cosine {hit.similarity:.3f}): {hit.fact.summary}")  # fmt: skip
