"""Scheduled events in the store: what each meeting's events are on Discord, claimed first."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from bot.events.model import EventPlan, StoredEvent
from bot.programme.queries import meeting_id as meeting_id_of
from bot.store.models import ScheduledEventRow


def _stored(row: ScheduledEventRow) -> StoredEvent:
    return StoredEvent(
        key=row.key,
        event_id=row.event_id,
        status=row.status,
        digest=row.digest,
        name=row.name,
        start=row.start_at,
        end=row.end_at,
    )


def stored_events(session: Session, *, slug: str) -> dict[str, StoredEvent]:
    """Every event the store knows for a meeting, by key."""
    meeting_id = meeting_id_of(session, slug=slug)
    rows = session.exec(select(ScheduledEventRow).where(ScheduledEventRow.meeting_id == meeting_id))
    return {row.key: _stored(row) for row in rows}


def _row(session: Session, slug: str, key: str) -> ScheduledEventRow | None:
    return session.get(ScheduledEventRow, (meeting_id_of(session, slug=slug), key))


def _row_for(session: Session, slug: str, plan: EventPlan, now: datetime) -> ScheduledEventRow:
    return _row(session, slug, plan.key) or ScheduledEventRow(
        meeting_id=meeting_id_of(session, slug=slug),
        key=plan.key,
        start_at=plan.start,
        end_at=plan.end,
        updated_at=now,
    )


def claim(session: Session, *, slug: str, plan: EventPlan, now: datetime) -> None:
    """Write down that the event is being created, before Discord is asked: a crash in between
    leaves a `creating` row that the next pass matches with what Discord lists."""
    row = _row_for(session, slug, plan, now)
    row.event_id, row.status, row.digest = None, "creating", ""
    row.name, row.start_at, row.end_at, row.updated_at = plan.name, plan.start, plan.end, now
    session.add(row)


def record(
    session: Session, *, slug: str, plan: EventPlan, event_id: int, digest: str, now: datetime
) -> None:
    """The event as Discord now has it: its id, and the digest of what it was sent."""
    row = _row_for(session, slug, plan, now)
    row.event_id, row.status, row.digest = event_id, "live", digest
    row.name, row.start_at, row.end_at, row.updated_at = plan.name, plan.start, plan.end, now
    session.add(row)


def set_status(session: Session, *, slug: str, key: str, status: str, now: datetime) -> None:
    """An event lost, cancelled or done."""
    row = _row(session, slug, key)
    if row is not None:
        row.status, row.updated_at = status, now
        session.add(row)
