"""DM broadcasts: throttled, each DM once, closed DMs recorded, pauses, resuming after a crash."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.errors import Deposed
from bot.dms import queries as store
from bot.dms.model import DmClosed, DmThrottled
from bot.dms.service import Broadcaster, throttle_floor
from bot.posts.service import NONCE_WINDOW
from bot.store.db import Database
from tests.support.harness import FakeClock

NOW = datetime(2021, 6, 28, 7, 50, tzinfo=UTC)


class Inbox:
    """A DM sender that records, refuses closed DMs, and can throttle or crash."""

    def __init__(self, closed=(), throttle_first: int = 0, crash_after: int | None = None):
        self.received: list[tuple[int, str, str]] = []
        self.closed = set(closed)
        self.throttle_left = throttle_first
        self.crash_after = crash_after
        self.times: list[float] = []

    async def __call__(self, user_id: int, text: str, nonce: str) -> None:
        if self.crash_after is not None and len(self.received) >= self.crash_after:
            raise asyncio.CancelledError  # the process dies mid-broadcast
        if user_id in self.closed:
            raise DmClosed()
        if self.throttle_left:
            self.throttle_left -= 1
            raise DmThrottled(0.01)
        self.times.append(asyncio.get_running_loop().time())
        self.received.append((user_id, text, nonce))


@pytest.fixture
def broadcaster(db: Database) -> Broadcaster:
    return Broadcaster(db, FakeClock(NOW), rate=200.0)


async def test_each_recipient_once_with_closed_dms_reported(broadcaster) -> None:
    inbox = Inbox(closed={3})
    progress = []

    async def on_progress(report) -> None:
        progress.append(report.done)

    report = await broadcaster.run("b1", [1, 2, 3, 4, 2], lambda u: f"hi {u}", inbox, on_progress)
    assert sorted(u for u, _t, _n in inbox.received) == [1, 2, 4]
    assert (report.total, report.sent, report.failed) == (4, 3, 1)
    assert report.failures == {"DMs closed": 1}
    assert progress == [1, 2, 3, 4]
    assert len({n for _u, _t, n in inbox.received}) == 3  # a nonce per recipient

    again = await broadcaster.run("b1", [1, 2, 3, 4, 5], lambda u: "hi", inbox)
    assert sorted(u for u, _t, _n in inbox.received) == [1, 2, 4, 5]
    assert again.sent == 4 and again.failed == 1


async def test_throttled_sends_pause_and_go_on(broadcaster) -> None:
    inbox = Inbox(throttle_first=2)
    report = await broadcaster.run("b2", [1, 2, 3], str, inbox)
    assert report.sent == 3 and [u for u, _t, _n in inbox.received] == [1, 2, 3]


async def test_the_rate_is_kept(db: Database) -> None:
    broadcaster = Broadcaster(db, FakeClock(NOW), rate=100.0)
    inbox = Inbox()
    await broadcaster.run("b3", list(range(30)), str, inbox)
    spacing = [b - a for a, b in zip(inbox.times, inbox.times[1:], strict=False)]
    assert len(inbox.received) == 30
    assert inbox.times[-1] - inbox.times[0] >= throttle_floor(30, 100.0).total_seconds() * 0.95
    # Slots are an interval apart; one gap may lose the jitter of a late wake-up before it, but
    # never so much that any ten in a row come faster than the rate.
    assert min(spacing) >= 0.008
    tens = [b - a for a, b in zip(inbox.times, inbox.times[9:], strict=False)]
    assert min(tens) >= 9 * 0.0095


async def test_a_crash_mid_broadcast_resumes_without_repeats(db: Database) -> None:
    clock = FakeClock(NOW)
    broadcaster = Broadcaster(db, clock, rate=1000.0)
    crashing = Inbox(crash_after=5)
    with pytest.raises(asyncio.CancelledError):
        await broadcaster.run("b4", list(range(1, 11)), str, crashing)
    # user 6 was claimed when the process died: resent (same nonce) within the window
    rows = {r.user_id: r.status for r in db.call(store.deliveries, key="b4")}
    assert [rows[u] for u in range(1, 7)] == ["sent"] * 5 + ["sending"]
    clock.now = NOW + timedelta(minutes=1)
    inbox = Inbox()
    report = await broadcaster.run("b4", list(range(1, 11)), str, inbox)
    assert [u for u, _t, _n in inbox.received] == [6, 7, 8, 9, 10]
    assert report.sent == 10


async def test_an_old_interrupted_dm_is_not_repeated(db: Database) -> None:
    clock = FakeClock(NOW)
    broadcaster = Broadcaster(db, clock, rate=1000.0)
    with pytest.raises(asyncio.CancelledError):
        await broadcaster.run("b5", [1, 2], str, Inbox(crash_after=0))
    clock.now = NOW + NONCE_WINDOW + timedelta(seconds=1)
    inbox = Inbox()
    report = await broadcaster.run("b5", [1, 2], str, inbox)
    assert [u for u, _t, _n in inbox.received] == [2]
    assert report.failures == {"interrupted while sending; not repeated": 1}


async def test_a_lost_lease_is_no_failure_of_the_dm_being_sent(db: Database) -> None:
    """The lease is lost as a DM goes out: the broadcast stops there, the DM stays claimed (not
    recorded as failed), and the next active sends it, once."""
    clock = FakeClock(NOW)
    broadcaster = Broadcaster(db, clock, rate=1000.0)
    deposed = Inbox()

    async def send_until_deposed(user_id: int, text: str, nonce: str) -> None:
        if len(deposed.received) == 3:
            raise Deposed("this instance no longer holds the lease; nothing more is sent")
        await deposed(user_id, text, nonce)

    with pytest.raises(Deposed):
        await broadcaster.run("b6", list(range(1, 8)), str, send_until_deposed)
    rows = {r.user_id: r.status for r in db.call(store.deliveries, key="b6")}
    assert [rows[u] for u in range(1, 8)] == ["sent"] * 3 + ["sending"] + ["pending"] * 3
    clock.now = NOW + timedelta(seconds=5)
    inbox = Inbox()
    report = await broadcaster.run("b6", [], str, inbox)  # the next active resumes it
    assert [u for u, _t, _n in inbox.received] == [4, 5, 6, 7]
    assert (report.sent, report.failed) == (7, 0)
