"""Pure rendering of scheduled posts for a meeting of several days and rooms: the reminders and
"now on" name the room, the timelines show each post's date; one room and one day as before."""

from __future__ import annotations

from bot.core.i18n import Translator
from bot.posts.model import PlannedPost, PostKind, PostRecord, plan_posts
from bot.posts.render import (
    describe_post,
    plan_lines,
    render_timeline,
    session_reminder,
    talk_start,
)
from bot.programme.files import load_meeting_file
from tests.support.paths import SHIPPED_MEETING
from tests.unit.programme.test_render import DAY1, TWO_DAYS, at

EN, FR = Translator("en"), Translator("fr")
SHIPPED = load_meeting_file(SHIPPED_MEETING)


def test_a_session_reminder_names_its_room() -> None:
    morning_b = TWO_DAYS.sessions[1]
    text, card = session_reminder(TWO_DAYS, morning_b, 15, EN, has_link=False)
    assert text == (
        "**Morning B** of Two days starts <t:1624885200:R> (<t:1624885200:t>) in Salle B."
    )
    assert card.title == "Morning B · Salle B"
    assert "Salle B" not in card.description  # the talks are in the session's room
    now, _ = session_reminder(TWO_DAYS, morning_b, 0, FR, has_link=False)
    assert now == (
        "**Morning B** de «\u202fTwo days\u202f» commence maintenant, salle\u202f: Salle B."
    )
    _text, posters = session_reminder(TWO_DAYS, TWO_DAYS.sessions[2], 15, EN, has_link=False)
    assert "**Talk p1** · Amphi A" in posters.description
    assert "**Talk p2** · Salle B" in posters.description


def test_the_shipped_reminders_name_no_room() -> None:
    text, card = session_reminder(SHIPPED, SHIPPED.sessions[0], 15, EN, has_link=False)
    assert text.endswith("starts <t:1624867200:R> (<t:1624867200:t>).")
    assert card.title == "Session 1"
    assert talk_start(SHIPPED.talks[0], EN).startswith("Now on: **Some Theoretical")


def test_now_on_names_the_room() -> None:
    talk = TWO_DAYS.talk("b1")
    assert talk is not None
    assert talk_start(talk, EN) == (
        "Now on in Salle B: **Talk b1** — Speaker b1 (Lab), until <t:1624890600:t>."
    )
    assert talk_start(talk, FR).startswith("En ce moment (Salle B)\u202f: **Talk b1**")


def test_describe_post_names_the_room() -> None:
    reminder = PlannedPost.make(
        "two-days", PostKind.SESSION_REMINDER, "s-morning-b", at(DAY1, "08:45"), 15
    )
    assert describe_post(TWO_DAYS, reminder, EN) == "Morning B (Salle B): reminder, 15 min before"
    on = PlannedPost.make("two-days", PostKind.TALK_START, "p1", at(DAY1, "14:00"))
    assert describe_post(TWO_DAYS, on, EN) == "now on: Talk p1 (Amphi A)"
    posters = PlannedPost.make(
        "two-days", PostKind.SESSION_REMINDER, "s-posters", at(DAY1, "14:00"), 0
    )
    assert describe_post(TWO_DAYS, posters, EN) == "Posters: reminder at its start"


def test_the_timeline_of_two_days_heads_each_day() -> None:
    records = [PostRecord(post, "pending") for post in plan_posts(TWO_DAYS, remote_link=False)]
    [card] = render_timeline(TWO_DAYS, records, FR)
    lines = card.description.split("\n")
    assert lines[0] == "**lundi 28 juin**"
    assert lines.count("**mardi 29 juin**") == 1
    second = lines.index("**mardi 29 juin**")
    assert all(line.startswith("`") for line in lines[1:second])  # the first day's posts
    assert "`08:45`" in lines[second + 1] and "Day two (Amphi A)" in lines[second + 1]
    assert "Evening (Salle B)\u202f: rappel, 15 min avant" in card.description


def test_the_shipped_timeline_has_no_day_headings() -> None:
    records = [PostRecord(post, "pending") for post in plan_posts(SHIPPED, remote_link=False)]
    cards = render_timeline(SHIPPED, records, EN)
    lines = cards[0].description.split("\n")
    # The call's reminders first, a week and a day before it closes (31 May, 23:59 in Paris).
    assert lines[0].startswith(
        "`23:59` <t:1621893540:f> · call for contributions: reminder, 7 days"
    )
    assert lines[1].endswith("reminder, 1 day before it closes — **pending**")
    assert lines[2].startswith("`09:45` <t:1624866300:f> · Session 1: reminder, 15")
    assert all(line.startswith("`") for c in cards for line in c.description.split("\n"))


def test_plan_lines_show_each_posts_date_and_room() -> None:
    lines = plan_lines(TWO_DAYS, plan_posts(TWO_DAYS, remote_link=False))
    day_two = [line for line in lines if line.startswith("2021-06-29")]
    assert day_two[0].startswith("2021-06-29 08:45 America/Toronto  session-reminder")
    assert day_two[0].endswith("Day two (Amphi A): reminder, 15 min before")
    # The evening talk ends on the next UTC day: its digest is dated by the meeting's clock.
    assert any(line.startswith("2021-06-29 20:30") and "qa-digest" in line for line in lines)
