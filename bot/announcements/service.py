"""Organizer announcements: drafted with a preview, then posted now or at a time, once."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum

from bot.announcements import queries as store
from bot.core.clock import Clock
from bot.core.config import Ref, Settings
from bot.core.errors import N_, AmphiError
from bot.posts.planner import PlannedPost, PostKind, post_key
from bot.posts.scheduler import PostScheduler
from bot.programme.model import Meeting
from bot.programme.service import ProgrammeService
from bot.registration.model import Mode, Registration
from bot.registration.service import RegistrationService
from bot.store.db import Database
from bot.store.models import AnnouncementRow

#: Discord's 2,000 characters per message, less room for the role mentions that precede the text.
TEXT_LIMIT = 1900
_HH_MM = re.compile(r"^(\d{1,2}):(\d{2})$")


class Audience(StrEnum):
    """Whose role an announcement pings (and, with `dm`, who gets it by DM)."""

    NONE = "none"
    REGISTERED = "registered"
    IN_PERSON = "in_person"
    REMOTE = "remote"

    def roles(self, settings: Settings) -> list[Ref]:
        """The configured roles that an announcement to this audience pings."""
        return {
            Audience.NONE: [],
            Audience.REGISTERED: [settings.in_person_role, settings.remote_role],
            Audience.IN_PERSON: [settings.in_person_role],
            Audience.REMOTE: [settings.remote_role],
        }[self]

    def includes(self, registration: Registration) -> bool:
        """Whether a registrant belongs to this audience (`none` pings nobody, DMs everyone)."""
        if self is Audience.IN_PERSON:
            return registration.attendance_role is Mode.IN_PERSON
        if self is Audience.REMOTE:
            return registration.attendance_role is Mode.REMOTE
        return True


@dataclass(frozen=True)
class Announcement:
    """An announcement as the commands show it."""

    id: int
    meeting_slug: str
    author_id: int
    text: str
    channel_id: int | None
    audience: Audience
    dm: bool
    due: datetime | None
    status: str
    message_id: int | None = None

    @property
    def post_key(self) -> str:
        """The key of its planned post."""
        return post_key(self.meeting_slug, PostKind.ANNOUNCEMENT, str(self.id))


class AnnouncementEmpty(AmphiError):
    def __init__(self) -> None:
        super().__init__(N_("The announcement is empty. Write the message to send in `message`."))


class AnnouncementTooLong(AmphiError):
    def __init__(self, length: int) -> None:
        super().__init__(
            N_(
                "The announcement is {length} characters long; Discord allows {limit} here "
                "(a message holds 2,000, and the role mention needs the rest). Please shorten it."
            ),
            length=length,
            limit=TEXT_LIMIT,
        )


class UnreadableTime(AmphiError):
    def __init__(self, value: str) -> None:
        super().__init__(
            N_(
                "I could not read “{value}” as a time. Use HH:MM (24-hour, the meeting's time "
                "zone) for the meeting day, or a date and time such as 2021-06-28T09:30."
            ),
            value=value[:50],
        )


class TimeInThePast(AmphiError):
    def __init__(self, when: datetime) -> None:
        super().__init__(
            N_("{when} is already past. Give a later time, or leave `at` empty to send now."),
            when=f"<t:{int(when.timestamp())}:f>",
        )


class UnknownAnnouncement(AmphiError):
    def __init__(self, announcement_id: int) -> None:
        super().__init__(
            N_(
                "There is no announcement #{id} waiting to be sent. /announcements list shows "
                "the scheduled ones."
            ),
            id=announcement_id,
        )


def parse_when(value: str | None, meeting: Meeting, now: datetime) -> datetime | None:
    """`HH:MM` on the meeting day in its timezone, or ISO 8601; None means now."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    match = _HH_MM.match(text)
    try:
        if match:
            local = time(int(match.group(1)), int(match.group(2)))
            when = datetime.combine(meeting.day, local, tzinfo=meeting.tz)
        else:
            when = datetime.fromisoformat(text)
            if when.tzinfo is None:
                when = when.replace(tzinfo=meeting.tz)
    except ValueError:
        raise UnreadableTime(text) from None
    if when <= now:
        raise TimeInThePast(when)
    return when


def clean_announcement(text: str) -> str:
    """The announcement's text, trimmed, within Discord's limit; of the control characters
    only line breaks and tabs are kept (PostgreSQL refuses NUL in text)."""
    kept = (ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in {"Cc", "Cs"})
    cleaned = "".join(kept).strip()
    if not cleaned:
        raise AnnouncementEmpty()
    if len(cleaned) > TEXT_LIMIT:
        raise AnnouncementTooLong(len(cleaned))
    return cleaned


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
        announcement = await self.get(announcement_id)
        now = self.clock()
        if announcement.due is not None and announcement.due <= now:
            raise TimeInThePast(announcement.due)  # the preview sat too long: say so
        post = PlannedPost.make(
            announcement.meeting_slug,
            PostKind.ANNOUNCEMENT,
            str(announcement.id),
            announcement.due or now,
        )
        if not await self.db.run(
            store.confirm, announcement_id=announcement_id, post=post, write=True
        ):
            return None
        await self.posts.track(post.key)
        return await self.get(announcement_id)

    async def cancel(self, announcement_id: int) -> Announcement:
        """Cancel a draft or a scheduled announcement that has not gone out."""
        announcement = await self.get(announcement_id)
        if not await self.db.run(
            store.cancel,
            announcement_id=announcement_id,
            post_key=announcement.post_key,
            now=self.clock(),
            write=True,
        ):
            raise UnknownAnnouncement(announcement_id)
        self.posts.forget(announcement.post_key)
        return await self.get(announcement_id)

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
