"""Files of checked lines: the caches agentmem derives from git and keeps in `.agentmem/`
(`commit-scopes`, `commit-facts`, `fact-listing`; docs/format.md).

A line is a JSON value, a tab, and the CRC-32 of the JSON's bytes in 8 lower-case hex digits.
Lines are appended whole, a few per ``write(2)``, so a crash tears at most the last one; a line
whose checksum does not fit (torn, altered) or that does not parse is skipped, and what it held
is computed again. A file past its size bound is started again. Deleting one loses nothing.
"""

from __future__ import annotations

import json
import os
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

LINES_PER_WRITE = 16
_OBJECT_ID = re.compile(r"[0-9a-f]{40}")


def encode(value: Any) -> bytes:
    """One line holding `value`."""
    body = json.dumps(value, ensure_ascii=True, separators=(", ", ": "))
    return f"{body}\t{zlib.crc32(body.encode()):08x}\n".encode()


def read(path: Path, max_bytes: int) -> Iterator[Any]:
    """The values of the file's good lines, in order; a file over `max_bytes` is deleted (and
    nothing read), a missing or unreadable one reads as empty."""
    for body in read_bodies(path, max_bytes):
        try:
            yield json.loads(body)
        except ValueError:
            continue


def read_bodies(path: Path, max_bytes: int) -> Iterator[bytes]:
    """`read`, the JSON of each good line left unparsed (for a caller that parses only the lines
    it needs)."""
    try:
        if path.stat().st_size > max_bytes:
            path.unlink()
            return
        data = path.read_bytes()
    except OSError:
        return
    for line in data.split(b"\n"):
        body, _, crc = line.rpartition(b"\t")
        if body and crc == b"%08x" % zlib.crc32(body):
            yield body


def append(path: Path, lines: list[bytes], max_line: int) -> None:
    """Append `lines` (from `encode`); one longer than `max_line` bytes is not kept, and a
    checkout that cannot be written is left alone (the values are computed again next time)."""
    lines = [line for line in lines if len(line) <= max_line]
    if not lines:
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError:
        return
    try:
        for start in range(0, len(lines), LINES_PER_WRITE):  # whole lines per write(2)
            os.write(fd, b"".join(lines[start : start + LINES_PER_WRITE]))
    except OSError:
        pass
    finally:
        os.close(fd)


def rewrite(path: Path, lines: list[bytes], max_line: int) -> None:
    """Replace the file by `lines` (those up to `max_line` bytes): a new file renamed over it,
    so a reader sees one or the other; one that cannot be written is left as it was."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(b"".join(line for line in lines if len(line) <= max_line))
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)


def object_id(value: object) -> bool:
    """Whether a line's value is a git object id (40 lower-case hex digits)."""
    return isinstance(value, str) and _OBJECT_ID.fullmatch(value) is not None
