"""One exception tree for everything agentmem refuses to do.

Each class carries the process exit code the CLI uses for it, so the mapping lives in one place
(and in docs/cli.md). Messages are written to be shown as a single line to a person.

| code | meaning                          |
|------|----------------------------------|
| 0    | ok                               |
| 1    | error (anything else)            |
| 2    | usage / invalid input            |
| 3    | not found (fact, ref, commit)    |
| 4    | conflict (merge, concurrent write)|
| 5    | permission denied                |
| 6    | not a memory repository          |
| 70   | an exception agentmem did not expect (a bug) |
| 130  | interrupted                      |
"""

from __future__ import annotations


class AgentmemError(Exception):
    """Base class: a failure agentmem explains to the user rather than crashes on."""

    exit_code = 1


class InvalidInput(AgentmemError):
    """A malformed id, scope, ref name, payload or option value."""

    exit_code = 2


class AmbiguousRef(InvalidInput):
    """A short commit id that more than one object starts with; the message names them."""


class AmbiguousFactId(InvalidInput):
    """The start of a fact id that more than one fact the agent may find starts with; the
    message names them."""


class NothingStaged(InvalidInput):
    """A commit of the stage of an agent that staged nothing; the message names the agents that
    did stage writes in this checkout (each agent commits its own)."""


class NotFound(AgentmemError):
    """A fact, ref or commit that does not exist."""

    exit_code = 3


class Conflict(AgentmemError):
    """Two writes that cannot both be kept: concurrent edits of one fact, merge conflicts."""

    exit_code = 4

    def __init__(self, message: str, fact_ids: list[str] | None = None) -> None:
        super().__init__(message)
        self.fact_ids = fact_ids or []


class PermissionDenied(AgentmemError):
    """The acting agent lacks the right for this scope (reserved for the policy layer).
    `scope`: the scope refused, when the refusal is about one."""

    exit_code = 5

    def __init__(self, message: str, scope: str | None = None) -> None:
        super().__init__(message)
        self.scope = scope


class NotARepository(AgentmemError):
    """The path is not (or not a readable) agentmem memory repository."""

    exit_code = 6


class CorruptObject(AgentmemError):
    """A git object or fact file that cannot be read back; nothing is written on top of it."""

    exit_code = 1
