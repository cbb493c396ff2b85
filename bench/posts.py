"""Scheduled posts: reminder lateness over 200 planned posts, and a DM broadcast to 600 people.

Lateness is the time from a post's planned instant to the fake Discord storing the message
(wall clock, same machine). The broadcast is timed from its first to its last DM and compared
with the throttle's floor, (n - 1) / rate.
"""

from __future__ import annotations

import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from bench.stats import LoopTicker, summary_ms
from bot.announcements.model import Audience
from bot.core.clock import utc_now
from bot.dms.service import throttle_floor
from bot.registration.model import Mode
from fake_discord import fake_discord
from tests.support.harness import (
    BEFORE_MEETING,
    FakeClock,
    eventually,
    running_amphi,
    test_settings,
)

POSTS = 200
#: Between two planned posts: each is a post and a report to its author, so 20 a second make
#: 40 calls, within the pace that keeps every REST call under Discord's global limit
#: (`bot.core.pace`, 45 a second). Closer posts would measure that pace (a queue growing by
#: design), not how late the scheduler fires.
SPACING_MS = 50
RECIPIENTS = 600
RATE = 20.0


def _stored_at(message) -> datetime:
    return datetime.fromisoformat(message.timestamp)


async def reminder_lateness(posts: int = POSTS) -> dict:
    """200 announcements planned `SPACING_MS` apart, each posted by its APScheduler job."""
    folder = Path(tempfile.mkdtemp(prefix="amphi-bench-"))
    async with fake_discord() as fake:
        settings = test_settings(fake, f"sqlite:///{folder / 'posts.sqlite3'}")
        async with running_amphi(fake, settings, utc_now) as (_bot, services):
            author = fake.add_member("olga", roles=["Organizer"])
            first = utc_now() + timedelta(seconds=5)
            due = {}
            for i in range(posts):
                when = first + timedelta(milliseconds=SPACING_MS * i)
                draft = await services.announcements.draft(
                    author_id=author.id,
                    text=f"post {i}",
                    channel_id=None,
                    audience=Audience.NONE,
                    dm=False,
                    at=when.isoformat(),
                )
                due[draft.text] = when
            for announcement_id in range(1, posts + 1):
                await services.announcements.confirm(announcement_id)
            assert utc_now() < first, "planning took longer than the lead: lateness is moot"
            tick = LoopTicker()
            tick.start()
            await eventually(lambda: len(fake.messages("announcements")) == posts, timeout=60)
            await tick.stop()
            lateness = [
                (_stored_at(m) - due[m.content]).total_seconds()
                for m in fake.messages("announcements")
            ]
            statuses = {
                r.status
                for r in await services.posts.timeline(services.programme._meetings[0].slug)
            }
    return {
        "posts": posts,
        "spacing_ms": SPACING_MS,
        "lateness": summary_ms(lateness),
        "statuses": sorted(statuses),
        "longest_loop_stall_ms": round(tick.longest * 1000, 1),
    }


async def broadcast(recipients: int = RECIPIENTS, rate: float = RATE) -> dict:
    """An announcement DMed to 600 opted-in remote attendees at the default throttle."""
    folder = Path(tempfile.mkdtemp(prefix="amphi-bench-"))
    async with fake_discord() as fake:
        clock = FakeClock(BEFORE_MEETING)
        settings = test_settings(
            fake, f"sqlite:///{folder / 'broadcast.sqlite3'}", DM_RATE=f"{rate:g}"
        )
        people = [fake.add_member(f"p{i}") for i in range(recipients)]
        fake.traffic.global_limit = 50  # Discord's global limit for bots, enforced
        async with running_amphi(fake, settings, clock) as (_bot, services):
            for person in people:
                await services.registration.register(
                    user_id=person.id,
                    display_name=person.name,
                    mode=Mode.REMOTE,
                    member=True,
                    dm=True,
                )
            author = fake.add_member("olga", roles=["Organizer"])
            draft = await services.announcements.draft(
                author_id=author.id,
                text="Slides are online",
                channel_id=None,
                audience=Audience.REMOTE,
                dm=True,
                at=None,
            )
            started = time.perf_counter()
            await services.announcements.confirm(draft.id)
            await eventually(lambda: sum(1 for p in people if fake.dms(p)) == recipients, 300)
            elapsed = time.perf_counter() - started
            dms = sorted(_stored_at(m) for p in people for m in fake.dms(p))
            span = (dms[-1] - dms[0]).total_seconds()
            twice = sum(1 for p in people if len(fake.dms(p)) > 1)
            throttled = fake.traffic.global_429s
    floor = throttle_floor(recipients, rate).total_seconds()
    return {
        "recipients": recipients,
        "rate_per_s": rate,
        "first_to_last_dm_s": round(span, 2),
        "throttle_floor_s": round(floor, 2),
        "ratio_to_floor": round(span / floor, 3),
        "confirm_to_last_dm_s": round(elapsed, 2),
        "dm_twice": twice,
        "http_429": throttled,
    }
