"""The web pages' pure parts: keys, buckets of registrations, the screen's talk, lateness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.programme.files import load_meeting_file
from bot.registration.model import CapacityFigures
from bot.web.model import (
    AskedQuestion,
    Joined,
    PostLine,
    Snapshot,
    StoreView,
    bucket_width,
    lateness,
    posts_of_day,
    registration_buckets,
    screen_state,
)
from bot.web.signing import DASHBOARD, SCREEN, key_matches, page_key
from tests.support.paths import SHIPPED_MEETING

SLUG = "theorie-du-deep-learning-2021"
BIAU = "some-theoretical-insights-into-wasserstein-gans"  # 10:00–10:45 Paris
DURING_BIAU = datetime(2021, 6, 28, 8, 10, tzinfo=UTC)
LUNCH = datetime(2021, 6, 28, 11, 0, tzinfo=UTC)
T0 = datetime(2021, 6, 1, 9, 0, tzinfo=UTC)


def figures() -> CapacityFigures:
    return CapacityFigures("T", 600, 0, 0, 0, 0, 0, None, True, None)


def snapshot(now: datetime, questions=(), threads=None) -> Snapshot:
    meeting = load_meeting_file(SHIPPED_MEETING)
    view = StoreView(figures=figures(), questions=tuple(questions), threads=threads or {})
    return Snapshot(meeting=meeting, view=view, taken_at=now)


def test_a_key_opens_one_page_of_one_meeting_under_one_secret() -> None:
    key = page_key("s" * 20, SLUG, SCREEN)
    assert key_matches("s" * 20, SLUG, SCREEN, key)
    assert not key_matches("s" * 20, SLUG, DASHBOARD, key)
    assert not key_matches("s" * 20, "other-meeting", SCREEN, key)
    assert not key_matches("t" * 20, SLUG, SCREEN, key)  # a new WEB_SECRET revokes it
    assert not key_matches(None, SLUG, SCREEN, key)
    assert not key_matches("s" * 20, SLUG, SCREEN, None)
    assert not key_matches("s" * 20, SLUG, SCREEN, key[:-1] + "é")
    with pytest.raises(ValueError):
        page_key("s" * 20, SLUG, "public")


def test_registrations_fall_into_contiguous_buckets_with_running_totals() -> None:
    joined = [
        Joined(T0, in_person=True, waitlisted=False),
        Joined(T0 + timedelta(hours=2, minutes=5), in_person=False, waitlisted=False),
        Joined(T0 + timedelta(hours=5), in_person=False, waitlisted=True),
    ]
    buckets = registration_buckets(reversed(joined))
    assert bucket_width(T0, T0 + timedelta(hours=5)) == timedelta(minutes=15)
    assert len(buckets) == 21  # 09:00 … 14:00, one per quarter of an hour
    assert (buckets[0].in_person, buckets[0].remote, buckets[0].waitlist) == (1, 0, 0)
    assert (buckets[8].in_person, buckets[8].remote) == (1, 1)
    assert (buckets[-1].in_person, buckets[-1].remote, buckets[-1].waitlist) == (1, 1, 1)
    assert buckets[1].start - buckets[0].start == timedelta(minutes=15)
    assert registration_buckets([]) == []


def test_three_days_of_registrations_are_counted_by_the_hour() -> None:
    joined = [Joined(T0 + timedelta(days=d), True, False) for d in range(3)]
    assert bucket_width(T0, T0 + timedelta(days=2)) == timedelta(hours=1)
    buckets = registration_buckets(joined)
    assert len(buckets) == 49
    assert [b.in_person for b in buckets][::24] == [1, 2, 3]
    assert bucket_width(T0, T0 + timedelta(days=20)) == timedelta(days=1)


def test_the_screen_shows_the_talk_under_way_with_its_questions_only() -> None:
    asked = [
        AskedQuestion(1, BIAU, "Mine?", "ada", 3, False, DURING_BIAU),
        AskedQuestion(2, "another-talk", "Elsewhere?", "bob", 9, False, DURING_BIAU),
    ]
    state = screen_state(snapshot(DURING_BIAU, asked, {BIAU: 77}))
    assert state.current is not None and state.current.key == BIAU
    assert [q.id for q in state.questions] == [1]
    assert state.thread_id == 77
    assert state.next is not None and state.next.start > DURING_BIAU


def test_between_talks_the_screen_shows_the_next_one() -> None:
    state = screen_state(snapshot(LUNCH))
    assert state.current is None and state.questions == ()
    assert state.next is not None and state.next.start > LUNCH


def test_lateness_counts_past_a_minute_and_only_what_went_or_goes_out_late() -> None:
    due = DURING_BIAU
    assert lateness(due, "sent", due + timedelta(seconds=30), due) is None
    assert lateness(due, "sent", due + timedelta(minutes=3), due) == timedelta(minutes=3)
    assert lateness(due, "pending", None, due + timedelta(minutes=5)) == timedelta(minutes=5)
    assert lateness(due, "cancelled", None, due + timedelta(hours=1)) is None


def test_the_day_s_posts_are_those_of_the_meeting_s_next_day() -> None:
    meeting = load_meeting_file(SHIPPED_MEETING)
    posts = [
        PostLine("talk_start", "a", DURING_BIAU, "pending", None),
        PostLine("call_reminder", "c", T0, "sent", None),
    ]
    assert [p.target for p in posts_of_day(posts, meeting, T0 + timedelta(days=3))] == ["a"]
    assert [p.target for p in posts_of_day(posts, meeting, T0)] == ["c"]
