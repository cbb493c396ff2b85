"""The events service: keeps the server's scheduled events in step with the programme, once.

Discord is reached through `EventsOnDiscord`, which the events cog implements with discord.py,
so this service knows nothing of discord.py. A pass lists the server's events once, asks the
pure `reconcile` (`bot.events.steps`) what to do, and does it; creating an event is claimed in
the store first.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from bot.core.clock import Clock, clock_span
from bot.events import queries as store
from bot.events.model import EventPlan, EventStatus, ListedEvent, Place, event_key, plan_events
from bot.events.steps import (
    LEAD,
    Action,
    Adopt,
    Cancel,
    Create,
    Done,
    End,
    Lost,
    Start,
    Update,
    reconcile,
)
from bot.programme.files import IMAGE_TYPES
from bot.programme.model import Meeting
from bot.programme.service import ProgrammeService
from bot.store.db import Database

log = logging.getLogger(__name__)

#: How long a request to Discord may take to reach it, on the wall clock.
REQUEST_SECONDS = 2.0

#: A meeting this long over has no event left to end: its passes stop.
SETTLED = timedelta(days=1)

#: A failing creation is tried again after this, then twice as long each time, up to the
#: periodic pass's 10 minutes (an organizer's /events sync tries at once).
RETRY_FIRST = timedelta(minutes=1)
RETRY_LAST = timedelta(minutes=10)


class EventsOnDiscord(Protocol):
    """The server's scheduled events, as the bot reaches them."""

    async def list(self) -> list[ListedEvent]:
        """The scheduled and active events, with their Interested counts."""
        ...

    async def create(self, payload: dict[str, Any]) -> int:
        """Create an event; its id."""
        ...

    async def edit(self, event_id: int, payload: dict[str, Any]) -> None:
        """Change an event (its status too)."""
        ...


@dataclass
class SyncReport:
    """What a pass did."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)  # deleted by hand, not recreated
    failed: list[str] = field(default_factory=list)


def event_url(guild_id: int, event_id: int) -> str:
    """The event's page in Discord."""
    return f"https://discord.com/events/{guild_id}/{event_id}"


def image_data(path: str) -> str | None:
    """A cover image file as the data URI Discord takes (blocking: run in a thread)."""
    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as error:
        log.warning("The events' image %s cannot be read (%s); sent without it", path, error)
        return None
    kind = IMAGE_TYPES.get(file.suffix.lower(), "image/png")
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"


