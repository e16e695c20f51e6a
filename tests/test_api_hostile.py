"""Every public method of `Repo` and `Session`, each of its arguments in turn given a hostile
value (a wrong type, a path out of the repository, a lone surrogate, a NUL, 5,000 characters):
the call either works or raises an `AgentmemError` that names the value, never a `TypeError`,
`ValueError`, `AttributeError` or `UnicodeEncodeError` from deep inside, and the repository stays
a valid git repository. What this sweep found on 2026-11-28 is also named, call by call, in
`test_repo.py::test_arguments_of_the_wrong_type_are_named_and_change_nothing`."""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import pytest

from agentmem import Repo
from agentmem.errors import AgentmemError
from conftest import fsck
from test_search import use_fake_model

HOSTILE: list[Any] = [None, 5, -1, 1.5, True, "", "../x", "x" * 5000, "\ud800", "a\x00b", "-x",
                      "HEAD~99", "user:", b"bytes", ["a"], {"a": 1}, float("nan")]  # fmt: skip
# They make or open a repository elsewhere, start a server, or (purge) rewrite history: their
# hostile arguments are covered by their own tests.
LEFT_OUT = {"init", "clone", "open", "adopt", "serve", "purge", "close"}
# The package's own seams, public for its modules (the read path, the governance files' commit,
# a bisection's rendering), not for callers: they trust what the package gives them.
SEAMS = {"hand_out", "commit_file", "commit_visible", "bisect_shown"}
# Callables and the switch to the per-user service (started by its own tests).
NOT_VALUES = {"progress", "note", "daemon"}
GIVEN = {"agent": "support", "text": "a text", "scope": "shared", "query": "email"}


def _calls(target: Any, fact: str) -> list[tuple[str, str, Any, dict[str, Any]]]:
    calls = []
    for name in dir(target):
        method = getattr(target, name)
        if name.startswith("_") or name in LEFT_OUT | SEAMS or not callable(method):
            continue
        try:
            params = list(inspect.signature(method).parameters.values())
        except (TypeError, ValueError):
            continue
        named = [p for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        needed = {p.name: GIVEN.get(p.name, fact if "id" in p.name else "main")
                  for p in named if p.default is inspect.Parameter.empty}  # fmt: skip
        for param in named:
            if param.name in NOT_VALUES:
                continue
            calls.extend((name, param.name, value, {**needed, param.name: value}) for value in HOSTILE)
    return calls


def test_every_public_method_refuses_hostile_arguments_by_name(
    repo: Repo, caplog: pytest.LogCaptureFixture
) -> None:
    """... and no such call is taken for a damaged index: `duplicates(scope=None)` made a filter
    LanceDB refused, and the index was dropped and rebuilt from git."""
    repo = use_fake_model(repo)
    fact = repo.remember("Alice prefers email", "user:alice", agent="support").id
    repo.remember("Bob prefers chat", agent="support", id="bob-1")
    repo.tag("v1")
    crashed = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # agent= of search and log: still taken
        for target in (repo, repo.as_agent("support")):
            for name, param, value, kwargs in _calls(target, fact):
                try:
                    getattr(target, name)(**kwargs)
                except AgentmemError:
                    pass
                except Exception as exc:  # what the test looks for
                    crashed.append(f"{type(target).__name__}.{name}({param}={value!r:.20}): "
                                   f"{type(exc).__name__}: {str(exc)[:80]}")  # fmt: skip
    assert crashed == [], "\n".join(crashed)
    assert [r.message for r in caplog.records if "rebuilding" in r.message] == []
    assert fsck(repo) == ""
