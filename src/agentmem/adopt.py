"""Opening a memory repository that arrived by `git clone` (or a copy without its local state).

A memory repository is `<root>/.git` plus `<root>/.agentmem/`. Only `.agentmem/repo.toml` and
`.agentmem/.gitignore` are committed; `.agentmem/config` and everything else there is local and
never travels. So a clone is recognised by the `repo.toml` committed at HEAD, and the first open
creates the local state (`adopt`). A plain `git clone` also checks out a work tree and leaves
`core.bare = false`; agentmem reads git objects only, never a work tree, so `adopt` removes the
checked-out copies of committed files that are unchanged (never a file that differs from what is
committed), drops the git index and sets `core.bare = true`, as in a repository `agentmem init`
made. See docs/format.md.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tomllib
from pathlib import Path

from dulwich.object_store import iter_tree_contents
from dulwich.objects import Blob

from .config import CONFIG_TEMPLATE, FORMAT_VERSION, GITIGNORE, REPO_TOML_PATH
from .errors import CorruptObject, NotARepository, NotFound
from .store import GitStore

LOCAL_DIR = ".agentmem"
GIT_DIR = ".git"


def has_local_state(root: Path) -> bool:
    return (root / LOCAL_DIR / "config").is_file() and (root / GIT_DIR).is_dir()


def committed_format(root: Path) -> int | None:
    """The format in the `.agentmem/repo.toml` committed at HEAD of `<root>/.git`, or None when
    there is no git repository there or HEAD holds no such file (not a memory repository)."""
    if not (root / GIT_DIR).is_dir():
        return None
    try:
        store = GitStore(str(root / GIT_DIR))
    except NotARepository:
        return None
    try:
        head = store.resolve("HEAD")
        blob_id = store.lookup(store.commit(head).tree, REPO_TOML_PATH.encode())
        if blob_id is None:
            return None
        blob = store.objects[blob_id]
        if not isinstance(blob, Blob):
            return None
        data = tomllib.loads(blob.as_raw_string().decode("utf-8"))
    except NotFound:  # an empty clone: no HEAD commit yet
        return None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CorruptObject(f"cannot read the committed {REPO_TOML_PATH} in {root}: {exc}") from None
    finally:
        store.git.close()
    version = data.get("format")
    return version if isinstance(version, int) else -1


def is_memory_repository(root: Path) -> bool:
    """Whether `root` opens as a memory repository (with local state, or adoptable)."""
    return has_local_state(root) or committed_format(root) is not None


def adopt(root: str | os.PathLike[str]) -> bool:
    """Create the local state of a cloned or copied memory repository at `root`; True when
    something was created, False when it was already there. `NotARepository` when `root` is
    not a memory repository. Safe to call after any clone (the sharing verbs call it)."""
    root = Path(root).resolve()
    if has_local_state(root):
        return False
    version = committed_format(root)
    if version is None:
        hint = ""
        if (root / "HEAD").is_file() and (root / "objects").is_dir():
            hint = f" (a bare git repository: agentmem keeps it at {root}/.git)"
        raise NotARepository(f"not an agentmem repository: {root}{hint}")
    if version != FORMAT_VERSION:
        raise NotARepository(f"unsupported repository format {version!r} at {root}")
    _tidy_checkout(root)
    local = root / LOCAL_DIR
    local.mkdir(exist_ok=True)
    if not (local / ".gitignore").exists():
        _write_new(local / ".gitignore", GITIGNORE)
    _write_new(local / "config", CONFIG_TEMPLATE)
    return True


def _write_new(path: Path, text: str) -> None:
    """Write `path` atomically unless another process made it first."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()


def _tidy_checkout(root: Path) -> None:
    """Make a non-bare clone look like `agentmem init` made it (see the module docstring)."""
    store = GitStore(str(root / GIT_DIR))
    try:
        config = store.git.get_config()
        if config.get_boolean((b"core",), b"bare", False):
            return
        tree = store.commit(store.resolve("HEAD")).tree
        folders: set[Path] = set()
        for entry in iter_tree_contents(store.objects, tree):
            relative = entry.path.decode("utf-8", "surrogateescape")
            if relative.split("/", 1)[0] in (LOCAL_DIR, GIT_DIR) or not stat.S_ISREG(entry.mode):
                continue
            path = root / relative
            if _is_unchanged_copy(root, path, entry.sha):
                path.unlink()
                folders.update(p for p in path.parents if root in p.parents)
        for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
            with contextlib.suppress(OSError):  # not empty: what is left there is not ours
                folder.rmdir()
        (root / GIT_DIR / "index").unlink(missing_ok=True)
        config.set((b"core",), b"bare", True)
        config.write_to_path()
    finally:
        store.git.close()


def _is_unchanged_copy(root: Path, path: Path, blob_id: bytes) -> bool:
    """Whether `path` (under the resolved `root`) is a regular file reached through no symlink
    whose content is exactly the committed blob."""
    try:
        if path.resolve() != path or root not in path.parents or not path.is_file():
            return False
        return bool(Blob.from_string(path.read_bytes()).id == blob_id)
    except OSError:
        return False
