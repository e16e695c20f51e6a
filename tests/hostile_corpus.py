"""A corpus of hostile memory repositories, built with plain git plumbing (hash-object, commit-tree,
update-ref), the way a crafted branch would arrive from elsewhere.

Each case is a branch ``hostile/<name>`` made on top of the repository's current head: one commit
whose tree is the head's tree plus one crafted change. Trees are written as raw tree objects
(`git hash-object -t tree --literally`) so that names and modes git's porcelain would refuse (``..``,
newlines, gitlinks to nowhere) can be built too. A NUL cannot be built: it ends a name in git's
tree format, so no tree can hold one.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# A tree as nested dicts: name -> (mode, blob bytes | raw object id str | subtree dict)
Node = tuple[str, "bytes | str | dict[bytes, Node]"]
Tree = dict[bytes, Node]

BLOB, EXEC, LINK, GITLINK, DIR = "100644", "100755", "120000", "160000", "40000"
MISSING_SHA = "1234567890abcdef1234567890abcdef12345678"


def git(root: Path, *args: str, data: bytes | None = None) -> str:
    result = subprocess.run(
        ["git", *args], cwd=root, input=data, capture_output=True, check=True,
        env={"GIT_CONFIG_NOSYSTEM": "1", "HOME": str(root), "PATH": "/usr/bin:/bin",
             "GIT_AUTHOR_NAME": "mallory", "GIT_AUTHOR_EMAIL": "m@x",
             "GIT_COMMITTER_NAME": "mallory", "GIT_COMMITTER_EMAIL": "m@x"},
    )  # fmt: skip
    return result.stdout.decode().strip()


def fan(fact_id: str) -> tuple[bytes, bytes]:
    digest = hashlib.sha1(fact_id.encode()).hexdigest()
    return digest[:2].encode(), digest[2:4].encode()


def fact_file(fact_id: str, scope: str = "shared", text: str = "hostile text", **extra: str) -> bytes:
    """A fact file in canonical form (optionally with raw front matter lines added)."""
    lines = ["---", f'id: "{fact_id}"', f'scope: "{scope}"', 'kind: "note"', 'agent: "mallory"',
             'created_at: "2026-01-01T00:00:00.000Z"', 'updated_at: "2026-01-01T00:00:00.000Z"']  # fmt: skip
    lines += [f"{k}: {v}" for k, v in extra.items()]
    return ("\n".join([*lines, "---", text, ""])).encode()


def read_tree(root: Path, sha: str) -> Tree:
    """The tree `sha` as nested dicts (blobs and gitlinks as their ids)."""
    tree: Tree = {}
    for line in git(root, "ls-tree", "-z", sha).split("\0"):
        if not line:
            continue
        meta, name = line.split("\t", 1)
        mode, kind, obj = meta.split()
        tree[name.encode()] = (mode, read_tree(root, obj) if kind == "tree" else obj)
    return tree


def write_tree(root: Path, tree: Tree) -> str:
    def key(item: tuple[bytes, Node]) -> bytes:
        name, (mode, _v) = item
        return name + b"/" if mode == DIR else name

    raw = b""
    for name, (mode, value) in sorted(tree.items(), key=key):
        if isinstance(value, dict):
            sha = write_tree(root, value)
        elif isinstance(value, bytes):
            sha = git(root, "hash-object", "-w", "--stdin", data=value)
        else:
            sha = value
        raw += mode.encode() + b" " + name + b"\0" + bytes.fromhex(sha)
    return git(root, "hash-object", "-w", "-t", "tree", "--literally", "--stdin", data=raw)


def put(tree: Tree, path: list[bytes], node: Node) -> None:
    """Set `path` (a list of names) in `tree` to `node`, making folders on the way."""
    for name in path[:-1]:
        _mode, sub = tree.get(name, (DIR, {}))
        assert isinstance(sub, dict), name
        tree[name] = (DIR, sub)
        tree = sub
    tree[path[-1]] = node


def shared(fact_id: str) -> list[bytes]:
    return [b"facts", b"shared", *fan(fact_id), f"{fact_id}.md".encode()]


@dataclass(frozen=True)
class Case:
    """One hostile branch: `build` edits the tree; `path` is what the refusal must name; `fact`
    the id readers are asked about (show, blame, log)."""

    name: str
    build: Callable[[Tree], None]
    path: str
    fact: str = "evil"


def _deep_json(tree: Tree) -> None:
    put(tree, shared("evil"), (BLOB, fact_file("evil", meta="[" * 100_000 + "]" * 100_000)))


def _facts_is_blob(tree: Tree) -> None:
    tree[b"facts"] = (BLOB, b"not a folder\n")


def _huge(tree: Tree) -> None:
    put(tree, shared("evil"), (BLOB, fact_file("evil", text="x" * (3 * 1024 * 1024))))


def _alice_upper(tree: Tree) -> None:
    put(tree, [b"facts", b"user", b"ALICE", *fan("evil"), b"evil.md"],
        (BLOB, fact_file("evil", scope="user:alice")))  # fmt: skip


def _duplicate(tree: Tree) -> None:
    put(tree, shared("evil"), (BLOB, fact_file("evil")))
    put(tree, [b"facts", b"agent", b"x", *fan("evil"), b"evil.md"],
        (BLOB, fact_file("evil", scope="agent:x")))  # fmt: skip


def _raw(path: list[bytes], node: Node) -> Callable[[Tree], None]:
    return lambda tree: put(tree, path, node)


EVIL = shared("evil")
EVIL_DIR = EVIL[:-1]

CASES = [
    Case("deep-json", _deep_json, "facts/shared"),
    Case("facts-is-blob", _facts_is_blob, "facts"),
    Case("gitlink", _raw(EVIL, (GITLINK, MISSING_SHA)), "evil.md"),
    Case("missing-blob", _raw(EVIL, (BLOB, MISSING_SHA)), "evil.md"),
    Case("symlink", _raw(EVIL, (LINK, b"../../../../etc/passwd")), "evil.md"),
    Case("executable", _raw(EVIL, (EXEC, fact_file("evil"))), "evil.md"),
    Case("huge-blob", _huge, "evil.md"),
    Case("scope-uppercase", _alice_upper, "ALICE"),
    Case("duplicate-id", _duplicate, "evil.md"),
    Case("id-uppercase", _raw([*shared("Evil")[:-1], b"Evil.md"], (BLOB, fact_file("Evil"))),
         "Evil.md", "evil"),
    Case("dotdot-folder", _raw([b"facts", b"shared", b"..", b"evil.md"], (BLOB, fact_file("evil"))),
         ".."),
    Case("dot-folder", _raw([b"facts", b".", b"evil.md"], (BLOB, fact_file("evil"))), "facts/."),
    Case("newline-name", _raw([*EVIL_DIR, b"ev\nil.md"], (BLOB, fact_file("evil"))), "ev\\nil"),
    Case("blob-for-fanout", _raw(EVIL[:3], (BLOB, fact_file("evil"))), "facts/shared/"),
    Case("tree-for-fact", _raw([*EVIL, b"x.md"], (BLOB, fact_file("x"))), "evil.md"),
    Case("wrong-fanout", _raw([b"facts", b"shared", b"00", b"00", b"evil.md"],
                              (BLOB, fact_file("evil"))), "facts/shared/00"),
    Case("invalid-utf8", _raw(EVIL, (BLOB, fact_file("evil") + b"\xff\xfe\n")), "evil.md"),
    Case("no-front-matter", _raw(EVIL, (BLOB, b"just text\n")), "evil.md"),
    Case("scope-mismatch", _raw(EVIL, (BLOB, fact_file("evil", scope="agent:x"))), "evil.md"),
    Case("id-mismatch", _raw(EVIL, (BLOB, fact_file("other"))), "evil.md"),
    Case("non-canonical", _raw(EVIL, (BLOB, fact_file("evil").replace(b'"note"', b' "note"'))),
         "evil.md"),
    Case("unknown-kind", _raw([b"facts", b"team", b"x", *fan("evil"), b"evil.md"],
                              (BLOB, fact_file("evil"))), "facts/team"),
    Case("top-level-file", _raw([b"README.md"], (BLOB, b"hello\n")), "README.md"),
    Case("repo-toml", _raw([b".agentmem", b"repo.toml"], (BLOB, b"format = 99\n")), "repo.toml"),
    # valid TOML and JSON that agentmem's governance refuses: every read of the branch parses them
    Case("policy-unknown-key", _raw([b".agentmem", b"policy.toml"],
                                    (BLOB, b'default = "allow"\n[agents.x]\nfly = true\n')), "policy.toml"),
    Case("quarantine-no-entries", _raw([b".agentmem", b"quarantine.json"], (BLOB, b'{"version": 1}\n')),
         "quarantine.json"),
    Case("agentmem-hook", _raw([b".agentmem", b"hook.sh"], (EXEC, b"#!/bin/sh\nrm -rf ~\n")),
         "hook.sh"),
    Case("commit-as-blob", lambda t: None, "evil.md"),  # filled in by build_case (needs a commit id)
    Case("deep-tree", _raw([*EVIL_DIR, *[b"d"] * 400, b"evil.md"], (BLOB, fact_file("evil"))),
         "facts/shared/b6/53/d"),
    Case("empty-name", _raw([*EVIL_DIR, b""], (BLOB, fact_file("evil"))), "facts/shared/b6/53/"),
    Case("not-md", _raw([*EVIL_DIR, b"evil.txt"], (BLOB, fact_file("evil"))), "evil.txt"),
    Case("fact-under-facts", _raw([b"facts", b"evil.md"], (BLOB, fact_file("evil"))), "facts/evil.md"),
]


def build_case(root: Path, case: Case, parent: str) -> str:
    """Commit the hostile tree of `case` on top of `parent`; return the new commit id."""
    tree = read_tree(root, f"{parent}^{{tree}}")
    if case.name == "commit-as-blob":
        put(tree, EVIL, (BLOB, parent))
    else:
        case.build(tree)
    sha = write_tree(root, tree)
    commit = git(root, "commit-tree", sha, "-p", parent, "-m", f"hostile: {case.name}")
    git(root, "update-ref", f"refs/heads/hostile/{case.name}", commit)
    return commit
