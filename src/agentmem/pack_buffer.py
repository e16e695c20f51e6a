"""New git objects held in memory, then written in one go: one pack file for a bulk write
(a 100,000-fact import), loose objects for a small one. Used by `GitStore.write_tree`."""

from __future__ import annotations

import os
import random
from typing import Any

from dulwich.objects import ShaFile
from dulwich.pack import write_pack

from .locking import kill_point

PACK_THRESHOLD = 256  # writes of more new objects than this go into one pack file


class PendingObjects:
    """Object store overlay that keeps new objects in memory until `flush`.

    dulwich's `commit_tree_changes` writes every tree as it goes; buffering lets a bulk import
    land as one pack file instead of 100,000 loose objects. Reads return copies because
    `commit_tree_changes` edits the trees it reads in place.
    """

    def __init__(self, base: Any) -> None:
        self.base = base
        self.new: dict[bytes, ShaFile] = {}

    def __getitem__(self, sha: bytes) -> ShaFile:
        obj = self.new.get(sha)
        return (obj if obj is not None else self.base[sha]).copy()

    def __contains__(self, sha: bytes) -> bool:
        return sha in self.new or sha in self.base

    def add_object(self, obj: ShaFile) -> None:
        self.new[obj.id] = obj

    def flush(self, add_object: Any) -> None:
        if len(self.new) > PACK_THRESHOLD:
            write_pack_file(self.base, list(self.new.values()))
        else:
            for obj in self.new.values():
                add_object(obj)  # skips objects it already has
        self.new.clear()


def write_pack_file(objects_store: Any, objects: list[ShaFile]) -> None:
    """Write `objects` as one pack file and its index, straight from the objects in memory.

    dulwich's `add_objects` writes the pack and then reads every object back to build the index;
    `write_pack` builds the index from what it wrote (a 100,000-fact import: 11.7 s -> 7.9 s).
    No "already stored?" probe per object either: each miss rescans the pack
    folder, and an object stored twice is harmless to git. The files get their final name only
    when complete (.pack first: git discovers packs by their .idx).
    """
    pack_dir = os.path.join(objects_store.path, "pack")
    os.makedirs(pack_dir, exist_ok=True)
    tmp = os.path.join(pack_dir, f"tmp-agentmem-{os.getpid()}-{random.getrandbits(32):08x}")
    checksum, _ = write_pack(tmp, objects, objects_store.object_format, deltify=False)
    kill_point("pack-written")
    final = os.path.join(pack_dir, f"pack-{checksum.hex()}")
    os.replace(tmp + ".pack", final + ".pack")
    os.replace(tmp + ".idx", final + ".idx")
