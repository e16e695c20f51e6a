"""Where a new branch starts: governed as the branch it is made from.

An agent obeys the governance files committed at the tip of its own branch (the policy, the
quarantine list, the purged list; docs/governance.md), and reads any other commit (``--at``)
under them. A branch made at an older commit, or at one fetched from elsewhere, would hold older
files or none, and an agent working there would read what the policy or a quarantine hides on
the branch it was made from. So a new branch whose start is not the tip of a local branch, and
whose governance files differ from those of the branch it is made from, starts one commit later:
the start's facts with those files (`governed_start`). The tip of a local branch is a start as it
is: any agent may already work on that branch.
"""

from __future__ import annotations

from ..refs import HEADS
from ..signature import Signature
from ..store import GitStore
from .policy import POLICY_PATH
from .state import PURGED_PATH, QUARANTINE_PATH

GOVERNANCE_PATHS = (POLICY_PATH, QUARANTINE_PATH, PURGED_PATH)


def governance_files(store: GitStore, commit: bytes) -> dict[str, bytes | None]:
    """Each governance file's blob id at `commit` (None where its tree lacks it)."""
    tree = store.commit(commit).tree
    return {path: store.lookup(tree, path.encode()) for path in GOVERNANCE_PATHS}


def governance_changes(store: GitStore, old: bytes, new: bytes) -> list[str]:
    """The governance files (paths) whose content differs between commits `old` and `new`."""
    before, after = governance_files(store, old), governance_files(store, new)
    return [path for path in GOVERNANCE_PATHS if before[path] != after[path]]


def short_names(paths: list[str]) -> str:
    """``policy.toml, quarantine.json``: governance paths as said to a user."""
    return ", ".join(path.removeprefix(".agentmem/") for path in paths)


def governed_start(store: GitStore, start: bytes, source: bytes, agent: str, branch: str) -> bytes:
    """Where a branch made from `branch` (whose tip is `source`) at commit `start` begins: `start`
    when it is a local branch's tip or holds `source`'s governance files, else a new commit on
    `start` (by `agent`) that sets them to `source`'s, changing no fact."""
    if start in set(store.git.refs.as_dict(HEADS).values()):
        return start
    carried = governance_changes(store, start, source)
    if not carried:
        return start
    wanted = governance_files(store, source)
    changes = {path.encode(): _data(store, wanted[path]) for path in carried}
    tree = store.write_tree(store.commit(start).tree, changes)
    message = f"govern as {branch}: {short_names(carried)} as on {branch} ({source.decode()[:12]})"
    return store.make_commit(tree, [start], Signature(agent, message))


def _data(store: GitStore, blob: bytes | None) -> bytes | None:
    return None if blob is None else bytes(store.objects[blob].as_raw_string())
