"""Registration's domain: modes, statuses, outcomes, figures, and the refusals users may see."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from bot.core.errors import N_, AmphiError
from bot.core.markup import timestamp
from bot.programme.model import Meeting

AFFILIATION_LIMIT = 200
DISPLAY_NAME_LIMIT = 100
#: At most this many changes of one member's registration (a /register that changes something,
#: an /unregister) within CHANGE_LIMIT_WINDOW, per meeting: each costs role calls on Discord's
#: server-wide rate limit, which one member toggling in a loop would slow for everyone.
CHANGE_LIMIT_COUNT = 5
CHANGE_LIMIT_WINDOW = timedelta(minutes=10)

#: The kinds of the kept commands that change a registration (see `bot.kept`).
REGISTER, UNREGISTER = "register", "unregister"

T = TypeVar("T")


class Mode(StrEnum):
    """How a person attends."""

    IN_PERSON = "in_person"
    REMOTE = "remote"


class Status(StrEnum):
    """Where a registration stands."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"


class Change(StrEnum):
    """What `/register` did."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Registration:
    """One person's registration as the commands show it."""

    user_id: int
    display_name: str
    mode: Mode
    status: Status
    member: bool
    affiliation: str
    dm: bool
    registered_at: datetime
    position: int | None = None  # 1-based place on the waitlist while waitlisted
    role_problem: str = ""
    locale: str = ""

    @property
    def follows_remotely(self) -> bool:
        """Remote, or waiting for a seat (the waitlist follows remotely meanwhile)."""
        return self.attendance_role is Mode.REMOTE

    @property
    def gets_link_dms(self) -> bool:
        """Whether the video link reaches them by DM (they follow remotely and opted in)."""
        return self.dm and self.follows_remotely

    @property
    def attendance_role(self) -> Mode:
        """Their role: in person with a seat; remote otherwise (the waitlist follows remotely)."""
        if self.mode is Mode.IN_PERSON and self.status is Status.CONFIRMED:
            return Mode.IN_PERSON
        return Mode.REMOTE


@dataclass(frozen=True)
class RegistrationRequest:
    """What one `/register` asks for, cleaned, with the moment it was asked."""

    user_id: int
    display_name: str
    mode: Mode
    member: bool
    affiliation: str | None  # None keeps the current one
    dm: bool | None  # None keeps the current choice
    locale: str
    at: datetime


@dataclass(frozen=True)
class RegistrationOutcome:
    """The result of `/register`: the registration, what changed, who got a seat thanks to it."""

    registration: Registration
    change: Change
    previous: Registration | None
    promoted: tuple[Registration, ...] = ()
    notice: bool = False  # this person had been promoted earlier and is told now


@dataclass(frozen=True)
class Cancellation:
    """The result of `/unregister`."""

    cancelled: Registration
    promoted: tuple[Registration, ...] = ()


@dataclass(frozen=True)
class CapacityFigures:
    """The figures of the meeting page."""

    meeting_title: str
    capacity: int
    in_person: int
    remote: int
    waitlist: int
    members: int
    non_members: int
    remote_capacity: int | None
    is_open: bool
    closes_at: datetime | None  # when it closes (or closed) by itself; None: an organizer decided
    role_problems: int = 0

    @property
    def seats_left(self) -> int:
        """Seats still free in the room."""
        return max(self.capacity - self.in_person, 0)

    @property
    def registered(self) -> int:
        """Everyone registered, waitlist included."""
        return self.in_person + self.remote + self.waitlist


def room_capacity(meeting: Meeting, *, override: int | None) -> int:
    """Seats in the room: the organizers' figure, else the meeting file's."""
    return meeting.capacity if override is None else override


def registration_open(meeting: Meeting, *, state: str, now: datetime) -> bool:
    """Open at `now`: the organizers' decision ("open", "closed"), else until the deadline."""
    if state == "open":
        return True
    if state == "closed":
        return False
    return now < meeting.registration_deadline


def place(
    mode: Mode, *, seated: int, capacity: int, remote: int, remote_capacity: int | None
) -> Status:
    """The seat rule: where someone joining `mode` goes, given the counts before them.

    In person: a seat while the room has one, else the waitlist (first come, first served).
    Remote: confirmed while remote places remain (no limit unless the meeting sets one), else
    RemoteFull. The counts are read under the meeting's lock, so two people never get one seat.
    """
    if mode is Mode.REMOTE:
        if remote_capacity is not None and remote >= remote_capacity:
            raise RemoteFull()
        return Status.CONFIRMED
    return Status.CONFIRMED if seated < capacity else Status.WAITLISTED


def seats_to_give(*, seated: int, capacity: int) -> int:
    """How many of the waitlist get a seat now: the free seats; a lowered capacity bumps nobody."""
    return max(capacity - seated, 0)


@dataclass(frozen=True)
class Seat:
    """Where the seat rule puts someone joining."""

    status: Status
    queue_number: int | None = None  # their number in line while waitlisted (the highest yet)
    position: int | None = None  # their 1-based place in line while waitlisted


