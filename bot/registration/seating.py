"""The transaction that takes or frees seats: a batch of the registration desk's requests.

Who gets a seat, who waits and who is promoted is the seat rule, `bot.registration.model.Room`;
the statements are `bot.registration.queries`; this module applies the batch's requests in
arrival order between the two.

A batch first locks the meeting's control row, so seats are counted and taken by one transaction
at a time (a row lock on PostgreSQL, BEGIN IMMEDIATE on SQLite); the unique (meeting, user)
constraint forbids a second registration of the same person. The seats are counted once, then
the room is carried through the requests as each lands, so a burst costs a few statements per
batch rather than several per person.

Every request raises its refusal (an AmphiError) before it writes anything: a refused request is
refused alone and the rest of its batch commits.

A member's own commands (kept ones) are held to the change limit
(`bot.registration.model.check_changes`): the batch reads its members' recent changes from the
kept commands once, under the lock, and keeps them as its own changes land.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.core.errors import AmphiError
from bot.kept import queries as commands
from bot.kept.model import KeptCommand
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
    Room,
    Status,
    check_changes,
    registration_open,
    room_capacity,
)
from bot.registration.queries import (
    add_new,
    figures,
    first_in_line,
    lock_control,
    position_of,
    recent_changes,
    registrations_of,
    room,
    view,
)
from bot.store.models import RegistrationRow


def _nothing_to_answer(_outcome: Any) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Job:
    """One request at the desk: what it does to the seats, and the kept command it fulfils."""

    apply: Callable[[Seating], Any]
    user_id: int | None = None  # whose registration it reads: read with the batch's others
    command: KeptCommand | None = None  # marked applied in the batch's transaction
    result: Callable[[Any], dict[str, Any]] = _nothing_to_answer  # what the command answers


class Seating:
    """One locked transaction over a meeting's seats; its methods are what jobs apply."""

    def __init__(self, session: Session, meeting: Meeting) -> None:
        self.session = session
        self.meeting = meeting
        self.control = lock_control(session, meeting=meeting)
        self.meeting_id = self.control.meeting_id
        self._rows: dict[int, RegistrationRow | None] = {}
        # New registrations of this batch, with their waitlist numbers: written together.
        self._new: dict[int, tuple[Registration, int | None]] = {}
        self._room: Room | None = None
        # When each member changed their registration lately: their kept commands, read once
        # per batch, then this batch's own changes (its commands are marked applied at its end).
        self._changes: dict[int, list[datetime]] = {}

    @property
    def room(self) -> Room:
        """The seats, counted at the batch's first need, then kept as each request lands."""
        if self._room is None:
            self._room = room(
                self.session,
                meeting_id=self.meeting_id,
                capacity=room_capacity(self.meeting, override=self.control.capacity),
                remote_capacity=self.meeting.remote_capacity,
            )
        return self._room

    def load_rows(self, user_ids: Sequence[int]) -> None:
        """Read the registrations of everyone in the batch with one statement."""
        wanted = set(user_ids) - self._rows.keys()
        if not wanted:
            return
        self._rows.update(dict.fromkeys(wanted))
        for row in registrations_of(self.session, meeting_id=self.meeting_id, user_ids=wanted):
            self._rows[row.user_id] = row

    def _row(self, user_id: int) -> RegistrationRow | None:
        if user_id in self._new:  # registered earlier in this batch: written, then read back
            self.flush_new()
        self.load_rows([user_id])
        return self._rows[user_id]

    def flush_new(self) -> None:
        """Write the batch's new registrations, before anything reads them back."""
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

    # ----- what jobs apply ------------------------------------------------------------------
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
        self._room, seat = self.room.join(request.mode)
        registration = Registration(
            user_id=request.user_id,
            display_name=request.display_name,
            mode=request.mode,
            status=seat.status,
            member=request.member,
            affiliation=request.affiliation or "",
            dm=bool(request.dm),
            registered_at=request.at,
            position=seat.position,
            locale=request.locale,
        )
        self._new[request.user_id] = (registration, seat.queue_number)
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
            # Leaves their seat, place in line or remote place, and joins anew (or RemoteFull).
            self._room, seat = self.room.leave(Mode(row.mode), Status(row.status)).join(mode)
            row.mode, row.status, row.queue_number = (
                mode.value,
                seat.status.value,
                seat.queue_number,
            )
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
        self._room = self.room.leave(cancelled.mode, cancelled.status)
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
        self._room = self.room.with_capacity(seats)
        promoted = self._promote(now)
        return figures(self.session, meeting=self.meeting, now=now), promoted

    def _promote(self, now: datetime) -> tuple[Registration, ...]:
        """Seat the first in line while seats are free; each promoted person is to be told."""
        room = self.room
        if not (room.free_seats and room.waiting):
            return ()
        self.flush_new()
        self.session.flush()  # the line as this batch left it
        head = first_in_line(self.session, meeting_id=self.meeting_id, limit=room.free_seats)
        self._room, chosen = room.promote(head)
        for row in chosen:
            row.status, row.queue_number = Status.CONFIRMED.value, None
            row.notice_pending = True
            row.updated_at = now
            self.session.add(row)
        self.session.flush()
        return tuple(view(row) for row in chosen)


def run_batch(session: Session, *, meeting: Meeting, jobs: Sequence[Job]) -> list[Any]:
    """Apply `jobs` in order in this transaction; each one's result, or its refusal.

    Each kept command is marked applied with its job's result or refusal
    (`bot.kept.queries.apply_kept`), all of them written at the end in one statement.
    """
    seating = Seating(session, meeting)
    seating.load_rows([job.user_id for job in jobs if job.user_id is not None])
    results: list[Any] = []
    with commands.applied_together(session):
        for job in jobs:
            try:
                results.append(
                    commands.apply_kept(
                        session,
                        effect=functools.partial(job.apply, seating),
                        command=job.command,
                        result=job.result,
                        savepoint=False,  # a job refuses before it writes
                    )
                )
            except AmphiError as refusal:  # a job without a kept command
                results.append(refusal)
        seating.flush_new()
    return results
