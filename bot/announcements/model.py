"""Announcements' rules: who they reach, when they go out, what text they may carry."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, time
from enum import StrEnum

from bot.core.config import Ref, Settings
from bot.core.errors import N_, AmphiError
from bot.core.markup import timestamp
from bot.posts.model import PostKind, post_key
from bot.programme.model import Meeting
from bot.registration.model import Mode, Registration

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
            when=timestamp(when, "f"),
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
