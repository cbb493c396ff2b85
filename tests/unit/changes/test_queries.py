"""What attendees were told of a programme, in the store (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.changes import queries as store
from bot.posts import queries as posts
from bot.programme import queries
from bot.programme.files import load_meeting_file
from bot.store.db import Database
from tests.support.paths import SHIPPED_MEETING

SLUG = "theorie-du-deep-learning-2021"
NO_GAP = timedelta(0)
GAP = timedelta(minutes=30)


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


def test_each_step_of_a_notice_is_one_transaction(db: Database) -> None:
    meeting = load_meeting_file(SHIPPED_MEETING)
    now = meeting.start - timedelta(days=1)
    db.call(queries.save_meeting, meeting=meeting, source="test", now=now, write=True)
    first = meeting.talks[0]
    edited = replace(
        meeting,
        sessions=(
            replace(
                meeting.sessions[0],
                talks=(replace(first, title="Renamed"), *meeting.sessions[0].talks[1:]),
            ),
            *meeting.sessions[1:],
        ),
    )
    due = now + timedelta(minutes=3)
    # At first sight, attendees know the programme as it is: nothing is planned.
    assert (
        db.call(store.plan_notices, meetings=[meeting], now=now, due=due, gap=NO_GAP, write=True)
        == []
    )
    [(owed, record)] = db.call(
        store.plan_notices, meetings=[edited], now=now, due=due, gap=NO_GAP, write=True
    )
    assert [c.latest.title for c in owed.changes] == ["Renamed"]
    assert (record.post.target, record.post.due, record.status) == ("n1", due, "pending")
    # A second edit joins it.
    assert (
        db.call(store.plan_notices, meetings=[edited], now=now, due=due, gap=NO_GAP, write=True)
        == []
    )

    held = db.call(store.hold, meeting=edited, now=now, write=True)
    assert held.cancelled == record.post.key and held.planned is None
    assert held.preview.held and held.preview.due is None and held.preview.diff == owed
    at_once = db.call(
        store.release, meeting=edited, now=now, due=now, gap=GAP, at_once=True, write=True
    )
    assert at_once.planned is not None and at_once.planned.post.target == "n2"
    assert not at_once.preview.held and at_once.preview.due == now

    post = at_once.planned.post
    notice = db.call(store.begin, post=post, meeting=edited, now=now, write=True)
    assert notice.diff == owed and notice.message_id is None
    db.call(store.mark, key=post.key, posting=True, write=True)
    db.call(store.mark, key=post.key, message_id=99, write=True)
    resumed = db.call(store.begin, post=post, meeting=meeting, now=now, write=True)
    assert resumed.diff == owed  # frozen: the programme since then does not change it
    assert (resumed.frozen.posting, resumed.message_id) == (True, 99)

    # Told while the edit was undone: what attendees know now differs again, so a notice is due.
    _owed, again = db.call(
        store.told,
        post=post,
        notice=resumed,
        meeting=meeting,
        now=now,
        due=due,
        gap=NO_GAP,
        write=True,
    )
    assert again is not None and again.post.target == "n3"
    db.call(posts.finish, key=post.key, status="sent", now=now, message_id=99, write=True)
    preview = db.call(store.preview, meeting=meeting, now=now, write=True)
    assert [c.latest.title for c in preview.diff.changes] == [first.title]
    assert preview.due == due


def retitled(meeting, title: str):
    first = meeting.talks[0]
    return replace(
        meeting,
        sessions=(
            replace(
                meeting.sessions[0],
                talks=(replace(first, title=title), *meeting.sessions[0].talks[1:]),
            ),
            *meeting.sessions[1:],
        ),
    )


def send(db: Database, record, meeting, now: datetime, gap: timedelta = GAP):
    """The notice `record` goes at `now`: begun, told; the next one planned, if any."""
    notice = db.call(store.begin, post=record.post, meeting=meeting, now=now, write=True)
    db.call(posts.finish, key=record.post.key, status="sent", now=now, message_id=1, write=True)
    _owed, after = db.call(
        store.told,
        post=record.post,
        notice=notice,
        meeting=meeting,
        now=now,
        due=now + timedelta(minutes=3),
        gap=gap,
        write=True,
    )
    return notice, after


def test_notices_of_a_meeting_go_at_most_once_per_gap(db: Database) -> None:
    meeting = load_meeting_file(SHIPPED_MEETING)
    now = meeting.start - timedelta(days=1)
    db.call(queries.save_meeting, meeting=meeting, source="test", now=now, write=True)
    db.call(store.plan_notices, meetings=[meeting], now=now, due=now, gap=GAP, write=True)
    first = retitled(meeting, "Renamed")
    [(_owed, record)] = db.call(
        store.plan_notices,
        meetings=[first],
        now=now,
        due=now + timedelta(minutes=3),
        gap=GAP,
        write=True,
    )
    assert record.post.due == now + timedelta(minutes=3)  # no notice yet: the usual delay
    told_at = now + timedelta(minutes=3)
    notice, after = send(db, record, first, told_at)
    assert notice.diff and after is None

    # The source changes again five minutes later: its notice waits for the gap.
    later = told_at + timedelta(minutes=5)
    second = retitled(meeting, "Renamed again")
    [(_owed, again)] = db.call(
        store.plan_notices,
        meetings=[second],
        now=later,
        due=later + timedelta(minutes=3),
        gap=GAP,
        write=True,
    )
    assert again.post.due == told_at + GAP
    # An organizer's "Post now" is theirs to decide: the gap does not hold it.
    turn = db.call(
        store.release, meeting=second, now=later, due=later, gap=GAP, at_once=True, write=True
    )
    assert turn.planned is not None and turn.planned.post.due == later


def test_a_change_undone_before_its_notice_tells_nothing_and_does_not_count(
    db: Database,
) -> None:
    meeting = load_meeting_file(SHIPPED_MEETING)
    now = meeting.start - timedelta(days=1)
    db.call(queries.save_meeting, meeting=meeting, source="test", now=now, write=True)
    db.call(store.plan_notices, meetings=[meeting], now=now, due=now, gap=GAP, write=True)
    flipped = retitled(meeting, "Renamed")
    [(_owed, record)] = db.call(
        store.plan_notices, meetings=[flipped], now=now, due=now, gap=GAP, write=True
    )
    # Flipped back before the notice went: nothing is owed, nothing more planned.
    assert (
        db.call(store.plan_notices, meetings=[meeting], now=now, due=now, gap=GAP, write=True) == []
    )
    assert not db.call(store.preview, meeting=meeting, now=now, write=True).diff

    notice, after = send(db, record, meeting, now)

    assert not notice.diff and after is None
    assert db.call(store.last_told, slug=SLUG) is None  # a notice that said nothing
    later = now + timedelta(minutes=1)
    [(_owed, next_one)] = db.call(
        store.plan_notices, meetings=[flipped], now=later, due=later, gap=GAP, write=True
    )
    assert next_one.post.due == later  # not held back by a notice that told nothing
