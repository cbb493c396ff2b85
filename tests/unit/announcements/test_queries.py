"""Announcements in the store: confirming and cancelling, each in one transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.announcements import queries as store
from bot.announcements.model import TimeInThePast, UnknownAnnouncement
from bot.posts import queries as posts
from bot.programme import queries as programme
from bot.programme.files import load_meeting_file
from bot.store.db import Database
from tests.support.paths import SHIPPED_MEETING

NOW = datetime(2021, 6, 28, 9, 0, tzinfo=UTC)


def draft(db: Database, due: datetime | None = None) -> int:
    meeting = load_meeting_file(SHIPPED_MEETING)
    db.call(programme.save_meeting, meeting=meeting, source="test", now=NOW, write=True)
    row = db.call(
        store.create,
        slug=meeting.slug,
        author_id=1,
        text="Coffee is served.",
        channel_id=None,
        audience="none",
        dm=False,
        due=due,
        now=NOW,
        write=True,
    )
    assert row.id is not None
    return row.id


def test_confirming_plans_the_post_once(db: Database) -> None:
    number = draft(db, due=NOW + timedelta(hours=1))
    confirmed = db.call(store.confirm, announcement_id=number, now=NOW, write=True)
    assert confirmed is not None
    row, slug = confirmed
    assert row.status == "scheduled"
    record = db.call(posts.get, key=f"{slug}:announcement:{number}")
    assert record is not None and record.post.due == NOW + timedelta(hours=1)
    assert db.call(store.confirm, announcement_id=number, now=NOW, write=True) is None


def test_confirming_refuses_a_time_gone_and_an_unknown_announcement(db: Database) -> None:
    number = draft(db, due=NOW + timedelta(minutes=5))
    later = NOW + timedelta(minutes=5)
    with pytest.raises(TimeInThePast):
        db.call(store.confirm, announcement_id=number, now=later, write=True)
    found = db.call(store.get, announcement_id=number)
    assert found is not None and found[0].status == "draft"
    with pytest.raises(UnknownAnnouncement):
        db.call(store.confirm, announcement_id=number + 1, now=NOW, write=True)


def test_cancelling_stops_a_post_not_yet_sending(db: Database) -> None:
    waiting, sending = (
        draft(db, due=NOW + timedelta(hours=1)),
        draft(db, due=NOW + timedelta(hours=2)),
    )
    for number in (waiting, sending):
        db.call(store.confirm, announcement_id=number, now=NOW, write=True)
    slug = load_meeting_file(SHIPPED_MEETING).slug
    assert db.call(posts.claim, key=f"{slug}:announcement:{sending}", now=NOW, write=True)

    cancelled = db.call(store.cancel, announcement_id=waiting, now=NOW, write=True)
    assert cancelled is not None and cancelled[0].status == "cancelled"
    record = db.call(posts.get, key=f"{slug}:announcement:{waiting}")
    assert record is not None and record.status == "cancelled"
    assert db.call(store.cancel, announcement_id=waiting, now=NOW, write=True) is None
    assert db.call(store.cancel, announcement_id=sending, now=NOW, write=True) is None
    assert db.call(store.cancel, announcement_id=sending + 1, now=NOW, write=True) is None
