"""What attendees were told of a programme, in the store (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.changes import queries as store
from bot.programme import queries
from bot.programme.files import load_meeting_file
from bot.store.db import Database
from tests.support.paths import SHIPPED_MEETING

SLUG = "theorie-du-deep-learning-2021"


def test_a_notice_resumed_after_a_later_one_was_told_changes_nothing(db: Database) -> None:
    meeting = load_meeting_file(SHIPPED_MEETING)
    now = datetime(2021, 6, 1, tzinfo=UTC)
    db.call(queries.save_meeting, meeting=meeting, source="test", now=now, write=True)
    assert db.call(store.announced, slug=SLUG) == ""

    db.call(store.set_announced, slug=SLUG, states="[1]", write=True)  # first sight
    db.call(store.set_announced, slug=SLUG, states="[2]", number=2, write=True)
    db.call(store.set_announced, slug=SLUG, states="[old]", number=1, write=True)  # resumed
    assert db.call(store.announced, slug=SLUG) == "[2]"
    db.call(store.set_announced, slug=SLUG, states="[3]", number=3, write=True)
    assert db.call(store.announced, slug=SLUG) == "[3]"


def test_holding_and_what_a_notice_froze(db: Database) -> None:
    meeting = load_meeting_file(SHIPPED_MEETING)
    now = datetime(2021, 6, 1, tzinfo=UTC)
    db.call(queries.save_meeting, meeting=meeting, source="test", now=now, write=True)
    assert not db.call(store.held, slug=SLUG)
    db.call(store.set_held, slug=SLUG, value=True, write=True)
    assert db.call(store.held, slug=SLUG)
    key = f"{SLUG}:programme-changes:n1"
    assert db.call(store.frozen, key=key) is None
    db.call(store.freeze, key=key, value={"states": "[]", "message_id": 7}, write=True)
    assert db.call(store.frozen, key=key) == {"states": "[]", "message_id": 7}
