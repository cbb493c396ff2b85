"""Run a module with a 10 ms ticker in its event loop, to see how long the loop ever stalls.

    python -m bench.probe STALLS_FILE MODULE [ARG...]

The ticker appends every stall of over 1 ms to STALLS_FILE as "<monotonic seconds> <stall ms>".
The monotonic clock is the machine's, shared by every process, so the benchmark keeps the
stalls inside its own time window and leaves out the bot's start-up.
"""

from __future__ import annotations

import asyncio
import runpy
import sys
import time
from pathlib import Path

TICK = 0.01
REPORTED = 0.001


async def _tick(stalls: Path) -> None:
    with stalls.open("a", buffering=1) as out:
        while True:
            before = time.monotonic()
            await asyncio.sleep(TICK)
            after = time.monotonic()
            stall = after - before - TICK
            if stall > REPORTED:
                out.write(f"{after:.6f} {stall * 1000:.2f}\n")


class _TickingPolicy(asyncio.DefaultEventLoopPolicy):
    """Every new event loop starts the ticker as its first task."""

    def __init__(self, stalls: Path) -> None:
        super().__init__()
        self.stalls = stalls

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        loop = super().new_event_loop()
        loop.call_soon(lambda: loop.create_task(_tick(self.stalls)))
        return loop


def read_stalls(path: Path, start: float, end: float) -> list[float]:
    """The stalls (ms) that ended within [start, end] on the monotonic clock."""
    if not path.exists():
        return []
    stalls = []
    for line in path.read_text().splitlines():
        at, ms = line.split()
        if start <= float(at) <= end:
            stalls.append(float(ms))
    return stalls


def main() -> None:
    stalls, module, *args = sys.argv[1:]
    asyncio.set_event_loop_policy(_TickingPolicy(Path(stalls)))
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
