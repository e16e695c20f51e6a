"""The stage: writes collected by `agentmem add` across processes until `agentmem commit`.

The Python API needs no stage (a `Transaction` holds its writes in memory); the CLI does, because
each `agentmem add` is its own process. Each agent has its own stage, so one agent's `commit`
never commits (under its own name) what another staged: the CLI's default agent `cli` stages in
`.agentmem/` itself, any other in `.agentmem/stages/<agent>/` (`folder_of`). A stage is a set of
files in its folder (format in docs/format.md), each holding `StagedOp` JSON lines:

* ``stage.jsonl``: where `add` appends, under the stage lock (``stage.lock``, an `flock`);
* ``stage.<batch>.claim``: a batch a `commit` took (by renaming ``stage.jsonl`` under the lock)
  and holds an `flock` on while it commits;
* ``stage.<batch>.returned``: a batch whose commit failed or died without committing it.

The commit records the batches it consumed in an ``Agentmem-Staged`` trailer. A claim whose
owner is gone (its `flock` is free) is settled by the next reader: if a commit made since the
batch was claimed names it, it was committed (the file is deleted); otherwise it goes back to
the stage (renamed ``.returned``). Every acknowledged `add` is therefore committed or still
staged, exactly once, whenever a `commit` is killed. `add` never waits for a commit: it needs the
stage lock only for the rename.

A line cut short by a killed `add` (never acknowledged) is skipped and counted, never fatal.
"""

from __future__ import annotations

import contextlib
import fcntl
import heapq
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from .errors import InvalidInput, NothingStaged
from .fact import parse_scope, validate_id
from .signature import parse_trailers
from .store import GitStore
from .transaction import CommitResult, Transaction
from .values import DEFAULT_AGENT, agent_option, validate_name

OPS = ("remember", "update", "forget")
STAGES_DIR = "stages"
STAGE_FILE = "stage.jsonl"
LOCK_FILE = "stage.lock"
BATCH_RE = re.compile(r"stage\.([0-9a-f]{12}-[0-9a-f]{8})\.(claim|returned)")
LEGACY_RE = re.compile(r"stage\.([0-9]+)\.committing")  # left by agentmem before batches
CLOCK_SLACK_S = 5  # commits made this long before a batch was claimed are not searched for it


@dataclass(frozen=True)
class StagedOp:
    """One staged write. `sid` names it (unique) so a test or a person can follow it."""

    op: str
    sid: str
    id: str | None = None
    text: str | None = None
    scope: str | None = None
    kind: str | None = None
    tags: list[str] | None = None
    meta: dict[str, Any] | None = None
    derived_from: list[str] | None = None
    source: str | None = None
    expires_at: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StagedOp:
        if not isinstance(data, dict):
            kind = type(data).__name__
            raise InvalidInput(f"a staged operation is a dict ({{'op': 'remember', ...}}), not {kind}")
        if data.get("op") not in OPS:
            raise InvalidInput(f"unknown staged operation {data.get('op')!r}")
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise InvalidInput(f"unknown staged field(s): {', '.join(sorted(unknown))}")
        values = {k: v for k, v in data.items() if v is not None}
        values.setdefault("sid", os.urandom(8).hex())
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def to_line(self) -> bytes:
        return (json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True) + "\n").encode()

    def apply(self, tx: Transaction) -> None:
        values = {k: v for k, v in self.to_dict().items() if k not in ("op", "sid")}
        if self.op == "remember":
            tx.remember(values.pop("text"), values.pop("scope", "shared"), **values)
        elif self.op == "update":
            tx.update(values.pop("id"), **values)
        else:
            tx.forget(values["id"])


@dataclass
class StageContents:
    """What is staged, oldest first, and how many unreadable (torn) lines were skipped."""

    ops: list[StagedOp] = field(default_factory=list)
    unreadable: int = 0


@dataclass
class StagedCommitResult(CommitResult):
    """A commit of the stage: the transaction's result plus the torn lines it skipped."""

    batches: list[str] = field(default_factory=list)
    unreadable: int = 0


def folder_of(local_dir: Path, agent: str) -> Path:
    """The folder of `agent`'s stage: `.agentmem/` for `DEFAULT_AGENT` (where every write was
    staged before stages had owners), else `.agentmem/stages/<agent>/`."""
    validate_name(agent, "agent name")
    return local_dir if agent == DEFAULT_AGENT else local_dir / STAGES_DIR / agent


