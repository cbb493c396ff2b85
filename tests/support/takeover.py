"""Watching the fake's gateway while `amphi run` processes hand the active role to one another:
one session at a time, and how long a standby took to go live."""

from __future__ import annotations

import asyncio
import itertools
import signal

from tests.support.harness import eventually
from tests.support.processes import Runs

#: The product's promise: once the active is killed, a standby's session is live within this
#: long with the default lease (10 s: it lapses at most 10 s after its last renewal).
TAKEOVER_PROMISE = 15.0
#: A graceful stop releases the lease: a standby is live within this long of SIGTERM.
HANDOVER_PROMISE = 3.0


def live_connection(fake) -> int:
    """The one connection whose session is live now."""
    live = [n for n, _at, closed in fake.gateway.live_intervals() if closed is None]
    assert len(live) == 1, f"live connections: {live}; timeline {fake.gateway.timeline}"
    return live[0]


def opened(fake) -> int:
    """How many websockets were ever opened to the fake's gateway."""
    return sum(1 for event in fake.gateway.timeline if event.kind == "opened")


def identified_after(fake, moment: float) -> int | None:
    """The first connection that identified after `moment` (the fake's loop time), if any."""
    return next(
        (e.connection for e in fake.gateway.timeline if e.kind == "identified" and e.at > moment),
        None,
    )


async def signal_active(process, signum: int) -> float:
    """Send `signum` to the active `process`; the fake's loop time just before it."""
    moment = asyncio.get_running_loop().time()
    process.send_signal(signum)
    if signum == signal.SIGKILL:
        await process.wait()
    return moment


async def taken_over(fake, dead: int, moment: float, timeout: float = 30.0) -> tuple[int, float]:  # noqa: ASYNC109 - a test deadline
    """Wait until a connection identifies after `moment` (when the active holding connection
    `dead` was killed or stopped); that connection and the seconds it took. The dead one closed
    before the new one identified: one gateway session at a time."""
    await eventually(lambda: identified_after(fake, moment) is not None, timeout=timeout)
    new = identified_after(fake, moment)
    assert new is not None and new != dead
    closed, live = fake.gateway.closed_at(dead), fake.gateway.identified_at(new)
    assert closed is not None and live is not None
    assert closed < live, f"connection {dead} closed at {closed}, {new} live at {live}"
    return new, live - moment


def assert_one_session_at_a_time(fake) -> None:
    """Never two live gateway sessions at once, whatever the order of events."""
    assert fake.gateway.most_live_sessions == 1, fake.gateway.timeline
    intervals = sorted(fake.gateway.live_intervals(), key=lambda i: i[1])
    for (n, _start, end), (m, start, _end) in itertools.pairwise(intervals):
        assert end is not None and end < start, f"sessions {n} and {m} overlap"


def says_active(runs: Runs, number: int) -> bool:
    """Whether the `number`-th run (from 1) has said it holds the lease."""
    return "Active:" in runs.log_of(number)
