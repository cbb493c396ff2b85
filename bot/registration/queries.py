"""Registration's statements: the reads, the small writes that take or free no seat, and those
of the seat-changing transaction (`bot.registration.seating`): the lock, the seat counts, the
batch's registrations, the head of the waitlist, the new registrations.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert
from sqlmodel import Session, col, select

from bot.kept.model import KeptState
from bot.programme.model import Meeting
from bot.programme.queries import meeting_id as meeting_id_of
from bot.registration.model import (
    REGISTER,
    UNREGISTER,
    CapacityFigures,
    Change,
    Mode,
    Registration,
    Room,
    Status,
    registration_open,
    room_capacity,
)
from bot.store.models import CommandRow, RegistrationControlRow, RegistrationRow

# The table itself: new registrations go in as one Core executemany, without ORM objects.
_REGISTRATION = RegistrationRow.metadata.tables["registration"]


def _meeting_id(session: Session, meeting: Meeting) -> int:
    return meeting_id_of(session, slug=meeting.slug)


def lock_control(session: Session, *, meeting: Meeting) -> RegistrationControlRow:
    """The meeting's control row, locked until the transaction ends."""
    meeting_id = _meeting_id(session, meeting)
    return session.exec(
        select(RegistrationControlRow)
        .where(RegistrationControlRow.meeting_id == meeting_id)
        .with_for_update()
    ).one()


def room(session: Session, *, meeting_id: int, capacity: int, remote_capacity: int | None) -> Room:
    """The meeting's seats as the seat rule sees them, counted in one statement."""
    found = Room(capacity=capacity, remote_capacity=remote_capacity)
    for mode, status, n, last in session.exec(
        select(
            RegistrationRow.mode,
            RegistrationRow.status,
            func.count(),
            func.max(RegistrationRow.queue_number),
        )
        .where(RegistrationRow.meeting_id == meeting_id)
        .group_by(col(RegistrationRow.mode), col(RegistrationRow.status))
    ):
        if status == Status.WAITLISTED.value:
            last = max(last or 0, found.last_queue_number)
            found = replace(found, waiting=found.waiting + n, last_queue_number=last)
        elif mode == Mode.IN_PERSON.value:
            found = replace(found, seated=found.seated + n)
        else:
            found = replace(found, remote=found.remote + n)
    return found


def registrations_of(
    session: Session, *, meeting_id: int, user_ids: Collection[int]
) -> list[RegistrationRow]:
    """The registrations of `user_ids` (those who have one), in one statement."""
    return list(
        session.exec(
            select(RegistrationRow)
            .where(RegistrationRow.meeting_id == meeting_id)
            .where(col(RegistrationRow.user_id).in_(list(user_ids)))
        )
    )


def first_in_line(session: Session, *, meeting_id: int, limit: int) -> list[RegistrationRow]:
    """The first `limit` of the waitlist, in line order."""
    if limit <= 0:
        return []
    return list(
        session.exec(
            select(RegistrationRow)
            .where(RegistrationRow.meeting_id == meeting_id)
            .where(RegistrationRow.status == Status.WAITLISTED.value)
            .order_by(col(RegistrationRow.queue_number))
            .limit(limit)
        )
    )


def recent_changes(
    session: Session, *, meeting: Meeting, user_ids: Collection[int], since: datetime
) -> dict[int, list[datetime]]:
    """When each of `user_ids` changed their registration for `meeting` after `since`.

    Read from the kept commands (`bot.kept`), the store's record of every `/register` and
    `/unregister`: each applied one that changed something counts, dated when it was received;
    a refusal, a `/register` that changed nothing and a command not applied yet do not. One
    statement for all of `user_ids`; meeting and outcome are read from the few rows it returns.
    """
    found: dict[int, list[datetime]] = {user_id: [] for user_id in user_ids}
    if not found:
        return found
    done = (KeptState.APPLIED.value, KeptState.ANSWERED.value)
    rows = session.exec(
        select(CommandRow.user_id, CommandRow.options, CommandRow.result, CommandRow.received_at)
        .where(col(CommandRow.user_id).in_(list(found)))
        .where(col(CommandRow.kind).in_((REGISTER, UNREGISTER)))
        .where(col(CommandRow.state).in_(done))
        .where(col(CommandRow.received_at) > since)
    )
    for user_id, options, result, received_at in rows:
        if json.loads(options).get("meeting") != meeting.slug:
            continue
        if _changed_something(json.loads(result or "{}")):
            found[user_id].append(received_at)
    return found


