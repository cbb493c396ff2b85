"""The planner: every post of the day with a stable key and the right time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.posts.model import PostKind, nonce_for, plan_posts, post_key
from bot.programme.files import load_meeting_file
from bot.programme.model import ReminderSettings
from tests.support.paths import SHIPPED_MEETING

MEETING = load_meeting_file(SHIPPED_MEETING)
SLUG = MEETING.slug


def at(hour: int, minute: int) -> datetime:
    """A UTC instant on the meeting day (Paris is UTC+2 in June)."""
    return datetime(2021, 6, 28, hour, minute, tzinfo=UTC)


def test_the_shipped_day() -> None:
    posts = plan_posts(MEETING, remote_link=True)
    by_key = {p.key: p for p in posts}
    assert len(posts) == len(by_key) == 2 * 2 + 2 + 3 * 11 + 2  # and the call's 2 reminders
    first_talk = MEETING.talks[0]
    assert by_key[f"{SLUG}:qa-thread:{first_talk.key}"].due == at(8, 0)
    assert by_key[f"{SLUG}:qa-digest:{first_talk.key}"].due == at(8, 45)
    assert by_key[f"{SLUG}:session-reminder:s-session-1:15m"].due == at(7, 45)
    assert by_key[f"{SLUG}:session-reminder:s-session-1:0m"].due == at(8, 0)
    assert by_key[f"{SLUG}:link-dms:s-session-2:10m"].due == at(13, 50)
    talk_starts = [p for p in posts if p.kind is PostKind.TALK_START]
    assert [p.due for p in talk_starts] == [t.start for t in MEETING.talks]
    assert posts == sorted(posts, key=lambda p: (p.due, p.key))


def test_the_call_reminder_a_week_and_a_day_before_the_call_closes() -> None:
    closes = datetime(2021, 5, 31, 21, 59, tzinfo=UTC)  # 23:59 in Paris
    reminders = [p for p in plan_posts(MEETING) if p.kind is PostKind.CALL_REMINDER]
    assert [(p.key, p.due) for p in reminders] == [
        (f"{SLUG}:call-reminder:call-7d", closes - timedelta(days=7)),
        (f"{SLUG}:call-reminder:call-1d", closes - timedelta(days=1)),
    ]
    # A call that moves keeps its posts' keys: each is sent once.
    assert MEETING.call is not None
    moved = replace(MEETING, call=replace(MEETING.call, closes=closes + timedelta(days=3)))
    moved_reminders = [p for p in plan_posts(moved) if p.kind is PostKind.CALL_REMINDER]
    assert [p.key for p in moved_reminders] == [p.key for p in reminders]
    assert moved_reminders[0].due == closes + timedelta(days=3) - timedelta(days=7)
    assert not [
        p for p in plan_posts(replace(MEETING, call=None)) if p.kind is PostKind.CALL_REMINDER
    ]


def test_without_a_link_no_link_dms() -> None:
    assert not [p for p in plan_posts(MEETING, remote_link=False) if p.kind is PostKind.LINK_DMS]


def test_settings_change_the_plan() -> None:
    quiet = replace(
        MEETING,
        reminders=ReminderSettings(session_leads_minutes=(30, 2.5), talk_start=False),
    )
    keys = [
        p.key
        for p in plan_posts(quiet, remote_link=False)
        if p.kind is PostKind.SESSION_REMINDER or p.kind is PostKind.TALK_START
    ]
    assert keys == [
        f"{SLUG}:session-reminder:s-session-1:30m",
        f"{SLUG}:session-reminder:s-session-1:2.5m",
        f"{SLUG}:session-reminder:s-session-2:30m",
        f"{SLUG}:session-reminder:s-session-2:2.5m",
    ]


def test_a_moved_talk_keeps_its_key() -> None:
    talk = MEETING.sessions[1].talks[0]
    moved = replace(talk, start=talk.start + timedelta(minutes=5))
    session = replace(MEETING.sessions[1], talks=(moved, *MEETING.sessions[1].talks[1:]))
    edited = replace(MEETING, sessions=(MEETING.sessions[0], session))
    key = post_key(SLUG, PostKind.TALK_START, talk.key)
    [before] = [p for p in plan_posts(MEETING) if p.key == key]
    [after] = [p for p in plan_posts(edited) if p.key == key]
    assert after.due - before.due == timedelta(minutes=5)


def test_nonces_are_stable_and_short() -> None:
    assert nonce_for("a") == nonce_for("a") != nonce_for("b")
    assert len(nonce_for("x" * 300)) == 25
