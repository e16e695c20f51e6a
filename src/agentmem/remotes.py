"""Git remotes: fetch, pull (a fact-level merge), push and clone over whatever dulwich speaks.

Remotes and upstreams live in ``.git/config`` exactly as git keeps them (`remote_config`), so a
plain ``git`` sees the same remotes and a plain ``git clone`` brings them along. Credentials are
git's: in the URL, from git's credential helpers (``git credential fill``, asked on an HTTP 401),
or the ssh agent (dulwich runs ``ssh``).

Fetched objects land first in a quarantine (``.git/agentmem-incoming-*``, `incoming.py`), as
``git receive-pack`` does. Only when they pass the checks (no purged content comes back;
`validate.validate_incoming` where present) do their packs move into ``.git/objects/pack`` and the
remote-tracking refs move. A refused fetch leaves nothing behind.

Pull is fetch plus the fact-level three-way merge of `merge.py`, never git's line merge.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import urlparse

from dulwich.client import GitClient, HTTPUnauthorized, get_transport_and_path
from dulwich.errors import GitProtocolError, HangupException, NotGitRepository
from dulwich.graph import can_fast_forward

from . import locking
from . import merge as _merge
from .errors import AgentmemError, Conflict, InvalidInput, NotFound
from .incoming import Incoming, check_incoming
from .merge import MergeResult
from .object_errors import reading
from .refs import HEADS, TAGS
from .remote_config import (
    REMOTES,
    absolute_if_local,
    remote_url,
    resolve_target,
    set_upstream,
    upstream,
    validate_remote_name,
)
from .store import GitStore
from .values import validate_flag

STRATEGIES = ("fail", *_merge.STRATEGIES)


class RemoteError(AgentmemError):
    """The remote could not be reached, refused us, or spoke nonsense."""

    exit_code = 1


@dataclass
class RefUpdate:
    """One ref moved by a fetch or push (`old` None: created)."""

    ref: str
    old: str | None
    new: str


@dataclass
class FetchResult:
    remote: str
    url: str
    updated: list[RefUpdate] = field(default_factory=list)
    head: str | None = None  # the branch the remote's HEAD names


@dataclass
class PushResult:
    remote: str
    branch: str
    status: str  # "up-to-date", "pushed" or "forced"
    old: str | None
    new: str
    tags: list[str] = field(default_factory=list)
    upstream_set: bool = False


@dataclass
class PullResult:
    remote: str
    branch: str
    fetch: FetchResult
    merge: MergeResult


# -- talking to a remote ---------------------------------------------------------------------


def _client(store: GitStore | None, url: str, operation: str) -> tuple[GitClient, str]:
    """A dulwich client for `url`; HTTP asks git's credential helpers on a 401."""
    config = store.git.get_config_stack() if store is not None else None
    kwargs: dict[str, Any] = {}
    if urlparse(url).scheme in ("http", "https"):
        from dulwich.client import default_urllib3_manager

        kwargs["pool_manager"] = default_urllib3_manager(config, base_url=url, auth_callback=_git_credentials)
    try:
        client, path = get_transport_and_path(url, config=config, operation=operation, **kwargs)
    except (ValueError, KeyError) as exc:
        raise InvalidInput(f"cannot use remote URL {url!r}: {exc}") from None
    return client, path


