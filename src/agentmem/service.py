"""The search service, client side: one warm process per user serves every repository the user
searches (see server.py); the CLI sends it one line of JSON over a Unix socket and reads lines
back. Only the standard library here, so the CLI's search path never imports lancedb or torch.

Protocol, one connection per request:

    -> {"op": "search", "params": {...}, "code": <code stamp>, "wait": true,
        "repo": {"root": "/abs/path", "identity": "<id>:<inode>"},
        "actor": {"agent": ..., "run": ..., "trace": ...}}\\n
    <- {"note": "loading the embedding model"}\\n   (zero or more: what it is doing)
    <- {"progress": [done, total]}\\n               (zero or more, while the index catches up)
    <- {"alive": true}\\n                           (every 2 s while it works)
    <- {"ok": true, "result": ...}\\n  or  {"ok": false, "error": "NotFound", "message": "..."}\\n

Socket: ``search.sock`` in the user's runtime folder (`runtime_dir`, mode 0700). Each request
names its repository by path and identity (a random id in ``.agentmem/id`` plus the inode of
``.git``): the service answers only while that path still holds that repository. The code stamp
(a hash of agentmem's source files) makes a service started from other code step aside.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import errors

if TYPE_CHECKING:
    from .index import Index
    from .search import SearchHit
    from .snapshot import Snapshot
    from .visibility import Actor

SOCKET_NAME = "search.sock"
LOG_NAME = "search.log"
ID_NAME = "id"
MAX_SOCKET_PATH = 100
START_TIMEOUT = 120.0
HEARTBEAT = 2.0  # seconds between the service's "alive" lines while it works
SILENCE_TIMEOUT = 30.0  # a client gives up after this long without a line from the service
QUICK_DEADLINE = 1.0  # checks that must never hold up a write (near-duplicates) give up after this
Note = Callable[[str], None]
Progress = Callable[[int, int], None]


def daemon_enabled(config: dict[str, Any]) -> bool:
    """``search.daemon`` from the config: a boolean, anything else (``"no"``) is an error."""
    value = config["search"].get("daemon", True)
    if not isinstance(value, bool):
        raise errors.InvalidInput(f"search.daemon must be true or false, not {value!r:.40}")
    return value


def runtime_dir() -> Path:
    """The user's private folder for the service's socket, lock and log: ``$AGENTMEM_RUNTIME_DIR``,
    else ``$XDG_RUNTIME_DIR/agentmem``, else ``/tmp/agentmem-<uid>``; mode 0700, owned by the user
    (anything else is refused)."""
    base = os.environ.get("AGENTMEM_RUNTIME_DIR")
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if base:
        return _private(Path(base))
    if xdg and os.path.isdir(xdg):
        return _private(Path(xdg) / "agentmem")
    return _private(Path(tempfile.gettempdir()) / f"agentmem-{os.getuid()}")


def _private(folder: Path) -> Path:
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.lstat()
    except OSError as exc:
        raise errors.PermissionDenied(f"cannot use {folder} for the search service: {exc.strerror}") from None
    if not folder.is_dir() or folder.is_symlink() or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise errors.PermissionDenied(f"{folder} is not a private folder of this user (mode 0700)")
    return folder


def socket_path() -> Path:
    """Where this user's service listens (a short path in /tmp when the folder's is too long
    for a Unix socket, ~107 bytes)."""
    folder = runtime_dir()
    path = folder / SOCKET_NAME
    if len(os.fsencode(path)) <= MAX_SOCKET_PATH:
        return path
    short = _private(Path("/tmp") / f"agentmem-{os.getuid()}")
    return short / (hashlib.sha256(os.fsencode(folder)).hexdigest()[:16] + ".sock")


def log_path() -> Path:
    return runtime_dir() / LOG_NAME


@functools.cache
def code_stamp() -> str:
    """A hash of agentmem's own source files: it changes whenever the code does."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0")
        with contextlib.suppress(OSError):
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def repo_identity(root: Path, *, create: bool = True) -> str | None:
    """What names this repository itself, not its path: the random id in ``.agentmem/id``
    (written on first use) and the inode of ``.git``. None when neither can be read."""
    local = root / ".agentmem"
    try:
        inode = (root / ".git").stat().st_ino
    except OSError:
        return None
    try:
        ident = (local / ID_NAME).read_text(encoding="ascii").strip()
    except FileNotFoundError:
        ident = _new_id(local) if create else ""
    except (OSError, UnicodeDecodeError):
        ident = ""
    return f"{ident[:64]}:{inode}"


