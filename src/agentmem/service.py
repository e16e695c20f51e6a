"""The warm search service: one process per repository that keeps the model and index open.

A cold `agentmem search` would pay ~8 s importing torch and lancedb; instead the CLI sends one
line of JSON over a Unix socket to a service the first search starts, and reads lines back.

Client side (everything above `serve`): only the standard library, so the CLI's search path
never imports lancedb or torch. Protocol, one connection per request:

    -> {"op": "search", "params": {...}}\\n
    <- {"progress": [done, total]}\\n          (zero or more, while the index catches up)
    <- {"ok": true, "result": ...}\\n  or  {"ok": false, "error": "NotFound", "message": "..."}\\n

Socket: ``.agentmem/search.sock`` (mode 0600), or ``/tmp/agentmem-<uid>/<sha256(root)[:16]>.sock``
in a 0700 folder when that path is too long for a Unix socket (~107 bytes). A lock file guards
the start, so concurrent first searches start one service; a stale socket (service killed) is
removed and a new service started. The service logs to ``.agentmem/search.log`` and exits after
``search.idle_timeout`` seconds without a request.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import errors

if TYPE_CHECKING:
    from .index import Index

SOCKET_NAME = "search.sock"
LOG_NAME = "search.log"
MAX_SOCKET_PATH = 100
START_TIMEOUT = 120.0


def socket_path(root: Path) -> Path:
    """Where the service of the repository at `root` listens."""
    inside = root / ".agentmem" / SOCKET_NAME
    if len(os.fsencode(inside)) <= MAX_SOCKET_PATH:
        return inside
    folder = Path("/tmp") / f"agentmem-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    info = folder.lstat()
    if info.st_uid != os.getuid() or info.st_mode & 0o077 or not folder.is_dir() or folder.is_symlink():
        raise errors.PermissionDenied(f"{folder} is not a private folder of this user")
    return folder / (hashlib.sha256(os.fsencode(root)).hexdigest()[:16] + ".sock")


def call(root: Path, op: str, params: dict[str, Any], *, start: bool = True,
         progress: Callable[[int, int], None] | None = None) -> Any:  # fmt: skip
    """Send one request to the repository's service, starting it if needed (`start`).
    Returns None when no service runs and `start` is false."""
    path = socket_path(root)
    request = {"op": op, "params": params, "stamp": stamp(root)}
    for attempt in range(2):
        conn = _connect(path)
        if conn is None:
            if not start:
                return None
            conn = _start(root, path)
        try:
            with conn:
                return _exchange(conn, request, progress)
        except _Stale:
            continue  # it runs older code or settings and is leaving: start a fresh one
        except (ConnectionError, EOFError):
            # The service died mid-request (killed, crashed): start a fresh one once.
            if attempt or not start:
                log = root / ".agentmem" / LOG_NAME
                raise errors.AgentmemError(f"search service stopped; see {log}") from None
    raise AssertionError("unreachable")


class _Stale(Exception):
    """The service answering was started with other code or settings than the caller's."""


def stamp(root: Path) -> str:
    """What a service must share with its callers: the agentmem version and the local config.
    A service whose stamp differs (agentmem upgraded, model changed) steps aside."""
    from . import __version__

    try:
        info = (root / ".agentmem" / "config").stat()
    except OSError:
        return __version__
    return f"{__version__}:{info.st_mtime_ns}:{info.st_size}"


def _connect(path: Path) -> socket.socket | None:
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(str(path))
        return conn
    except (FileNotFoundError, ConnectionRefusedError, OSError):
        conn.close()
        return None


def _exchange(
    conn: socket.socket, request: dict[str, Any], progress: Callable[[int, int], None] | None
) -> Any:
    conn.sendall(json.dumps(request).encode() + b"\n")
    reader = conn.makefile("rb")
    while True:
        line = reader.readline()
        if not line:
            raise EOFError("service closed the connection")
        reply = json.loads(line)
        if "progress" in reply:
            if progress is not None:
                progress(*reply["progress"])
            continue
        if reply.get("ok"):
            return reply["result"]
        if reply.get("error") == "Stale":
            raise _Stale()
        cls = getattr(errors, str(reply.get("error")), errors.AgentmemError)
        if not (isinstance(cls, type) and issubclass(cls, errors.AgentmemError)):
            cls = errors.AgentmemError
        raise cls(reply.get("message", "search service error"))


