"""Expiry: a fact past its ``expires_at`` is hidden from listings and search at once, while
`show ID` (and history) still reach it. Retention policies build on this (governance)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from .fact import Fact


def now_utc() -> datetime:
    return datetime.now(UTC)


def expires(fact: Fact) -> datetime | None:
    """When the fact expires, or None (no expiry, or a time that cannot be read: then the fact
    stays visible rather than silently vanishing)."""
    if not fact.expires_at:
        return None
    try:
        moment = datetime.fromisoformat(fact.expires_at.replace("Z", "+00:00"))
    except (ValueError, TypeError, AttributeError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def is_expired(fact: Fact, now: datetime | None = None) -> bool:
    """Whether `fact` has expired at `now` (default: this moment). A fact expires at the instant
    ``expires_at`` names: from then on it is hidden."""
    moment = expires(fact)
    return moment is not None and moment <= (now or now_utc())


def live(facts: Iterable[Fact], now: datetime | None = None) -> Iterator[Fact]:
    """The facts of `facts` that have not expired at `now`."""
    when = now or now_utc()
    return (fact for fact in facts if not is_expired(fact, when))


def live_hits(hits: Iterable[Any], now: datetime | None = None) -> list[Any]:
    """Search hits (anything with a ``.fact``) whose fact has not expired."""
    when = now or now_utc()
    return [hit for hit in hits if not is_expired(hit.fact, when)]
