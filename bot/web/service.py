"""The web pages' snapshots: each meeting's figures read at most once a second, and shared.

A crowd of visitors costs one read of the store a second, whatever its size: the first visitor
after a snapshot ages past `max_age` reads it again while the others wait for that same read.
"""

from __future__ import annotations

import asyncio
import time

from bot.core.clock import Clock
from bot.programme.model import Meeting
from bot.programme.service import ProgrammeService
from bot.store.db import Database
from bot.web import queries as store
from bot.web.model import Snapshot

#: The oldest snapshot a visitor gets, in wall-clock seconds.
MAX_AGE = 1.0


class WebSnapshots:
    """Snapshots of the meetings, refreshed on demand at most once per `max_age` seconds."""

    def __init__(
        self, db: Database, programme: ProgrammeService, clock: Clock, *, max_age: float = MAX_AGE
    ) -> None:
        self.db = db
        self.programme = programme
        self.clock = clock
        self.max_age = max_age
        self._kept: dict[str, tuple[float, Snapshot]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        #: How many times the store was read (for tests and the benchmark).
        self.reads = 0

    async def active_meeting(self) -> Meeting:
        """The meeting the bot's commands act on (NoMeeting when there is none)."""
        return await self.programme.active_meeting()

    async def snapshot(self, slug: str) -> Snapshot:
        """The meeting's snapshot, no older than `max_age` (NoMeeting for an unknown slug)."""
        kept = self._kept.get(slug)
        if kept is not None and time.monotonic() - kept[0] < self.max_age:
            return kept[1]
        meeting = await self.programme.meeting(slug)  # an unknown slug gets no lock of its own
        lock = self._locks.setdefault(slug, asyncio.Lock())
        async with lock:
            kept = self._kept.get(slug)
            if kept is not None and time.monotonic() - kept[0] < self.max_age:
                return kept[1]  # read by the visitor this one waited behind
            now = self.clock()
            view = await self.db.run(store.store_view, meeting=meeting, now=now)
            self.reads += 1
            snapshot = Snapshot(meeting=meeting, view=view, taken_at=now)
            self._kept[slug] = (time.monotonic(), snapshot)
            return snapshot
