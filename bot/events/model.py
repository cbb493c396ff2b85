"""The meeting in the server's Events tab (pure): which scheduled events the programme calls for,
what Discord is sent for each, and what a sync pass must do to bring Discord in step.

Each event has a stable key ("s-" and the session's title or source id, or "day" for the whole
meeting; the planned posts of a session use the same); the store
keeps the event id Discord gave it, so a restart or a second pass never makes it twice. What a
pass does with them is `bot.events.steps`'.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum

from bot.programme.files import slugify
from bot.programme.model import EventScope, Meeting, Session

#: Discord's limits on a scheduled event.
NAME_LIMIT = 100
DESCRIPTION_LIMIT = 1000
LOCATION_LIMIT = 100
DAY_KEY = "day"  # session keys start "s-"


class EntityType(IntEnum):
    """Where a scheduled event happens (Discord's entity types)."""

    STAGE_INSTANCE = 1
    VOICE = 2
    EXTERNAL = 3


class EventStatus(IntEnum):
    """Discord's statuses of a scheduled event."""

    SCHEDULED = 1
    ACTIVE = 2
    COMPLETED = 3
    CANCELED = 4


@dataclass(frozen=True)
class Place:
    """Where the events happen: at the venue (external), or in a stage or voice channel."""

    kind: EntityType = EntityType.EXTERNAL
    channel_id: int | None = None

    @property
    def live(self) -> bool:
        """Whether the bot starts and ends the events itself (Discord cancels unstarted ones)."""
        return self.kind is not EntityType.EXTERNAL


@dataclass(frozen=True)
class EventPlan:
    """One scheduled event as the programme wants it."""

    key: str
    name: str
    description: str
    start: datetime
    end: datetime
    place: Place
    location: str = ""
    image: str = ""  # a file's path

    def payload(self, *, image: str | None = None, edit: bool = False) -> dict[str, object]:
        """The JSON Discord takes to create it (or, `edit`, to change it: what the other kind
        of place had is cleared); `image` is the cover as a data URI."""
        data: dict[str, object] = {
            "name": self.name,
            "description": self.description,
            "privacy_level": 2,  # GUILD_ONLY, the one level Discord has
            "scheduled_start_time": self.start.isoformat(),
            "scheduled_end_time": self.end.isoformat(),
            "entity_type": int(self.place.kind),
        }
        if self.place.live:
            data["channel_id"] = str(self.place.channel_id)
            if edit:
                data["entity_metadata"] = None
        else:
            data["entity_metadata"] = {"location": self.location}
            if edit:
                data["channel_id"] = None
        if image is not None:
            data["image"] = image
        return data

    @property
    def digest(self) -> str:
        """What was sent, in short: a changed programme changes it, and the event is edited."""
        described = {**self.payload(), "image": self.image}
        return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()


def clip(text: str, limit: int) -> str:
    """`text` within `limit` characters, cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def local(meeting: Meeting, instant: datetime) -> str:
    """'HH:MM' in the meeting's timezone."""
    return instant.astimezone(meeting.tz).strftime("%H:%M")


def talk_lines(meeting: Meeting, session: Session) -> list[str]:
    """'10:00 Title — Speaker' for each talk of a session, with '(Room)' after a talk held
    in another room than its session's."""
    lines = []
    for talk in session.talks:
        line = f"{local(meeting, talk.start)} {talk.title}"
        line = f"{line} — {talk.speaker_names}" if talk.speakers else line
        lines.append(f"{line} ({talk.room})" if talk.room and talk.room != session.room else line)
    return lines


def event_location(venue: str, room: str, fallback: str) -> str:
    """'Venue — Room' within Discord's limit (the venue is cut, not the room), whichever of
    the two there is, else `fallback`."""
    if not room:
        return clip(venue or fallback, LOCATION_LIMIT)
    if not venue:
        return clip(room, LOCATION_LIMIT)
    suffix = " — " + clip(room, LOCATION_LIMIT // 2)
    return clip(venue, LOCATION_LIMIT - len(suffix)) + suffix


def describe(heading: str, lines: list[str]) -> str:
    """The heading and as many whole lines as fit Discord's limit, then how many did not."""
    kept: list[str] = [clip(heading, DESCRIPTION_LIMIT)]
    for index, line in enumerate(lines):
        rest = len(lines) - index
        more = f"… and {rest - 1} more" if rest > 1 else ""
        candidate = [*kept, clip(line, 300)]
        if len("\n".join([*candidate, more])) > DESCRIPTION_LIMIT:
            kept.append(f"… and {rest} more")
            break
        kept = candidate
    return "\n".join(kept)


def plan_events(meeting: Meeting, place: Place) -> list[EventPlan]:
    """The scheduled events a meeting's programme calls for, by its `[events]` scope."""
    scope = meeting.events.scope
    if scope is EventScope.NONE or not meeting.sessions:
        return []

    def plan(
        key: str, name: str, description: str, start: datetime, end: datetime, room: str = ""
    ) -> EventPlan:
        return EventPlan(
            key=key,
            name=clip(name, NAME_LIMIT),
            description=description,
            start=start,
            end=end,
            place=place,
            location=event_location(meeting.venue, room, meeting.title),
            image=meeting.events.image,
        )

    if scope is EventScope.DAY:
        lines = []
        shown_day = None
        for session in meeting.sessions:
            day = meeting.local_day(session.start)
            if meeting.multi_day and day != shown_day:
                lines.append(f"{day:%Y-%m-%d}")
                shown_day = day
            span = f"{local(meeting, session.start)}–{local(meeting, session.end)}"
            room = f" · {session.room}" if session.room else ""
            lines += [f"{session.title}{room} · {span}", *talk_lines(meeting, session)]
        heading = meeting.url or meeting.title
        return [plan(DAY_KEY, meeting.title, describe(heading, lines), meeting.start, meeting.end)]
    return [
        plan(
            key,
            f"{meeting.title} — {session.title}",
            describe(meeting.title, talk_lines(meeting, session)),
            session.start,
            session.end,
            session.room,
        )
        for key, session in zip(session_keys(meeting), meeting.sessions, strict=True)
    ]


def session_keys(meeting: Meeting) -> list[str]:
    """Each session's key (for its event and its posts), from the source's id when it has one,
    else its title (and its date, after the meeting's first day): an inserted or removed session
    leaves the others' where they are (a renamed one without an id is cancelled and made anew)."""
    keys: list[str] = []
    for session in meeting.sessions:
        if session.uid:
            base = "s-" + hashlib.sha256(session.uid.encode()).hexdigest()[:12]
        elif (day := meeting.local_day(session.start)) != meeting.day:
            # "Posters" every day of a meeting: each day's its own (the first day's as ever).
            base = f"s-{slugify(session.title, 11) or 'session'}-{day:%m%d}"
        else:
            base = "s-" + (slugify(session.title, 16) or "session")
        key, number = base, 1
        while key in keys:
            number += 1
            key = f"{base}-{number}"
        keys.append(key)
    return keys


def event_key(meeting: Meeting, session_number: int) -> str:
    """The key of the event a session's reminders link to (`session_number` from 1)."""
    if meeting.events.scope is EventScope.DAY:
        return DAY_KEY
    return session_keys(meeting)[session_number - 1]


def event_title(meeting: Meeting, key: str) -> str:
    """What an event key names: the meeting, or one of its sessions."""
    if key == DAY_KEY:
        return meeting.title
    keys = session_keys(meeting)
    return meeting.sessions[keys.index(key)].title if key in keys else key


@dataclass(frozen=True)
class StoredEvent:
    """What the store remembers of an event."""

    key: str
    event_id: int | None
    status: str  # creating, live, lost, cancelled, done
    digest: str
    name: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class ListedEvent:
    """An event as Discord lists it (scheduled or active: Discord drops the others), with
    what an edit is compared with: only what differs is sent."""

    id: int
    name: str
    start: datetime
    status: EventStatus
    creator_id: int | None
    user_count: int = 0
    end: datetime | None = None
    description: str | None = None
    kind: EntityType | None = None
    channel_id: int | None = None
    location: str | None = None

    @property
    def live(self) -> bool:
        """Whether it is held in a stage or voice channel, where the bot starts and ends it."""
        return self.kind in (EntityType.STAGE_INSTANCE, EntityType.VOICE)
