"""agentmem: git for the memory of multi-agent AI systems.

    from agentmem import Repo
    repo = Repo.init("memory")
    written = repo.remember("Alice prefers email", scope="user:alice", agent="support")
    written.id, written.commit, written.fact    # a WriteResult
"""

import importlib
from typing import TYPE_CHECKING, Any

from .errors import (
    AgentmemError,
    Conflict,
    CorruptObject,
    InvalidInput,
    NotARepository,
    NotFound,
    PermissionDenied,
)  # fmt: skip

# The rest loads on first use (PEP 562), so `import agentmem.cli` or `agentmem --version` does not
# pay for the whole library; `from agentmem import Repo` works as before.
_LAZY = {
    "CommitInfo": "history", "CommitResult": "transaction", "Fact": "fact", "FactChange": "history",
    "FactPage": "listing", "ImportResult": "exchange", "Repo": "repo", "Scope": "fact",
    "Snapshot": "snapshot", "Transaction": "transaction", "WriteResult": "transaction",
}  # fmt: skip

if TYPE_CHECKING:
    from .exchange import ImportResult
    from .fact import Fact, Scope
    from .history import CommitInfo, FactChange
    from .listing import FactPage
    from .repo import Repo
    from .snapshot import Snapshot
    from .transaction import CommitResult, Transaction, WriteResult


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'agentmem' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "AgentmemError", "CommitInfo", "CommitResult", "Conflict", "CorruptObject", "Fact",
    "FactChange", "FactPage", "ImportResult", "InvalidInput", "NotARepository", "NotFound",
    "PermissionDenied", "Repo", "Scope", "Snapshot", "Transaction", "WriteResult",
]  # fmt: skip
__version__ = "0.1.0"
