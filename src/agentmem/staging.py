"""The stage: writes collected by `agentmem add` across processes until `agentmem commit`.

The Python API needs no stage (a `Transaction` holds its writes in memory); the CLI does, because
each `agentmem add` is its own process. Operations are appended as JSON lines to
`.agentmem/stage.jsonl`; `commit` claims the file by renaming it, so two commits never replay the
same operations, and puts it back if the commit fails.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .errors import InvalidInput
from .fact import parse_scope, validate_id
from .transaction import CommitResult, Transaction

OPS = ("remember", "update", "forget")


def stage_file(local_dir: Path) -> Path:
    return local_dir / "stage.jsonl"


def stage(local_dir: Path, op: dict[str, Any]) -> None:
    """Check an operation's ids and scope now (so mistakes show at `add`), then append it."""
    if op.get("op") not in OPS:
        raise InvalidInput(f"unknown staged operation {op.get('op')!r}")
    if "id" in op and op["id"] is not None:
        validate_id(op["id"])
    if "scope" in op:
        op["scope"] = parse_scope(op["scope"])
    line = json.dumps(op, ensure_ascii=False, sort_keys=True) + "\n"
    fd = os.open(stage_file(local_dir), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)


def staged(local_dir: Path) -> list[dict[str, Any]]:
    path = stage_file(local_dir)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def clear(local_dir: Path) -> int:
    """Drop every staged operation; return how many there were."""
    count = len(staged(local_dir))
    stage_file(local_dir).unlink(missing_ok=True)
    return count


def commit_staged(local_dir: Path, tx: Transaction) -> CommitResult:
    """Replay the staged operations into `tx` and commit them as one commit."""
    path = stage_file(local_dir)
    claimed = path.with_name(f"stage.{os.getpid()}.committing")
    try:
        os.rename(path, claimed)
    except FileNotFoundError:
        raise InvalidInput("nothing staged: use 'agentmem add' first") from None
    try:
        for line in claimed.read_text("utf-8").splitlines():
            if line.strip():
                _apply(tx, json.loads(line))
        result = tx.commit()
    except BaseException:
        _restore(claimed, path)
        raise
    claimed.unlink()
    return result


def _apply(tx: Transaction, op: dict[str, Any]) -> None:
    fields = {k: v for k, v in op.items() if k != "op" and v is not None}
    if op["op"] == "remember":
        tx.remember(fields.pop("text"), fields.pop("scope", "shared"), **fields)
    elif op["op"] == "update":
        tx.update(fields.pop("id"), **fields)
    else:
        tx.forget(fields["id"])


def _restore(claimed: Path, path: Path) -> None:
    """Put claimed operations back in front of any staged since."""
    later = path.read_bytes() if path.exists() else b""
    path.write_bytes(claimed.read_bytes() + later)
    claimed.unlink()
