"""The network between a bot and Discord, for benchmarks: each REST round trip and each gateway
event takes a time drawn from a log-normal law (a median, and a long tail).

`DISCORD_LIKE` is close to what bots report from Discord: "between 50 ms and 500 ms with a good
connection" (Javacord's `measureRestLatency`, Javacord/Javacord#569), "around 130 ms – 300 ms to
send a message" on a healthy server (discord/discord-api-docs#6721). A median of 120 ms with
σ = 0.5 puts the 10th percentile at 64 ms and the 99th at 384 ms.
"""

from __future__ import annotations

import asyncio
import math
import random
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Latency:
    """Round trips drawn from a log-normal law: `median_ms`, and `sigma` for the tail."""

    median_ms: float
    sigma: float = 0.5
    seed: int = 0
    _random: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)  # noqa: S311  simulated delays, repeatable by seed

    def round_trip(self) -> float:
        """One round trip, in seconds."""
        if self.median_ms <= 0:
            return 0.0
        return self.median_ms / 1000 * math.exp(self._random.gauss(0.0, self.sigma))

    def percentile_ms(self, fraction: float) -> float:
        """The round trip below which `fraction` of them fall (the law's, not a sample's)."""
        z = _inverse_normal(fraction)
        return self.median_ms * math.exp(self.sigma * z)

    def describe(self) -> str:
        """As printed by the benchmarks."""
        if self.median_ms <= 0:
            return "none added"
        return (
            f"median {self.median_ms:g} ms, p10 {self.percentile_ms(0.1):.0f} ms, "
            f"p99 {self.percentile_ms(0.99):.0f} ms (log-normal, sigma {self.sigma:g})"
        )


DISCORD_LIKE = Latency(120.0, 0.5)


def _inverse_normal(p: float) -> float:
    """The standard normal quantile (bisection on erf: exact enough for printing)."""
    low, high = -10.0, 10.0
    for _ in range(80):
        middle = (low + high) / 2
        if 0.5 * (1 + math.erf(middle / math.sqrt(2))) < p:
            low = middle
        else:
            high = middle
    return (low + high) / 2


class DelayedSender:
    """Gateway frames delivered after a one-way delay each, in the order they were sent."""

    def __init__(self, latency: Latency, send: Any) -> None:
        self.latency = latency
        self._send = send
        self._queue: asyncio.Queue[tuple[float, Any]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._last = 0.0

    def put(self, frame: Any) -> None:
        """Queue `frame` for delivery half a round trip from now (never before the last)."""
        loop = asyncio.get_running_loop()
        due = max(loop.time() + self.latency.round_trip() / 2, self._last)
        self._last = due
        self._queue.put_nowait((due, frame))
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._deliver())

    async def _deliver(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._queue.empty():
            due, frame = self._queue.get_nowait()
            if (wait := due - loop.time()) > 0:
                await asyncio.sleep(wait)
            await self._send(frame)

    def stop(self) -> None:
        """Drop what is still queued (the socket is closing)."""
        if self._task is not None:
            self._task.cancel()
