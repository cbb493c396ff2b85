"""Organizer announcements: drafted with a preview, then posted now or at a time, once.

The rules (audience, time, text) are in `bot.announcements.model`.
"""

from __future__ import annotations

from datetime import timedelta

from bot.announcements import queries as store
from bot.announcements.model import (
    Announcement,
    Audience,
    UnknownAnnouncement,
    clean_announcement,
    parse_when,
)
from bot.core.clock import Clock
from bot.posts.service import PostScheduler
from bot.programme.service import ProgrammeService
from bot.registration.model import Registration
from bot.registration.service import RegistrationService
from bot.store.db import Database
from bot.store.models import AnnouncementRow


def _view(row: AnnouncementRow, slug: str) -> Announcement:
    assert row.id is not None
    return Announcement(
        id=row.id,
        meeting_slug=slug,
        author_id=row.author_id,
        text=row.text,
        channel_id=row.channel_id,
        audience=Audience(row.audience),
        dm=row.dm,
        due=row.due_at,
        status=row.status,
        message_id=row.message_id,
    )


class AnnouncementService:
    """Drafts, confirms, schedules and cancels announcements of the active meeting."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        programme: ProgrammeService,
        registration: RegistrationService,
        posts: PostScheduler,
    ) -> None:
        self.db = db
        self.clock = clock
        self.programme = programme
        self.registration = registration
        self.posts = posts

    async def draft(
        self,
        *,
        author_id: int,
        text: str,
        channel_id: int | None,
        audience: Audience,
        dm: bool,
        at: str | None,
    ) -> Announcement:
        """Validate and store a draft, to be previewed before it is confirmed."""
        meeting = await self.programme.active_meeting()
        cleaned = clean_announcement(text)
        due = parse_when(at, meeting, self.clock())
        row = await self.db.run(
            store.create,
            slug=meeting.slug,
            author_id=author_id,
            text=cleaned,
            channel_id=channel_id,
            audience=audience.value,
            dm=dm,
            due=due,
            now=self.clock(),
            write=True,
        )
        return _view(row, meeting.slug)

    async def get(self, announcement_id: int) -> Announcement:
        """One announcement."""
        found = await self.db.run(store.get, announcement_id=announcement_id)
        if found is None:
            raise UnknownAnnouncement(announcement_id)
        return _view(*found)

    async def recipients(self, announcement: Announcement) -> list[Registration]:
        """The audience members who opted in to DMs (none unless the announcement asks)."""
        if not announcement.dm:
            return []
        meeting = await self.programme.meeting(announcement.meeting_slug)
        return [
            r
            for r in await self.registration.all_registrations(meeting)
            if r.dm and announcement.audience.includes(r)
        ]

    async def confirm(self, announcement_id: int) -> Announcement | None:
        """Send (or schedule) a draft; None when it was already confirmed or cancelled."""
        confirmed = await self.db.run(
            store.confirm, announcement_id=announcement_id, now=self.clock(), write=True
        )
        if confirmed is None:
            return None
        announcement = _view(*confirmed)
        await self.posts.track(announcement.post_key)
        return announcement

    async def cancel(self, announcement_id: int) -> Announcement:
        """Cancel a draft or a scheduled announcement that has not gone out."""
        cancelled = await self.db.run(
            store.cancel, announcement_id=announcement_id, now=self.clock(), write=True
        )
        if cancelled is None:
            raise UnknownAnnouncement(announcement_id)
        announcement = _view(*cancelled)
        self.posts.forget(announcement.post_key)
        return announcement

    async def scheduled(self) -> list[Announcement]:
        """Announcements waiting for their time."""
        meeting = await self.programme.active_meeting()
        rows = await self.db.run(store.scheduled, slug=meeting.slug)
        return [_view(row, meeting.slug) for row in rows]

    async def mark_posted(self, announcement_id: int, message_id: int) -> None:
        """The channel message is out (a resumed delivery only finishes the DMs)."""
        await self.db.run(
            store.set_message, announcement_id=announcement_id, message_id=message_id, write=True
        )

    async def claim_age(self, announcement: Announcement) -> timedelta | None:
        """How long ago its post was claimed for sending (to tell a resumed send)."""
        claimed = await self.posts.claimed_at(announcement.post_key)
        return None if claimed is None else self.clock() - claimed

    async def mark_sent(self, announcement_id: int) -> None:
        """Posted and every DM delivered or given up."""
        await self.db.run(
            store.change_status,
            announcement_id=announcement_id,
            old=("scheduled",),
            new="sent",
            write=True,
        )
