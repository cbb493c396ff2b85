"""Registration transactions. Each first locks the meeting's control row, so seats are counted
and taken by one transaction at a time on PostgreSQL (row lock) and SQLite (BEGIN IMMEDIATE);
the unique (meeting, user) constraint forbids a second registration of the same person."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.meetings import Meeting
from bot.registration import (
    Cancellation,
    CapacityFigures,
    Change,
    Mode,
    NotRegistered,
    Registration,
    RegistrationClosed,
    RegistrationOutcome,
    RemoteFull,
    Status,
)
from bot.store.models import RegistrationControlRow, RegistrationRow
from bot.store.programme import meeting_id as meeting_id_of


def _meeting_id(session: Session, meeting: Meeting) -> int:
    return meeting_id_of(session, meeting.slug)


def _lock(session: Session, meeting: Meeting) -> RegistrationControlRow:
    """The meeting's control row, locked until the transaction ends."""
    meeting_id = _meeting_id(session, meeting)
    return session.exec(
        select(RegistrationControlRow)
        .where(RegistrationControlRow.meeting_id == meeting_id)
        .with_for_update()
    ).one()


def _capacity(control: RegistrationControlRow, meeting: Meeting) -> int:
    return meeting.capacity if control.capacity is None else control.capacity


def _is_open(control: RegistrationControlRow, meeting: Meeting, now: datetime) -> bool:
    if control.state == "open":
        return True
    if control.state == "closed":
        return False
    return now < meeting.registration_deadline


def _count(session: Session, meeting_id: int, *, mode: Mode, status: Status) -> int:
    return session.exec(
        select(func.count())
        .select_from(RegistrationRow)
        .where(RegistrationRow.meeting_id == meeting_id)
        .where(RegistrationRow.mode == mode.value)
        .where(RegistrationRow.status == status.value)
    ).one()


def _first_in_line(session: Session, meeting_id: int, count: int) -> list[RegistrationRow]:
    return list(
        session.exec(
            select(RegistrationRow)
            .where(RegistrationRow.meeting_id == meeting_id)
            .where(RegistrationRow.status == Status.WAITLISTED.value)
            .order_by(col(RegistrationRow.queue_number))
            .limit(count)
        )
    )


def _position(session: Session, row: RegistrationRow) -> int | None:
    if row.status != Status.WAITLISTED.value:
        return None
    ahead = session.exec(
        select(func.count())
        .select_from(RegistrationRow)
        .where(RegistrationRow.meeting_id == row.meeting_id)
        .where(RegistrationRow.status == Status.WAITLISTED.value)
        .where(col(RegistrationRow.queue_number) < row.queue_number)
    ).one()
    return ahead + 1


def _row(session: Session, meeting_id: int, user_id: int) -> RegistrationRow | None:
    return session.exec(
        select(RegistrationRow)
        .where(RegistrationRow.meeting_id == meeting_id)
        .where(RegistrationRow.user_id == user_id)
    ).first()


def _view(row: RegistrationRow, position: int | None = None) -> Registration:
    return Registration(
        user_id=row.user_id,
        display_name=row.display_name,
        mode=Mode(row.mode),
        status=Status(row.status),
        member=row.member,
        affiliation=row.affiliation,
        dm=row.dm,
        registered_at=row.registered_at,
        position=position,
        role_problem=row.role_problem,
        locale=row.locale,
    )


def _seat_or_queue(session: Session, row: RegistrationRow, meeting_id: int, capacity: int) -> None:
    """Give `row` (in person, not yet counted) a seat if one is free, else the end of the line."""
    taken = _count(session, meeting_id, mode=Mode.IN_PERSON, status=Status.CONFIRMED)
    if taken < capacity:
        row.status, row.queue_number = Status.CONFIRMED.value, None
        return
    last = session.exec(
        select(func.max(RegistrationRow.queue_number)).where(
            RegistrationRow.meeting_id == meeting_id
        )
    ).one()
    row.status, row.queue_number = Status.WAITLISTED.value, (last or 0) + 1


def _promote(
    session: Session, meeting_id: int, capacity: int, now: datetime
) -> tuple[Registration, ...]:
    """Seat the first in line while seats are free; each promoted person is to be told."""
    session.flush()
    free = capacity - _count(session, meeting_id, mode=Mode.IN_PERSON, status=Status.CONFIRMED)
    if free <= 0:
        return ()
    promoted = []
    for row in _first_in_line(session, meeting_id, free):
        row.status, row.queue_number = Status.CONFIRMED.value, None
        row.notice_pending = True
        row.updated_at = now
        session.add(row)
        promoted.append(_view(row))
    session.flush()
    return tuple(promoted)


