"""A fact's own expiry (``expires_at``). Retention (governance/retention.py) adds the scope's time
to live on top; the read path hides expired facts from listings and search, while `show ID` (and
history) still reach them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .fact import Fact

if TYPE_CHECKING:
    from .listing import FactHeader


def now_utc() -> datetime:
    return datetime.now(UTC)


def expires(fact: Fact | FactHeader) -> datetime | None:
    """When the fact expires, or None (no expiry, or a time that cannot be read: then the fact
    stays visible rather than silently vanishing)."""
    if not fact.expires_at:
        return None
    try:
        moment = datetime.fromisoformat(fact.expires_at.replace("Z", "+00:00"))
    except (ValueError, TypeError, AttributeError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def is_expired(fact: Fact | FactHeader, now: datetime | None = None) -> bool:
    """Whether `fact` has expired at `now` (default: this moment). A fact expires at the instant
    ``expires_at`` names: from then on it is hidden."""
    moment = expires(fact)
    return moment is not None and moment <= (now or now_utc())

