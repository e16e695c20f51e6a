"""What a fetch brings, held apart until checked: objects land in a quarantine
(``.git/agentmem-incoming-*``, a bare repository whose object store borrows ours through
``objects/info/alternates``), as ``git receive-pack`` does, and move into ``.git/objects/pack``
only when no purged content comes back and `validate.validate_incoming` (where present) accepts
the branches (`remotes.fetch`)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dulwich.repo import Repo as GitRepo

from .errors import AgentmemError, Conflict
from .governance.state import PURGED_PATH as _PURGED
from .refs import HEADS
from .store import GitStore

PURGED_PATH = _PURGED.encode()


class PurgeNeeded(Conflict):
    """The remote purged facts this clone still holds (`fact_ids`): purge them here first."""


class Incoming:
    """A fetch target whose objects stay apart until accepted (see the module docstring)."""

    def __init__(self, store: GitStore) -> None:
        self.store = store
        self.path = tempfile.mkdtemp(prefix="agentmem-incoming-", dir=store.git.controldir())
        self.git = GitRepo.init_bare(self.path)
        self.object_store = self.git.object_store
        self.object_store.add_alternate_path(os.path.abspath(store.objects.path))

    def __getattr__(self, name: str) -> Any:  # the rest of a dulwich repository: the quarantine's
        return getattr(self.git, name)

    def get_graph_walker(self, heads: Any = None) -> Any:
        return self.store.git.get_graph_walker(heads)  # what we have: our own refs

    def new_objects(self) -> Iterator[bytes]:
        for pack in self.object_store.packs:
            yield from pack
        yield from self.object_store._iter_loose_objects()

    def accept(self) -> None:
        """Move the quarantined packs into the repository (pack before index, as git does)."""
        self.object_store.close()
        target = Path(self.store.objects.path) / "pack"
        target.mkdir(exist_ok=True)
        for pack in sorted((Path(self.object_store.path) / "pack").glob("pack-*.pack")):
            os.replace(pack, target / pack.name)
            os.replace(pack.with_suffix(".idx"), target / pack.with_suffix(".idx").name)
        for sha in list(self.object_store._iter_loose_objects()):
            self.store.objects.add_object(self.object_store[sha])

    def drop(self) -> None:
        self.git.close()
        shutil.rmtree(self.path, ignore_errors=True)


def purged_blobs(store: GitStore, commit: bytes | None) -> set[bytes]:
    """Blob ids listed in the purge record (``.agentmem/purged``) of `commit`'s tree: any
    40-hex token on a line counts, so the record may carry more fields beside each id."""
    if commit is None:
        return set()
    blob = store.lookup(store.commit(commit).tree, PURGED_PATH)
    if blob is None:
        return set()
    text = store.objects[blob].as_raw_string().decode("utf-8", "replace")
    found = set()
    for token in text.replace(",", " ").replace('"', " ").split():
        if len(token) == 40 and all(c in "0123456789abcdef" for c in token):
            found.add(token.encode())
    return found


def check_incoming(store: GitStore, quarantine: Incoming, refs: dict[bytes, bytes]) -> None:
    """Refuse objects that would bring purged content back, and what `validate` rejects."""
    incoming = GitStore(quarantine.path)
    try:
        head = store.ref_value(store.current_branch())
        known = purged_blobs(store, head)
        theirs: set[bytes] = set()
        for sha in refs.values():
            if sha in incoming.objects and sha not in store.objects:
                theirs |= purged_blobs(incoming, sha)
        returning = sorted(sha for sha in quarantine.new_objects() if sha in known | theirs)
        if returning:
            raise Conflict(
                f"refusing the fetch: it would bring back purged content (blob {returning[0].decode()}"
                f"{' and more' if len(returning) > 1 else ''}); the remote still holds it: purge it "
                "there (or push your purged history with --force) first"
            )
        held = sorted(sha for sha in theirs - known if sha in store.objects)
        if held:
            ids = sorted({_fact_id(store, sha) for sha in held})
            raise PurgeNeeded(
                f"refusing the fetch: the remote purged content this clone still holds (fact "
                f"{', '.join(ids)}); purge it here first ('agentmem purge ID --yes'), then pull again",
                fact_ids=ids,
            )
        _validate(store, incoming, head, refs)
    finally:
        incoming.git.close()


def _fact_id(store: GitStore, blob: bytes) -> str:
    try:
        return store.read_fact(blob).id
    except AgentmemError:
        return f"(blob {blob.decode()})"


def _validate(store: GitStore, incoming: GitStore, base: bytes | None, refs: dict[bytes, bytes]) -> None:
    try:
        from .validate import validate_incoming  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return  # the hostile-content checks are not in this build
    for ref, sha in refs.items():
        if ref.startswith(HEADS) and sha not in store.objects:
            validate_incoming(incoming, base, sha)