def _new_id(local: Path) -> str:
    """Write `.agentmem/id` once (a link, so two first users agree); "" if not writable."""
    ident = secrets.token_hex(16)
    tmp = local / f"id.{os.getpid()}.{ident[:8]}.tmp"
    try:
        tmp.write_text(ident + "\n", encoding="ascii")
        os.link(tmp, local / ID_NAME)
    except FileExistsError:
        return (local / ID_NAME).read_text(encoding="ascii").strip()
    except OSError:
        return ""
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return ident


class _Stale(Exception):
    """The service answering runs other code than the caller: it is leaving."""


class _Died(Exception):
    """The connection ended before a whole reply (the service was killed or crashed)."""


class _Busy(Exception):
    """A request that must not wait found the repository busy, or ran out of time."""


def call(
    root: Path, op: str, params: dict[str, Any], *, actor: Actor | None = None, start: bool = True,
    progress: Progress | None = None, note: Note | None = None, quick: bool = False,
) -> Any:  # fmt: skip
    """Send one request for the repository at `root`, starting the service if needed (`start`).
    Returns None when no service runs and `start` is false, or (`quick`) when the service is busy
    or slow: such a request gives up after `QUICK_DEADLINE` seconds rather than wait.
    A service that dies mid-request is restarted and the request sent again (twice at most)."""
    for name, value in params.items():  # as the service's own checks would: not json's TypeError
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            kind = type(value).__name__
            raise errors.InvalidInput(f"{name} must be a string or a number, not {kind}") from None
    path = socket_path()
    identity = repo_identity(root)
    if identity is None:
        raise errors.NotARepository(f"not an agentmem repository: {root}")
    request = {
        "op": op, "params": params, "code": code_stamp(), "wait": not quick,
        "repo": {"root": str(root), "identity": identity},
        "actor": None if actor is None else actor.to_dict(),
    }  # fmt: skip
    deadline = time.monotonic() + QUICK_DEADLINE if quick else None
    for _attempt in range(3):
        conn = _connect(path)
        started = conn is None
        if conn is None:
            if not start:
                return None
            if note is not None:
                note("starting the search service")
            conn = _start(path)
        try:
            with conn:
                return _exchange(conn, request, progress, note, deadline)
        except _Busy:
            return None
        except _Stale:
            if started:  # a service we just started runs the files on disk, this process older ones
                raise errors.AgentmemError(
                    "agentmem's files changed since this process started; restart it to search"
                ) from None
            continue  # it steps aside for this code: start a fresh one
        except _Died:
            if not start or op == "stop":
                return None
            continue  # killed or crashed mid-request: a fresh service answers the same request
    raise errors.AgentmemError(f"search service stopped during the request three times; see {log_path()}")


def _connect(path: Path) -> socket.socket | None:
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.settimeout(2.0)
    try:
        conn.connect(str(path))
        return conn
    except OSError:
        conn.close()
        return None


def _exchange(
    conn: socket.socket, request: dict[str, Any], progress: Progress | None, note: Note | None,
    deadline: float | None,
) -> Any:  # fmt: skip
    try:
        conn.sendall(json.dumps(request).encode() + b"\n")
        reader = conn.makefile("rb")
        while True:
            left = SILENCE_TIMEOUT if deadline is None else deadline - time.monotonic()
            if left <= 0:
                raise _Busy()
            conn.settimeout(min(left, SILENCE_TIMEOUT))
            line = reader.readline()
            if not line.endswith(b"\n"):
                raise _Died()  # nothing, or a reply cut off by a kill
            reply = json.loads(line)
            if "alive" in reply:
                continue
            if "note" in reply:
                if note is not None:
                    note(str(reply["note"]))
                continue
            if "progress" in reply:
                if progress is not None:
                    progress(*reply["progress"])
                continue
            if reply.get("ok"):
                return reply["result"]
            if reply.get("error") in ("Stale", "Busy"):
                raise _Stale() if reply["error"] == "Stale" else _Busy()
            cls = getattr(errors, str(reply.get("error")), errors.AgentmemError)
            if not (isinstance(cls, type) and issubclass(cls, errors.AgentmemError)):
                cls = errors.AgentmemError
            raise cls(reply.get("message", "search service error"))
    except TimeoutError:
        if deadline is not None:
            raise _Busy() from None
        raise errors.AgentmemError(
            f"search service sent nothing for {SILENCE_TIMEOUT:.0f} s; see {log_path()}"
        ) from None
    except (ConnectionError, BrokenPipeError):
        raise _Died() from None


