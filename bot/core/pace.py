"""A steady pace for calls that share one of Discord's limits.

Discord allows a bot 50 requests a second in all, interactions aside. Role changes in a
registration burst would all go at once, most would come back 429, and each retry would count
against the bot's invalid requests (Discord bans a bot's address for a while after 10,000 of
those in 10 minutes). Calls through a `Pace` go out evenly spaced instead, just under the limit.

Calls wait in two lanes. A burst's role changes queue for many seconds (600 of them take 13 s);
a reminder, a DM telling someone they got a seat, or any other call that a person is waiting
for takes the next slot ahead of them (`URGENT`). Within a lane, first come, first served.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools

#: A little under Discord's 50 a second, leaving room for the bot's other calls.
DEFAULT_RATE = 45.0

URGENT = 0
BULK = 1


class Pace:
    """`await pace.slot(lane)` before each call: at most `rate` calls a second, evenly spaced,
    `URGENT` ones first."""

    def __init__(self, rate: float = DEFAULT_RATE) -> None:
        self.interval = 1.0 / rate
        self._next = 0.0  # the loop time of the next free slot
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._timer: asyncio.TimerHandle | None = None

    async def slot(self, lane: int = URGENT) -> None:
        """Wait for this call's slot."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        if not self._waiting and self._next <= now:
            self._next = now + self.interval
            return
        turn = loop.create_future()
        heapq.heappush(self._waiting, (lane, next(self._order), turn))
        self._arm(loop)
        await turn  # a caller cancelled meanwhile leaves its slot to the next one

    def _arm(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._timer is None:
            self._timer = loop.call_at(self._next, self._release, loop)

    def _release(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        while self._waiting:
            _lane, _order, turn = heapq.heappop(self._waiting)
            if not turn.done():
                turn.set_result(None)
                # From when this slot was due, so the rate holds; never sooner than half an
                # interval from now, so a late loop never sends two calls back to back.
                now = loop.time()
                self._next = max(self._next + self.interval, now + self.interval / 2)
                break
        if self._waiting:
            self._arm(loop)
