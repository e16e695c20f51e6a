"""Where a fact lives in a commit's tree. Facts live at

    facts/<scope path>/<h[0:2]>/<h[2:4]>/<id>.md      h = sha1(id) in hex

so no tree holds more than a few hundred entries even with 1,000,000 facts in one scope, and a
commit rewrites only the handful of trees on the changed paths: commit cost does not grow with
the size of the repository. See docs/format.md.
"""

from __future__ import annotations

import hashlib

from .errors import InvalidInput
from .fact import SCOPE_KINDS, Scope, validate_name

FACTS_DIR = "facts"


def fact_path(scope: str, fact_id: str) -> bytes:
    """The path of a fact in a commit's tree (bytes, as dulwich wants it)."""
    digest = hashlib.sha1(fact_id.encode()).hexdigest()
    return f"{FACTS_DIR}/{Scope.parse(scope).path}/{digest[:2]}/{digest[2:4]}/{fact_id}.md".encode()


def is_scope_name(raw: bytes) -> bool:
    """Whether a tree entry's name is a valid scope name (a folder of facts/<kind>/)."""
    try:
        validate_name(raw.decode("utf-8"), "scope name")
    except (InvalidInput, UnicodeDecodeError):
        return False
    return True


def parse_fact_path(path: bytes) -> tuple[str, str] | None:
    """(scope, id) of a fact path, or None for anything else in the tree."""
    parts = path.decode("utf-8", "replace").split("/")
    if len(parts) < 5 or parts[0] != FACTS_DIR or not parts[-1].endswith(".md"):
        return None
    scope_parts = parts[1:-3]
    if scope_parts == ["shared"]:
        scope = "shared"
    elif len(scope_parts) == 2 and scope_parts[0] in SCOPE_KINDS:
        scope = ":".join(scope_parts)
    else:
        return None
    return scope, parts[-1][:-3]