def _start(path: Path) -> socket.socket:
    """Start the service under a lock (one starter wins; the others find it running)."""
    folder = runtime_dir()
    with open(folder / "search.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        conn = _connect(path)
        if conn is not None:
            return conn
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # stale: nobody answers on it, and the folder is this user's alone
        # The service imports this very copy of agentmem (it runs from "/", holding no folder).
        source = str(Path(__file__).resolve().parent.parent)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([source, os.environ.get("PYTHONPATH", "")])}
        with open(folder / LOG_NAME, "ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "agentmem.server", str(path)], env=env,
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True, cwd="/",
            )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            conn = _connect(path)
            if conn is not None:
                return conn
            if process.poll() is not None:
                break
            time.sleep(0.02)
        raise errors.AgentmemError(f"search service did not start; see {folder / LOG_NAME}")


# -- one request against an open index (the service and the in-process path both run this) ----


def dispatch(
    index: Index, op: str, params: dict[str, Any], progress: Progress | None = None,
    note: Note | None = None, keep: Callable[[Any], bool] | None = None,
) -> Any:  # fmt: skip
    """Run one request; the result is JSON-ready. Every hit is checked before it leaves: it must
    be the fact its commit holds (a damaged index is rebuilt, never believed) and pass `keep`
    (the acting identity's visibility test)."""

    if note is not None:  # said only when the model is about to load, not on every request
        index.before_load = lambda: note(f"loading the embedding model {index.model_name}")
    try:
        return _dispatch(index, op, params, progress, keep)
    finally:
        index.before_load = None


def _dispatch(
    index: Index, op: str, params: dict[str, Any], progress: Progress | None,
    keep: Callable[[Any], bool] | None,
) -> Any:  # fmt: skip
    from . import search

    if op in ("search", "near_duplicates", "duplicates", "index"):
        index.view_key(params.get("at"))  # an unknown ref fails here, before any model loads
    if op == "search":
        where = getattr(keep, "where", None)  # the reader's scopes, as an index prefilter
        if where is not None:
            clause = where(index.store, params.get("at"))
            if clause == "":
                return []
            params = {**params, "where": clause}
        return [hit.to_dict() for hit in _checked(index, search.run_search, params, progress, keep)]
    if op == "near_duplicates":
        return [hit.to_dict() for hit in _checked(index, search.near_duplicates, params, None, keep)]
    if op == "duplicates":
        commit, pairs = search.duplicate_pairs(index, **params)
        if keep is not None and pairs:
            from .snapshot import Snapshot

            snap = Snapshot(index.store, commit.encode())
            seen = {i: snap.find(i) for pair in pairs for i in pair[:2]}
            pairs = [p for p in pairs if all(seen[i] is not None and keep(seen[i]) for i in p[:2])]
        return {"commit": commit, "pairs": pairs}
    if op == "index":
        at = params.get("at")
        view = index.rebuild(at, progress) if params.get("rebuild") else index.view(at, progress)
        return {"view": view.key, "commit": view.commit, **index.status()}
    if op == "status":
        return {**index.status(), "embedded_texts": index.embedded_texts, "pid": os.getpid()}
    if op == "embed":
        return [[float(x) for x in index.embed_query(text)] for text in params["texts"]]
    raise errors.InvalidInput(f"unknown request {op[:40]!r}")


def _checked(
    index: Index, find: Callable[..., list[SearchHit]], params: dict[str, Any],
    progress: Progress | None, keep: Callable[[Any], bool] | None,
) -> list[SearchHit]:  # fmt: skip
    """`find(index, **params)` with every hit checked against git and `keep`. A hit that is not
    the fact at its commit means a damaged view: it is rebuilt and the search run again. Hits
    `keep` refuses are dropped and more are asked for, up to the `k` requested."""
    from .search import MAX_K
    from .snapshot import Snapshot

    k = int(params.get("k", 10))
    extra = {"progress": progress} if progress is not None else {}
    for attempt in (1, 2):
        ask = k
        while True:
            hits = find(index, **{**params, "k": ask}, **extra)
            snap = Snapshot(index.store, hits[0].commit.encode()) if hits else None
            faithful = [h for h in hits if snap is not None and _at_its_path(snap, h)]
            if len(faithful) < len(hits) and attempt == 1:
                break
            # After a rebuild, a hit still not at its own path is a fact file whose id or scope
            # differs from where it lies (hostile content): never shown.
            shown = [h for h in faithful if keep is None or keep(h.fact)]
            if len(shown) >= k or len(hits) < ask or ask >= MAX_K:
                return shown[:k]
            ask = min(MAX_K, ask * 2)
        index.rebuild(params.get("at"), progress)
    raise AssertionError("unreachable")


def _at_its_path(snap: Snapshot, hit: SearchHit) -> bool:
    """Whether `hit` is the fact its commit holds at the path its own scope and id name. The
    hit's fact was read from `hit.blob`, so comparing blob ids says it without a second parse."""
    if hit.blob is None:
        return snap.find(hit.fact.id, hit.fact.scope) == hit.fact
    return snap.blob_of(hit.fact.id, hit.fact.scope) == hit.blob.encode()
