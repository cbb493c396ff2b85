"""Planned posts in the store: the plan kept in step with the programme, claims, outcomes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.posts.model import PlannedPost, PostKind, PostRecord
from bot.programme.queries import meeting_id as meeting_id_of
from bot.store.db import rows_changed
from bot.store.models import MeetingRow, PlannedPostRow

OPEN = ("pending", "sending")


def _record(row: PlannedPostRow, slug: str) -> PostRecord:
    post = PlannedPost(
        key=row.key,
        meeting_slug=slug,
        kind=PostKind(row.kind),
        target=row.target,
        due=row.due_at,
        lead_minutes=row.lead_minutes,
    )
    return PostRecord(post=post, status=row.status, done_at=row.done_at, detail=row.detail)


def _slugs(session: Session) -> dict[int, str]:
    return {m.id: m.slug for m in session.exec(select(MeetingRow)) if m.id is not None}


def _slug(session: Session, meeting_id: int) -> str:
    meeting = session.get(MeetingRow, meeting_id)
    assert meeting is not None
    return meeting.slug


#: The posts that tell attendees a time: once sent, a move of their session or talk is put right.
CORRECTED = (PostKind.SESSION_REMINDER, PostKind.TALK_START)


def sync_plan(
    session: Session, *, slug: str, posts: list[PlannedPost], now: datetime | None = None
) -> list[PostRecord]:
    """Make the stored plan of one meeting match `posts`; returns the posts still to send.

    Sent, late and failed posts are history and stay as they are; a pending post that the
    programme no longer calls for is cancelled; a moved one (even one skipped) gets its new time.
    A reminder or "now on" already sent whose time moved, for a session or talk still ahead at
    `now`, gets one correction, due at once, and is sent again at its new time.
    """
    meeting_id = meeting_id_of(session, slug=slug)
    existing: dict[str, PlannedPostRow] = {
        row.key: row
        for row in session.exec(
            select(PlannedPostRow).where(PlannedPostRow.meeting_id == meeting_id)
        )
    }
    wanted = {post.key: post for post in posts}
    repeats: set[str] = set()  # the sent posts' repeats at their new times
    for key, post in wanted.items():
        row = existing.get(key)
        if row is None:
            session.add(_new_row(meeting_id, post))
        elif row.status in ("pending", "cancelled", "skipped") and row.due_at != post.due:
            # A moved post is planned afresh (a skipped one included: its new time may be ahead).
            row.due_at, row.status = post.due, "pending"
            session.add(row)
        elif row.status == "cancelled":
            row.status = "pending"
            session.add(row)
        elif now is not None and post.kind in CORRECTED and row.status in ("sent", "late"):
            repeats |= _correct(session, existing, row, post, now)
    for key, row in existing.items():
        planned = key in wanted or key in repeats
        if not planned and PostKind(row.kind).from_programme and row.status == "pending":
            row.status, row.detail = "cancelled", "no longer in the programme"
            session.add(row)
    session.flush()
    return open_posts(session)


def _stamp(instant: datetime) -> str:
    return f"{instant.astimezone(UTC):%Y%m%dT%H%M}"


def _correction_prefix(row: PlannedPostRow | PlannedPost, slug: str) -> str:
    kind = row.kind.value if isinstance(row.kind, PostKind) else row.kind
    return f"{slug}:correction:{kind}:{row.target}:"


def correction_key(post: PlannedPost, start: datetime, number: int) -> str:
    """The key of the `number`th correction of what `post` announces, now at `start` (one for
    the session, whatever its reminders' leads)."""
    return f"{_correction_prefix(post, post.meeting_slug)}{_stamp(start)}:{number}"


def repeat_key(key: str, due: datetime) -> str:
    """The key of post `key` sent again at its new time `due`."""
    return f"{key}:again:{_stamp(due)}"


def _correct(
    session: Session,
    existing: dict[str, PlannedPostRow],
    row: PlannedPostRow,
    post: PlannedPost,
    now: datetime,
) -> set[str]:
    """After the sent `row` moved to `post`'s time: when the start it announces differs from
    what attendees were told last (by it, or by the latest correction) and is still ahead, a
    correction at once (one for the session, whatever its leads); and the post again at its
    new time, if that is still ahead. Returns the repeat that stays planned."""
    lead = timedelta(minutes=post.lead_minutes or 0)
    start = post.due + lead
    prefix = _correction_prefix(post, post.meeting_slug)
    numbered = sorted(
        (int(key.rsplit(":", 1)[1]), key) for key in existing if key.startswith(prefix)
    )
    if numbered:
        stamp = numbered[-1][1].removeprefix(prefix).split(":")[0]
        told = datetime.strptime(stamp, "%Y%m%dT%H%M").replace(tzinfo=UTC)
    else:
        told = row.due_at + lead
    if abs(start - told) >= timedelta(minutes=1) and start > now:
        key = correction_key(post, start, len(numbered) + 1)
        correction = PlannedPost(
            key, post.meeting_slug, PostKind.CORRECTION, row.key, now, row.lead_minutes
        )
        existing[key] = _new_row(row.meeting_id, correction)
        session.add(existing[key])
    if abs(post.due - row.due_at) < timedelta(minutes=1) or post.due <= now:
        return set()
    repeat = repeat_key(row.key, post.due)
    again = existing.get(repeat)
    if again is None:
        again = _new_row(row.meeting_id, replace(post, key=repeat))
        existing[repeat] = again
    elif again.status == "cancelled":
        again.status = "pending"
    session.add(again)
    return {repeat}


def add_post(session: Session, *, post: PlannedPost) -> None:
    """Plan one post (an announcement)."""
    session.add(_new_row(meeting_id_of(session, slug=post.meeting_slug), post))


def _new_row(meeting_id: int, post: PlannedPost) -> PlannedPostRow:
    """The store's row of a post planned now."""
    return PlannedPostRow(
        key=post.key,
        meeting_id=meeting_id,
        kind=post.kind.value,
        target=post.target,
        lead_minutes=post.lead_minutes,
        due_at=post.due,
    )


def open_posts(session: Session) -> list[PostRecord]:
    """Posts not yet done (pending, or claimed and interrupted), in time order."""
    slugs = _slugs(session)
    rows = session.exec(
        select(PlannedPostRow)
        .where(col(PlannedPostRow.status).in_(OPEN))
        .order_by(col(PlannedPostRow.due_at), col(PlannedPostRow.key))
    )
    return [_record(row, slugs[row.meeting_id]) for row in rows]


def timeline(session: Session, *, slug: str) -> list[PostRecord]:
    """Every post of a meeting, whatever its status, in time order."""
    meeting_id = meeting_id_of(session, slug=slug)
    rows = session.exec(
        select(PlannedPostRow)
        .where(PlannedPostRow.meeting_id == meeting_id)
        .order_by(col(PlannedPostRow.due_at), col(PlannedPostRow.key))
    )
    return [_record(row, slug) for row in rows]


def get(session: Session, *, key: str) -> PostRecord | None:
    """One post."""
    row = session.get(PlannedPostRow, key)
    return None if row is None else _record(row, _slug(session, row.meeting_id))


def claim(session: Session, *, key: str, now: datetime) -> bool:
    """Take a pending post for sending; False when it is taken, done or cancelled."""
    result = session.execute(
        update(PlannedPostRow)
        .where(col(PlannedPostRow.key) == key)
        .where(col(PlannedPostRow.status) == "pending")
        .values(status="sending", claimed_at=now)
    )
    return rows_changed(result) == 1


Claim = Literal["claimed", "skipped", "gone"]


def claim_due(
    session: Session, *, key: str, now: datetime, graces: Mapping[str, timedelta]
) -> tuple[Claim, PostRecord | None]:
    """Take a pending post for sending if it is within its meeting's grace, else skip it.

    One transaction from the due instant to the claim, so a post goes out sooner after its
    time. Returns ("claimed" | "skipped", the post), or ("gone", None) when it is taken, done
    or cancelled.
    """
    row = session.get(PlannedPostRow, key, with_for_update=True)
    if row is None or row.status != "pending":
        return "gone", None
    record = _record(row, _slug(session, row.meeting_id))
    overdue = now - record.post.due
    # A change notice is never too late: what changed is still worth telling.
    late_ok = record.post.kind is PostKind.PROGRAMME_CHANGES
    if not late_ok and overdue > graces.get(record.post.meeting_slug, timedelta(0)):
        row.status, row.done_at, row.detail = "skipped", now, f"missed by {overdue}"
        session.add(row)
        return "skipped", record
    row.status, row.claimed_at = "sending", now
    session.add(row)
    return "claimed", record


def claimed_at(session: Session, *, key: str) -> datetime | None:
    """When a post was claimed (for one interrupted while sending)."""
    row = session.get(PlannedPostRow, key)
    return None if row is None else row.claimed_at


def finish(
    session: Session,
    *,
    key: str,
    status: str,
    now: datetime,
    message_id: int | None = None,
    detail: str = "",
) -> None:
    """Record how a post ended: sent, late, skipped, failed or cancelled."""
    row = session.get(PlannedPostRow, key)
    if row is None:
        return
    row.status, row.done_at, row.message_id, row.detail = status, now, message_id, detail
    session.add(row)


def cancel(session: Session, *, key: str, now: datetime, detail: str) -> bool:
    """Cancel a post that is still pending."""
    result = session.execute(
        update(PlannedPostRow)
        .where(col(PlannedPostRow.key) == key)
        .where(col(PlannedPostRow.status) == "pending")
        .values(status="cancelled", done_at=now, detail=detail)
    )
    return rows_changed(result) == 1
