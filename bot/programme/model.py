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
class FollowSettings:
    """Where a meeting's programme comes from, when the bot follows a schedule export."""

    source: str = ""  # an https:// address or a file path; "" when the meeting file is the source
    format: str = ""  # "" to detect it from the content
    refresh_minutes: float = 5.0

    @property
    def enabled(self) -> bool:
        """Whether the bot re-imports the programme from its source."""
        return bool(self.source)


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
    room: str = ""
    uid: str = ""  # the id the talk has in the schedule it was imported from, if any
    proposal: str = ""  # the call's proposal it came from ("P-12"): its proposer speaks

    @property
    def speaker_names(self) -> str:
        """The speakers' names joined for display."""
        return ", ".join(speaker.name for speaker in self.speakers)


@dataclass(frozen=True)
class Call:
    """The `[call]` table of a meeting file: the call for contributions and its rules."""

    closes: datetime  # UTC-aware
    opens: datetime | None = None  # UTC-aware; None: open from the start
    kinds: tuple[str, ...] = ("talk",)
    abstract_max_chars: int = 4000
    per_member: int | None = None  # None: no limit
    anonymous_review: bool = False  # reviewers see no author until the decisions are told

    def open_at(self, now: datetime) -> bool:
        """Whether the file's dates have the call open at `now`."""
        return (self.opens is None or self.opens <= now) and now < self.closes


@dataclass(frozen=True)
class Session:
    """A block of talks, in one room ("" when the meeting has a single one)."""

    title: str
    start: datetime
    end: datetime
    talks: tuple[Talk, ...] = ()
    room: str = ""
    uid: str = ""  # the id of the source's session block, if any


@dataclass(frozen=True)
class Meeting:
    """A meeting of one day or several, with every instant UTC-aware; `day` is its first."""

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
    follow: FollowSettings = field(default_factory=FollowSettings)
    call: Call | None = None  # None: the meeting has no call for contributions

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
        return min(session.start for session in self.sessions)

    @property
    def end(self) -> datetime:
        """When the last session to end ends."""
        return max(session.end for session in self.sessions)

    @property
    def days(self) -> tuple[date, ...]:
        """The meeting's days (local dates with a session), in order."""
        return tuple(sorted({self.local_day(session.start) for session in self.sessions}))

    @property
    def rooms(self) -> tuple[str, ...]:
        """The rooms the sessions and talks name, in programme order (empty for a single room)."""
        named = [s.room for s in self.sessions] + [t.room for t in self.talks]
        return tuple(dict.fromkeys(room for room in named if room))

    @property
    def multi_day(self) -> bool:
        """Whether the meeting spans more than one day."""
        return len(self.days) > 1

    def local_day(self, moment: datetime) -> date:
        """The meeting-local date of an instant."""
        return moment.astimezone(self.tz).date()

    def sessions_on(self, day: date) -> tuple[Session, ...]:
        """The sessions starting on a local date, in programme order."""
        return tuple(s for s in self.sessions if self.local_day(s.start) == day)

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
class UnmatchedLink:
    """A speaker's Discord link that no longer matches a speaker name of the talk: their name
    left its speakers (or is spelled differently). The link is kept with the talk, off the
    programme, until the name comes back or an organizer links the account again."""

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
    unmatched_links: tuple[UnmatchedLink, ...] = ()

    @property
    def changes_held_data(self) -> bool:
        """Whether this edit kept, brought back or unlinked anything (still-removed talks aside)."""
        return bool(self.kept_removed or self.brought_back or self.unmatched_links)


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
    all_current: tuple[Talk, ...] = ()  # every talk on now, by room
    all_next: tuple[Talk, ...] = ()  # every talk starting at the next start


def now_and_next(meeting: Meeting, now: datetime) -> NowAndNext:
    """The talks on at `now` and the ones starting next (one per room, when rooms run in
    parallel); `current` and `next` are the first of each."""
    talks = sorted(meeting.talks, key=lambda t: (t.start, t.room))
    on_now = tuple(t for t in talks if t.start <= now < t.end)
    upcoming_start = next((t.start for t in talks if t.start > now), None)
    coming = tuple(t for t in talks if t.start == upcoming_start)
    if now < meeting.start:
        phase = DayPhase.BEFORE
    elif now >= meeting.end:
        phase = DayPhase.AFTER
    elif any(s.start <= now < s.end for s in meeting.sessions):
        phase = DayPhase.IN_SESSION
    else:
        phase = DayPhase.BETWEEN
    return NowAndNext(
        phase=phase,
        current=on_now[0] if on_now else None,
        next=coming[0] if coming else None,
        all_current=on_now,
        all_next=coming,
    )


def overlaps(meeting: Meeting) -> list[tuple[Talk, Talk]]:
    """Pairs of talks that overlap in one room: legitimate (poster sessions), worth a warning."""
    found = []
    for room in {t.room for t in meeting.talks}:
        ordered = sorted((t for t in meeting.talks if t.room == room), key=lambda t: t.start)
        latest: Talk | None = None  # the talk ending last so far
        for talk in ordered:
            if latest is not None and talk.start < latest.end:
                found.append((latest, talk))
            if latest is None or talk.end > latest.end:
                latest = talk
    return sorted(found, key=lambda pair: (pair[1].start, pair[1].key))


def overlap_warnings(meeting: Meeting) -> list[str]:
    """`overlaps` said for the organizers: legitimate, but worth a second look."""
    tz = meeting.tz
    lines = []
    for first, second in overlaps(meeting):
        where = f" in {second.room}" if second.room else ""
        lines.append(
            f'{meeting.slug}: "{second.title}" ({second.start.astimezone(tz):%Y-%m-%d %H:%M}) '
            f'overlaps "{first.title}"{where} (fine for a poster session)'
        )
    return lines


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
