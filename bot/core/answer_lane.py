"""Acknowledgements first: the work behind a command waits until the commands before it are
acknowledged and the stream of commands pauses.

Discord refuses an interaction whose first response comes after 3 s; a follow-up may come for 15
minutes. In a burst (1,000 people registering in a minute's first second) the bot's one core is
best spent acknowledging every command first ("thinking…"). So the registration desk and the
answers wait for a quiet moment: every interaction received before they asked is acknowledged,
and no new one came for `quiet_after` (10 ms; in a burst they come a millisecond apart). The wait
never exceeds `patience`, so a steady stream cannot starve them; answers then go out a few at a
time. In ordinary traffic the wait is about one acknowledgement's round trip.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
from collections.abc import AsyncIterator, Callable

# An acknowledgement still unseen after this long is a slow network, not work for this process.
ACKNOWLEDGEMENT_WAIT = 0.5
POLL_SECONDS = 0.002
QUIET_AFTER = 0.01
PRUNE_ABOVE = 256


class AnswerLane:
    """Knows which interactions await their first response; `await lane.quiet()` before work
    that can wait, `async with lane.turn():` around a follow-up."""

    def __init__(
        self,
        slots: int = 4,
        patience: float = 2.0,
        quiet_after: float = QUIET_AFTER,
        acknowledgement_wait: float = ACKNOWLEDGEMENT_WAIT,
    ) -> None:
        self.patience = patience
        self.quiet_after = quiet_after
        self.acknowledgement_wait = acknowledgement_wait
        self._slots = asyncio.Semaphore(slots)
        # key → (loop time received, whether its first response is sent)
        self._pending: dict[object, tuple[float, Callable[[], bool]]] = {}
        self._last_received = float("-inf")
        # (loop time the waiter asked, tie-breaker, its future), earliest first
        self._waiters: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._watcher: asyncio.Task[None] | None = None

    @property
    def unacknowledged(self) -> int:
        """Interactions received whose first response was not seen yet."""
        return len(self._pending)

    def received(self, key: object, acknowledged: Callable[[], bool]) -> None:
        """An interaction arrived; `acknowledged()` tells once its first response is sent."""
        now = asyncio.get_running_loop().time()
        self._last_received = now
        self._pending[key] = (now, acknowledged)
        if len(self._pending) > PRUNE_ABOVE:  # nobody may be waiting to prune
            self._prune(now)

    async def quiet(self) -> None:
        """Return at a quiet moment (see the module's docstring), or after `patience`."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        if now - self._last_received >= self.quiet_after:
            self._prune(now)
            if self._oldest_pending() > now:
                return
        future: asyncio.Future[None] = loop.create_future()
        heapq.heappush(self._waiters, (now, next(self._order), future))
        if self._watcher is None or self._watcher.done():
            self._watcher = asyncio.create_task(self._watch(), name="amphi-answer-lane")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(future, self.patience)

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Wait for a quiet moment, then for one of a few slots."""
        await self.quiet()
        async with self._slots:
            yield

    def _prune(self, now: float) -> None:
        for key, (since, acknowledged) in list(self._pending.items()):
            if acknowledged() or now - since > self.acknowledgement_wait:
                del self._pending[key]

    def _oldest_pending(self) -> float:
        return min((since for since, _ in self._pending.values()), default=float("inf"))

    async def _watch(self) -> None:
        # One poller for every waiter: discord.py tells nobody when a first response is sent.
        loop = asyncio.get_running_loop()
        while self._waiters:
            await asyncio.sleep(POLL_SECONDS)
            now = loop.time()
            self._prune(now)
            if now - self._last_received >= self.quiet_after:
                oldest = self._oldest_pending()
                while self._waiters and self._waiters[0][0] < oldest:
                    _, _, future = heapq.heappop(self._waiters)
                    if not future.done():
                        future.set_result(None)
            while self._waiters and self._waiters[0][2].done():  # gave up: patience
                heapq.heappop(self._waiters)
