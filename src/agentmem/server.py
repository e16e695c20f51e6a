"""The search service: one process per user that keeps the model loaded once and an index open
for every repository the user searches (started on demand by `service.call`).

Each request names its repository (path and identity, see `service.repo_identity`) and the
acting identity. The service checks the identity against the disk on every request (a moved or
replaced repository is never answered for from another's index), runs the request under that
repository's lock (one repository's catch-up never holds up another's search) and passes every
hit through `visibility.visible` for that repository and actor: a client never filters.

It closes a repository after its ``search.idle_timeout`` or as soon as its folder is deleted or
moved, and exits when it has none left. A request from other code makes it step aside: it frees
the socket at once and exits when its last request is answered.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import json
import logging
import os
import socketserver
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import errors
from .service import HEARTBEAT, code_stamp, dispatch, repo_identity
from .visibility import Actor, visible

EMPTY_GRACE = 60.0  # seconds a service with no repository open waits before it exits
# glibc's malloc gives threads that allocate at once their own arenas (up to 8 per core) and keeps
# what is freed in each for reuse. The service answers every request on a new thread, and a
# catch-up embeds its facts in batches of tensors, so each repository opened left freed memory
# behind in some arena: five small repositories held 777 MiB, against 686 MiB with two arenas
# and the freed memory given back after each request that embedded (docs/benchmarks.md).
MALLOC_ARENAS = 2
log = logging.getLogger("agentmem.service")


@dataclass
class Opened:
    """One repository the service serves: its index and what it is doing now."""

    root: Path
    identity: str
    config_stamp: tuple[int, int]
    repo: Any
    index: Any
    idle_timeout: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    last: float = field(default_factory=time.monotonic)
    busy: int = 0
    doing: str = ""
    progress: tuple[int, int] | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "root": str(self.root), "busy": self.busy, "doing": self.doing,
            "progress": self.progress, "embedded_texts": self.index.embedded_texts,
        }  # fmt: skip


def _config_stamp(root: Path) -> tuple[int, int]:
    try:
        info = (root / ".agentmem" / "config").stat()
    except OSError:
        return (0, 0)
    return (info.st_mtime_ns, info.st_size)


class Service:
    """The repositories open in this process, and when to stop."""

    def __init__(self) -> None:
        self.code = code_stamp()
        self.repos: dict[str, Opened] = {}
        self.guard = threading.Lock()
        self.stop = False
        self.started = time.monotonic()
        self.last = time.monotonic()
        self.active = 0
        self.grace = EMPTY_GRACE  # how long to linger with no repository open

    def opened(self, request: dict[str, Any]) -> Opened:
        """The repository a request names, (re)opened when it is new, replaced or reconfigured.
        Refused when its path no longer holds the repository the client opened."""
        target = request.get("repo") or {}
        root, identity = Path(str(target.get("root"))), str(target.get("identity"))
        if not root.is_absolute() or repo_identity(root, create=False) != identity:
            raise errors.NotARepository(f"{root} is not the repository this request was made for (moved?)")
        stamp = _config_stamp(root)
        with self.guard:
            entry = self.repos.get(str(root))
            if entry is None or entry.identity != identity or entry.config_stamp != stamp:
                from .index import Index
                from .repo import Repo

                repo = Repo(root)
                idle = float(repo.config["search"].get("idle_timeout", 900))
                location = repo.config["search"].get("index_location")
                index = Index(repo.store, repo.local_dir, repo.config["embedding"], location)
                entry = Opened(root, identity, stamp, repo, index, idle)
                self.repos[str(root)] = entry
                log.info("opened %s", root)
            return entry

    def sweep(self) -> bool:
        """Close repositories that are gone or idle; True when the service should exit."""
        now = time.monotonic()
        closed = False
        with self.guard:
            for key, entry in list(self.repos.items()):
                if entry.busy:
                    continue
                if repo_identity(entry.root, create=False) != entry.identity:
                    log.info("closing %s: the repository was deleted or moved", entry.root)
                    self.grace = 0.0
                elif now - entry.last > entry.idle_timeout:
                    log.info("closing %s: idle for %.0f s", entry.root, now - entry.last)
                    self.grace = min(self.grace, entry.idle_timeout)
                else:
                    continue
                del self.repos[key]
                with contextlib.suppress(Exception):
                    entry.repo.close()
                closed = True
            if closed:  # its index's matrices and tables are freed
                release_memory()
            if self.active:
                return False
            return self.stop or (not self.repos and now - self.last > self.grace)


def handle(service: Service, request: dict[str, Any], send: Any) -> None:
    """Answer one request through `send(reply)`."""
    op = str(request.get("op"))
    params = dict(request.get("params") or {})
    if op == "ping":
        send({"ok": True, "result": {"pid": os.getpid()}})
        return
    if op == "stop":
        service.stop = True
        send({"ok": True, "result": True})
        return
    if op == "status":  # answered at once: never waits for a repository's lock
        send({"ok": True, "result": _status(service, request)})
        return
    entry = service.opened(request)
    actor = Actor.from_dict(request.get("actor"))
    if not entry.lock.acquire(blocking=False):
        if not request.get("wait", True):
            send({"ok": False, "error": "Busy"})
            return
        send({"note": f"waiting for another request on this repository ({entry.doing})"})
        while not entry.lock.acquire(timeout=HEARTBEAT):
            send({"alive": True})
    entry.busy += 1
    try:
        entry.doing = op

        def progress(done: int, total: int) -> None:
            entry.progress = (done, total)
            send({"progress": [done, total]})

        embedded = entry.index.embedded_texts
        result = dispatch(entry.index, op, params, progress, lambda text: send({"note": text}),
                          visible(entry.repo, actor))  # fmt: skip
        send({"ok": True, "result": result})
        if entry.index.embedded_texts != embedded:  # a catch-up or rebuild: its batches are freed
            release_memory()
    finally:
        entry.busy -= 1
        entry.doing, entry.progress, entry.last = "", None, time.monotonic()
        entry.lock.release()


def _status(service: Service, request: dict[str, Any]) -> dict[str, Any]:
    root = str((request.get("repo") or {}).get("root"))
    info: dict[str, Any] = {
        "pid": os.getpid(), "code": service.code,
        "repositories": [entry.summary() for entry in list(service.repos.values())],
    }  # fmt: skip
    entry = service.repos.get(root)
    info["embedded_texts"] = entry.index.embedded_texts if entry else 0
    info["this"] = entry.summary() if entry else None
    if entry is not None and entry.lock.acquire(blocking=False):
        try:
            info.update(entry.index.status())
        finally:
            entry.lock.release()
    return info


@functools.cache
def _libc() -> Any:
    """glibc, or None where the C library is another (macOS, musl): there the limits below are
    left to that library."""
    try:
        libc = ctypes.CDLL(None)
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except (OSError, TypeError):  # TypeError: no C library to name (Windows)
        return None


def limit_arenas() -> bool:
    """At most `MALLOC_ARENAS` malloc arenas for this process; before any other thread starts."""
    libc = _libc()
    return bool(libc and libc.mallopt(-8, MALLOC_ARENAS))  # -8: M_ARENA_MAX


def release_memory() -> bool:
    """Give what malloc holds freed back to the system (glibc's malloc_trim); False where that
    is not glibc's to do."""
    libc = _libc()
    if libc is None:
        return False
    libc.malloc_trim(0)  # 1 if it released some, 0 if there was nothing to release
    return True


def serve(path: Path) -> None:
    """Listen on `path` until there is nothing left to serve."""
    limit_arenas()
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO,
        format="%(asctime)s %(process)d %(levelname)s %(message)s",
    )  # fmt: skip
    service = Service()

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            line = self.rfile.readline()
            if not line:
                return
            sending = threading.Lock()

            def send(reply: dict[str, Any]) -> None:
                with sending, contextlib.suppress(OSError):
                    self.wfile.write(json.dumps(reply).encode() + b"\n")
                    self.wfile.flush()

            with service.guard:
                service.active += 1
            started = time.monotonic()
            done = threading.Event()
            try:
                request = json.loads(line)
                if not isinstance(request, dict):
                    raise ValueError("not an object")
                if request.get("code") != service.code:
                    log.info("a caller runs other code: stepping aside")
                    release()
                    service.stop = True
                    send({"ok": False, "error": "Stale"})
                    return
                threading.Thread(target=_beat, args=(done, send), daemon=True).start()
                handle(service, request, send)
                log.info("%s %.3fs", request.get("op"), time.monotonic() - started)
            except errors.AgentmemError as exc:
                send({"ok": False, "error": type(exc).__name__, "message": str(exc)})
            except (ValueError, TypeError, AttributeError, KeyError) as exc:
                send({"ok": False, "error": "InvalidInput", "message": f"bad request: {exc}"})
            except Exception as exc:
                log.exception("request failed")
                send({"ok": False, "error": "AgentmemError", "message": f"search failed: {exc}"})
            finally:
                done.set()
                with service.guard:
                    service.active -= 1
                    service.last = time.monotonic()

    class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
        daemon_threads = True

    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    old_umask = os.umask(0o177)
    try:
        server = Server(str(path), Handler)
    finally:
        os.umask(old_umask)
    mine = path.stat().st_ino

    def release() -> None:
        """Remove our socket file, unless it is already a newer service's."""
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_ino == mine:
                path.unlink()

    log.info("listening on %s (code %s)", path, service.code)

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if service.sweep():
                server.shutdown()
                return

    threading.Thread(target=watch, daemon=True).start()
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
        release()
        log.info("stopped")


def _beat(done: threading.Event, send: Any) -> None:
    while not done.wait(HEARTBEAT):
        send({"alive": True})


if __name__ == "__main__":
    serve(Path(sys.argv[1]))
