"""Pure rendering of the programme, a talk, /now; Discord's size limits; the calendar file;
meetings of one day in one room, and of several days and rooms."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from bot.core.i18n import Translator
from bot.core.markup import (
    DESCRIPTION_LIMIT,
    TITLE_LIMIT,
    TOTAL_PER_MESSAGE,
    Card,
    escape,
    pack_cards,
)
from bot.programme.files import load_meeting_file
from bot.programme.ics import build_calendar
from bot.programme.model import Meeting, Person, Session, Talk, now_and_next
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


# A meeting of two days and two rooms, built here: its own zone (UTC-4 in June, so an evening
# session ends on the next UTC day) and fixed dates.
ZONE = "America/Toronto"
DAY1, DAY2 = date(2021, 6, 28), date(2021, 6, 29)


def at(day: date, clock: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(clock), ZoneInfo(ZONE)).astimezone(UTC)


def a_talk(key: str, day: date, start: str, end: str, room: str) -> Talk:
    person = (Person(f"Speaker {key}", "Lab"),)
    return Talk(key, f"Talk {key}", at(day, start), at(day, end), speakers=person, room=room)


def a_session(title: str, day: date, start: str, end: str, room: str, *talks: Talk) -> Session:
    return Session(title, at(day, start), at(day, end), talks, room=room)


TWO_DAYS = Meeting(
    slug="two-days",
    title="Two days",
    day=DAY1,
    timezone=ZONE,
    venue="Campus Nord",
    capacity=100,
    sessions=(
        a_session("Morning A", DAY1, "09:00", "12:00", "Amphi A",
                  a_talk("a1", DAY1, "09:00", "10:00", "Amphi A"),
                  a_talk("a2", DAY1, "10:00", "11:00", "Amphi A")),
        a_session("Morning B", DAY1, "09:00", "12:00", "Salle B",
                  a_talk("b1", DAY1, "09:30", "10:30", "Salle B")),
        a_session("Posters", DAY1, "14:00", "16:00", "",  # each poster in its own room
                  a_talk("p1", DAY1, "14:00", "16:00", "Amphi A"),
                  a_talk("p2", DAY1, "14:00", "16:00", "Salle B")),
        a_session("Day two", DAY2, "09:00", "11:00", "Amphi A",
                  a_talk("d1", DAY2, "09:00", "10:00", "Amphi A")),
        a_session("Evening", DAY2, "19:00", "21:00", "Salle B",
                  a_talk("e1", DAY2, "19:00", "20:30", "Salle B")),
    ),
)  # fmt: skip


def test_a_meeting_of_two_days_has_its_days_as_headings() -> None:
    cards = render_programme(TWO_DAYS, FR)
    assert [c.title for c in cards] == [
        "Two days",
        "lundi 28 juin",
        "Morning A · Amphi A · 09:00–12:00",
        "Morning B · Salle B · 09:00–12:00",
        "Posters · 14:00–16:00",
        "mardi 29 juin",
        "Day two · Amphi A · 09:00–11:00",
        "Evening · Salle B · 19:00–21:00",  # local times, though it ends on the next UTC day
    ]
    heading = cards[0].description.split("\n")
    assert heading == [
        "28\u2009–\u200929 juin · 2 jours (America/Toronto)",  # thin spaces (CLDR)
        "Campus Nord",
        "Salles\u202f: Amphi A, Salle B",
        "7 exposés",
    ]
    assert cards[1].description == "`09:00–16:00` · 5 exposés"
    assert cards[5].description == "`09:00–21:00` · 2 exposés"
    english = [c.title for c in render_programme(TWO_DAYS, EN)]
    assert english[1] == "Monday 28 June" and english[5] == "Tuesday 29 June"


def test_a_talk_names_its_room_where_its_session_does_not() -> None:
    cards = render_programme(TWO_DAYS, EN)
    morning, posters = cards[2].description, cards[4].description
    assert "**Talk a1**\n" in morning and "Amphi A" not in morning  # the heading names it
    assert "`14:00` <t:1624903200:t> **Talk p1** · Amphi A\nSpeaker p1 (Lab)" in posters
    assert "**Talk p2** · Salle B" in posters
    evening = cards[7].description
    assert "`19:00` <t:1625007600:t> **Talk e1**" in evening  # 23:00 UTC
    assert "`21:00` <t:1625014800:t>" in evening  # 01:00 UTC on the 30th


def test_a_talk_of_a_meeting_of_two_days_shows_its_date_and_room() -> None:
    [card] = render_talk(TWO_DAYS, TWO_DAYS.talk("d1"), FR)
    when, room = card.description.split("\n")[:2]
    assert when.startswith("mardi 29 juin, Day two, <t:1624971600:t>")
    assert "(09:00–10:00 America/Toronto)" in when
    assert room == "Salle\u202f: Amphi A"


def test_one_room_one_day_programmes_name_no_room_nor_day(meeting) -> None:
    assert meeting.rooms == () and not meeting.multi_day
    [talk] = render_talk(meeting, meeting.talks[0], EN)
    assert "Room" not in talk.description and "Monday" not in talk.description
    assert render_programme(meeting, EN)[0].description.split("\n") == [
        "<t:1624867200:D> · 10:00–18:05 (Europe/Paris)",
        "Distanciel et présentiel",
        "11 talks",
    ]


def test_now_lists_the_talks_of_every_room() -> None:
    state = now_and_next(TWO_DAYS, at(DAY1, "09:45"))
    lines = render_now(TWO_DAYS, state, EN).description.split("\n")
    assert lines == [
        "**Now:**",
        "- **Amphi A:** Talk a1 — Speaker a1 (Lab), until <t:1624888800:t> (<t:1624888800:R>).",
        "- **Salle B:** Talk b1 — Speaker b1 (Lab), until <t:1624890600:t> (<t:1624890600:R>).",
        "**Next**, at <t:1624888800:f> (<t:1624888800:R>):",
        "- **Amphi A:** Talk a2 — Speaker a2 (Lab)",
    ]
    french = render_now(TWO_DAYS, state, FR).description
    assert french.startswith("**En ce moment\u202f:**\n- **Amphi A\u202f:** Talk a1")
    assert "**Ensuite**, à <t:1624888800:f>" in french


def test_now_between_the_days_and_at_the_posters() -> None:
    evening = render_now(TWO_DAYS, now_and_next(TWO_DAYS, at(DAY1, "20:00")), EN).description
    assert evening.split("\n") == [
        "Break: the next session starts <t:1624971600:R>.",
        "**Next**, at <t:1624971600:f> (<t:1624971600:R>):",  # with its date: it is tomorrow
        "- **Amphi A:** Talk d1 — Speaker d1 (Lab)",
    ]
    posters = render_now(TWO_DAYS, now_and_next(TWO_DAYS, at(DAY1, "15:00")), EN).description
    assert "- **Amphi A:** Talk p1" in posters and "- **Salle B:** Talk p2" in posters
    assert "**Next**, at <t:1624971600:f>" in posters


def test_now_with_a_crowd_of_posters_stays_within_discords_limit() -> None:
    posters = TWO_DAYS.sessions[2]
    crowd = tuple(
        replace(a_talk(f"p{i}", DAY1, "14:00", "16:00", f"Board {i}"), title="A poster " * 20)
        for i in range(60)
    )
    crowded = replace(TWO_DAYS, sessions=(replace(posters, talks=crowd),))
    card = render_now(crowded, now_and_next(crowded, at(DAY1, "15:00")), EN)
    assert len(card.description) <= DESCRIPTION_LIMIT
    shown = card.description.count("\n- ")
    assert 10 < shown < 60 and card.description.endswith(f"… and {60 - shown} more")


def test_calendar_locations_name_the_rooms_and_day_two_is_at_its_time() -> None:
    data = build_calendar(TWO_DAYS, generated_at=datetime(2021, 6, 1, tzinfo=UTC))
    events = {str(e["SUMMARY"]): e for e in Calendar.from_ical(data).walk("VEVENT")}
    assert str(events["Talk a1"]["LOCATION"]) == "Campus Nord — Amphi A"
    assert str(events["Talk p2"]["LOCATION"]) == "Campus Nord — Salle B"  # its own room
    assert events["Talk d1"].decoded("DTSTART") == datetime(2021, 6, 29, 13, 0, tzinfo=UTC)
    assert events["Talk d1"].decoded("DTEND") == datetime(2021, 6, 29, 14, 0, tzinfo=UTC)
    assert events["Talk e1"].decoded("DTSTART") == datetime(2021, 6, 29, 23, 0, tzinfo=UTC)
    assert events["Talk e1"].decoded("DTEND") == datetime(2021, 6, 30, 0, 30, tzinfo=UTC)
    roomless = build_calendar(
        replace(TWO_DAYS, venue=""), generated_at=datetime(2021, 6, 1, tzinfo=UTC)
    )
    [first, *_] = Calendar.from_ical(roomless).walk("VEVENT")
    assert str(first["LOCATION"]) == "Amphi A"


def test_the_shipped_calendar_keeps_the_venue_alone(meeting) -> None:
    data = build_calendar(meeting, generated_at=datetime(2021, 6, 1, tzinfo=UTC))
    locations = {str(e["LOCATION"]) for e in Calendar.from_ical(data).walk("VEVENT")}
    assert locations == {"Distanciel et présentiel"}


def large_meeting() -> Meeting:
    """Three days, four rooms, 150 talks with long titles and many speakers."""
    days = [date(2021, 6, 28), date(2021, 6, 29), date(2021, 6, 30)]
    rooms = ["Grand amphithéâtre Marguerite de Navarre", "Salle 2", "Salle 3", "Salle 4"]
    speakers = tuple(Person(f"Speaker number {i}", "Institut de recherche " * 3) for i in range(4))
    sessions, count = [], 0
    for day in days:
        for half, (start, end) in enumerate([("09:00", "12:30"), ("14:00", "17:30")]):
            for room in rooms:
                talks = []
                for slot in range(7 if half == 0 else 6):
                    if count == 150:
                        break
                    clock = f"{(9 if half == 0 else 14) + slot // 2:02d}:{30 * (slot % 2):02d}"
                    talk = a_talk(f"t{count}", day, clock, clock, room)
                    title = f"Talk {count}: " + "on the geometry of deep networks " * 6
                    talks.append(
                        replace(talk, title=title, end=talk.start + timedelta(minutes=30),
                                speakers=speakers, invited=slot == 0)
                    )  # fmt: skip
                    count += 1
                title = f"Session {len(sessions) + 1}"
                sessions.append(a_session(title, day, start, end, room, *talks))
    assert count == 150
    return replace(TWO_DAYS, sessions=tuple(sessions))


@pytest.mark.parametrize("tr", [EN, FR])
def test_a_large_meeting_is_split_within_discords_limits(tr) -> None:
    large = large_meeting()
    cards = render_programme(
        large, tr, {n: f"https://discord.com/events/1/{n}" for n in range(1, 30)}
    )
    text = "\n".join(c.description for c in cards)
    assert all(escape(t.title) in text for t in large.talks)
    assert sum(c.title in ("Monday 28 June", "lundi 28 juin") for c in cards) == 1
    assert len({c.title for c in cards if "juin" in c.title or "June" in c.title}) == 3
    assert all(len(c.description) <= DESCRIPTION_LIMIT for c in cards)
    assert all(len(c.title) <= TITLE_LIMIT and len(c.footer) <= 2048 for c in cards)
    messages = pack_cards(cards)
    for message in messages:
        assert sum(c.size() for c in message) <= TOTAL_PER_MESSAGE
        assert len(message) <= 10
    last = large.talks[-1]
    [talk_card, *_] = render_talk(large, last, tr)
    assert last.room in talk_card.description and "30" in talk_card.description


def test_now_in_a_meeting_of_one_named_room_is_as_for_one_room() -> None:
    one_room = replace(TWO_DAYS, sessions=TWO_DAYS.sessions[:1])
    assert one_room.rooms == ("Amphi A",)
    lines = render_now(one_room, now_and_next(one_room, at(DAY1, "09:45")), EN).description
    assert lines.split("\n") == [
        "**Now:** Talk a1 — Speaker a1 (Lab), until <t:1624888800:t> (<t:1624888800:R>).",
        "**Next:** Talk a2 — Speaker a2 (Lab), at <t:1624888800:t> (<t:1624888800:R>).",
    ]
