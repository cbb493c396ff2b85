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


def _start_ticking(stalls: Path) -> None:
    """Make every asyncio.run / asyncio.Runner start the ticker as its loop's first task.

    Hooked on the runner rather than on the event loop policy, so that it holds whatever loop
    the program chooses.
    """
    lazy_init = asyncio.Runner._lazy_init  # type: ignore[attr-defined]

    def _lazy_init(runner: asyncio.Runner) -> None:
        first = runner._loop is None  # type: ignore[attr-defined]
        lazy_init(runner)
        if first:
            loop = runner.get_loop()
            loop.call_soon(lambda: loop.create_task(_tick(stalls)))

    asyncio.Runner._lazy_init = _lazy_init  # type: ignore[attr-defined]


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
    _start_ticking(Path(stalls))
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
