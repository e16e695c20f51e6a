"""Purge: true erasure of one fact.

`purge` rewrites every commit reachable from a local branch, a tag or a reflog entry so that
no tree holds any version of the fact and no commit or reflog message quotes its text; moves
every branch and tag to the rewritten commits and rewrites the reflogs; drops the fact from
staging, read receipts and the search index (a rebuildable cache: deleted whole, the service
stopped); drops any merge or bisect in progress (their commit ids are rewritten); then lets
``git gc --prune=now`` delete the old objects. Every other fact is kept as it was.

It leaves an audit line in `.agentmem/purge.log` (ids and blob ids, never content) and a
commit on every local branch adding the purged blob ids to the committed list
`.agentmem/purged`, so that clones can erase the same objects (format in docs/format.md).

What stays: the fact's id, in the audit log, in facts derived from it (`derived_from`) and in
commit subjects ("remember <id>: [purged]"). A generated id is a truncated SHA-256 of scope and
text: it does not reveal the text, but anyone who can guess the exact text (and scope) can
confirm the guess. Readable ids (``--id``) are kept as the writer chose them.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dulwich.objects import Commit, Tag

from ..errors import AgentmemError, Conflict, InvalidInput, NotFound, PermissionDenied
from ..fact import Fact, now_iso, validate_id
from ..layout import fact_path
from ..locking import RefUpdate
from ..store import GitStore
from ..values import validate_flag
from .receipts import Receipt
from .state import PURGED_PATH, read_tree_file
from .visibility import load_policy

if TYPE_CHECKING:
    from ..repo import Repo

AUDIT_LOG = "purge.log"
ZERO = b"0" * 40
MARK = "[purged]"


@dataclass
class Purged:
    """What a purge erased: the fact id, every blob id it ever had, the refs moved."""

    id: str
    scope: str = ""
    blobs: list[str] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)
    commits_rewritten: int = 0
    time: str = ""
    agent: str = ""
    # Facts derived from it, transitively, anywhere in history (a promoted copy among them):
    # separate facts, kept byte for byte, which may quote it.
    derived: list[str] = field(default_factory=list)


def purge(repo: Repo, fact_id: str, *, agent: str, yes: bool = False) -> Purged:
    validate_id(fact_id)
    if not validate_flag(yes, "yes"):
        raise InvalidInput("purge rewrites every branch, tag and reflog and cannot be undone: "
                           "add --yes")  # fmt: skip
    session = repo.as_agent(agent)
    if not load_policy(repo.store, session.tip()).is_admin(session.agent):
        raise PermissionDenied(f"agent {session.agent} may not purge (admins only)")
    store = repo.store
    # The writer lock is held throughout: no commit lands between reading the refs and moving
    # them, and `git gc --prune=now` cannot delete objects a writer has made but not yet
    # referenced (agentmem writes objects and moves refs under this lock).
    with store.writing():
        refs = {n: v for n, v in store.git.refs.as_dict().items()
                if n.startswith((b"refs/heads/", b"refs/tags/"))}  # fmt: skip
        logs = _reflogs(store)
        starts = set(refs.values()) | {sha for lines in logs.values() for sha in _shas(lines)}
        rewriter = _Rewriter(store, fact_id)
        commits = _topological(store, starts)
        for commit_id in commits:
            rewriter.find(commit_id)
        if not rewriter.blobs:
            raise NotFound(f"fact {fact_id} never existed in this repository")
        derived = _derived(store, commits, fact_id)
        for commit_id in commits:
            rewriter.commit(commit_id)
        result = Purged(fact_id, rewriter.scope, sorted(b.decode() for b in rewriter.blobs),
                        time=now_iso(), agent=session.agent, derived=derived)  # fmt: skip
        result.commits_rewritten = sum(1 for old, new in rewriter.map.items() if old != new)
        for name, old in refs.items():
            new = rewriter.target(old)
            if new != old:
                if store.move_ref(name, old, new, "purge") is not RefUpdate.DONE:
                    raise Conflict(f"{name.decode()} moved during the purge (a writer outside "
                                   "agentmem's lock?); run the purge again")  # fmt: skip
                result.refs.append(name.decode())
        _rewrite_reflogs(store, _reflogs(store), rewriter)  # read again: the moves logged old ids
        _clean_local(repo, fact_id, rewriter)
        _record(repo, result)
        _collect_garbage(repo)
    return result


class _Rewriter:
    """Maps every commit (and tree) to one without the fact, messages scrubbed."""

    def __init__(self, store: GitStore, fact_id: str) -> None:
        self.store, self.fact_id = store, fact_id
        self.blobs: set[bytes] = set()
        self.scope = ""
        self.needles: list[str] = []
        self.trees: dict[bytes, bytes] = {}
        self.map: dict[bytes, bytes] = {}
        self._paths: dict[bytes, list[bytes]] = {}

    def _fact_paths(self, tree: bytes) -> list[bytes]:
        if tree not in self._paths:
            found = []
            for scope in self.store.scopes(tree):
                path = fact_path(scope, self.fact_id)
                blob = self.store.lookup(tree, path)
                if blob is not None:
                    found.append(path)
                    if blob not in self.blobs:
                        self.blobs.add(blob)
                        self._learn(self.store.read_fact(blob))
            self._paths[tree] = found
        return self._paths[tree]

    def _learn(self, fact: Fact) -> None:
        """Every way a message could quote this version: its text, lines, summary stem."""
        self.scope = fact.scope
        stem = fact.summary[:-3] if fact.summary.endswith("...") else fact.summary
        candidates = {fact.text, fact.text.strip(), stem,
                      *(line.strip() for line in fact.text.splitlines())}  # fmt: skip
        self.needles = sorted({*self.needles, *(c for c in candidates if len(c) >= 4)},
                              key=len, reverse=True)  # fmt: skip

    def find(self, commit_id: bytes) -> None:
        self._fact_paths(self.store.commit(commit_id).tree)

    def scrub(self, text: str) -> str:
        for needle in self.needles:
            text = text.replace(needle, MARK)
        return text

    def commit(self, commit_id: bytes) -> bytes:
        old = self.store.commit(commit_id)
        tree = self.trees.get(old.tree)
        if tree is None:
            paths = self._fact_paths(old.tree)
            tree = self.store.write_tree(old.tree, dict.fromkeys(paths)) if paths else old.tree
            self.trees[old.tree] = tree
        parents = [self.map.get(p, p) for p in old.parents]
        message = self.scrub(old.message.decode("utf-8", "replace")).encode("utf-8")
        if tree == old.tree and parents == old.parents and message == old.message:
            self.map[commit_id] = commit_id
            return commit_id
        new = Commit()
        new.tree, new.parents, new.message = tree, parents, message
        new.author, new.committer = old.author, old.committer
        new.author_time, new.commit_time = old.author_time, old.commit_time
        new.author_timezone, new.commit_timezone = old.author_timezone, old.commit_timezone
        new.encoding = old.encoding
        self.store.objects.add_object(new)
        self.map[commit_id] = new.id
        return bytes(new.id)

    def target(self, sha: bytes) -> bytes:
        """The rewritten id of a ref's target (a commit or an annotated tag)."""
        obj = self.store.objects[sha]
        if isinstance(obj, Tag):
            target = obj.object[1]
            if self.map.get(target, target) == target:
                return sha
            tag = Tag()
            tag.object = (Commit, self.map[target])
            tag.name, tag.tagger, tag.tag_time = obj.name, obj.tagger, obj.tag_time
            tag.tag_timezone, tag.message = obj.tag_timezone, self.scrub(obj.message.decode()).encode()
            self.store.objects.add_object(tag)
            return bytes(tag.id)
        return self.map.get(sha, sha)