def _changed_something(result: dict[str, Any]) -> bool:
    """Whether an applied `/register` or `/unregister` changed a registration, from its kept
    result (`bot.registration.service`): a refusal has neither key."""
    if result.get("cancelled"):
        return True
    return result.get("change") in (Change.CREATED.value, Change.UPDATED.value)


def position_of(session: Session, *, row: RegistrationRow) -> int | None:
    """A waitlisted registration's 1-based place in line; None for everyone else."""
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


def add_new(
    session: Session,
    *,
    meeting_id: int,
    registrations: Iterable[tuple[Registration, int | None]],
) -> None:
    """Write new registrations, each with its waitlist number (None: not waiting), in order.

    In a burst, making and flushing an ORM object per person cost more than the rest of the
    seating transaction.
    """
    rows = [
        {
            "meeting_id": meeting_id,
            "user_id": registration.user_id,
            "display_name": registration.display_name,
            "mode": registration.mode.value,
            "status": registration.status.value,
            "queue_number": queue_number,
            "member": registration.member,
            "affiliation": registration.affiliation,
            "dm": registration.dm,
            "locale": registration.locale,
            "notice_pending": False,
            "role_problem": "",
            "registered_at": registration.registered_at,
            "updated_at": registration.registered_at,
        }
        for registration, queue_number in registrations
    ]
    if rows:
        session.execute(insert(_REGISTRATION), rows)


def view(row: RegistrationRow, position: int | None = None) -> Registration:
    """A registration as the commands show it."""
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


def mine(session: Session, *, meeting: Meeting, user_id: int) -> tuple[Registration, bool] | None:
    """A registration with its waitlist position, and whether a promotion notice was pending."""
    row = _row(session, _meeting_id(session, meeting), user_id)
    if row is None:
        return None
    notice = row.notice_pending
    if notice:
        row.notice_pending = False
        session.add(row)
    return view(row, position_of(session, row=row)), notice


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
            .group_by(
                col(RegistrationRow.mode),
                col(RegistrationRow.status),
                col(RegistrationRow.member),
            )
        )
    }

    def total(**where: object) -> int:
        keys = ("mode", "status", "member")
        return sum(
            n
            for key, n in counts.items()
            if all(where.get(k, v) == v for k, v in zip(keys, key, strict=True))
        )

    open_now = registration_open(meeting, state=control.state, now=now)
    role_problems = session.exec(
        select(func.count())
        .select_from(RegistrationRow)
        .where(RegistrationRow.meeting_id == meeting_id)
        .where(RegistrationRow.role_problem != "")
    ).one()
    return CapacityFigures(
        meeting_title=meeting.title,
        capacity=room_capacity(meeting, override=control.capacity),
        in_person=total(mode="in_person", status="confirmed"),
        remote=total(mode="remote"),
        waitlist=total(status="waitlisted"),
        members=total(member=True),
        non_members=total(member=False),
        remote_capacity=meeting.remote_capacity,
        is_open=open_now,
        closes_at=meeting.registration_deadline if control.state == "auto" else None,
        role_problems=role_problems,
    )


def all_registrations(session: Session, *, meeting: Meeting) -> list[Registration]:
    """Confirmed in person, the waitlist in order, then remote; each group by registration time."""
    meeting_id = _meeting_id(session, meeting)
    rows = session.exec(
        select(RegistrationRow)
        .where(RegistrationRow.meeting_id == meeting_id)
        .order_by(col(RegistrationRow.registered_at), col(RegistrationRow.id))
    ).all()
    confirmed = [r for r in rows if r.mode == "in_person" and r.status == "confirmed"]
    waiting = sorted(
        (r for r in rows if r.status == "waitlisted"), key=lambda r: r.queue_number or 0
    )
    remote = [r for r in rows if r.mode == "remote"]
    return (
        [view(r) for r in confirmed]
        + [view(r, i) for i, r in enumerate(waiting, start=1)]
        + [view(r) for r in remote]
    )


def lookup(session: Session, *, meeting: Meeting, user_id: int) -> Registration | None:
    """A registration with its waitlist position, changing nothing."""
    row = _row(session, _meeting_id(session, meeting), user_id)
    return None if row is None else view(row, position_of(session, row=row))


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
    control = lock_control(session, meeting=meeting)
    control.panel_channel_id, control.panel_message_id = channel_id, message_id
    session.add(control)
