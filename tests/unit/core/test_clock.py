"""The fast clock of rehearsals, and how long its time lasts on the wall clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.clock import FastClock, clock_span, utc_now, wall_seconds

NINE = datetime(2021, 6, 28, 7, 0, tzinfo=UTC)


class Wall:
    """A wall clock the test moves."""

    def __init__(self) -> None:
        self.seconds = 100.0

    def __call__(self) -> float:
        return self.seconds


def test_the_clock_stands_at_its_start_until_it_goes() -> None:
    wall = Wall()
    clock = FastClock(NINE, 600, wall=wall)
    wall.seconds += 5
    assert clock() == NINE
    clock.go()
    wall.seconds += 1.5
    assert clock() == NINE + timedelta(minutes=15)


def test_going_twice_does_not_restart_it() -> None:
    wall = Wall()
    clock = FastClock(NINE, 60, wall=wall)
    clock.go()
    wall.seconds += 2
    clock.go()
    assert clock() == NINE + timedelta(minutes=2)


@pytest.mark.parametrize("speed", [0, -1, float("nan")])
def test_a_clock_that_does_not_run_forward_is_refused(speed: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        FastClock(NINE, speed)


def test_wall_seconds_divide_by_the_clocks_speed() -> None:
    assert wall_seconds(FastClock(NINE, 600), timedelta(minutes=10)) == 1.0
    assert wall_seconds(utc_now, timedelta(minutes=10)) == 600.0
    assert wall_seconds(lambda: NINE, timedelta(seconds=-3)) == -3.0


def test_a_clock_span_multiplies_by_the_clocks_speed() -> None:
    assert clock_span(FastClock(NINE, 600), 2.0) == timedelta(minutes=20)
    assert clock_span(utc_now, 2.0) == timedelta(seconds=2)
