"""What the web pages show, computed from one snapshot of the store: pure, no I/O.

Every figure here is a count: no member's name or id reaches a page but the display names of
the approved questions' authors, as the public Q&A channel shows them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.programme.model import Meeting, Talk, now_and_next
from bot.registration.model import CapacityFigures

#: Bucket widths tried for the registrations chart, the smallest that gives at most MAX_BUCKETS.
BUCKET_WIDTHS = tuple(
    timedelta(minutes=m) for m in (1, 5, 15, 60, 360, 24 * 60, 7 * 24 * 60, 30 * 24 * 60)
)
MAX_BUCKETS = 60


@dataclass(frozen=True)
class Joined:
    """When one registration was made and where it stands now (no one's name or id)."""

    at: datetime
    in_person: bool  # confirmed in the room
    waitlisted: bool


@dataclass(frozen=True)
class Bucket:
    """The registrations made up to the end of one bucket, counted as they stand now."""

    start: datetime
    in_person: int
    remote: int
    waitlist: int


@dataclass(frozen=True)
class AskedQuestion:
    """An approved question as the room screen shows it."""

    id: int
    talk_key: str
    text: str
    author: str  # the display name, "" when asked anonymously
    votes: int
    taken: bool  # the chair took it with /qa next
    created_at: datetime


@dataclass(frozen=True)
class PostLine:
    """A planned post on the dashboard: what, when, where it stands, how late."""

    kind: str
    target: str
    due: datetime
    status: str
    late: timedelta | None  # sent after its time, or still waiting past it; None: on time


@dataclass(frozen=True)
class Deliveries:
    """A broadcast's DMs by status."""

    key: str
    sent: int = 0
    failed: int = 0
    waiting: int = 0


@dataclass(frozen=True)
class EventLine:
    """A Discord scheduled event of the meeting."""

    key: str
    name: str
    status: str
    start: datetime


@dataclass(frozen=True)
class StoreView:
    """Everything the pages read from the store, in one transaction."""

    figures: CapacityFigures
    joined: tuple[Joined, ...] = ()
    questions: tuple[AskedQuestion, ...] = ()  # approved only, most votes first
    question_counts: dict[str, Counter[str]] = field(default_factory=dict)  # talk key → status
    threads: dict[str, int] = field(default_factory=dict)  # talk key → its Q&A thread's id
    posts: tuple[PostLine, ...] = ()
    broadcasts: tuple[Deliveries, ...] = ()
    events: tuple[EventLine, ...] = ()
    call_open: bool = False


@dataclass(frozen=True)
class Snapshot:
    """A meeting and its store view, taken at `taken_at` (the meeting's clock)."""

    meeting: Meeting
    view: StoreView
    taken_at: datetime


@dataclass(frozen=True)
class ScreenState:
    """What the room screen shows now; `questions` are the talk under way's."""

    current: Talk | None
    next: Talk | None
    questions: tuple[AskedQuestion, ...] = ()
    thread_id: int | None = None


def lateness(
    due: datetime, status: str, done_at: datetime | None, now: datetime
) -> timedelta | None:
    """How late a post went out, or is, past its time; None when on time (within a minute)."""
    if status == "cancelled":
        return None
    end = done_at if done_at is not None else (now if status in ("pending", "sending") else None)
    if end is None or end - due <= timedelta(minutes=1):
        return None
    return end - due


def bucket_width(first: datetime, last: datetime) -> timedelta:
    """The smallest width that cuts first…last into at most MAX_BUCKETS buckets."""
    span = last - first
    for width in BUCKET_WIDTHS:
        if span // width + 1 <= MAX_BUCKETS:
            return width
    return BUCKET_WIDTHS[-1]


def registration_buckets(joined: Iterable[Joined]) -> list[Bucket]:
    """Registrations over time: one bucket per width from the first to the last, each with
    the running totals of in person, remote and waitlist (as those registrations stand now)."""
    ordered = sorted(joined, key=lambda j: j.at)
    if not ordered:
        return []
    first, last = ordered[0].at, ordered[-1].at
    width = bucket_width(first, last)
    origin = datetime.min.replace(tzinfo=first.tzinfo)
    start = origin + ((first - origin) // width) * width
    buckets: list[Bucket] = []
    in_person = remote = waitlist = 0
    index = 0
    while start <= last:
        end = start + width
        while index < len(ordered) and ordered[index].at < end:
            one = ordered[index]
            in_person += one.in_person
            waitlist += one.waitlisted
            remote += not (one.in_person or one.waitlisted)
            index += 1
        buckets.append(Bucket(start, in_person, remote, waitlist))
        start = end
    return buckets


def screen_state(snapshot: Snapshot, *, room: str = "") -> ScreenState:
    """The talk under way in `room` ("" for any) and its approved questions, or the next talk."""
    meeting, now = snapshot.meeting, snapshot.taken_at
    state = now_and_next(meeting, now)
    current = _in_room(state.all_current, room, meeting)
    upcoming = _in_room(state.all_next, room, meeting)
    if current is None:
        return ScreenState(current=None, next=upcoming)
    questions = tuple(q for q in snapshot.view.questions if q.talk_key == current.key)
    return ScreenState(
        current=current,
        next=upcoming,
        questions=questions,
        thread_id=snapshot.view.threads.get(current.key),
    )


def _in_room(talks: Sequence[Talk], room: str, meeting: Meeting) -> Talk | None:
    for talk in talks:
        if not room or (talk.room or meeting.session_of(talk).room) == room:
            return talk
    return None


def posts_of_day(posts: Sequence[PostLine], meeting: Meeting, now: datetime) -> list[PostLine]:
    """The posts due on the meeting-local day of `now`; before (or after) the meeting's days,
    those of its next day (or its last)."""
    today = meeting.local_day(now)
    days = sorted({meeting.local_day(p.due) for p in posts})
    if not days:
        return []
    day: date = next((d for d in days if d >= today), days[-1])
    return [p for p in posts if meeting.local_day(p.due) == day]


def thread_link(guild_id: int, thread_id: int) -> str:
    """The Discord address of a Q&A thread."""
    return f"https://discord.com/channels/{guild_id}/{thread_id}"
