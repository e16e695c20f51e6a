"""Small JSON state files in `.agentmem/` (a merge waiting for resolutions, a bisection): local to
one checkout, never committed, written atomically so a crash leaves the old state or the new.
Each agent has its own: the command line's default agent (`values.DEFAULT_AGENT`) keeps the
checkout's one file, as before agents had their own; another agent ``<folder>/<agent>.json``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .errors import CorruptObject
from .values import DEFAULT_AGENT, agent_option, validate_name


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
    path.parent.mkdir(exist_ok=True)  # an agent's folder (below) on its first state
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(state, indent=1, sort_keys=True), "utf-8")
    os.replace(tmp, path)


def agent_file(local_dir: Path, agent: str, default: str, folder: str) -> Path:
    """Where `agent`'s state is kept: `default` for the command line's default agent, else
    ``folder/<agent>.json``."""
    validate_name(agent, "agent name")
    return local_dir / (default if agent == DEFAULT_AGENT else f"{folder}/{agent}.json")


def agent_of(path: Path, folder: str) -> str:
    """The agent whose state is kept at `path` (`agent_file`'s inverse)."""
    return path.stem if path.parent.name == folder else DEFAULT_AGENT


def agent_flag(path: Path, folder: str) -> str:
    """What a command names to act on the state at `path` (`values.agent_option`)."""
    return agent_option(agent_of(path, folder))
