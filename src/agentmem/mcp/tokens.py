"""The bearer-token file of ``agentmem serve --mcp --http``: which token speaks for which agent.

A JSON file, mode 0600, holding only sha256 hashes of the tokens (docs/format.md)::

    {"tokens": [{"sha256": "9f86d0...", "agent": "planner"}]}

A token is shown once, when `issue` makes it; the server compares hashes, so a leaked file does
not leak a usable token. A file that others can read is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import stat
from pathlib import Path

from ..errors import CorruptObject, InvalidInput, PermissionDenied
from ..fact import validate_name


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def load(path: str | os.PathLike[str]) -> dict[str, str]:
    """sha256 of each token -> agent."""
    file = Path(path)
    try:
        mode = file.stat().st_mode
    except FileNotFoundError:
        raise InvalidInput(f"no token file {file}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise PermissionDenied(f"token file {file} is readable by others: chmod 600 {file}")
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        entries = {str(e["sha256"]): validate_name(str(e["agent"]), "agent") for e in data["tokens"]}
    except (ValueError, KeyError, TypeError) as exc:
        raise CorruptObject(f"cannot read token file {file}: {exc}") from None
    return entries


def agent_for(tokens: dict[str, str], token: str) -> str | None:
    digest = token_hash(token)
    for known, agent in tokens.items():
        if hmac.compare_digest(known, digest):
            return agent
    return None


def issue(path: str | os.PathLike[str], agent: str) -> str:
    """Add a new token for `agent` to the file (created 0600) and return it (shown once)."""
    validate_name(agent, "agent")
    file = Path(path)
    entries = load(file) if file.exists() else {}
    token = "am_" + secrets.token_urlsafe(32)
    entries[token_hash(token)] = agent
    body = {"tokens": [{"sha256": h, "agent": a} for h, a in entries.items()]}
    tmp = file.with_name(file.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(body, handle, indent=2)
    os.replace(tmp, file)
    return token
