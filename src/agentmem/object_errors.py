"""What dulwich raises for an object it cannot find or read, turned into `CorruptObject`.

dulwich reads objects lazily, inside its walker, its merge-base search and its tree diff, and
raises what it met: `KeyError` for a missing object, `zlib.error` for a damaged stream,
`ChecksumMismatch` or `ObjectFormatException` for a damaged object. Every such call goes through
`reading` (or `walk_commits`), so a damaged repository gets the one-line error of any corrupt
object, never a traceback.
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Iterator
from typing import Any

from dulwich.errors import ChecksumMismatch, ObjectFormatException
from dulwich.objects import Commit

from .errors import CorruptObject

UNREADABLE = (KeyError, ValueError, AssertionError, AttributeError, zlib.error, ObjectFormatException,
              ChecksumMismatch)  # fmt: skip


@contextlib.contextmanager
def reading(what: str) -> Iterator[None]:
    """Run dulwich code that reads objects; one it cannot find or read is `CorruptObject`
    naming `what` (such as "the history of 4f2c9e1b7a30")."""
    try:
        yield
    except UNREADABLE as exc:
        raise CorruptObject(f"cannot read {what}: missing or damaged object ({exc})") from None


def walk_commits(git: Any, include: list[bytes], exclude: list[bytes] | None = None) -> Iterator[Commit]:
    """The commits of dulwich's walker (newest first), each read checked as `reading` does."""
    what = f"the history of {include[0].decode()[:12]}" if include else "a history"
    with reading(what):
        entries = iter(git.get_walker(include=include, exclude=exclude or []))
    while True:
        with reading(what):  # only the walker's own step: the caller's loop body is not inside
            entry = next(entries, None)
        if entry is None:
            return
        yield entry.commit