def _check_remote_room(
    session: Session, meeting: Meeting, meeting_id: int, row: RegistrationRow | None
) -> None:
    if meeting.remote_capacity is None:
        return
    if row is not None and row.mode == Mode.REMOTE.value:
        return
    if _count(session, meeting_id, mode=Mode.REMOTE, status=Status.CONFIRMED) >= (
        meeting.remote_capacity
    ):
        raise RemoteFull()


def register(
    session: Session,
    *,
    meeting: Meeting,
    user_id: int,
    display_name: str,
    mode: Mode,
    member: bool,
    affiliation: str | None,
    dm: bool | None,
    locale: str,
    now: datetime,
) -> RegistrationOutcome:
    """Register `user_id`, or change their details; frees or takes a seat in this transaction."""
    control = _lock(session, meeting)
    meeting_id = control.meeting_id
    if not _is_open(control, meeting, now):
        closed_at = (
            control.changed_at if control.state == "closed" else meeting.registration_deadline
        )
        raise RegistrationClosed(closed_at)
    capacity = _capacity(control, meeting)
    row = _row(session, meeting_id, user_id)
    previous = _view(row, _position(session, row)) if row else None
    notice = bool(row and row.notice_pending)

    if row is None:
        if mode is Mode.REMOTE:
            _check_remote_room(session, meeting, meeting_id, None)
        row = RegistrationRow(
            meeting_id=meeting_id,
            user_id=user_id,
            display_name=display_name,
            mode=mode.value,
            status=Status.CONFIRMED.value,
            member=member,
            affiliation=affiliation or "",
            dm=bool(dm),
            locale=locale,
            registered_at=now,
            updated_at=now,
        )
        if mode is Mode.IN_PERSON:
            _seat_or_queue(session, row, meeting_id, capacity)
        change = Change.CREATED
    else:
        new_affiliation = row.affiliation if affiliation is None else affiliation
        new_dm = row.dm if dm is None else dm
        same = (row.mode, row.member, row.affiliation, row.dm, row.display_name) == (
            mode.value,
            member,
            new_affiliation,
            new_dm,
            display_name,
        )
        change = Change.UNCHANGED if same else Change.UPDATED
        if row.mode != mode.value:
            if mode is Mode.REMOTE:
                _check_remote_room(session, meeting, meeting_id, row)
                row.status, row.queue_number = Status.CONFIRMED.value, None
            else:
                _seat_or_queue(session, row, meeting_id, capacity)
            row.mode = mode.value
        row.member, row.affiliation, row.dm = member, new_affiliation, new_dm
        row.display_name = display_name
        row.locale = locale or row.locale
        row.notice_pending = False
        if change is Change.UPDATED:
            row.updated_at = now
    session.add(row)
    had_a_seat = previous is not None and previous.attendance_role is Mode.IN_PERSON
    freed_a_seat = had_a_seat and row.mode != Mode.IN_PERSON.value
    promoted = _promote(session, meeting_id, capacity, now) if freed_a_seat else ()
    return RegistrationOutcome(
        registration=_view(row, _position(session, row)),
        change=change,
        previous=previous,
        promoted=promoted,
        notice=notice,
    )


def unregister(session: Session, *, meeting: Meeting, user_id: int, now: datetime) -> Cancellation:
    """Delete `user_id`'s registration; a freed seat goes to the first in line."""
    control = _lock(session, meeting)
    row = _row(session, control.meeting_id, user_id)
    if row is None:
        raise NotRegistered()
    cancelled = _view(row, _position(session, row))
    session.delete(row)
    promoted = _promote(session, control.meeting_id, _capacity(control, meeting), now)
    return Cancellation(cancelled=cancelled, promoted=promoted)


def mine(session: Session, *, meeting: Meeting, user_id: int) -> tuple[Registration, bool] | None:
    """A registration with its waitlist position, and whether a promotion notice was pending."""
    row = _row(session, _meeting_id(session, meeting), user_id)
    if row is None:
        return None
    notice = row.notice_pending
    if notice:
        row.notice_pending = False
        session.add(row)
    return _view(row, _position(session, row)), notice


