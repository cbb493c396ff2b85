"""A steady pace for calls that share one of Discord's limits.

Discord allows a bot 50 requests a second in all, interactions aside. Role changes in a
registration burst would all go at once, most would come back 429, and each retry would count
against the bot's invalid requests (Discord bans a bot's address for a while after 10,000 of
those in 10 minutes). Calls through a `Pace` go out evenly spaced instead, just under the limit.
"""

from __future__ import annotations

import asyncio

#: A little under Discord's 50 a second, leaving room for the bot's other calls.
DEFAULT_RATE = 45.0


class Pace:
    """`async with pace:` before each call: at most `rate` calls a second, evenly spaced."""

    def __init__(self, rate: float = DEFAULT_RATE) -> None:
        self.interval = 1.0 / rate
        self._next = 0.0

    async def __aenter__(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        slot = max(self._next, now)
        self._next = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)

    async def __aexit__(self, *_exc: object) -> None:
        return None
