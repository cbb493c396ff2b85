"""The time, injected wherever it matters so tests, `amphi plan` and rehearsals can choose it."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current instant, UTC-aware."""
    return datetime.now(UTC)


class FastClock:
    """Meeting time that stands at `start` until `go()`, then runs `speed` times as fast as the
    wall clock: a rehearsal plays a day in a minute on it."""

    def __init__(
        self, start: datetime, speed: float, *, wall: Callable[[], float] = time.monotonic
    ) -> None:
        if not speed > 0:
            raise ValueError(f"a clock's speed must be positive, not {speed}")
        self.start = start
        self.speed = speed
        self._wall = wall
        self._origin: float | None = None

    def go(self) -> None:
        """Start the clock (once); until then it reads `start`."""
        if self._origin is None:
            self._origin = self._wall()

    def __call__(self) -> datetime:
        if self._origin is None:
            return self.start
        return self.start + timedelta(seconds=(self._wall() - self._origin) * self.speed)


def wall_seconds(clock: Clock, span: timedelta) -> float:
    """How many seconds `span` of `clock`'s time lasts on the wall clock."""
    return span.total_seconds() / getattr(clock, "speed", 1.0)


def clock_span(clock: Clock, seconds: float) -> timedelta:
    """How much of `clock`'s time passes in `seconds` on the wall clock."""
    return timedelta(seconds=seconds * getattr(clock, "speed", 1.0))
