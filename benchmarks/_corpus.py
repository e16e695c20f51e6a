"""A deterministic corpus of short, varied memory facts for the search benchmarks, and the
persistent benchmark repositories built from it under benchmarks/out/ (git-ignored).

Building the 100,000-fact repository embeds every text once (~6 minutes on 2 cores); later
runs reuse it and its index."""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

from agentmem import Repo

OUT = Path(__file__).resolve().parent / "out"
PEOPLE = ["Alice", "Bob", "Chen", "Dana", "Emeka", "Farah", "Goran", "Hana", "Ivan", "Jun",
          "Kofi", "Lena", "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara"]  # fmt: skip
THINGS = ["email", "the staging database", "invoice ORD-{n}", "the mobile app", "the VPN",
          "the quarterly report", "ticket T-{n}", "the billing API", "the onboarding checklist",
          "the Berlin office", "the nightly backup", "contract C-{n}", "the search index",
          "the design review", "the support queue", "the release train", "server srv-{n}"]  # fmt: skip
VERBS = ["prefers", "is responsible for", "reported a problem with", "asked about",
         "approved", "is waiting on", "complained about", "fixed", "scheduled a meeting on",
         "does not trust", "wants weekly updates on", "migrated", "reviewed"]  # fmt: skip
TAILS = ["", " since Monday", " before the deadline", " according to the last call",
         " because of the outage", " for the Q{q} planning", " as agreed with legal",
         " when travelling", " on weekdays only", " until further notice"]  # fmt: skip
SCOPES = ["shared", "user:alice", "user:bob", "agent:support", "app:billing"]


def sentence(rng: random.Random) -> str:
    thing = rng.choice(THINGS).format(n=rng.randrange(10000, 99999))
    tail = rng.choice(TAILS).format(q=rng.randrange(1, 5))
    return f"{rng.choice(PEOPLE)} {rng.choice(VERBS)} {thing}{tail}."


def records(count: int, seed: int = 7, prefix: str = "f") -> list[dict[str, object]]:
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[dict[str, object]] = []
    while len(out) < count:
        text = sentence(rng)
        if text in seen:
            continue
        seen.add(text)
        out.append({"id": f"{prefix}-{len(out):06d}", "text": text, "scope": rng.choice(SCOPES)})
    return out


def bench_repo(count: int) -> Repo:
    """The benchmark repository with `count` facts, indexed; built on first use."""
    root = OUT / f"search-{count}"
    if (root / ".agentmem" / "config").exists():
        return Repo(root)
    started = time.perf_counter()
    repo = Repo.init(root)
    repo.import_facts(records(count), agent="bench", message=f"{count} benchmark facts")
    imported = time.perf_counter() - started
    started = time.perf_counter()
    repo.index()
    print(f"# built {root}: import {imported:.1f}s, first index (embedding every text) "
          f"{time.perf_counter() - started:.1f}s", file=sys.stderr)  # fmt: skip
    return repo
