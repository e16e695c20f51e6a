"""A read-only view of the memory at one commit."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property

from .errors import CorruptObject, NotFound
from .fact import Fact, parse_scope, validate_id
from .layout import fact_path, parse_fact_path
from .store import GitStore


class Snapshot:
    """The facts of one commit. Cheap to make: nothing is read until asked for."""

    def __init__(self, store: GitStore, commit_id: bytes) -> None:
        self.store = store
        self.commit_id = commit_id
        self.tree_id: bytes = store.commit(commit_id).tree

    @property
    def commit(self) -> str:
        return self.commit_id.decode()

    @cached_property
    def scopes(self) -> list[str]:
        return self.store.scopes(self.tree_id)

    def locate(self, fact_id: str, scope: str | None = None) -> tuple[bytes, bytes] | None:
        """(tree path, blob id) of a fact, probing each scope when none is given; None if absent.

        Ids are unique across a repository, so the first hit is the only one. Probing costs a
        few tree reads per scope; callers that know the scope should pass it.
        """
        validate_id(fact_id)
        candidates = [parse_scope(scope)] if scope else self.scopes
        for candidate in candidates:
            path = fact_path(candidate, fact_id)
            blob = self.store.lookup(self.tree_id, path)
            if blob is not None:
                return path, blob
        return None

    def path_of(self, fact_id: str, scope: str | None = None) -> bytes | None:
        found = self.locate(fact_id, scope)
        return None if found is None else found[0]

    def blob_of(self, fact_id: str, scope: str | None = None) -> bytes | None:
        found = self.locate(fact_id, scope)
        return None if found is None else found[1]

    def find(self, fact_id: str, scope: str | None = None) -> Fact | None:
        found = self.locate(fact_id, scope)
        return None if found is None else self.read(*found)

    def get(self, fact_id: str, scope: str | None = None) -> Fact:
        fact = self.find(fact_id, scope)
        if fact is None:
            where = f" in scope {scope}" if scope else ""
            raise NotFound(f"no fact {fact_id}{where} at {self.commit[:12]}")
        return fact

    def facts(self, scope: str | None = None) -> Iterator[Fact]:
        """Every fact, or those of one scope, in path order."""
        if scope is not None:
            scope = parse_scope(scope)
            if scope not in self.scopes:
                return
        for path, blob in self.store.entries(self.tree_id, scope):
            yield self.read(path, blob)

    def read(self, path: bytes, blob: bytes) -> Fact:
        """The fact at `path`, which must hold the id and scope its path names."""
        fact = self.store.read_fact(blob, path)
        if parse_fact_path(path) != (fact.scope, fact.id):
            shown = path.decode("utf-8", "backslashreplace")
            raise CorruptObject(
                f"{shown!r} (object {blob.decode()}): holds {fact.scope} fact {fact.id}, "
                "not the one its path names"
            )
        return fact
