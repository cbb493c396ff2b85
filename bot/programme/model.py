"""The meeting day as the rest of Amphi sees it, and the pure queries over its programme."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import Enum, StrEnum
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Person:
    """A speaker or an organizer, as the meeting page names them."""

    name: str
    affiliation: str = ""


@dataclass(frozen=True)
class ReminderSettings:
    """The `[reminders]` table of a meeting file."""

    session_leads_minutes: tuple[float, ...] = (15.0, 0.0)
    talk_start: bool = True
    remote_link_lead_minutes: float = 10.0
    grace_minutes: float = 5.0


class EventScope(StrEnum):
    """What the server's Events tab shows of a meeting: each session, the whole day, or none."""

    SESSIONS = "sessions"
    DAY = "day"
    NONE = "none"


@dataclass(frozen=True)
class EventSettings:
    """The `[events]` table of a meeting file: the meeting in Discord's scheduled events."""

    scope: EventScope = EventScope.SESSIONS
    image: str = ""  # a PNG, JPEG or GIF cover image: its path, resolved beside the file


@dataclass(frozen=True)
class Talk:
    """One talk; `key` is stable across edits of the meeting file (derived from the title)."""

    key: str
    title: str
    start: datetime  # UTC-aware
    end: datetime  # UTC-aware
    speakers: tuple[Person, ...] = ()
    invited: bool = False
    abstract: str = ""

    @property
    def speaker_names(self) -> str:
        """The speakers' names joined for display."""
        return ", ".join(speaker.name for speaker in self.speakers)


@dataclass(frozen=True)
class Session:
    """A block of talks."""

    title: str
    start: datetime
    end: datetime
    talks: tuple[Talk, ...] = ()


@dataclass(frozen=True)
class Meeting:
    """A meeting day, with every instant UTC-aware."""

    slug: str
    title: str
    day: date
    timezone: str
    venue: str
    capacity: int
    sessions: tuple[Session, ...]
    url: str = ""
    remote_capacity: int | None = None
    registration_closes: datetime | None = None
    reminders: ReminderSettings = field(default_factory=ReminderSettings)
    organizers: tuple[Person, ...] = ()
    events: EventSettings = field(default_factory=EventSettings)

    @property
    def tz(self) -> ZoneInfo:
        """The meeting's timezone."""
        return ZoneInfo(self.timezone)

    @property
    def talks(self) -> tuple[Talk, ...]:
        """Every talk of the day in programme order."""
        return tuple(talk for session in self.sessions for talk in session.talks)

    @property
    def start(self) -> datetime:
        """The first session's start."""
        return self.sessions[0].start

    @property
    def end(self) -> datetime:
        """The last session's end."""
        return self.sessions[-1].end

    @property
    def registration_deadline(self) -> datetime:
        """When registration closes by itself: as configured, else at the first session's start."""
        return self.registration_closes or self.start

    def talk(self, key: str) -> Talk | None:
        """The talk with this key, if any."""
        return next((talk for talk in self.talks if talk.key == key), None)

    def session_of(self, talk: Talk) -> Session:
        """The session that holds this talk."""
        return next(s for s in self.sessions if any(t.key == talk.key for t in s.talks))


@dataclass(frozen=True)
class HeldTalk:
    """A talk gone from its meeting file (or back in it), and what hangs on it in the store."""

    key: str
    title: str
    questions: int = 0
    thread: bool = False  # it has a Q&A thread
    linked_speakers: int = 0  # speakers linked to a Discord account


@dataclass(frozen=True)
class DroppedLink:
    """A speaker's Discord link, dropped because their name left the talk's speakers."""

    talk_key: str
    talk_title: str
    speaker_name: str
    discord_user_id: int


@dataclass(frozen=True)
class ProgrammeEdit:
    """What saving a meeting file did to what hangs on its talks (questions, threads, links).

    A talk gone from the file with nothing hanging on it is simply deleted and not reported.
    """

    meeting_id: int
    slug: str
    kept_removed: tuple[HeldTalk, ...] = ()  # gone from the file now, kept out of the programme
    still_removed: tuple[HeldTalk, ...] = ()  # gone before, still kept
    brought_back: tuple[HeldTalk, ...] = ()  # removed before, live again
    dropped_links: tuple[DroppedLink, ...] = ()

    @property
    def changes_held_data(self) -> bool:
        """Whether this edit kept, brought back or unlinked anything (still-removed talks aside)."""
        return bool(self.kept_removed or self.brought_back or self.dropped_links)


class DayPhase(Enum):
    """Where an instant falls in the meeting day."""

    BEFORE = "before"
    IN_SESSION = "in_session"
    BETWEEN = "between"
    AFTER = "after"


@dataclass(frozen=True)
class NowAndNext:
    """What `/now` shows: the talk on now, the next talk (each may be None) and the day's phase."""

    phase: DayPhase
    current: Talk | None
    next: Talk | None


def now_and_next(meeting: Meeting, now: datetime) -> NowAndNext:
    """The talk on at `now` and the one after it."""
    talks = meeting.talks
    current = next((t for t in talks if t.start <= now < t.end), None)
    upcoming = next((t for t in talks if t.start > now), None)
    if now < meeting.start:
        phase = DayPhase.BEFORE
    elif now >= meeting.end:
        phase = DayPhase.AFTER
    elif any(s.start <= now < s.end for s in meeting.sessions):
        phase = DayPhase.IN_SESSION
    else:
        phase = DayPhase.BETWEEN
    return NowAndNext(phase=phase, current=current, next=upcoming)


def fold(text: str) -> str:
    """Lower-case `text` and strip its accents, for matching what people type."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def search_talks(meeting: Meeting, query: str, limit: int = 25) -> list[Talk]:
    """Talks whose title or speakers contain every word of `query`, accent- and case-insensitive."""
    words = fold(query).split()
    found = []
    for talk in meeting.talks:
        haystack = fold(" ".join([talk.title, *(s.name for s in talk.speakers)]))
        if all(word in haystack for word in words):
            found.append(talk)
    return found[:limit]


def choose_active(meetings: list[Meeting], now: datetime) -> Meeting | None:
    """The meeting on now or the next one; else the most recent past one."""
    if not meetings:
        return None
    ordered = sorted(meetings, key=lambda m: m.start)
    upcoming = [m for m in ordered if m.end > now]
    return upcoming[0] if upcoming else ordered[-1]


def minutes(value: float) -> timedelta:
    """A lead in minutes (floats allowed) as a timedelta."""
    return timedelta(minutes=value)
