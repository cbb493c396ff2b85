"""The transactions that take or free seats, run in batches by the registration desk.

Where each person goes is the seat rule, `bot.registration.model.place`; this module counts
the seats it needs under the meeting's lock and writes what it decides.

A batch first locks the meeting's control row, so seats are counted and taken by one transaction
at a time (a row lock on PostgreSQL, BEGIN IMMEDIATE on SQLite); the unique (meeting, user)
constraint forbids a second registration of the same person. Within a batch the requests apply
in arrival order, and the seat counts are read once and kept as each new registration lands, so
a burst costs a few statements per batch rather than several per person.

Every job raises its refusal (an AmphiError) before it writes anything: a refused request is
refused alone and the rest of its batch commits.

A member's own commands (kept ones) are held to the change limit
(`bot.registration.model.check_changes`): the batch reads its members' recent changes from the
kept commands once, under the lock, and keeps them as its own changes land.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.core.errors import AmphiError
from bot.kept import queries as commands
from bot.programme.model import Meeting
from bot.registration.model import (
    CHANGE_LIMIT_WINDOW,
    Cancellation,
    CapacityFigures,
    Change,
    Mode,
    NotRegistered,
    Registration,
    RegistrationClosed,
    RegistrationOutcome,
    RegistrationRequest,
    Status,
    check_changes,
    place,
    registration_open,
    room_capacity,
    seats_to_give,
)
from bot.registration.queries import (
    add_new,
    count,
    figures,
    lock_control,
    position_of,
    recent_changes,
    view,
)
from bot.store.models import RegistrationRow

Job = Callable[["Seating"], Any]


@dataclass
class _Tally:
    """Seat counts of one meeting, read once per batch and kept as new registrations land."""

    seated: int  # in person, confirmed
    waiting: int
    last_queue_number: int
    remote: int

    @classmethod
    def read(cls, session: Session, meeting_id: int) -> _Tally:
        counts = dict.fromkeys(("seated", "waiting", "remote"), 0)
        for mode, status, n in session.exec(
            select(RegistrationRow.mode, RegistrationRow.status, func.count())
            .where(RegistrationRow.meeting_id == meeting_id)
            .group_by(RegistrationRow.mode, RegistrationRow.status)
        ):
            if status == Status.WAITLISTED.value:
                counts["waiting"] += n
            elif mode == Mode.IN_PERSON.value:
                counts["seated"] += n
            else:
                counts["remote"] += n
        last = session.exec(
            select(func.max(RegistrationRow.queue_number)).where(
                RegistrationRow.meeting_id == meeting_id
            )
        ).one()
        return cls(last_queue_number=last or 0, **counts)


class Seating:
    """One locked transaction over a meeting's seats; its methods are the desk's jobs."""

    def __init__(self, session: Session, meeting: Meeting) -> None:
        self.session = session
        self.meeting = meeting
        self.control = lock_control(session, meeting=meeting)
        self.meeting_id = self.control.meeting_id
        self._rows: dict[int, RegistrationRow | None] = {}
        # New registrations of this batch, with their waitlist numbers: written together.
        self._new: dict[int, tuple[Registration, int | None]] = {}
        self._tally: _Tally | None = None
        # When each member changed their registration lately: their kept commands, read once
        # per batch, then this batch's own changes (its commands are marked applied at its end).
        self._changes: dict[int, list[datetime]] = {}

    @property
    def capacity(self) -> int:
        """Seats in the room: the organizers' figure, else the meeting file's."""
        return room_capacity(self.meeting, override=self.control.capacity)

    def load_rows(self, user_ids: Sequence[int]) -> None:
        """Read the registrations of everyone in the batch with one statement."""
        wanted = set(user_ids) - self._rows.keys()
        if not wanted:
            return
        self._rows.update(dict.fromkeys(wanted))
        for row in self.session.exec(
            select(RegistrationRow)
            .where(RegistrationRow.meeting_id == self.meeting_id)
            .where(col(RegistrationRow.user_id).in_(wanted))
        ):
            self._rows[row.user_id] = row

    def _row(self, user_id: int) -> RegistrationRow | None:
        if user_id in self._new:  # registered earlier in this batch: written, then read back
            self.flush_new()
        self.load_rows([user_id])
        return self._rows[user_id]

    def flush_new(self) -> None:
        """Write the batch's new registrations, before anything counts or reads them back.

        After a change counted with queries, the next new registration reads the counts again.
        """
        self._tally = None
        if not self._new:
            return
        add_new(self.session, meeting_id=self.meeting_id, registrations=self._new.values())
        for user_id in self._new:
            del self._rows[user_id]
        self._new.clear()

    def _recent_changes(self, user_id: int, at: datetime) -> list[datetime]:
        """When `user_id` changed their registration lately; the batch's members read at once."""
        if user_id not in self._changes:
            wanted = (self._rows.keys() | {user_id}) - self._changes.keys()
            since = at - CHANGE_LIMIT_WINDOW
            self._changes.update(
                recent_changes(self.session, meeting=self.meeting, user_ids=wanted, since=since)
            )
        return self._changes[user_id]

    def _check_limit(self, user_id: int, at: datetime, limited: bool) -> None:
        """TooManyChanges when a member's command would change past the limit."""
        if limited:
            check_changes(self._recent_changes(user_id, at), now=at)

    def _count_change(self, user_id: int, at: datetime, limited: bool) -> None:
        """A member's command changed their registration: later ones in the batch count it."""
        if limited:
            self._recent_changes(user_id, at).append(at)

    # ----- jobs -----------------------------------------------------------------------------
    def register(
        self, request: RegistrationRequest, *, limited: bool = False
    ) -> RegistrationOutcome:
        """Register someone, or change their details; takes or frees a seat.

        `limited`: a member's own (kept) command, held to the change limit if it changes
        anything; a `/register` that changes nothing is never refused by it, nor counted.
        """
        control = self.control
        if not registration_open(self.meeting, state=control.state, now=request.at):
            closed = control.state == "closed"
            raise RegistrationClosed(
                control.changed_at if closed else self.meeting.registration_deadline
            )
        row = self._row(request.user_id)
        if row is None:
            return self._create(request, limited)
        return self._change(row, request, limited)

    def _create(self, request: RegistrationRequest, limited: bool) -> RegistrationOutcome:
        self._check_limit(request.user_id, request.at, limited)
        tally = self._tally = self._tally or _Tally.read(self.session, self.meeting_id)
        position = queue_number = None
        status = place(
            request.mode,
            seated=tally.seated,
            capacity=self.capacity,
            remote=tally.remote,
            remote_capacity=self.meeting.remote_capacity,
        )
        if request.mode is Mode.REMOTE:
            tally.remote += 1
        elif status is Status.CONFIRMED:
            tally.seated += 1
        else:
            tally.waiting += 1
            tally.last_queue_number += 1
            queue_number = tally.last_queue_number
            position = tally.waiting  # the new number is the highest: everyone else is ahead
        registration = Registration(
            user_id=request.user_id,
            display_name=request.display_name,
            mode=request.mode,
            status=status,
            member=request.member,
            affiliation=request.affiliation or "",
            dm=bool(request.dm),
            registered_at=request.at,
            position=position,
            locale=request.locale,
        )
        self._new[request.user_id] = (registration, queue_number)
        self._rows[request.user_id] = None
        self._count_change(request.user_id, request.at, limited)
        return RegistrationOutcome(registration=registration, change=Change.CREATED, previous=None)

    def _change(
        self, row: RegistrationRow, request: RegistrationRequest, limited: bool
    ) -> RegistrationOutcome:
        self.flush_new()
        session = self.session
        previous = view(row, position_of(session, row=row))
        notice = row.notice_pending
        affiliation = row.affiliation if request.affiliation is None else request.affiliation
        dm = row.dm if request.dm is None else request.dm
        mode = request.mode
        same = (row.mode, row.member, row.affiliation, row.dm, row.display_name) == (
            mode.value,
            request.member,
            affiliation,
            dm,
            request.display_name,
        )
        if not same:
            self._check_limit(row.user_id, request.at, limited)
        if row.mode != mode.value:
            if mode is Mode.REMOTE:
                self._check_remote_room()
                row.status, row.queue_number = Status.CONFIRMED.value, None
            else:
                self._seat_or_queue(row)
            row.mode = mode.value
        row.member, row.affiliation, row.dm = request.member, affiliation, dm
        row.display_name = request.display_name
        row.locale = request.locale or row.locale
        row.notice_pending = False
        if not same:
            row.updated_at = request.at
            self._count_change(row.user_id, request.at, limited)
        session.add(row)
        had_a_seat = previous.attendance_role is Mode.IN_PERSON
        freed_a_seat = had_a_seat and row.mode != Mode.IN_PERSON.value
        return RegistrationOutcome(
            registration=view(row, position_of(session, row=row)),
            change=Change.UNCHANGED if same else Change.UPDATED,
            previous=previous,
            promoted=self._promote(request.at) if freed_a_seat else (),
            notice=notice,
        )

    def unregister(self, user_id: int, now: datetime, *, limited: bool = False) -> Cancellation:
        """Delete a registration; a freed seat goes to the first in line.

        `limited`: a member's own (kept) command, held to the change limit.
        """
        row = self._row(user_id)
        if row is None:
            raise NotRegistered()
        self._check_limit(user_id, now, limited)
        self.flush_new()
        cancelled = view(row, position_of(self.session, row=row))
        self.session.delete(row)
        self._rows[user_id] = None
        self._count_change(user_id, now, limited)
        return Cancellation(cancelled=cancelled, promoted=self._promote(now))

    def set_state(self, state: str, by: int, now: datetime) -> CapacityFigures:
        """Open or close registration (an organizer's decision, kept with who and when)."""
        self.flush_new()
        control = self.control
        control.state, control.changed_by, control.changed_at = state, by, now
        self.session.add(control)
        self.session.flush()
        return figures(self.session, meeting=self.meeting, now=now)

    def set_capacity(
        self, seats: int, by: int, now: datetime
    ) -> tuple[CapacityFigures, tuple[Registration, ...]]:
        """Change the room's capacity; seats freed by a raise go to the waitlist at once.

        Lowering it below the confirmed count bumps nobody: the waitlist just waits longer.
        """
        self.flush_new()
        control = self.control
        control.capacity, control.changed_by, control.changed_at = seats, by, now
        self.session.add(control)
        promoted = self._promote(now)
        return figures(self.session, meeting=self.meeting, now=now), promoted

    # ----- counted with queries -------------------------------------------------------------
    def _count(self, mode: Mode) -> int:
        """Confirmed registrations in `mode`, counted now."""
        return count(self.session, meeting_id=self.meeting_id, mode=mode, status=Status.CONFIRMED)

    def _seat_or_queue(self, row: RegistrationRow) -> None:
        """Give `row` (in person, not yet counted) a free seat, else the end of the line."""
        taken = self._count(Mode.IN_PERSON)
        status = place(
            Mode.IN_PERSON, seated=taken, capacity=self.capacity, remote=0, remote_capacity=None
        )
        if status is Status.CONFIRMED:
            row.status, row.queue_number = Status.CONFIRMED.value, None
            return
        last = self.session.exec(
            select(func.max(RegistrationRow.queue_number)).where(
                RegistrationRow.meeting_id == self.meeting_id
            )
        ).one()
        row.status, row.queue_number = Status.WAITLISTED.value, (last or 0) + 1

    def _check_remote_room(self) -> None:
        limit = self.meeting.remote_capacity
        if limit is None:
            return
        remote = self._count(Mode.REMOTE)
        place(Mode.REMOTE, seated=0, capacity=0, remote=remote, remote_capacity=limit)

    def _promote(self, now: datetime) -> tuple[Registration, ...]:
        """Seat the first in line while seats are free; each promoted person is to be told."""
        session = self.session
        session.flush()
        taken = self._count(Mode.IN_PERSON)
        free = seats_to_give(seated=taken, capacity=self.capacity)
        if not free:
            return ()
        first_in_line = session.exec(
            select(RegistrationRow)
            .where(RegistrationRow.meeting_id == self.meeting_id)
            .where(RegistrationRow.status == Status.WAITLISTED.value)
            .order_by(col(RegistrationRow.queue_number))
            .limit(free)
        )
        promoted = []
        for row in first_in_line:
            row.status, row.queue_number = Status.CONFIRMED.value, None
            row.notice_pending = True
            row.updated_at = now
            session.add(row)
            promoted.append(view(row))
        session.flush()
        return tuple(promoted)


def run_batch(
    session: Session,
    *,
    meeting: Meeting,
    jobs: Sequence[Job],
    user_ids: Sequence[int] = (),
) -> list[Any]:
    """Run `jobs` in order in this transaction; each one's result, or its refusal.

    The kept commands the jobs mark applied are written at the end, in one statement.
    """
    seating = Seating(session, meeting)
    seating.load_rows(user_ids)
    results: list[Any] = []
    for job in jobs:
        try:
            results.append(job(seating))
        except AmphiError as refusal:
            results.append(refusal)
    seating.flush_new()
    commands.write_applied(session)
    return results
