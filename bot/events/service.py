"""The events service: keeps the server's scheduled events in step with the programme, once.

Discord is reached through `EventsOnDiscord`, which the events cog implements with discord.py,
so this service knows nothing of discord.py. A pass lists the server's events once, asks the
pure `reconcile` what to do, and does it; creating an event is claimed in the store first.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bot.core.clock import Clock
from bot.events import queries as store
from bot.events.model import (
    Action,
    Adopt,
    Cancel,
    Create,
    Done,
    EventPlan,
    EventStatus,
    ListedEvent,
    Lost,
    Place,
    Update,
    event_key,
    plan_events,
    reconcile,
)
from bot.programme.files import IMAGE_TYPES
from bot.programme.model import Meeting
from bot.programme.service import ProgrammeService
from bot.store.db import Database

log = logging.getLogger(__name__)


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
        self._lock = asyncio.Lock()  # one pass at a time: two would create twice
        self._ids: dict[str, dict[str, int]] = {}  # slug → key → event id, of live events
        self._passes = 0  # a read of the ids begun before a pass ended is not cached

    async def sync(
        self, discord: EventsOnDiscord, place: Place, *, bot_id: int, recreate: bool = False
    ) -> SyncReport:
        """Bring Discord's events in step with the programme, at `place`; `recreate` brings
        back those deleted by hand."""
        report = SyncReport()
        async with self._lock:
            listed = {event.id: event for event in await discord.list()}
            now = self.clock()
            for meeting in await self.programme.meetings():
                if meeting.end <= now:
                    continue
                stored = await self.db.run(store.stored_events, slug=meeting.slug)
                plans = plan_events(meeting, place)
                actions = reconcile(
                    plans, stored, listed, now=now, bot_id=bot_id, recreate=recreate
                )
                for action in actions:
                    try:
                        await self._apply(discord, meeting.slug, action, report)
                    except Exception as error:
                        log.warning("Scheduled event: %s failed: %s", _named(action), error)
                        report.failed.append(f"{_named(action)}: {error}")
                self._ids.pop(meeting.slug, None)
                self._passes += 1
        return report

    async def _apply(
        self, discord: EventsOnDiscord, slug: str, action: Action, report: SyncReport
    ) -> None:
        now = self.clock()
        if isinstance(action, Create):
            plan = action.plan
            await self.db.run(store.claim, slug=slug, plan=plan, now=now, write=True)
            event_id = await discord.create(await self._payload(plan))
            await self.db.run(
                store.record,
                slug=slug,
                plan=plan,
                event_id=event_id,
                digest=plan.digest,
                now=now,
                write=True,
            )
            log.info("Scheduled event %r created (%d)", plan.name, event_id)
            report.created.append(plan.name)
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
            image = await asyncio.to_thread(image_data, plan.image) if plan.image else None
            payload = plan.payload(image=image, edit=True)
            if action.active:  # an event under way keeps its start and its place
                for name in (
                    "scheduled_start_time",
                    "entity_type",
                    "channel_id",
                    "entity_metadata",
                ):
                    payload.pop(name, None)
            await discord.edit(action.event_id, payload)
            await self.db.run(
                store.record,
                slug=slug,
                plan=plan,
                event_id=action.event_id,
                digest=plan.digest,
                now=now,
                write=True,
            )
            report.updated.append(plan.name)
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

    async def set_live(self, discord: EventsOnDiscord, slug: str, key: str, start: bool) -> bool:
        """Start (or end) a stage or voice event, which Discord leaves to the bot; False when
        there is nothing to do (no such event, or started or ended already)."""
        event_id = (await self.event_ids(slug)).get(key)
        if event_id is None:
            return False
        listed = {event.id: event for event in await discord.list()}
        event = listed.get(event_id)
        before = EventStatus.SCHEDULED if start else EventStatus.ACTIVE
        if event is None or event.status is not before:
            return False
        after = EventStatus.ACTIVE if start else EventStatus.COMPLETED
        await discord.edit(event_id, {"status": int(after)})
        return True

    async def interested(self, discord: EventsOnDiscord, meeting: Meeting) -> list[tuple[str, int]]:
        """(event name, Interested count) of the meeting's events on Discord now."""
        ids = set((await self.event_ids(meeting.slug)).values())
        return [(e.name, e.user_count) for e in await discord.list() if e.id in ids]


def _named(action: Action) -> str:
    if isinstance(action, Create | Adopt | Update):
        return f"{type(action).__name__.lower()} {action.plan.name!r}"
    return f"{type(action).__name__.lower()} {action.stored.name!r}"
