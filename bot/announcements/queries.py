"""Announcements in the store."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.announcements.model import TimeInThePast, UnknownAnnouncement
from bot.posts import queries as posts
from bot.posts.model import PlannedPost, PostKind, post_key
from bot.programme.queries import meeting_id as meeting_id_of
from bot.store.db import rows_changed
from bot.store.models import AnnouncementRow, MeetingRow, PlannedPostRow


def create(
    session: Session,
    *,
    slug: str,
    author_id: int,
    text: str,
    channel_id: int | None,
    audience: str,
    dm: bool,
    due: datetime | None,
    now: datetime,
) -> AnnouncementRow:
    """Store a draft announcement."""
    meeting_id = meeting_id_of(session, slug=slug)
    row = AnnouncementRow(
        meeting_id=meeting_id,
        author_id=author_id,
        text=text,
        channel_id=channel_id,
        audience=audience,
        dm=dm,
        due_at=due,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def get(session: Session, *, announcement_id: int) -> tuple[AnnouncementRow, str] | None:
    """One announcement and its meeting's slug."""
    row = session.get(AnnouncementRow, announcement_id)
    if row is None:
        return None
    meeting = session.get(MeetingRow, row.meeting_id)
    assert meeting is not None
    return row, meeting.slug


def change_status(
    session: Session, *, announcement_id: int, old: tuple[str, ...], new: str
) -> bool:
    """Move an announcement from one of `old` to `new`; False if it was elsewhere."""
    result = session.execute(
        update(AnnouncementRow)
        .where(col(AnnouncementRow.id) == announcement_id)
        .where(col(AnnouncementRow.status).in_(old))
        .values(status=new)
    )
    return rows_changed(result) == 1


def set_message(session: Session, *, announcement_id: int, message_id: int) -> None:
    """Remember the posted message, so a resumed delivery does not post it again."""
    row = session.get(AnnouncementRow, announcement_id)
    if row is not None:
        row.message_id = message_id
        session.add(row)


def scheduled(session: Session, *, slug: str) -> list[AnnouncementRow]:
    """Announcements confirmed whose post has not gone out yet, soonest first."""
    meeting_id = meeting_id_of(session, slug=slug)
    waiting = set(
        session.exec(
            select(PlannedPostRow.target)
            .where(PlannedPostRow.meeting_id == meeting_id)
            .where(PlannedPostRow.kind == PostKind.ANNOUNCEMENT.value)
            .where(col(PlannedPostRow.status).in_(posts.OPEN))
        )
    )
    rows = session.exec(
        select(AnnouncementRow)
        .where(AnnouncementRow.meeting_id == meeting_id)
        .where(AnnouncementRow.status == "scheduled")
        .order_by(col(AnnouncementRow.due_at), col(AnnouncementRow.id))
    )
    return [row for row in rows if str(row.id) in waiting]


def confirm(
    session: Session, *, announcement_id: int, now: datetime
) -> tuple[AnnouncementRow, str] | None:
    """Draft → scheduled, with its planned post (due at its time, else now), in one
    transaction; the announcement and its meeting's slug, or None if it is not a draft.

    An unknown announcement is refused, and so is a time that passed while it was previewed.
    """
    found = get(session, announcement_id=announcement_id)
    if found is None:
        raise UnknownAnnouncement(announcement_id)
    row, slug = found
    if row.due_at is not None and row.due_at <= now:
        raise TimeInThePast(row.due_at)  # the preview sat too long: say so
    if not change_status(session, announcement_id=announcement_id, old=("draft",), new="scheduled"):
        return None
    post = PlannedPost.make(slug, PostKind.ANNOUNCEMENT, str(announcement_id), row.due_at or now)
    posts.add_post(session, post=post)
    return row, slug  # the UPDATE brought `row` up to date too (the session synchronizes)


def cancel(
    session: Session, *, announcement_id: int, now: datetime
) -> tuple[AnnouncementRow, str] | None:
    """Cancel a draft, or a scheduled announcement whose post has not started, in one go; the
    announcement and its meeting's slug, or None if there is none such to cancel."""
    found = get(session, announcement_id=announcement_id)
    if found is None or found[0].status not in ("draft", "scheduled"):
        return None
    row, slug = found
    key = post_key(slug, PostKind.ANNOUNCEMENT, str(announcement_id))
    if row.status == "scheduled" and not posts.cancel(
        session, key=key, now=now, detail="cancelled by an organizer"
    ):
        return None  # it is being sent, or was
    row.status = "cancelled"
    session.add(row)
    return row, slug