def _start(root: Path, path: Path) -> socket.socket:
    """Start the service under a lock (one starter wins; the others find it running)."""
    local = root / ".agentmem"
    with open(local / "search.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        conn = _connect(path)
        if conn is not None:
            return conn
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # stale: nobody answers on it
        with open(local / LOG_NAME, "ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "agentmem.service", str(root)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                cwd=str(root),
            )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            conn = _connect(path)
            if conn is not None:
                return conn
            if process.poll() is not None:
                break
            time.sleep(0.02)
        raise errors.AgentmemError(f"search service did not start; see {local / LOG_NAME}")


# -- the service ---------------------------------------------------------------------------


def dispatch(index: Index, op: str, params: dict[str, Any],
             progress: Callable[[int, int], None] | None = None) -> Any:  # fmt: skip
    """Run one request against an open index; the result is JSON-ready. The in-process path
    (--no-daemon) calls this too, so both paths compute the same answer."""
    from . import search

    if op == "search":
        # The service filters by the reader's policy itself; it never trusts a client to.
        from .governance.visibility import governed_search

        hits = governed_search(index, params.pop("reader", None), params, progress)
        return [hit.to_dict() for hit in hits]
    if op == "near_duplicates":
        return [hit.to_dict() for hit in search.near_duplicates(index, **params)]
    if op == "duplicates":
        commit, pairs = search.duplicate_pairs(index, **params)
        return {"commit": commit, "pairs": pairs}
    if op == "index":
        view = index.rebuild(params.get("at"), progress) if params.get("rebuild") else index.view(
            params.get("at"), progress)
        return {"view": view.key, "commit": view.commit, **index.status()}
    if op == "status":
        return {**index.status(), "embedded_texts": index.embedded_texts, "pid": os.getpid()}
    if op == "embed":
        return [[float(x) for x in index.embed_query(text)] for text in params["texts"]]
    if op == "ping":
        return {"pid": os.getpid()}
    raise errors.InvalidInput(f"unknown request {op[:40]!r}")


def serve(root: Path) -> None:
    """Run the service of the repository at `root` until idle for `search.idle_timeout`."""
    import logging
    import socketserver

    from .repo import Repo

    repo = Repo(root)
    local = repo.local_dir
    logging.basicConfig(
        filename=str(local / LOG_NAME), level=logging.INFO,
        format="%(asctime)s %(process)d %(levelname)s %(message)s",
    )  # fmt: skip
    log = logging.getLogger("agentmem.service")
    path = socket_path(repo.root)
    idle_timeout = float(repo.config["search"].get("idle_timeout", 900))
    state = {"last": time.monotonic(), "busy": 0, "stop": False}
    my_stamp = stamp(repo.root)
    work = threading.Lock()
    from .index import Index

    index = Index(repo.store, local, repo.config["embedding"])

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            line = self.rfile.readline()
            if not line:
                return
            state["busy"] += 1
            started = time.monotonic()
            try:
                request = json.loads(line)
                op, params = str(request.get("op")), dict(request.get("params") or {})
                if request.get("stamp", my_stamp) != my_stamp:
                    log.info("caller runs other code or settings: stepping aside")
                    _release(path, mine)  # new callers start a fresh service
                    state["stop"] = True
                    self._send({"ok": False, "error": "Stale"})
                    return
                if op == "stop":
                    state["stop"] = True
                    self._send({"ok": True, "result": True})
                    return
                with work:
                    result = dispatch(index, op, params, self._progress)
                self._send({"ok": True, "result": result})
                log.info("%s %.3fs", op, time.monotonic() - started)
            except errors.AgentmemError as exc:
                self._send({"ok": False, "error": type(exc).__name__, "message": str(exc)})
            except (ValueError, TypeError, AttributeError) as exc:
                self._send({"ok": False, "error": "InvalidInput", "message": f"bad request: {exc}"})
            except Exception as exc:
                log.exception("request failed")
                self._send({"ok": False, "error": "AgentmemError", "message": f"search failed: {exc}"})
            finally:
                state["busy"] -= 1
                state["last"] = time.monotonic()

        def _progress(self, done: int, total: int) -> None:
            self._send({"progress": [done, total]})

        def _send(self, reply: dict[str, Any]) -> None:
            with contextlib.suppress(OSError):
                self.wfile.write(json.dumps(reply).encode() + b"\n")
                self.wfile.flush()

    class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
        daemon_threads = True

    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    old_umask = os.umask(0o177)
    try:
        server = Server(str(path), Handler)
    finally:
        os.umask(old_umask)
    os.chmod(path, 0o600)
    mine = path.stat().st_ino
    log.info("listening on %s (idle timeout %ss)", path, idle_timeout)

    def watch() -> None:
        while True:
            time.sleep(min(1.0, idle_timeout / 4))
            idle = time.monotonic() - state["last"]
            if state["stop"] or (not state["busy"] and idle > idle_timeout):
                server.shutdown()
                return

    threading.Thread(target=watch, daemon=True).start()
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
        _release(path, mine)
        log.info("stopped")


def _release(path: Path, inode: int) -> None:
    """Remove our socket file, unless it is already a newer service's."""
    with contextlib.suppress(FileNotFoundError):
        if path.stat().st_ino == inode:
            path.unlink()


if __name__ == "__main__":
    serve(Path(sys.argv[1]))
