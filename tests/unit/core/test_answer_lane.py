"""Acknowledgements first: work waits for a quiet moment, never for ever, a few at a time."""

from __future__ import annotations

import asyncio

from bot.core.answer_lane import AnswerLane


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


async def test_what_arrives_later_does_not_hold_up_an_earlier_wait() -> None:
    lane = AnswerLane(patience=30)
    acknowledged = False
    lane.received("first", lambda: acknowledged)
    waiting = asyncio.ensure_future(lane.quiet())
    await asyncio.sleep(0.02)
    lane.received("later", lambda: False)
    acknowledged = True
    await asyncio.wait_for(waiting, 5)
    assert lane.unacknowledged == 1  # "later" still waits for its first response


async def test_a_stream_of_interactions_holds_the_work_back_until_it_pauses() -> None:
    lane = AnswerLane(patience=30, quiet_after=0.05)
    lane.received(0, lambda: True)
    waiting = asyncio.ensure_future(lane.quiet())
    for key in range(1, 20):  # one every 10 ms, each acknowledged at once
        await asyncio.sleep(0.01)
        assert not waiting.done()
        lane.received(key, lambda: True)
    await asyncio.wait_for(waiting, 5)


async def test_no_wait_outlasts_the_patience() -> None:
    lane = AnswerLane(patience=0.05)
    lane.received("never answered", lambda: False)
    await asyncio.wait_for(lane.quiet(), 5)  # returns although it was not acknowledged
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
