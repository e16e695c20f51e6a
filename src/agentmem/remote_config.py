"""Remotes and upstreams, kept in ``.git/config`` exactly as git keeps them (``[remote "origin"]``
with its ``url`` and ``fetch``; ``[branch "main"]`` with ``remote`` and ``merge``), so a plain
``git`` sees the same remotes and a plain ``git clone`` brings them along. Talking to a remote is
`remotes`.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from .errors import Conflict, InvalidInput, NotFound
from .refs import validate_ref_name
from .store import GitStore
from .values import validate_str, validate_unicode

REMOTES = b"refs/remotes/"


@dataclass
class RemoteInfo:
    name: str
    url: str


def validate_remote_name(name: str) -> str:
    """`name` if it can name a remote (a ref component, no '/', not an option)."""
    if not validate_str(name, "a remote name") or name.startswith("-") or "/" in name or len(name) > 100:
        raise InvalidInput(f"invalid remote name {name[:40]!r}")
    return validate_ref_name(name, "remote")


def remotes(store: GitStore) -> list[RemoteInfo]:
    config = store.git.get_config()
    found = []
    for section in config.sections():
        if len(section) == 2 and section[0] == b"remote":
            name = section[1].decode("utf-8", "replace")
            found.append(RemoteInfo(name, config.get(section, b"url").decode("utf-8", "replace")))
    return sorted(found, key=lambda r: r.name)


def remote_url(store: GitStore, name: str) -> str:
    """The URL of the remote `name`; `InvalidInput` for a name no remote can have."""
    validate_remote_name(name)
    for remote in remotes(store):
        if remote.name == name:
            return remote.url
    raise NotFound(f"no remote {name!r} (agentmem remote add {name} URL)")


def absolute_if_local(url: str) -> str:
    """A local path made absolute (from the current directory), as git clone records it: a
    relative one would be read from wherever a later command runs. URLs (``scheme://``) and
    scp-like ``host:path`` pass unchanged."""
    if "://" in url or ":" in url.split("/", 1)[0]:
        return url
    return str(Path(url).expanduser().resolve())


def add_remote(store: GitStore, name: str, url: str) -> RemoteInfo:
    validate_remote_name(name)
    validate_unicode(validate_str(url, "a remote URL"), "remote URL")
    if not url or url.startswith("-") or any(ord(c) < 32 for c in url):
        raise InvalidInput(f"invalid remote URL {url[:60]!r}")
    if any(r.name == name for r in remotes(store)):
        raise Conflict(f"remote {name!r} already exists")
    url = absolute_if_local(url)
    config = store.git.get_config()
    section = (b"remote", name.encode())
    config.set(section, b"url", url.encode())
    config.set(section, b"fetch", f"+refs/heads/*:refs/remotes/{name}/*".encode())
    config.write_to_path()
    return RemoteInfo(name, url)


def remove_remote(store: GitStore, name: str) -> RemoteInfo:
    url = remote_url(store, name)
    config = store.git.get_config()
    del config[(b"remote", name.encode())]
    for section in list(config.sections()):
        if len(section) == 2 and section[0] == b"branch" and config.get(section, b"remote") == name.encode():
            del config[section]
    config.write_to_path()
    prefix = REMOTES + name.encode() + b"/"
    for ref in list(store.git.refs.keys()):
        if ref.startswith(prefix):
            store.git.refs.remove_if_equals(ref, None)
    return RemoteInfo(name, url)


def drop_tracking_refs(store: GitStore) -> None:
    """Delete every ``refs/remotes/*`` ref and its reflog (a purge must not leave old history
    reachable through them; a fetch recreates them)."""
    for ref in list(store.git.refs.keys()):
        if ref.startswith(REMOTES):
            store.git.refs.remove_if_equals(ref, None)
    shutil.rmtree(Path(store.git.controldir()) / "logs" / "refs" / "remotes", ignore_errors=True)


def upstream(store: GitStore, branch: str) -> tuple[str, str] | None:
    """(remote, remote branch) the local `branch` tracks, or None."""
    config = store.git.get_config()
    section = (b"branch", branch.encode())
    try:
        remote, merge = config.get(section, b"remote"), config.get(section, b"merge")
    except KeyError:
        return None
    return remote.decode(), merge.decode().removeprefix("refs/heads/")


def set_upstream(store: GitStore, branch: str, remote: str, remote_branch: str) -> None:
    config = store.git.get_config()
    section = (b"branch", branch.encode())
    config.set(section, b"remote", remote.encode())
    config.set(section, b"merge", b"refs/heads/" + remote_branch.encode())
    config.write_to_path()


def resolve_target(store: GitStore, remote: str | None, branch: str | None) -> tuple[str, str]:
    """The remote and branch a pull or push with optional arguments means."""
    local = store.current_branch().decode().removeprefix("refs/heads/")
    tracked = upstream(store, local)
    if remote is None:
        if tracked is not None:
            remote = tracked[0]
        elif any(r.name == "origin" for r in remotes(store)):
            remote = "origin"
        else:
            raise InvalidInput(f"branch {local!r} has no upstream; name a remote (agentmem push REMOTE)")
    if branch is None:
        branch = tracked[1] if tracked is not None and tracked[0] == remote else local
    return remote, validate_ref_name(branch)
