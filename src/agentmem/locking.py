"""Writers take turns, and what a killed writer leaves behind is recovered instead of waited on.

The rule (docs/format.md, "Locks"): every agentmem process holds the advisory `flock` on
``.git/agentmem-write.lock`` while it writes objects or moves a ref. The kernel drops a flock
when its holder dies, so a process that holds it knows that no other agentmem writer is active:
a ref lock (``refs/heads/<b>.lock``, ``HEAD.lock``, ``packed-refs.lock``), a loose-object
``.lock`` or a ``tmp-agentmem-*`` pack file that it finds was left by a writer that died.
Tools that do not take the flock (plain ``git``) hold a ref lock for milliseconds; a lock is
therefore cleared only once it is `STALE_LOCK_AGE` seconds old, and a holder waits that long at
most. A process that could not get the flock (its holder hung for `CAS_TIMEOUT`) clears nothing.
The holder writes its pid into the lock file and empties it on release: a pid found there means
the last holder died mid-write, and the new one sweeps every stale lock and partial pack
(`recover_leftovers`), so nothing piles up even where no later write touches the same file.

Ref updates are done here rather than by dulwich, which appends the reflog line before it
renames the lock into place (a kill in between logs a move that never happened): the ref file is
replaced first, then the reflog line is appended; a move whose line a kill cut off is logged by
the next writer ("recovered: ...") so the reflog's newest entry always names the ref's value.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import threading
import time
from collections.abc import Iterator
from enum import Enum
from typing import IO

from dulwich.reflog import format_reflog_line

from .errors import InvalidInput

CAS_TIMEOUT = 30.0  # seconds a writer waits for the flock (or a busy branch) before giving up
STALE_LOCK_AGE = 1.0  # a lock file this old, found while holding the flock, is cleared
ZERO = b"0" * 40
COMMITTER = b"agentmem <agentmem@localhost>"
KILL_ENV = "AGENTMEM_TEST_KILL_AT"
_hits: dict[str, int] = {}


def kill_point(name: str) -> None:
    """Fault injection for the crash tests: ``AGENTMEM_TEST_KILL_AT=<name>[@<n>]`` makes this
    process SIGKILL itself the n-th time (default first) it reaches point `name`."""
    wanted = os.environ.get(KILL_ENV)
    if not wanted:
        return
    point, _, nth = wanted.partition("@")
    if point != name:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)


class RefUpdate(Enum):
    DONE = "done"
    MOVED = "moved"  # the ref did not hold the expected value (or exists, for a create)
    LOCKED = "locked"  # another process holds its lock right now


class WriterLock:
    """The flock every agentmem writer holds; re-entrant within a process (threads queue on a
    mutex first, since a flock is per open file, not per thread)."""

    def __init__(self, git_dir: str) -> None:
        self.git_dir = git_dir
        self.path = os.path.join(git_dir, "agentmem-write.lock")
        self._mutex = threading.RLock()
        self._depth = 0
        self.held = False  # True while this process holds the flock (not just the mutex)

    @contextlib.contextmanager
    def __call__(self) -> Iterator[bool]:
        """Hold the lock; yields whether the flock itself was obtained (False: its holder hung
        for `CAS_TIMEOUT` and the caller falls back to plain compare-and-swap)."""
        with self._mutex:
            if self._depth:
                self._depth += 1
                try:
                    yield self.held
                finally:
                    self._depth -= 1
                return
            with open(self.path, "a+b") as handle:
                self.held = _flock(handle)
                self._depth = 1
                try:
                    if self.held:
                        _mark_busy(handle, self.git_dir)
                    yield self.held
                finally:
                    self._depth = 0
                    if self.held:
                        self.held = False
                        handle.truncate(0)  # released alive: nothing for the next to recover
                        handle.flush()
                        fcntl.flock(handle, fcntl.LOCK_UN)


def _mark_busy(handle: IO[bytes], git_dir: str) -> None:
    """Write our pid into the lock file for as long as we write. Finding a pid there means the
    last holder died while writing: recover what it may have left (`recover_leftovers`)."""
    handle.seek(0)
    if handle.read(32).strip():
        recover_leftovers(git_dir)
    handle.seek(0)
    handle.truncate(0)
    handle.write(f"{os.getpid()}\n".encode())
    handle.flush()
    kill_point("flock-held")


def _flock(handle: IO[bytes]) -> bool:
    deadline = time.monotonic() + CAS_TIMEOUT
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.002)


def clear_stale_lock(lock: str, held: bool) -> bool:
    """Make way for a new `lock`: True once it is gone (it vanished, or it was stale and is now
    removed); False if it belongs to a live process (or we may not judge: `held` is False).
    Waits at most `STALE_LOCK_AGE` for a young lock to go away or to become stale."""
    if not held:
        return not os.path.lexists(lock)
    while True:
        try:
            age = time.time() - os.lstat(lock).st_mtime
        except FileNotFoundError:
            return True
        if age >= STALE_LOCK_AGE:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(lock)
            return True
        time.sleep(min(0.05, STALE_LOCK_AGE - age + 0.001))


def recover_leftovers(git_dir: str) -> list[str]:
    """After a writer died holding the flock: remove its partial ``tmp-agentmem-*`` packs (if
    their writer is gone), and every ref or loose-object ``.lock`` (each once it is
    `STALE_LOCK_AGE` old: a young one may belong to plain git). Returns what was removed."""
    removed = []
    pack_dir = os.path.join(git_dir, "objects", "pack")
    for name in _names(pack_dir):
        pid = name.split("-")[2] if name.startswith("tmp-agentmem-") else ""
        if pid.isdigit() and not _alive(int(pid)):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(pack_dir, name))
                removed.append(os.path.join(pack_dir, name))
    locks = [os.path.join(git_dir, name) for name in ("HEAD.lock", "packed-refs.lock")]
    for folder, _dirs, files in os.walk(os.path.join(git_dir, "refs")):
        locks.extend(os.path.join(folder, name) for name in files if name.endswith(".lock"))
    objects = os.path.join(git_dir, "objects")
    for sub in _names(objects):
        if len(sub) == 2:
            folder = os.path.join(objects, sub)
            locks.extend(os.path.join(folder, n) for n in _names(folder) if n.endswith(".lock"))
    for lock in locks:
        if os.path.lexists(lock):
            clear_stale_lock(lock, held=True)
            removed.append(lock)
    return removed


def _names(folder: str) -> list[str]:
    try:
        return os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return []


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_loose_ref(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            value = handle.read().strip()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None
    return value or None


def update_ref(
    git_dir: str, name: bytes, old: bytes | None, new: bytes, message: str, *,
    packed: dict[bytes, bytes], held: bool, create: bool = False,
) -> RefUpdate:  # fmt: skip
    """Move ref `name` to `new` if it holds `old` (None: any value; `create`: no value yet),
    then log the move. `packed` holds the packed-refs values (read when the loose file is
    missing). Stale locks are cleared when `held` (the caller holds the writer flock)."""
    path = os.path.join(git_dir, os.fsdecode(name))
    lock = path + ".lock"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise InvalidInput(f"{name.decode()}: a ref above it exists (git keeps refs as files)") from None
    if os.path.isdir(path):
        raise InvalidInput(f"{name.decode()}: refs below it exist (git keeps refs as files)")
    fd = None
    for _ in range(3):
        if not clear_stale_lock(lock, held):
            return RefUpdate.LOCKED
        try:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            break
        except FileExistsError:
            continue  # another process took it in between
    if fd is None:
        return RefUpdate.LOCKED
    try:
        kill_point("ref-locked")
        current = read_loose_ref(path) or packed.get(name)
        if (create and current is not None) or (old is not None and current != old):
            os.close(fd)
            os.unlink(lock)
            return RefUpdate.MOVED
        if current is not None:
            _log_unlogged_move(git_dir, name, current)
        if current == new:
            os.close(fd)
            os.unlink(lock)
            return RefUpdate.DONE
        os.write(fd, new + b"\n")
        os.fsync(fd)
        os.close(fd)
        fd = None
        os.replace(lock, path)
    except BaseException:
        if fd is not None:
            os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(lock)
        raise
    kill_point("ref-moved")
    append_reflog(git_dir, name, current, new, message)
    return RefUpdate.DONE


def append_reflog(git_dir: str, name: bytes, old: bytes | None, new: bytes, message: str) -> None:
    path = os.path.join(git_dir, "logs", os.fsdecode(name))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    line = format_reflog_line(old or ZERO, new, COMMITTER, int(time.time()), 0,
                              message.replace("\n", " ").encode("utf-8", "replace"))  # fmt: skip
    with open(path, "ab") as handle:
        handle.write(line + b"\n")


def last_logged(git_dir: str, name: bytes) -> bytes | None:
    """The value the newest reflog line of `name` moved it to (None: no reflog)."""
    path = os.path.join(git_dir, "logs", os.fsdecode(name))
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - 4096))
            tail = handle.read()
    except FileNotFoundError:
        return None
    fields = tail.rstrip(b"\n").rsplit(b"\n", 1)[-1].split(b" ", 2)
    return fields[1] if len(fields) == 3 and len(fields[1]) == 40 else None


def _log_unlogged_move(git_dir: str, name: bytes, current: bytes) -> None:
    """A writer killed between moving a ref and logging it: log the move now."""
    logged = last_logged(git_dir, name)
    if logged is not None and logged != current:
        append_reflog(git_dir, name, logged, current,
                      "recovered: a killed writer moved the ref without logging it")  # fmt: skip
