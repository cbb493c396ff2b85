"""Pure rendering of the programme, a talk, /now; Discord's size limits; the calendar file."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from icalendar import Calendar

from bot.core.i18n import Translator
from bot.core.markup import DESCRIPTION_LIMIT, TOTAL_PER_MESSAGE, Card, escape, pack_cards
from bot.programme.files import load_meeting_file
from bot.programme.ics import build_calendar
from bot.programme.model import now_and_next
from bot.programme.render import render_now, render_programme, render_talk
from tests.support.paths import SHIPPED_MEETING

EN, FR = Translator("en"), Translator("fr")


@pytest.fixture(scope="module")
def meeting():
    return load_meeting_file(SHIPPED_MEETING)


def test_programme_lists_every_talk_by_session_with_instants(meeting) -> None:
    cards = render_programme(meeting, EN)
    text = "\n".join(c.title + "\n" + c.description for c in cards)
    assert [c.title for c in cards[1:]] == ["Session 1 · 10:00–12:25", "Session 2 · 16:00–18:05"]
    for talk in meeting.talks:
        assert escape(talk.title) in text
    assert "<t:1624867200:t>" in cards[1].description  # 10:00 Paris = 08:00 UTC
    assert "`10:00` <t:1624867200:t>" in cards[1].description
    assert "11 talks" in cards[0].description
    assert text.count("invited talk") == 2
    assert "Europe/Paris" in cards[-1].footer


def test_programme_in_french(meeting) -> None:
    cards = render_programme(meeting, FR)
    assert "11 exposés" in cards[0].description
    assert "exposé invité" in cards[1].description
    assert "fuseau horaire" in cards[-1].footer


def test_talk_card_carries_the_abstract_only_where_published(meeting) -> None:
    biau = meeting.talks[0]
    text = "\n".join(c.description for c in render_talk(meeting, biau, EN))
    assert "Generative Adversarial Networks" in text
    assert "Sorbonne Université" in text
    other = "\n".join(c.description for c in render_talk(meeting, meeting.talks[1], EN))
    assert "No abstract has been published" in other


def test_now_card(meeting) -> None:
    during = render_now(
        meeting, now_and_next(meeting, datetime(2021, 6, 28, 8, 10, tzinfo=UTC)), FR
    )
    assert "En ce moment" in during.description and "Wasserstein" in during.description
    after = render_now(meeting, now_and_next(meeting, datetime(2021, 6, 29, tzinfo=UTC)), EN)
    assert "over" in after.description


def test_long_content_is_split_within_discord_limits(meeting) -> None:
    long_talk = replace(meeting.talks[0], abstract="word " * 3000)
    cards = render_talk(meeting, long_talk, EN)
    assert len(cards) >= 4
    assert all(len(c.description) <= DESCRIPTION_LIMIT for c in cards)
    for message in pack_cards(cards):
        assert sum(c.size() for c in message) <= TOTAL_PER_MESSAGE
        assert len(message) <= 10


def test_pack_cards_opens_new_messages() -> None:
    cards = [Card(title="t", description="x" * 4000) for _ in range(3)]
    assert [len(m) for m in pack_cards(cards)] == [1, 1, 1]
    assert [len(m) for m in pack_cards([Card(title=str(i)) for i in range(12)])] == [10, 2]


def test_escape_neutralises_markdown() -> None:
    assert escape("**bold** [link](http://x)") == r"\*\*bold\*\* \[link\](http://x)"
    assert escape("# Title\n- item\n1. first") == "\\# Title\n\\- item\n\\1. first"
    assert escape("<@123> <t:1:R>") == r"\<@123\> \<t:1:R\>"


def test_calendar_parses_back_to_the_eleven_talks(meeting) -> None:
    data = build_calendar(meeting, generated_at=datetime(2021, 6, 1, tzinfo=UTC))
    calendar = Calendar.from_ical(data)
    events = calendar.walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == [t.title for t in meeting.talks]
    first = events[0]
    assert first.decoded("DTSTART") == datetime(2021, 6, 28, 8, 0, tzinfo=UTC)
    assert first.decoded("DTEND") == datetime(2021, 6, 28, 8, 45, tzinfo=UTC)
    assert "Generative Adversarial" in str(first["DESCRIPTION"])
    alarms = first.walk("VALARM")
    assert len(alarms) == 1 and str(alarms[0]["ACTION"]) == "DISPLAY"
    assert len({str(e["UID"]) for e in events}) == 11
    assert b"DTSTART:20210628T080000Z" in data


def test_the_video_link_goes_only_to_those_following_remotely() -> None:
    from bot.posts.render import link_answer
    from bot.registration.model import Mode, Registration, Status

    def person(mode: Mode, status: Status) -> Registration:
        return Registration(
            1, "ann", mode, status, True, "", False, datetime(2021, 6, 1, tzinfo=UTC)
        )

    link = "https://video.example/room"
    remote = person(Mode.REMOTE, Status.CONFIRMED)
    waiting = person(Mode.IN_PERSON, Status.WAITLISTED)
    seated = person(Mode.IN_PERSON, Status.CONFIRMED)
    assert link in link_answer(remote, link, EN) and link in link_answer(waiting, link, EN)
    assert link not in link_answer(seated, link, EN)
    assert "seat in the room" in link_answer(seated, link, EN)
    assert "/register" in link_answer(None, link, EN)
    assert "not shared a video link yet" in link_answer(remote, None, EN)
