"""Small JSON state files in `.agentmem/` (a merge waiting for resolutions, a bisection): local to
one checkout, never committed, written atomically so a crash leaves the old state or the new."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .errors import CorruptObject


def read_state(path: Path, remedy: str) -> dict[str, Any] | None:
    """The state saved at `path`, or None when there is none. `remedy` says how to clear a
    damaged file."""
    try:
        data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return None
    except (ValueError, UnicodeDecodeError) as exc:
        raise CorruptObject(f"cannot read {path}: {exc}; {remedy}") from None
    return data


def write_state(path: Path, state: dict[str, Any]) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(state, indent=1, sort_keys=True), "utf-8")
    os.replace(tmp, path)
