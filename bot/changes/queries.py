"""The store's side of change notices: what attendees were last told of a programme, the notice
being sent (frozen at its first attempt, so a resumed send says the same), the organizers' hold;
and each step of a notice as one transaction, its rules in `bot.changes.model`."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.changes.model import (
    FrozenNotice,
    Notice,
    NoticePreview,
    NoticeTurn,
    first_told,
    notice_due,
    notice_number,
    notice_to_plan,
    what_changed,
)
from bot.posts.model import PlannedPost, PostKind, PostRecord
from bot.posts.queries import OPEN, add_post, cancel, claimed_at, get
from bot.programme.diff import ProgrammeDiff, programme_state
from bot.programme.model import Meeting
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


def _told_at_key(slug: str) -> str:
    return f"programme-changes-told-at:{slug}"


def last_told(session: Session, *, slug: str) -> datetime | None:
    """When the meeting's last notice that told something was sent; None before any."""
    raw = state.get_state(session, key=_told_at_key(slug))
    return datetime.fromisoformat(raw) if raw else None


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


# Each step of a notice, one transaction: the reads and the write they decide happen together.


def _owed(session: Session, meeting: Meeting, now: datetime) -> ProgrammeDiff:
    """What attendees are owed; a meeting seen for the first time is known as it is."""
    row = _meeting(session, meeting.slug)
    if not row.announced_json:
        row.announced_json = first_told(meeting)
        session.add(row)
    return what_changed(row.announced_json, programme_state(meeting), now)


def _plan(
    session: Session,
    meeting: Meeting,
    *,
    now: datetime,
    due: datetime,
    gap: timedelta,
    sending: str = "",
) -> tuple[ProgrammeDiff, PostRecord | None]:
    """What is owed, and the notice planned for it now, if one is (none while one other than
    `sending` is planned, or notices are held); it goes at `due`, or `gap` after the last."""
    owed = _owed(session, meeting, now)
    post = notice_to_plan(
        meeting,
        owed,
        held=held(session, slug=meeting.slug),
        planned=open_notice(session, slug=meeting.slug, other_than=sending),
        count=notices_planned(session, slug=meeting.slug),
        due=notice_due(due, last_told(session, slug=meeting.slug), gap),
    )
    if post is None:
        return owed, None
    add_post(session, post=post)
    session.flush()
    return owed, get(session, key=post.key)


def plan_notices(
    session: Session, *, meetings: list[Meeting], now: datetime, due: datetime, gap: timedelta
) -> list[tuple[ProgrammeDiff, PostRecord]]:
    """Plan, due at `due` (or `gap` after the last notice), the notice each meeting's changes
    call for (after an edit, and at start, so a crash between an edit and its notice loses
    nothing); the ones planned now."""
    planned = []
    for meeting in meetings:
        owed, record = _plan(session, meeting, now=now, due=due, gap=gap)
        if record is not None:
            planned.append((owed, record))
    return planned


def preview(session: Session, *, meeting: Meeting, now: datetime) -> NoticePreview:
    """The meeting's changes not yet told, the notice planned for them, and the hold."""
    owed = _owed(session, meeting, now)
    planned = open_notice(session, slug=meeting.slug)
    due = planned.due if planned else None
    return NoticePreview(meeting, owed, due, held(session, slug=meeting.slug))


def _cancel(session: Session, planned: PlannedPost | None, *, now: datetime, detail: str) -> str:
    if planned is None:
        return ""
    cancel(session, key=planned.key, now=now, detail=detail)
    return planned.key


def hold(session: Session, *, meeting: Meeting, now: datetime) -> NoticeTurn:
    """Hold the meeting's notices: the planned one is cancelled, none is planned."""
    set_held(session, slug=meeting.slug, value=True)
    planned = open_notice(session, slug=meeting.slug)
    cancelled = _cancel(session, planned, now=now, detail="held by an organizer")
    return NoticeTurn(preview(session, meeting=meeting, now=now), cancelled=cancelled or None)


def release(
    session: Session,
    *,
    meeting: Meeting,
    now: datetime,
    due: datetime,
    gap: timedelta,
    at_once: bool,
) -> NoticeTurn:
    """Let the meeting's notices go: one is planned, due at `due` (or `gap` after the last);
    `at_once` first cancels the one planned for later, so the new one goes now (an organizer
    decides it: the gap does not apply)."""
    set_held(session, slug=meeting.slug, value=False)
    planned = open_notice(session, slug=meeting.slug) if at_once else None
    cancelled = _cancel(session, planned, now=now, detail="sent now")
    gap = timedelta(0) if at_once else gap
    _owed, record = _plan(session, meeting, now=now, due=due, gap=gap)
    turn = preview(session, meeting=meeting, now=now)
    return NoticeTurn(turn, planned=record, cancelled=cancelled or None)


def begin(session: Session, *, post: PlannedPost, meeting: Meeting, now: datetime) -> Notice:
    """The notice `post` as its first attempt froze it (freezing it now at the first)."""
    kept = frozen(session, key=post.key)
    if kept is None:
        notice = FrozenNotice.first_attempt(
            _meeting(session, meeting.slug).announced_json, meeting, now
        )
        freeze(session, key=post.key, value=notice.to_dict())
    else:
        notice = FrozenNotice.from_dict(kept)
    return Notice(meeting, notice, claimed_at(session, key=post.key))


def mark(
    session: Session, *, key: str, posting: bool | None = None, message_id: int | None = None
) -> None:
    """The notice's channel message is about to go (`posting`), or went (`message_id`)."""
    kept = frozen(session, key=key)
    assert kept is not None, key
    notice = FrozenNotice.from_dict(kept).marked(posting=posting, message_id=message_id)
    freeze(session, key=key, value=notice.to_dict())


def told(
    session: Session,
    *,
    post: PlannedPost,
    notice: Notice,
    meeting: Meeting,
    now: datetime,
    due: datetime,
    gap: timedelta,
) -> tuple[ProgrammeDiff, PostRecord | None]:
    """Attendees now know what the notice told; changes made meanwhile (in `meeting`, the
    programme now) get a notice due at `due`, or `gap` after this one if it told something
    (one that found its changes undone sent nothing, and does not count)."""
    set_announced(
        session,
        slug=meeting.slug,
        states=notice.frozen.states,
        number=notice_number(post),
    )
    if notice.diff:
        state.set_state(session, key=_told_at_key(meeting.slug), value=now.isoformat())
    return _plan(session, meeting, now=now, due=due, gap=gap, sending=post.key)