def _git_credentials(url: str, _www_authenticate: str, attempt: int) -> dict[str, str] | None:
    """Ask ``git credential fill`` (the user's helpers) once for `url`'s username and password."""
    if attempt > 1:
        return None
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}  # a headless agent must never hang on a prompt
    try:
        done = subprocess.run(
            ["git", "credential", "fill"], input=f"url={url}\n\n", env=env,
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    values = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    if done.returncode != 0 or "username" not in values:
        return None
    return {"username": values["username"], "password": values.get("password", "")}


def _talking(url: str) -> Any:
    """Turn transport failures into one-line `RemoteError`s."""
    import contextlib

    @contextlib.contextmanager
    def guard() -> Iterator[None]:
        try:
            yield
        except HTTPUnauthorized:
            raise RemoteError(f"{url}: authentication failed (set up a git credential helper)") from None
        except NotGitRepository:
            raise RemoteError(f"{url}: no git repository there") from None
        except (GitProtocolError, HangupException, OSError) as exc:
            raise RemoteError(f"cannot talk to {url}: {str(exc).strip() or type(exc).__name__}") from None

    return guard()


def _remote_refs(client: GitClient, path: str, url: str) -> dict[bytes, bytes]:
    with _talking(url):
        result = client.get_refs(path.encode())
    refs = getattr(result, "refs", result)
    return {k: v for k, v in refs.items() if v is not None and not k.endswith(b"^{}")}


# -- fetch -----------------------------------------------------------------------------------


def fetch(store: GitStore, remote: str) -> FetchResult:
    """Bring the remote's branches (as ``refs/remotes/REMOTE/*``) and tags here."""
    url = remote_url(store, remote)
    return _fetch_url(store, url, remote)


def _fetch_url(store: GitStore, url: str, remote: str) -> FetchResult:
    client, path = _client(store, url, "pull")
    quarantine = Incoming(store)
    try:

        def wants(refs: dict[bytes, bytes], depth: int | None = None, **_: Any) -> list[bytes]:
            return sorted({sha for ref, sha in refs.items() if _wanted(ref) and sha is not None
                           and sha not in quarantine.object_store})  # fmt: skip

        with _talking(url):
            fetched = client.fetch(path.encode(), cast(Any, quarantine), determine_wants=wants)
        refs = {k: v for k, v in fetched.refs.items() if v is not None and _wanted(k)}
        check_incoming(store, quarantine, refs)
        quarantine.accept()
    finally:
        quarantine.drop()
    store.objects._update_pack_cache()
    result = FetchResult(remote, url)
    head = fetched.symrefs.get(b"HEAD")
    result.head = head.decode().removeprefix("refs/heads/") if head else None
    for ref, sha in sorted(refs.items()):
        if ref.startswith(HEADS):
            local = REMOTES + remote.encode() + b"/" + ref[len(HEADS) :]
        elif ref.startswith(TAGS) and store.ref_value(ref) is None:
            local = ref  # tags are never moved once here, as git fetch does
        else:
            continue
        old = store.ref_value(local)
        if old != sha:
            if store.move_ref(local, old, sha, f"fetch {remote}") is not locking.RefUpdate.DONE:
                raise Conflict(f"{local.decode()} moved during the fetch; run it again")
            result.updated.append(RefUpdate(local.decode(), old.decode() if old else None, sha.decode()))
    return result


def _wanted(ref: bytes) -> bool:
    return (ref.startswith((HEADS, TAGS))) and not ref.endswith(b"^{}")


# -- pull ------------------------------------------------------------------------------------


def pull(
    store: GitStore, remote: str | None, branch: str | None,
    merge: Callable[[str, str | None, str], MergeResult], abort: Callable[[], object],
    strategy: str | None = None, message: str = "",
) -> PullResult:  # fmt: skip
    """Fetch `remote` and merge its `branch` with `merge(ref, strategy, message)` (the acting
    agent's session merge into its branch). `strategy` ``fail``: conflicts raise `Conflict` with
    nothing committed and, through `abort`, no merge left pending."""
    if strategy is not None and strategy not in STRATEGIES:
        raise InvalidInput(f"unknown strategy {strategy!r} (one of {', '.join(STRATEGIES)})")
    remote, branch = resolve_target(store, remote, branch)
    fetched = fetch(store, remote)
    tracking = f"refs/remotes/{remote}/{branch}"
    if store.ref_value(tracking.encode()) is None:
        raise NotFound(f"remote {remote!r} has no branch {branch!r}")
    here = store.current_branch().decode().removeprefix("refs/heads/")
    result = merge(tracking, None if strategy == "fail" else strategy,
                   message or f"merge {remote}/{branch} into {here}")  # fmt: skip
    if result.status == "conflicts" and strategy == "fail":
        abort()
        ids = [c.id for c in result.conflicts]
        raise Conflict(f"pull {remote}/{branch}: {len(ids)} conflicting fact(s), nothing merged: "
                       + ", ".join(ids[:10]), fact_ids=ids)  # fmt: skip
    return PullResult(remote, branch, fetched, result)


# -- push ------------------------------------------------------------------------------------


def push(
    store: GitStore, remote: str | None, branch: str | None, *, force: bool = False,
) -> PushResult:  # fmt: skip
    """Send the current branch (or `branch`) to `remote`; refused unless a fast-forward or
    `force`. The first push of a branch without an upstream sets it (``git push -u``)."""
    validate_flag(force, "force")
    local = store.current_branch().decode().removeprefix("refs/heads/")
    remote, remote_branch = resolve_target(store, remote, branch)
    source = branch if branch is not None else local
    new = store.ref_value(HEADS + source.encode())
    if new is None:
        raise NotFound(f"no branch {source!r}")
    url = remote_url(store, remote)
    client, path = _client(store, url, "push")
    ref = HEADS + remote_branch.encode()
    seen = _remote_refs(client, path, url)
    old = seen.get(ref)
    status = "pushed"
    if old == new:
        status = "up-to-date"
    elif old is not None and not (old in store.objects and _fast_forward(store, old, new)):
        if not force:
            raise Conflict(f"push to {remote}/{remote_branch} refused: it has commits you do not have "
                           f"(not a fast-forward); run 'agentmem pull {remote} {remote_branch}' "
                           "first, or push --force to overwrite them")  # fmt: skip
        status = "forced"
    tags = {name: sha for name, sha in store.git.refs.as_dict(TAGS).items() if TAGS + name not in seen}
    updates = {TAGS + name: sha for name, sha in tags.items()}
    if status != "up-to-date":
        updates[ref] = new
    if updates:

        def update_refs(refs: dict[bytes, bytes]) -> dict[bytes, bytes]:
            if refs.get(ref) != old:  # moved since we looked: decide again on the next push
                raise Conflict(f"{remote}/{remote_branch} moved during the push; run 'agentmem pull'")
            return dict(updates)

        with _talking(url):
            sent = client.send_pack(path.encode(), update_refs, store.git.generate_pack_data)
        failed = {r: e for r, e in (sent.ref_status or {}).items() if e is not None}
        if failed:
            ref_name, reason = next(iter(failed.items()))
            raise Conflict(f"{remote} refused {ref_name.decode()}: {reason}")
    store.move_ref(REMOTES + f"{remote}/{remote_branch}".encode(), None, new, "push")
    result = PushResult(remote, remote_branch, status, old.decode() if old else None, new.decode(),
                        sorted(t.decode() for t in tags))  # fmt: skip
    if upstream(store, source) is None:
        set_upstream(store, source, remote, remote_branch)
        result.upstream_set = True
    return result


# -- clone -----------------------------------------------------------------------------------


def clone_into(store: GitStore, url: str, remote: str = "origin") -> FetchResult:
    """Fill the empty repository `store` from `url`: every remote branch becomes a local branch
    tracking it, HEAD names the remote's default branch."""
    remote_name = validate_remote_name(remote)
    url = absolute_if_local(url)
    config = store.git.get_config()
    section = (b"remote", remote_name.encode())
    config.set(section, b"url", url.encode())
    config.set(section, b"fetch", f"+refs/heads/*:refs/remotes/{remote_name}/*".encode())
    config.write_to_path()
    fetched = _fetch_url(store, url, remote_name)
    prefix = REMOTES + remote_name.encode() + b"/"
    branches = {name.decode(): sha for name, sha in store.git.refs.as_dict(prefix).items()}
    if not branches:
        raise NotFound(f"{url} holds no branch to clone")
    for name, sha in branches.items():
        store.move_ref(HEADS + name.encode(), None, sha, f"clone {url}", create=True)
        set_upstream(store, name, remote_name, name)
    default = fetched.head if fetched.head in branches else None
    if default is None:
        default = "main" if "main" in branches else sorted(branches)[0]
    store.git.refs.set_symbolic_ref(b"HEAD", HEADS + default.encode())
    return fetched


def _fast_forward(store: Any, old: bytes, new: bytes) -> bool:
    """Whether `new` descends from `old` (a damaged commit on the way is `CorruptObject`)."""
    with reading(f"the history of {new.decode()[:12]}"):
        return bool(can_fast_forward(store.git, old, new))
