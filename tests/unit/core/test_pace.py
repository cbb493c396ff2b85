"""Calls through a Pace go out evenly spaced, first come first served within a lane, urgent
calls ahead of bulk ones."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.pace import BULK, URGENT, Pace


async def test_calls_are_spaced_by_the_rate_in_order() -> None:
    pace = Pace(rate=100.0)
    loop = asyncio.get_running_loop()
    times: list[tuple[int, float]] = []

    async def call(index: int) -> None:
        await pace.slot()
        times.append((index, loop.time()))

    await asyncio.gather(*(call(i) for i in range(10)))
    assert [i for i, _ in times] == list(range(10))
    # The i-th call goes out no sooner than i intervals after the first: never more than the
    # rate in any second, however late the loop wakes one of them (a bound, not a timing).
    first = times[0][1]
    assert all(at - first >= i * pace.interval - 0.001 for i, at in times)


def test_the_interval_follows_the_rate() -> None:
    assert Pace(rate=50.0).interval == pytest.approx(0.02)


async def test_urgent_calls_go_ahead_of_queued_bulk_ones() -> None:
    pace = Pace(rate=100.0)
    went: list[str] = []

    async def call(name: str, lane: int) -> None:
        await pace.slot(lane)
        went.append(name)

    bulk = [asyncio.ensure_future(call(f"role {i}", BULK)) for i in range(6)]
    await asyncio.sleep(0.025)  # a few roles have gone; the rest wait their turn
    urgent = [asyncio.ensure_future(call(f"dm {i}", URGENT)) for i in range(2)]
    await asyncio.gather(*bulk, *urgent)
    assert went.index("dm 0") < went.index("role 5") and went.index("dm 1") < went.index("role 5")
    assert [n for n in went if n.startswith("role")] == [f"role {i}" for i in range(6)]
    assert [n for n in went if n.startswith("dm")] == ["dm 0", "dm 1"]


async def test_a_caller_that_gave_up_leaves_its_slot_to_the_next() -> None:
    pace = Pace(rate=50.0)
    await pace.slot()  # the first goes at once; the next ones wait
    gave_up = asyncio.ensure_future(pace.slot(BULK))
    waiting = asyncio.ensure_future(pace.slot(BULK))
    await asyncio.sleep(0)
    gave_up.cancel()
    await asyncio.wait_for(waiting, 1)
    assert gave_up.cancelled() and waiting.done()
