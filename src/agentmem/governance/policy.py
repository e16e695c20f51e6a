"""The committed access policy: `.agentmem/policy.toml` in the tree (format in docs/format.md).

A repository without the file is open (every agent may do everything), as before policies.
Identity is declared by the caller (``--agent``, ``AGENTMEM_AGENT``), as a git author is: the
policy keeps honest agents apart and makes mistakes visible; a server that binds the agent name
to a credential makes it a boundary.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidInput, PermissionDenied
from ..values import validate_unicode

POLICY_PATH = ".agentmem/policy.toml"
ACTIONS = ("read", "write", "promote")
MAX_POLICY_BYTES = 256 * 1024
_DURATION = re.compile(r"(\d+)\s*([smhd])")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rule:
    """The rights of the agents whose name matches `agents` (a name or a glob)."""

    agents: str
    read: tuple[str, ...] = ()
    write: tuple[str, ...] = ()
    promote: tuple[str, ...] = ()

    def patterns(self, action: str) -> tuple[str, ...]:
        return tuple(getattr(self, action))


@dataclass(frozen=True)
class Decision:
    """Whether `agent` may do `action` in `scope`, and the rule (or default) that says so."""

    agent: str
    action: str
    scope: str
    allowed: bool
    reason: str


@dataclass
class Policy:
    """A parsed policy. `open` is the policy of a repository without a policy file."""

    default: str = "allow"
    rules: list[Rule] = field(default_factory=list)
    admins: tuple[str, ...] | None = None
    retention: dict[str, int] = field(default_factory=dict)  # scope glob -> seconds
    source: str = ""
    exists: bool = False
    _ttls: dict[str, int | None] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def parse(cls, text: str) -> Policy:
        """Parse and validate policy text; `InvalidInput` names the first problem."""
        if not isinstance(text, str):
            raise InvalidInput(f"a policy is TOML text (a string), not {type(text).__name__}")
        if len(validate_unicode(text, "the policy").encode("utf-8")) > MAX_POLICY_BYTES:
            raise InvalidInput("policy.toml is larger than 256 KiB")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InvalidInput(f"policy.toml is not TOML: {exc}") from None
        unknown = set(data) - {"default", "agents", "admins", "retention"}
        if unknown:
            raise InvalidInput(f"policy.toml: unknown key {sorted(unknown)[0]!r}")
        default = data.get("default", "deny")
        if default not in ("allow", "deny"):
            raise InvalidInput('policy.toml: default must be "allow" or "deny"')
        rules = []
        agents = data.get("agents", {})
        if not isinstance(agents, dict):
            raise InvalidInput("policy.toml: [agents] must be a table")
        for name, rights in agents.items():
            if not isinstance(rights, dict) or set(rights) - set(ACTIONS):
                raise InvalidInput(f"policy.toml: [agents.{name}] takes only {', '.join(ACTIONS)}")
            rules.append(Rule(name, *(_strings(rights.get(a, []), f"agents.{name}.{a}")
                                      for a in ACTIONS)))  # fmt: skip
        admins = data.get("admins")
        retention = data.get("retention", {})
        if not isinstance(retention, dict):
            raise InvalidInput("policy.toml: [retention] must be a table")
        return cls(
            default=default,
            rules=sorted(rules, key=lambda r: _is_glob(r.agents)),  # exact names first
            admins=None if admins is None else _strings(admins, "admins"),
            retention={glob: parse_duration(str(v)) for glob, v in retention.items()},
            source=text, exists=True,
        )  # fmt: skip

    def decide(self, agent: str, action: str, scope: str) -> Decision:
        """Which rule allows or denies `agent` to `action` in `scope`."""
        if action not in ACTIONS:
            raise InvalidInput(f"unknown action {action!r} (read, write or promote)")
        if not self.exists:
            return Decision(agent, action, scope, True, "no policy: everything is allowed")
        matching = self._naming(agent)
        if not matching:
            allowed = self.default == "allow"
            return Decision(agent, action, scope, allowed,
                            f'no rule names {agent}: default = "{self.default}"')  # fmt: skip
        for rule in matching:
            for pattern in rule.patterns(action):
                if scope_matches(pattern, scope, agent):
                    return Decision(agent, action, scope, True,
                                    f'[agents."{rule.agents}"] {action} = "{pattern}"')  # fmt: skip
        names = ", ".join(f'[agents."{r.agents}"]' for r in matching)
        return Decision(agent, action, scope, False, f"{names}: no {action} pattern matches {scope}")

    def grants_any(self, agent: str, action: str) -> bool:
        """Whether the policy opens any scope to `agent` for `action`. False when no rule names
        the agent under ``default = "deny"``, or when the rules naming it list no pattern for
        the action: then every fact is hidden from it (for reads) and every write refused."""
        return self._granted(agent, lambda rule: bool(rule.patterns(action)))

    def reads_all(self, agent: str) -> bool:
        """Whether `agent` may read every scope: no policy, a ``"*"`` read pattern in a rule
        naming it, or no rule naming it under ``default = "allow"``."""
        return self._granted(agent, lambda rule: "*" in rule.patterns("read"))

    def _granted(self, agent: str, holds: Callable[[Rule], bool]) -> bool:
        """True without a policy; else `holds` for a rule naming `agent`, or the default when
        none names it."""
        if not self.exists:
            return True
        matching = self._naming(agent)
        return any(map(holds, matching)) if matching else self.default == "allow"

    def _naming(self, agent: str) -> list[Rule]:
        return [r for r in self.rules if fnmatch.fnmatchcase(agent, r.agents)]

    def allows(self, agent: str, action: str, scope: str) -> bool:
        return self.decide(agent, action, scope).allowed

    def require(self, agent: str, action: str, scope: str) -> None:
        """`PermissionDenied` (exit 5) unless `agent` may `action` in `scope`."""
        decision = self.decide(agent, action, scope)
        if not decision.allowed:
            raise PermissionDenied(f"agent {agent} may not {action} scope {scope}", scope=scope)

    def is_admin(self, agent: str) -> bool:
        """May `agent` change the policy and the quarantine list? Named by ``admins``; without
        that key, agents whose write rights include ``"*"``. No policy: everyone."""
        if not self.exists:
            return True
        if self.admins is not None:
            return any(fnmatch.fnmatchcase(agent, glob) for glob in self.admins)
        return any(fnmatch.fnmatchcase(agent, r.agents) and "*" in r.write for r in self.rules)

    def ttl(self, scope: str) -> int | None:
        """Seconds a fact in `scope` lives (the first matching retention glob), or None. Worked
        out once per scope: a listing asks once per fact."""
        if scope not in self._ttls:
            found = (s for glob, s in self.retention.items() if fnmatch.fnmatchcase(scope, glob))
            self._ttls[scope] = next(found, None)
        return self._ttls[scope]


OPEN = Policy()


def scope_matches(pattern: str, scope: str, agent: str) -> bool:
    """A scope pattern: a scope or glob, with ``{agent}`` standing for the acting agent."""
    return fnmatch.fnmatchcase(scope, pattern.replace("{agent}", agent))


def parse_duration(text: str) -> int:
    """``"7d"``, ``"12h"``, ``"30m"``, ``"90s"`` or combinations (``"1d12h"``) in seconds."""
    parts = _DURATION.findall(text)
    if not parts or _DURATION.sub("", text).strip():
        raise InvalidInput(f"policy.toml: bad duration {text!r} (use s, m, h or d, e.g. 7d)")
    return sum(int(n) * _UNIT[u] for n, u in parts)


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(f"policy.toml: {what} must be a list of strings")
    return tuple(value)


def _is_glob(name: str) -> bool:
    return any(c in name for c in "*?[")