class EventService:
    """Scheduled events for every meeting still to come."""

    def __init__(self, db: Database, programme: ProgrammeService, clock: Clock) -> None:
        self.db = db
        self.programme = programme
        self.clock = clock
        # A session under way has its event start this far ahead: Discord takes no start in
        # the past, and a request takes a moment to reach it (many minutes of a rehearsal's
        # fast clock).
        self.lead = max(LEAD, clock_span(clock, REQUEST_SECONDS))
        self._lock = asyncio.Lock()  # one pass at a time: two would create twice
        self._ids: dict[str, dict[str, int]] = {}  # slug → key → event id, of live events
        self._passes = 0  # a read of the ids begun before a pass ended is not cached
        self._synced: tuple[Meeting, ...] | None = None  # the programme of the last pass
        self._warned: set[str] = set()  # the causes of failure already in the log
        self._backoff: dict[tuple[str, str], tuple[int, datetime]] = {}  # failures, next try

    async def programme_moved(self) -> bool:
        """Whether the programme differs from the one the last pass brought Discord in step
        with (a reload that changed nothing calls for no pass)."""
        return tuple(await self.programme.meetings()) != self._synced

    async def sync(
        self,
        discord: EventsOnDiscord,
        place: Place,
        *,
        bot_id: int,
        recreate: bool = False,
        retry: bool = False,
        at: datetime | None = None,
    ) -> SyncReport:
        """Bring Discord's events in step with the programme, at `place`: create, edit and
        cancel them, and start and end those in a stage or voice channel. `recreate` brings
        back those deleted by hand; `retry` tries a failing creation without waiting for its
        turn; `at` is the time the pass is for, if later than the clock (a session's start)."""
        report = SyncReport()
        async with self._lock:
            listed = {event.id: event for event in await discord.list()}
            now = max(self.clock(), at) if at is not None else self.clock()
            meetings = tuple(await self.programme.meetings())
            causes: set[str] = set()
            for meeting in meetings:
                if meeting.end + SETTLED <= now:
                    continue
                stored = await self.db.run(store.stored_events, slug=meeting.slug)
                plans = plan_events(meeting, place)
                actions = reconcile(
                    plans, stored, listed, now=now, bot_id=bot_id, recreate=recreate, lead=self.lead
                )
                for action in actions:
                    if not retry and self._waits(meeting.slug, action, now):
                        continue
                    try:
                        await self._apply(discord, meeting.slug, action, report, now)
                    except Exception as error:
                        self._failed(meeting.slug, action, error, now, causes)
                        report.failed.append(f"{_named(action)}: {error}")
                self._ids.pop(meeting.slug, None)
                self._passes += 1
            self._warned = causes  # a cause that went away is said again if it comes back
            self._synced = meetings
        return report

    def _waits(self, slug: str, action: Action, now: datetime) -> bool:
        """Whether this is a creation that failed, still waiting for its next try."""
        if not isinstance(action, Create):
            return False
        waiting = self._backoff.get((slug, action.plan.key))
        return waiting is not None and now < waiting[1]

    def _failed(
        self, slug: str, action: Action, error: Exception, now: datetime, causes: set[str]
    ) -> None:
        """Say a failure once for its cause (a permission revoked fails every event alike,
        every pass); a failing creation is tried again later and later, up to every pass."""
        cause = str(error)
        if cause in self._warned or cause in causes:
            log.debug("Scheduled event: %s failed again: %s", _named(action), cause)
        else:
            log.warning(
                "Scheduled event: %s failed: %s (the same failure of this or other events is "
                "not logged again until it changes)",
                _named(action),
                cause,
            )
        causes.add(cause)
        if isinstance(action, Create):
            key = (slug, action.plan.key)
            failures = self._backoff.get(key, (0, now))[0] + 1
            wait = min(RETRY_FIRST * 2 ** (failures - 1), RETRY_LAST)
            self._backoff[key] = (failures, now + wait)

    async def _apply(
        self,
        discord: EventsOnDiscord,
        slug: str,
        action: Action,
        report: SyncReport,
        now: datetime,
    ) -> None:
        if isinstance(action, Create):
            await self._create(discord, slug, action, now)
            report.created.append(action.plan.name)
        elif isinstance(action, Adopt):
            await self.db.run(
                store.record,
                slug=slug,
                plan=action.plan,
                event_id=action.event_id,
                digest="",
                now=now,
                write=True,
            )
        elif isinstance(action, Update):
            plan = action.plan
            payload: dict[str, Any] = dict(action.changes)
            if plan.image:  # Discord does not give the cover back to compare: sent again
                image = await asyncio.to_thread(image_data, plan.image)
                if image is not None:
                    payload["image"] = image
            if payload:  # else Discord has it all already (an adopted event, say)
                await discord.edit(action.event_id, payload)
                report.updated.append(plan.name)
            await self.db.run(
                store.record,
                slug=slug,
                plan=plan,
                event_id=action.event_id,
                digest=plan.digest,
                now=now,
                write=True,
            )
        elif isinstance(action, Start):
            await discord.edit(action.event_id, {"status": int(EventStatus.ACTIVE)})
            log.info("Scheduled event %r started", action.plan.name)
        elif isinstance(action, End):
            status = EventStatus.COMPLETED if action.active else EventStatus.CANCELED
            await discord.edit(action.event_id, {"status": int(status)})
            await self._set(slug, action.plan.key, "done")
            log.info("Scheduled event %r %s", action.plan.name, status.name.lower())
        elif isinstance(action, Cancel):
            if action.event_id is not None:
                status = EventStatus.COMPLETED if action.active else EventStatus.CANCELED
                await discord.edit(action.event_id, {"status": int(status)})
            await self._set(slug, action.stored.key, "cancelled")
            report.cancelled.append(action.stored.name)
        elif isinstance(action, Lost):
            log.warning(
                "Scheduled event %r was deleted in Discord; it is not recreated until an "
                "organizer runs /events sync recreate:True",
                action.stored.name,
            )
            await self._set(slug, action.stored.key, "lost")
            report.lost.append(action.stored.name)
        elif isinstance(action, Done):
            await self._set(slug, action.stored.key, "done")

    async def _create(
        self, discord: EventsOnDiscord, slug: str, action: Create, now: datetime
    ) -> None:
        """Claim, create, record; an event in a stage or voice channel whose session is
        under way is started at once (its start post has passed)."""
        plan = action.plan
        sent = replace(plan, start=action.start or plan.start)  # the claim names what is sent
        await self.db.run(store.claim, slug=slug, plan=sent, now=now, write=True)
        event_id = await discord.create(await self._payload(sent))
        await self.db.run(
            store.record,
            slug=slug,
            plan=plan,
            event_id=event_id,
            digest=plan.digest,
            now=now,
            write=True,
        )
        self._backoff.pop((slug, plan.key), None)
        log.info("Scheduled event %r created (%d)", plan.name, event_id)
        if action.start is not None and plan.place.live:
            await discord.edit(event_id, {"status": int(EventStatus.ACTIVE)})
            log.info("Scheduled event %r started", plan.name)

    async def _set(self, slug: str, key: str, status: str) -> None:
        await self.db.run(
            store.set_status, slug=slug, key=key, status=status, now=self.clock(), write=True
        )

    async def _payload(self, plan: EventPlan) -> dict[str, Any]:
        image = await asyncio.to_thread(image_data, plan.image) if plan.image else None
        return plan.payload(image=image)

    async def event_ids(self, slug: str) -> Mapping[str, int]:
        """The ids of a meeting's events on Discord, by key (live and past ones)."""
        if slug in self._ids:
            return self._ids[slug]
        passes = self._passes
        stored = await self.db.run(store.stored_events, slug=slug)
        ids = {
            key: row.event_id
            for key, row in stored.items()
            if row.event_id is not None and row.status in ("live", "done")
        }
        if passes == self._passes:
            self._ids[slug] = ids
        return ids

    async def session_links(self, meeting: Meeting, guild_id: int) -> dict[int, str]:
        """Session number (from 1) → the URL of the event its reminders and listing link to."""
        ids = await self.event_ids(meeting.slug)
        links = {}
        for number in range(1, len(meeting.sessions) + 1):
            event_id = ids.get(event_key(meeting, number))
            if event_id is not None:
                links[number] = event_url(guild_id, event_id)
        return links

    async def interested(self, discord: EventsOnDiscord, meeting: Meeting) -> list[tuple[str, int]]:
        """(event name, Interested count) of the meeting's events on Discord now."""
        ids = set((await self.event_ids(meeting.slug)).values())
        return [(e.name, e.user_count) for e in await discord.list() if e.id in ids]


def _named(action: Action) -> str:
    if isinstance(action, Create | Adopt | Update | Start | End):
        return f"{type(action).__name__.lower()} {action.plan.name!r}"
    return f"{type(action).__name__.lower()} {action.stored.name!r}"
