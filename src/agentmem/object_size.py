"""The type and size of a git object read from its header, without inflating the object.

A reader must refuse a 100 MB "fact" before it decompresses it (reading one made `show` run for
500 s at 1.15 GB). A loose object starts with ``<type> <size>\\0`` inside its zlib stream; a packed
one with a variable-length type-and-size header, and a delta's result size is the second number
at the start of its (compressed) delta data. Only a few dozen bytes are read either way.
"""

from __future__ import annotations

import os
import weakref
import zlib
from typing import Any

from dulwich.objects import hex_to_sha
from dulwich.pack import PackFileDisappeared

TYPE_NAMES = {1: "commit", 2: "tree", 3: "blob", 4: "tag"}
_OFS_DELTA, _REF_DELTA = 6, 7
_HEADER_READ = 4096
_LINK_READ = 64  # a delta's header and its base's place fit in 40 bytes
MAX_DELTA_DEPTH = 64  # git's own default is 50
MAX_KINDS_KEPT = 200_000
PackFile = tuple[str, int, int, int]  # path, inode, size, modification time (ns)
# (pack file, offset) -> the type of the delta there, as its chain of bases ends. A pack file
# never changes once written; one written again under the same name (dulwich names a pack by
# its objects, not its bytes) is another inode.
_KINDS: dict[tuple[PackFile, int], str] = {}
# object store -> (its pack folder's modification time, its packs then): `_packs`
_PACKS: weakref.WeakKeyDictionary[Any, tuple[int, list[Any]]] = weakref.WeakKeyDictionary()


def object_size(objects: Any, sha: bytes) -> tuple[str, int] | None:
    """(type name, size in bytes) of object `sha` in a dulwich disk object store; None if absent.
    Raises ValueError for a damaged header or a zlib stream that cannot be read."""
    try:
        return _object_size(objects, sha)
    except zlib.error as exc:
        raise ValueError(f"damaged zlib stream: {exc}") from None


def _object_size(objects: Any, sha: bytes) -> tuple[str, int] | None:
    """In the order dulwich reads an object: the packs it knows, a loose file, the packs again
    (one written or removed since the list was made)."""
    binary = hex_to_sha(sha)
    packed = _packed(objects, binary, fresh=False)
    if packed is not None:
        return packed
    loose = os.path.join(objects.path, sha[:2].decode(), sha[2:].decode())
    if os.path.exists(loose):
        with open(loose, "rb") as handle:
            head = zlib.decompressobj().decompress(handle.read(_HEADER_READ), 64)
        kind, _space, rest = head.partition(b" ")
        size = rest.split(b"\0", 1)[0]
        if kind.decode("ascii", "replace") not in TYPE_NAMES.values() or not size.isdigit():
            raise ValueError("bad loose object header")
        return kind.decode(), int(size)
    return _packed(objects, binary, fresh=True)


def _packed(objects: Any, binary: bytes, fresh: bool) -> tuple[str, int] | None:
    for pack in _packs(objects, fresh):
        try:
            offset = pack.index.object_offset(binary)
            fd = None if offset is None else os.open(pack.data.path, os.O_RDONLY)
        except (KeyError, FileNotFoundError, PackFileDisappeared):
            continue
        if fd is None:
            continue
        try:
            held = os.fstat(fd)  # which file this is: a pack rewritten under its name is another
            pack_file = (pack.data.path, held.st_ino, held.st_size, held.st_mtime_ns)
            return _packed_size(fd, pack_file, offset, pack)
        finally:
            os.close(fd)
    return None


def _packs(objects: Any, fresh: bool) -> list[Any]:
    """The store's packs. dulwich's `packs` lists the pack folder on every call (about 40 us,
    more than the rest of a header read), so the list is kept while the folder's modification
    time stays the same: adding or removing a pack changes it. `fresh` lists it again. The
    list dulwich returns just after a repack still holds the packs it removed (and closed)."""
    try:
        stamp = os.stat(objects.pack_dir).st_mtime_ns
    except OSError:
        return list(objects.packs)
    held = _PACKS.get(objects)
    if fresh or held is None or held[0] != stamp:
        packs = [pack for pack in objects.packs if _present(pack)]
        held = _PACKS[objects] = (stamp, packs)
    return held[1]


def _present(pack: Any) -> bool:
    try:
        return os.path.exists(pack.data.path)
    except (OSError, PackFileDisappeared):
        return False


def _packed_size(fd: int, pack_file: PackFile, offset: int, pack: Any) -> tuple[str, int]:
    """The type and size of the packed object at `offset` in the pack open as `fd` (the file
    `pack_file` names). A delta's size is its own (the object it makes); its type is its base's,
    so the chain of bases is followed to a whole object (git writes chains up to 50 deep) or to
    a base whose type an earlier call found (`_KINDS`: many deltas share their bases)."""
    size: int | None = None
    walked: list[int] = []
    for _depth in range(MAX_DELTA_DEPTH + 1):
        kind = _KINDS.get((pack_file, offset))
        if kind is not None and size is not None:
            break
        data = os.pread(fd, _HEADER_READ if size is None else _LINK_READ, offset)
        byte = data[0]
        type_num, whole, shift, pos = (byte >> 4) & 7, byte & 15, 4, 1
        while byte & 0x80:
            byte = data[pos]
            whole |= (byte & 0x7F) << shift
            shift, pos = shift + 7, pos + 1
        if type_num in TYPE_NAMES:
            kind = TYPE_NAMES[type_num]
            size = whole if size is None else size
            break
        walked.append(offset)
        if type_num == _OFS_DELTA:
            byte = data[pos]
            base = byte & 0x7F
            pos += 1
            while byte & 0x80:
                byte = data[pos]
                base = ((base + 1) << 7) | (byte & 0x7F)
                pos += 1
            base_offset = offset - base
        elif type_num == _REF_DELTA:
            base_offset = _offset_in(pack, data[pos : pos + 20])
            pos += 20
        else:
            raise ValueError(f"unknown pack object type {type_num}")
        if size is None:  # the outermost delta: the size of the object it makes
            delta = zlib.decompressobj().decompress(data[pos:], 32)
            _source, at = _varint(delta, 0)
            size = _varint(delta, at)[0]
        offset = base_offset
    else:
        raise ValueError("delta chain too deep")
    if len(_KINDS) > MAX_KINDS_KEPT:
        _KINDS.clear()
    _KINDS.update(((pack_file, link), kind) for link in walked)
    return kind, size


def _offset_in(pack: Any, sha: bytes) -> int:
    """Where object `sha` (binary) starts in `pack`: a ref delta's base."""
    try:
        offset = pack.index.object_offset(sha)
    except KeyError:
        offset = None
    if offset is None:
        raise ValueError("a delta whose base is not in its pack")
    return int(offset)


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        shift, pos = shift + 7, pos + 1
        if not byte & 0x80:
            return value, pos
