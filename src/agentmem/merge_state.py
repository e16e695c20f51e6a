"""Where a merge or revert stopped by conflicts waits for its resolutions: one per agent, local to
the checkout, never in git.

Agent ``cli`` (the command line's default, `values.DEFAULT_AGENT`) keeps ``.agentmem/MERGE.json``,
as before agents had their own; any other agent ``.agentmem/merge/<agent>.json``. Each agent
begins, resolves, continues and aborts its own (``agentmem merge ... --agent A``,
`Session.merge`), so one agent's unfinished merge never holds up another's. What moves the
checkout's branch for everyone (switch, reset) waits until none is in progress. A state's
``agent`` field names the agent that began it: its commit is written under that name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import CorruptObject, InvalidInput, NotFound
from .statefile import agent_file, agent_flag, agent_of, read_state, write_state

STATE_FILE = "MERGE.json"
STATES_DIR = "merge"


def state_path(local_dir: Path, agent: str) -> Path:
    """Where `agent`'s merge in progress is kept. One that an older agentmem saved in the
    checkout's one `MERGE.json` stays there, and is this agent's when it names this agent."""
    own = agent_file(local_dir, agent, STATE_FILE, STATES_DIR)
    default = local_dir / STATE_FILE
    if own != default and not own.exists() and default.exists() and _owner(default) == agent:
        return default
    return own


def _owner(path: Path) -> str | None:
    """The agent a state file names; None if it cannot be read (its owner's commands say so)."""
    try:
        state = read(path)
    except CorruptObject:
        return None
    return None if state is None else str(state.get("agent"))


def state_paths(local_dir: Path) -> list[Path]:
    """Every merge in progress in the checkout, each agent's."""
    default = local_dir / STATE_FILE
    return [default] * default.exists() + sorted((local_dir / STATES_DIR).glob("*.json"))


def command(path: Path, verb: str) -> str:
    """The command that acts on the merge kept at `path` (naming its agent, if not the default)."""
    return f"agentmem merge {verb}{agent_flag(path, STATES_DIR)}"


def read(path: Path) -> dict[str, Any] | None:
    """The state kept at `path`, or None when no merge is in progress there."""
    return read_state(path, f"run '{command(path, '--abort')}'")


def require(path: Path) -> dict[str, Any]:
    """The state kept at `path`; `NotFound` naming the agents whose merges are in progress, if
    any, since another agent's is not this one's to finish."""
    state = read(path)
    if state is None:
        local_dir = path.parent if path.name == STATE_FILE else path.parent.parent
        others = "; ".join(command(p, "--continue") for p in state_paths(local_dir))
        whose = f" for agent {agent_of(path, STATES_DIR)}; another agent's is: {others}" if others else ""
        raise NotFound(f"no merge or revert in progress{whose}")
    return state


def write(path: Path, state: dict[str, Any]) -> None:
    write_state(path, state)


def only(local_dir: Path) -> Path:
    """The merge meant where no agent is named (the Python API's owner calls): the one in
    progress; with several, naming none is refused."""
    paths = state_paths(local_dir)
    if len(paths) > 1:
        owners = ", ".join(str((read(p) or {}).get("agent", p.stem)) for p in paths)
        raise InvalidInput(f"merges are in progress by agents {owners}: name one (agent=...)")
    return paths[0] if paths else local_dir / STATE_FILE
