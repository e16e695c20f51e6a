"""The fields a write takes beside a fact's text and scope, declared once for `Repo.remember`,
`Session.remember` and their `update`s (``**fields: Unpack[NewFactFields]``), which pass them on
to `Transaction.remember` and `Transaction.update`; and the check that names a misspelt one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypedDict


class _FactFields(TypedDict, total=False):
    """The fields both `remember` and `update` take (each field: docs/format.md)."""

    kind: str | None
    tags: Iterable[str] | None
    meta: dict[str, Any] | None
    derived_from: Iterable[str] | None
    source: str | None
    expires_at: str | None


class NewFactFields(_FactFields, total=False):
    """What `remember` takes beside a fact's text and scope, so that `Repo.remember` and
    `Session.remember` declare the same keywords as `Transaction.remember`."""

    id: str | None


class ChangedFactFields(_FactFields, total=False):
    """What `update` may change of a fact (its id, scope and creation time stay)."""

    text: str | None


def check_fields(verb: str, given: Mapping[str, Any], known: type) -> None:
    """A keyword that `verb` does not take, named as Python names one (TypeError), with the
    nearest field it does take, before anything is read or locked."""
    import difflib

    fields = list(known.__annotations__)
    for name in given:
        if name not in fields:
            near = difflib.get_close_matches(name, fields, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else f" (it takes {', '.join(fields)})"
            raise TypeError(f"{verb}() got an unexpected keyword argument {name!r}{hint}")