def figures(session: Session, *, meeting: Meeting, now: datetime) -> CapacityFigures:
    """The figures of the meeting page, counted now."""
    meeting_id = _meeting_id(session, meeting)
    control = session.get(RegistrationControlRow, meeting_id)
    assert control is not None
    counts = {
        (mode, status, member): n
        for mode, status, member, n in session.exec(
            select(
                RegistrationRow.mode,
                RegistrationRow.status,
                RegistrationRow.member,
                func.count(),
            )
            .where(RegistrationRow.meeting_id == meeting_id)
            .group_by(RegistrationRow.mode, RegistrationRow.status, RegistrationRow.member)
        )
    }

    def total(**where: object) -> int:
        keys = ("mode", "status", "member")
        return sum(
            n
            for key, n in counts.items()
            if all(where.get(k, v) == v for k, v in zip(keys, key, strict=True))
        )

    is_open = _is_open(control, meeting, now)
    role_problems = session.exec(
        select(func.count())
        .select_from(RegistrationRow)
        .where(RegistrationRow.meeting_id == meeting_id)
        .where(RegistrationRow.role_problem != "")
    ).one()
    return CapacityFigures(
        meeting_title=meeting.title,
        capacity=_capacity(control, meeting),
        in_person=total(mode="in_person", status="confirmed"),
        remote=total(mode="remote"),
        waitlist=total(status="waitlisted"),
        members=total(member=True),
        non_members=total(member=False),
        remote_capacity=meeting.remote_capacity,
        is_open=is_open,
        closes_at=meeting.registration_deadline if control.state == "auto" else None,
        role_problems=role_problems,
    )


def set_state(
    session: Session, *, meeting: Meeting, state: str, by: int, now: datetime
) -> CapacityFigures:
    """Open or close registration (an organizer's decision, kept with who and when)."""
    control = _lock(session, meeting)
    control.state, control.changed_by, control.changed_at = state, by, now
    session.add(control)
    session.flush()
    return figures(session, meeting=meeting, now=now)


def set_capacity(
    session: Session, *, meeting: Meeting, seats: int, by: int, now: datetime
) -> tuple[CapacityFigures, tuple[Registration, ...]]:
    """Change the room's capacity; seats freed by a raise go to the waitlist at once.

    Lowering it below the confirmed count bumps nobody: the waitlist just waits longer.
    """
    control = _lock(session, meeting)
    control.capacity, control.changed_by, control.changed_at = seats, by, now
    session.add(control)
    promoted = _promote(session, control.meeting_id, seats, now)
    return figures(session, meeting=meeting, now=now), promoted


def all_registrations(session: Session, *, meeting: Meeting) -> list[Registration]:
    """Confirmed in person, the waitlist in order, then remote; each group by registration time."""
    meeting_id = _meeting_id(session, meeting)
    rows = session.exec(
        select(RegistrationRow)
        .where(RegistrationRow.meeting_id == meeting_id)
        .order_by(col(RegistrationRow.registered_at), col(RegistrationRow.id))
    ).all()
    confirmed = [r for r in rows if r.mode == "in_person" and r.status == "confirmed"]
    waiting = sorted((r for r in rows if r.status == "waitlisted"), key=lambda r: r.queue_number)
    remote = [r for r in rows if r.mode == "remote"]
    return (
        [_view(r) for r in confirmed]
        + [_view(r, i) for i, r in enumerate(waiting, start=1)]
        + [_view(r) for r in remote]
    )


def lookup(session: Session, *, meeting: Meeting, user_id: int) -> Registration | None:
    """A registration with its waitlist position, changing nothing."""
    row = _row(session, _meeting_id(session, meeting), user_id)
    return None if row is None else _view(row, _position(session, row))


def mark_told(session: Session, *, meeting: Meeting, user_id: int) -> None:
    """The promotion notice reached the person."""
    row = _row(session, _meeting_id(session, meeting), user_id)
    if row is not None:
        row.notice_pending = False
        session.add(row)


def note_role_problem(session: Session, *, meeting: Meeting, user_id: int, problem: str) -> None:
    """Record (or clear) why the member's attendance role could not be set."""
    row = _row(session, _meeting_id(session, meeting), user_id)
    if row is not None:
        row.role_problem = problem
        session.add(row)


def get_panel(session: Session, *, meeting: Meeting) -> tuple[int | None, int | None]:
    """The live capacity panel's channel and message ids."""
    control = session.get(RegistrationControlRow, _meeting_id(session, meeting))
    assert control is not None
    return control.panel_channel_id, control.panel_message_id


def set_panel(session: Session, *, meeting: Meeting, channel_id: int, message_id: int) -> None:
    """Remember the live capacity panel."""
    control = _lock(session, meeting)
    control.panel_channel_id, control.panel_message_id = channel_id, message_id
    session.add(control)
