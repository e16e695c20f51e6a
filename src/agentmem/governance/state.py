"""Reading the committed governance files from a commit's tree, cached by blob id."""

from __future__ import annotations

from functools import lru_cache

from ..errors import CorruptObject
from ..store import GitStore

QUARANTINE_PATH = ".agentmem/quarantine.json"
PURGED_PATH = ".agentmem/purged"


def read_tree_file(store: GitStore, commit: bytes, path: str) -> tuple[bytes, str] | None:
    """(blob id, text) of a committed file at `commit`, or None when the tree lacks it."""
    blob = store.lookup(store.commit(commit).tree, path.encode())
    if blob is None:
        return None
    return blob, _text(store, blob)


def _text(store: GitStore, blob: bytes) -> str:
    return _cached_text(store.objects, blob)


@lru_cache(maxsize=64)
def _cached_text(objects: object, blob: bytes) -> str:
    data = objects[blob].as_raw_string()  # type: ignore[index]
    try:
        return str(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise CorruptObject(f"{blob.decode()[:12]}: a governance file is not UTF-8") from None
