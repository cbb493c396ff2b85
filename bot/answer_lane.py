"""Acknowledgements first: the work behind a command waits until every command is acknowledged.

Discord refuses an interaction whose first response comes after 3 s; a follow-up may come for 15
minutes. In a burst (1,000 people registering in a minute's first second) the bot's one core is
best spent acknowledging every command first ("thinking…"): the registration desk and the answers
wait for a quiet moment, when every interaction received is acknowledged and no new one came for
10 ms (at most `patience` seconds, so that a steady stream never starves them); answers then go
out a few at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

ACKNOWLEDGE_WITHIN = 3.0  # Discord's deadline: after it, an interaction needs no more room
POLL_SECONDS = 0.002
# Quiet: everything received is acknowledged and nothing new came for this long. In a burst
# commands come a millisecond apart; a lone command's answer waits this much more.
QUIET_AFTER = 0.01


class AnswerLane:
    """Knows which interactions await their first response; `async with lane.turn():` around
    a follow-up lets those go first."""

    def __init__(
        self, slots: int = 4, patience: float = 2.0, quiet_after: float = QUIET_AFTER
    ) -> None:
        self.patience = patience
        self.quiet_after = quiet_after
        self._slots = asyncio.Semaphore(slots)
        # key → (loop time received, whether its first response is sent)
        self._waiting: dict[object, tuple[float, Callable[[], bool]]] = {}
        self._quiet = asyncio.Event()
        self._quiet.set()
        self._watcher: asyncio.Task[None] | None = None
        self._last_received = 0.0

    @property
    def unacknowledged(self) -> int:
        """Interactions received whose first response was not seen yet."""
        return len(self._waiting)

    def received(self, key: object, acknowledged: Callable[[], bool]) -> None:
        """An interaction arrived; `acknowledged()` tells once its first response is sent."""
        self._last_received = asyncio.get_running_loop().time()
        self._waiting[key] = (self._last_received, acknowledged)
        self._quiet.clear()
        if self._watcher is None or self._watcher.done():
            self._watcher = asyncio.create_task(self._watch(), name="amphi-answer-lane")

    async def quiet(self) -> None:
        """Return once every received interaction is acknowledged, or after `patience`."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.patience):
                await self._quiet.wait()

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Wait for a quiet moment, then for one of a few slots."""
        await self.quiet()
        async with self._slots:
            yield

    async def _watch(self) -> None:
        # One poller for everyone: first responses are sent by discord.py, which tells nobody.
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(POLL_SECONDS)
            now = loop.time()
            for key, (since, acknowledged) in list(self._waiting.items()):
                if acknowledged() or now - since > ACKNOWLEDGE_WITHIN:
                    del self._waiting[key]
            if not self._waiting and now - self._last_received >= self.quiet_after:
                break
        self._quiet.set()