def staging_agents(local_dir: Path) -> list[str]:
    """The agents whose stage folder holds files of a stage (staged writes, perhaps)."""
    found = [DEFAULT_AGENT] if _has_stage(local_dir) else []
    with contextlib.suppress(FileNotFoundError):
        for entry in sorted(os.listdir(local_dir / STAGES_DIR)):
            folder = local_dir / STAGES_DIR / entry
            if entry != DEFAULT_AGENT and _is_name(entry) and folder.is_dir() and _has_stage(folder):
                found.append(entry)  # a folder no agent could have made (by hand) is no stage
    return found


def _is_name(entry: str) -> bool:
    try:
        validate_name(entry, "agent name")
    except InvalidInput:
        return False
    return True


def _has_stage(folder: Path) -> bool:
    return any(name == STAGE_FILE or BATCH_RE.fullmatch(name) or LEGACY_RE.fullmatch(name)
               for name in os.listdir(folder))  # fmt: skip


def stage(folder: Path, data: dict[str, Any]) -> StagedOp:
    """Check an operation's ids and scope now (so mistakes show at `add`), then append it to the
    stage in `folder` (`folder_of`)."""
    op = StagedOp.from_dict(data)
    if op.id is not None:
        validate_id(op.id)
    if op.op != "remember" and op.id is None:
        raise InvalidInput(f"staged {op.op} needs an id")
    if op.scope is not None:
        op = StagedOp(**{**op.to_dict(), "scope": parse_scope(op.scope)})
    try:
        line = op.to_line()
    except UnicodeEncodeError:
        raise InvalidInput("staged text is not valid Unicode") from None
    folder.mkdir(parents=True, exist_ok=True)
    with _stage_lock(folder):
        fd = os.open(folder / STAGE_FILE, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            size = os.fstat(fd).st_size
            # A killed `add` may have left half a line: end it, so this line stays whole.
            if size and os.pread(fd, 1, size - 1) != b"\n":
                line = b"\n" + line
            os.write(fd, line)
        finally:
            os.close(fd)
    return op


def staged(store: GitStore, folder: Path) -> StageContents:
    """Every staged operation, oldest first (settling batches left by killed commits)."""
    return _read_stage(store, folder, drop=False)


def clear(store: GitStore, folder: Path) -> int:
    """Drop every staged operation; return how many there were."""
    return len(_read_stage(store, folder, drop=True).ops)


def scrub(store: GitStore, local_dir: Path, keep: Callable[[str], bool]) -> None:
    """Drop, from every agent's stage, each staged line `keep` refuses (a purge: its fact's id or
    text), once the claims of dead commits are settled. A batch a live commit holds is left to it."""
    for agent in staging_agents(local_dir):
        folder = folder_of(local_dir, agent)
        with _stage_lock(folder):
            _settle(store, folder)
            for path in _stage_files(folder):
                lines = path.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
                kept = [line for line in lines if keep(line)]
                if len(kept) != len(lines):  # whole or not at all: a kill keeps every line
                    temporary = path.with_name(path.name + ".scrub")
                    temporary.write_text("".join(kept), encoding="utf-8")
                    os.replace(temporary, path)


def clear_all(store: GitStore, local_dir: Path) -> int:
    """Drop every agent's staged operations (a hard reset moves the branch under them all)."""
    return sum(clear(store, folder_of(local_dir, agent)) for agent in staging_agents(local_dir))


def _read_stage(store: GitStore, folder: Path, *, drop: bool) -> StageContents:
    """Under the stage lock, settle what killed commits left, then read every stage file
    (deleting each once read when `drop`)."""
    if not folder.is_dir():
        return StageContents()
    with _stage_lock(folder):
        _settle(store, folder)
        contents = StageContents()
        for path in _stage_files(folder):
            _read_into(path, contents)
            if drop:
                path.unlink()
        return contents


def commit_staged(store: GitStore, folder: Path, tx: Transaction) -> StagedCommitResult:
    """Replay the operations staged in `folder` (`tx`'s agent's stage) into `tx` and commit them
    as one commit.

    On any failure nothing is lost: the claimed batches stay on disk and go back to the stage.
    """
    with contextlib.ExitStack() as held:
        claimed = []
        if folder.is_dir():
            with _stage_lock(folder):
                _settle(store, folder)
                claimed = [_claim(path, held) for path in _stage_files(folder)]
        if not claimed:
            hint = f"agentmem add{agent_option(tx.agent)}"
            raise NothingStaged(f"nothing staged by agent {tx.agent}: use '{hint}' first")
        contents = StageContents()
        for _batch, path in claimed:
            _read_into(path, contents)
        for op in contents.ops:
            op.apply(tx)
        tx.stage_batches = tuple(batch for batch, _path in claimed)
        result = tx.commit()
        for _batch, path in claimed:
            path.unlink()
    return StagedCommitResult(
        **asdict(result), batches=[b for b, _ in claimed], unreadable=contents.unreadable
    )


# -- the files ------------------------------------------------------------------------------


@contextlib.contextmanager
def _stage_lock(folder: Path) -> Iterator[None]:
    with open(folder / LOCK_FILE, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _stage_files(folder: Path) -> list[Path]:
    """The stage's files in the order their operations were added: batches, then the open file."""
    batches = sorted(
        (match.group(1), folder / name)
        for name in os.listdir(folder)
        if (match := BATCH_RE.fullmatch(name)) and match.group(2) == "returned"
    )
    found = [path for _batch, path in batches]
    if (folder / STAGE_FILE).exists():
        found.append(folder / STAGE_FILE)
    return found


def _new_batch() -> str:
    return f"{int(time.time() * 1000):012x}-{os.urandom(4).hex()}"


def _batch_time(batch: str) -> float:
    return int(batch.split("-", 1)[0], 16) / 1000


def _claim(path: Path, held: contextlib.ExitStack) -> tuple[str, Path]:
    """Take one stage file for this commit: lock it (the lock lives as long as `held`) and rename
    it to a claim. Called under the stage lock."""
    fd = os.open(path, os.O_RDONLY)
    held.callback(os.close, fd)
    fcntl.flock(fd, fcntl.LOCK_EX)
    match = BATCH_RE.fullmatch(path.name)
    batch = match.group(1) if match else _new_batch()
    claim = path.with_name(f"stage.{batch}.claim")
    os.rename(path, claim)
    return batch, claim


def _settle(store: GitStore, folder: Path) -> None:
    """Settle every claim whose commit is gone: drop it if committed, else return it to the
    stage. Called under the stage lock; claims of live commits are left alone."""
    for name in sorted(os.listdir(folder)):
        _adopt_legacy(folder, name)
        match = BATCH_RE.fullmatch(name)
        if not match or match.group(2) != "claim":
            continue
        path = folder / name
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue  # its commit finished meanwhile
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if os.stat(path).st_ino != os.fstat(fd).st_ino:
                continue
            batch = match.group(1)
            if _committed(store, batch):
                path.unlink()
            else:
                os.rename(path, path.with_name(f"stage.{batch}.returned"))
        except (BlockingIOError, FileNotFoundError):
            continue  # a live commit holds it, or finished with it meanwhile
        finally:
            os.close(fd)


def _adopt_legacy(folder: Path, name: str) -> None:
    """A ``stage.<pid>.committing`` file of an older agentmem whose process is gone: such a commit
    was almost always killed before it committed (it deleted the file right after), so its
    operations go back to the stage (replaying a `remember` or `update` that did land is a no-op)."""
    match = LEGACY_RE.fullmatch(name)
    if not match:
        return
    try:
        os.kill(int(match.group(1)), 0)
        return  # still running (or the pid was reused): leave it
    except ProcessLookupError:
        pass
    except (PermissionError, OverflowError):
        return
    path = folder / name
    stamp = int(path.stat().st_mtime * 1000)
    os.rename(path, folder / f"stage.{stamp:012x}-{int(match.group(1)) & 0xFFFFFFFF:08x}.returned")


def _committed(store: GitStore, batch: str) -> bool:
    """Whether a commit on any branch, made after the batch was claimed, names it."""
    since = _batch_time(batch) - CLOCK_SLACK_S
    heap: list[tuple[int, bytes]] = []
    seen: set[bytes] = set()
    for name, sha in store.git.refs.as_dict(b"refs/heads/").items():
        del name
        if sha not in seen:
            seen.add(sha)
            heapq.heappush(heap, (-store.commit(sha).commit_time, sha))
    while heap:
        negative_time, sha = heapq.heappop(heap)
        if -negative_time < since:
            break
        commit = store.commit(sha)
        if batch in parse_trailers(commit.message).get("staged", "").split():
            return True
        for parent in commit.parents:
            if parent not in seen:
                seen.add(parent)
                heapq.heappush(heap, (-store.commit(parent).commit_time, parent))
    return False


def _read_into(path: Path, contents: StageContents) -> None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return
    for raw in data.split(b"\n"):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw.decode("utf-8"))
            if not isinstance(record, dict):
                raise ValueError("not an object")
            contents.ops.append(StagedOp.from_dict(record))
        except (ValueError, TypeError, InvalidInput, RecursionError):
            contents.unreadable += 1