def _derived(store: GitStore, commits: list[bytes], fact_id: str) -> list[str]:
    """Ids of the facts derived from `fact_id`, transitively, in any of `commits` (every fact
    version in their history read once; a blob that is no readable fact derives from nothing)."""
    from ..lineage import descendants
    from .trace import introduced_facts

    children: dict[str, set[str]] = {}
    for _commit, _blob, fact in introduced_facts(store, map(store.commit, commits), skip_unreadable=True):
        for source in fact.derived_from:
            children.setdefault(source, set()).add(fact.id)
    return [child for child, _via in descendants(children, fact_id)]


def _topological(store: GitStore, starts: set[bytes]) -> list[bytes]:
    """Every commit reachable from `starts`, parents before children."""
    order: list[bytes] = []
    done: set[bytes] = set()
    for start in starts:
        obj = store.objects[start]
        stack = [(obj.object[1] if isinstance(obj, Tag) else start, False)]
        while stack:
            sha, expanded = stack.pop()
            if sha in done:
                continue
            if expanded:
                done.add(sha)
                order.append(sha)
                continue
            stack.append((sha, True))
            stack.extend((p, False) for p in store.commit(sha).parents if p not in done)
    return order


def _reflogs(store: GitStore) -> dict[Path, list[bytes]]:
    root = Path(store.git.controldir()) / "logs"
    return {p: p.read_bytes().splitlines() for p in root.rglob("*") if p.is_file()}


