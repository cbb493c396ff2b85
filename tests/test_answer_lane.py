"""Acknowledgements first: work waits for a quiet moment, never for ever, a few at a time."""

from __future__ import annotations

import asyncio

from bot.answer_lane import AnswerLane


async def test_quiet_waits_until_everything_received_is_acknowledged() -> None:
    lane = AnswerLane(patience=30)
    acknowledged = {"a": False, "b": False}
    lane.received("a", lambda: acknowledged["a"])
    lane.received("b", lambda: acknowledged["b"])
    waiting = asyncio.ensure_future(lane.quiet())
    await asyncio.sleep(0.05)
    acknowledged["a"] = True
    await asyncio.sleep(0.05)
    assert not waiting.done() and lane.unacknowledged == 1
    acknowledged["b"] = True
    await asyncio.wait_for(waiting, 5)
    assert lane.unacknowledged == 0


async def test_a_steady_stream_waits_no_longer_than_the_patience() -> None:
    lane = AnswerLane(patience=0.05)
    lane.received("never answered", lambda: False)
    await asyncio.wait_for(lane.quiet(), 5)  # returns although nothing was acknowledged
    assert lane.unacknowledged == 1


async def test_turns_go_a_few_at_a_time() -> None:
    lane = AnswerLane(slots=2)
    inside = most = 0

    async def answer() -> None:
        nonlocal inside, most
        async with lane.turn():
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.01)
            inside -= 1

    await asyncio.gather(*(answer() for _ in range(6)))
    assert most == 2
