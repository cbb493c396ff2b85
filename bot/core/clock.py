"""The time, injected wherever it matters so tests and `amphi plan` can choose it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current instant, UTC-aware."""
    return datetime.now(UTC)