def _shas(lines: list[bytes]) -> list[bytes]:
    found: list[bytes] = []
    for line in lines:
        parts = line.split(b" ", 2)
        found.extend(s for s in parts[:2] if len(s) == 40 and s != ZERO)
    return found


def _rewrite_reflogs(store: GitStore, logs: dict[Path, list[bytes]], rewriter: _Rewriter) -> None:
    for path, lines in logs.items():
        out = []
        for line in lines:
            parts = line.split(b" ", 2)
            if len(parts) < 3:
                continue
            old, new = (rewriter.map.get(s, s) for s in parts[:2])
            rest = rewriter.scrub(parts[2].decode("utf-8", "replace")).encode("utf-8")
            out.append(old + b" " + new + b" " + rest)
        path.write_bytes(b"".join(line + b"\n" for line in out))


def _clean_local(repo: Repo, fact_id: str, rewriter: _Rewriter) -> None:
    """Staging, merge and bisect state, receipts, the search index and the caches of commits."""
    from .. import staging

    local = repo.local_dir
    staging.scrub(repo.store, local, lambda line: fact_id not in line and rewriter.scrub(line) == line)
    from .. import merge_state
    from ..bisect import state_paths

    for state in (*merge_state.state_paths(local), *state_paths(local)):  # their commit ids were rewritten
        with contextlib.suppress(FileNotFoundError):
            state.unlink()
    blobs = {b.decode() for b in rewriter.blobs}

    def keep(receipt: Receipt) -> bool:
        if fact_id in receipt.fact_ids or any(blob in blobs for _i, blob in receipt.facts):
            return False
        return receipt.query is None or rewriter.scrub(receipt.query) == receipt.query

    repo.receipts.rewrite(keep)
    from .. import service

    with contextlib.suppress(AgentmemError, OSError):
        service.call(repo.root, "stop", {}, start=False)
    repo._search_index = None
    if repo.config["search"].get("index_location"):  # the database lives elsewhere: drop it there
        from ..index import Index

        Index(repo.store, local, repo.config["embedding"], repo.config["search"]["index_location"]).drop_all()
    shutil.rmtree(local / "index", ignore_errors=True)  # a cache of git: rebuilt on demand
    # Caches of git that name the fact's blobs. Lines this process has yet to write to them would
    # be appended at its exit, after the files are gone: they are written now, then deleted.
    for held in ("commit_scopes", "commit_facts"):
        cache = repo.__dict__.pop(held, None)
        if cache is not None:
            cache.flush()
    repo.__dict__.pop("fact_listing", None)
    for derived in ("commit-scopes", "commit-facts", "fact-listing"):
        (local / derived).unlink(missing_ok=True)


def _record(repo: Repo, result: Purged) -> None:
    """The audit line, and a commit on every local branch adding the blob ids to `purged`."""
    with open(repo.local_dir / AUDIT_LOG, "a", encoding="utf-8") as log:
        log.write(json.dumps(asdict(result), sort_keys=True) + "\n")
    store = repo.store
    for ref in repo.branches():
        session = repo.as_agent(result.agent, branch=ref.name)
        tip = session.tip()
        found = read_tree_file(store, tip, PURGED_PATH)
        listed = [] if found is None else found[1].splitlines()
        header = ["# agentmem purged blob ids (docs/format.md): delete these objects"]
        lines = listed or header
        lines += [b for b in result.blobs if b not in lines]
        session.commit_file(PURGED_PATH, ("\n".join(lines) + "\n").encode(),
                            f"purge {result.id}: record {len(result.blobs)} blob id(s)")  # fmt: skip


def _collect_garbage(repo: Repo) -> None:
    """Delete the old objects now (``git gc --prune=now``) and reopen the store."""
    git = shutil.which("git")
    repo.store.git.close()
    if git is not None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        subprocess.run([git, "--git-dir", str(repo.root / ".git"), "gc", "--prune=now", "--quiet"],
                       env=env, check=False, capture_output=True)  # fmt: skip
    gate = repo.store.gate
    repo.store = GitStore(str(repo.root / ".git"))
    repo.store.gate = gate
