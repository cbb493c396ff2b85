"""The store's side of change notices: what attendees were last told of a programme, the notice
being sent (frozen at its first attempt, so a resumed send says the same), the organizers' hold."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.posts.model import PlannedPost, PostKind
from bot.posts.queries import OPEN, get
from bot.store import state
from bot.store.models import MeetingRow, PlannedPostRow


def _meeting(session: Session, slug: str) -> MeetingRow:
    return session.exec(select(MeetingRow).where(MeetingRow.slug == slug)).one()


def announced(session: Session, *, slug: str) -> str:
    """The programme as the last notice told it (`dump_states` JSON); "" before the first."""
    return _meeting(session, slug).announced_json


def set_announced(session: Session, *, slug: str, states: str, number: int = 0) -> None:
    """Attendees now know the programme as `states` tells it (notice `number`; 0 before any).
    A notice resumed after a later one was told changes nothing: what it told is older."""
    key = f"programme-changes-told:{slug}"
    if number and int(state.get_state(session, key=key) or 0) > number:
        return
    row = _meeting(session, slug)
    row.announced_json = states
    session.add(row)
    if number:
        state.set_state(session, key=key, value=str(number))


def open_notice(session: Session, *, slug: str, other_than: str = "") -> PlannedPost | None:
    """The change notice planned and not yet sent (but `other_than`), if any."""
    key = session.exec(
        select(PlannedPostRow.key)
        .where(PlannedPostRow.meeting_id == _meeting(session, slug).id)
        .where(PlannedPostRow.kind == PostKind.PROGRAMME_CHANGES.value)
        .where(col(PlannedPostRow.status).in_(OPEN))
        .where(PlannedPostRow.key != other_than)
    ).first()
    record = get(session, key=key) if key else None
    return record.post if record else None


def notices_planned(session: Session, *, slug: str) -> int:
    """How many change notices the meeting has had planned (each one's key takes the next)."""
    return session.exec(
        select(func.count())
        .select_from(PlannedPostRow)
        .where(PlannedPostRow.meeting_id == _meeting(session, slug).id)
        .where(PlannedPostRow.kind == PostKind.PROGRAMME_CHANGES.value)
    ).one()


def _held_key(slug: str) -> str:
    return f"programme-changes-held:{slug}"


def held(session: Session, *, slug: str) -> bool:
    """Whether the organizers hold the meeting's change notices."""
    return state.get_state(session, key=_held_key(slug)) == "yes"


def set_held(session: Session, *, slug: str, value: bool) -> None:
    """Hold the change notices, or let them go."""
    state.set_state(session, key=_held_key(slug), value="yes" if value else "no")


def frozen(session: Session, *, key: str) -> dict[str, Any] | None:
    """What a notice being sent says (states, instant, message id), frozen at its first try."""
    raw = state.get_state(session, key=f"notice:{key}")
    return json.loads(raw) if raw else None


def freeze(session: Session, *, key: str, value: dict[str, Any]) -> None:
    """Keep what a notice says for its resumed attempts."""
    state.set_state(session, key=f"notice:{key}", value=json.dumps(value, ensure_ascii=False))
