"""agentmem: git for the memory of multi-agent AI systems.

    from agentmem import Repo
    repo = Repo.init("memory")
    written = repo.remember("Alice prefers email", scope="user:alice", agent="support")
    written.id, written.commit, written.fact    # a WriteResult
"""

from .errors import (
    AgentmemError,
    Conflict,
    CorruptObject,
    InvalidInput,
    NotARepository,
    NotFound,
    PermissionDenied,
)  # fmt: skip
from .exchange import ImportResult
from .fact import Fact, Scope
from .history import CommitInfo, FactChange
from .repo import Repo
from .snapshot import Snapshot
from .transaction import CommitResult, Transaction, WriteResult

__all__ = [
    "AgentmemError", "CommitInfo", "CommitResult", "Conflict", "CorruptObject", "Fact",
    "FactChange", "ImportResult", "InvalidInput", "NotARepository", "NotFound", "PermissionDenied", "Repo",
    "Scope", "Snapshot", "Transaction", "WriteResult",
]  # fmt: skip
__version__ = "0.1.0"