@dataclass(frozen=True)
class Room:
    """A meeting's seats as the seat rule sees them: its capacities and who holds what.

    Read once under the meeting's lock, then carried through a batch of requests, each step
    returning the room after it, so the requests apply in arrival order without counting again.
    """

    capacity: int
    remote_capacity: int | None
    seated: int = 0  # in person, confirmed
    waiting: int = 0  # the waitlist
    remote: int = 0  # remote (always confirmed)
    last_queue_number: int = 0  # the highest number in line

    @property
    def free_seats(self) -> int:
        """Seats the waitlist may take now (none below a lowered capacity)."""
        return seats_to_give(seated=self.seated, capacity=self.capacity)

    def join(self, mode: Mode) -> tuple[Room, Seat]:
        """Someone joins in `mode` (registering, or changing mode): the room after, and their
        seat. In person: a seat while one is free, else the end of the line; remote: a place
        while one remains, else RemoteFull (raised before anything changes)."""
        status = place(
            mode,
            seated=self.seated,
            capacity=self.capacity,
            remote=self.remote,
            remote_capacity=self.remote_capacity,
        )
        if mode is Mode.REMOTE:
            return replace(self, remote=self.remote + 1), Seat(Status.CONFIRMED)
        if status is Status.CONFIRMED:
            return replace(self, seated=self.seated + 1), Seat(Status.CONFIRMED)
        number, waiting = self.last_queue_number + 1, self.waiting + 1
        room = replace(self, waiting=waiting, last_queue_number=number)
        return room, Seat(Status.WAITLISTED, queue_number=number, position=waiting)

    def leave(self, mode: Mode, status: Status) -> Room:
        """Someone in `mode` and `status` leaves (cancelling, or changing mode): their seat,
        place in line or remote place is free; `promote` gives a freed seat away."""
        if status is Status.WAITLISTED:
            return replace(self, waiting=self.waiting - 1)
        if mode is Mode.REMOTE:
            return replace(self, remote=self.remote - 1)
        return replace(self, seated=self.seated - 1)

    def with_capacity(self, seats: int) -> Room:
        """The organizers changed the room's capacity; lowering it bumps nobody."""
        return replace(self, capacity=seats)

    def promote(self, waitlist: Sequence[T]) -> tuple[Room, list[T]]:
        """The first of `waitlist` (in line order) who get the free seats, and the room after:
        first come, first served, never more than the room holds."""
        chosen = list(waitlist[: min(self.free_seats, self.waiting)])
        room = replace(self, seated=self.seated + len(chosen), waiting=self.waiting - len(chosen))
        return room, chosen


def check_changes(changes: Iterable[datetime], *, now: datetime) -> None:
    """The change limit: nothing when one more change is allowed at `now`, else TooManyChanges.

    `changes` are when the member changed their registration lately; at most
    CHANGE_LIMIT_COUNT of them may fall within any CHANGE_LIMIT_WINDOW.
    """
    recent = sorted(t for t in changes if t > now - CHANGE_LIMIT_WINDOW)
    if len(recent) >= CHANGE_LIMIT_COUNT:
        # Allowed again once all but CHANGE_LIMIT_COUNT - 1 of them have left the window.
        raise TooManyChanges(len(recent), recent[-CHANGE_LIMIT_COUNT] + CHANGE_LIMIT_WINDOW)


def wants_link_now(outcome: RegistrationOutcome) -> bool:
    """Whether this change just made the person one who receives the video link by DM."""
    before = outcome.previous
    return outcome.registration.gets_link_dms and not (before and before.gets_link_dms)


class RegistrationClosed(AmphiError):
    """Registration is closed."""

    def __init__(self, closed_at: datetime | None) -> None:
        if closed_at is None:
            super().__init__(
                N_(
                    "Registration is closed for this meeting. If you think you should be "
                    "registered, please contact an organizer."
                )
            )
        else:
            super().__init__(
                N_(
                    "Registration closed on {closed_at}. If you think you should be "
                    "registered, please contact an organizer."
                ),
                closed_at=timestamp(closed_at, "f"),
            )


class RemoteFull(AmphiError):
    """The remote places are all taken."""

    def __init__(self) -> None:
        super().__init__(
            N_(
                "All remote places are taken. You can still register in person (mode: in "
                "person), or ask an organizer about more remote places."
            )
        )


class NotRegistered(AmphiError):
    """`/unregister` or `/my-registration` by someone without a registration."""

    def __init__(self) -> None:
        super().__init__(N_("You are not registered for this meeting. Use /register to sign up."))


class TooManyChanges(AmphiError):
    """More than CHANGE_LIMIT_COUNT registration changes in CHANGE_LIMIT_WINDOW."""

    def __init__(self, changes: int, retry_at: datetime) -> None:
        super().__init__(
            N_(
                "You have changed your registration {count} times in the last {minutes} "
                "minutes, the most one member can, so nothing was changed this time. You can "
                "change it again at {time} ({relative}); meanwhile, /my-registration shows "
                "where you stand."
            ),
            count=changes,
            minutes=int(CHANGE_LIMIT_WINDOW.total_seconds() // 60),
            time=timestamp(retry_at, "t"),
            relative=timestamp(retry_at, "R"),
        )


class AffiliationTooLong(AmphiError):
    """An affiliation over the limit."""

    def __init__(self, length: int) -> None:
        super().__init__(
            N_(
                "Your affiliation is {length} characters long; please shorten it to "
                "{limit} characters at most and run /register again."
            ),
            length=length,
            limit=AFFILIATION_LIMIT,
        )


class InvalidCapacity(AmphiError):
    """A capacity that makes no sense."""

    def __init__(self, seats: int) -> None:
        super().__init__(
            N_("The capacity must be a whole number of seats from 0 to 100000, not {seats}."),
            seats=seats,
        )


def clean_text(text: str, limit: int) -> str:
    """Trimmed, single-line, without control or invisible formatting characters."""
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if ch in "\r\n\t":
            kept.append(" ")
        elif category in {"Cc", "Cf", "Co", "Cs"}:
            continue
        else:
            kept.append(ch)
    cleaned = " ".join("".join(kept).split())
    return cleaned[:limit] if limit else cleaned


def clean_affiliation(text: str | None) -> str:
    """The affiliation as stored, or AffiliationTooLong."""
    cleaned = clean_text(text or "", 0)
    if len(cleaned) > AFFILIATION_LIMIT:
        raise AffiliationTooLong(len(cleaned))
    return cleaned
