"""Calls through a Pace go out evenly spaced, in the order they came."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.pace import Pace


async def test_calls_are_spaced_by_the_rate_in_order() -> None:
    pace = Pace(rate=100.0)
    loop = asyncio.get_running_loop()
    times: list[tuple[int, float]] = []

    async def call(index: int) -> None:
        async with pace:
            times.append((index, loop.time()))

    await asyncio.gather(*(call(i) for i in range(10)))
    assert [i for i, _ in times] == list(range(10))
    # The i-th call goes out no sooner than i intervals after the first: never more than the
    # rate in any second, however late the loop wakes one of them (a bound, not a timing).
    first = times[0][1]
    assert all(at - first >= i * pace.interval - 0.001 for i, at in times)


def test_the_interval_follows_the_rate() -> None:
    assert Pace(rate=50.0).interval == pytest.approx(0.02)
