"""Indico's HTTP export API: the event export (detail=contributions, detail=sessions) and the
timetable export. The documentation's examples and a real export of indico.freedesktop.org;
then documents shaped as Indico's serializers write them today, for what those lack."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import pytest

from bot.programme.model import Person
from bot.schedule_import.sources import SourceError, parse_schedule
from tests.unit.schedule_import.sources.samples import parsed, sample, talk, utc


def test_the_documentations_event_export_with_sessions() -> None:
    schedule = parsed("indico-docs-event-137346-sessions.json")
    assert schedule.format == "indico"
    assert schedule.title == "Export Test"
    assert schedule.timezone == "Europe/Zurich"
    assert schedule.venue == "CERN"
    assert schedule.url == "http://indico.server/conferenceDisplay.py?confId=137346"
    assert [(t.uid, t.title) for t in schedule.talks] == [
        ("c0", "d1c1"),
        ("c1", "d1c2"),
        ("c2", "d2c1"),
        ("c3", "d2s1c1"),
    ]
    first = schedule.talks[0]
    assert first.start == utc(2011, 6, 23, 6, 0)  # 08:00 in Zurich, summer time
    assert first.start.tzinfo == ZoneInfo("Europe/Zurich")
    assert first.end == utc(2011, 6, 23, 6, 20)
    in_session = talk(schedule, "c3")
    assert (in_session.session, in_session.session_uid) == ("d2s1", "0")
    assert in_session.start == utc(2011, 6, 24, 12, 0)
    assert (first.session, first.session_uid) == ("", "")
    assert schedule.warnings == ()


def test_the_documentations_event_export_with_contributions() -> None:
    schedule = parsed("indico-docs-event-137346-contributions.json")
    assert [t.uid for t in schedule.talks] == ["c0", "c1", "c2", "c3"]
    long = talk(schedule, "c2")
    assert (long.start, long.end) == (utc(2011, 6, 24, 10, 0), utc(2011, 6, 24, 12, 0))
    assert talk(schedule, "c3").session == "d2s1"  # named, though no block is exported
    assert talk(schedule, "c3").session_uid == ""


def test_an_event_export_without_contributions_says_which_export_to_use() -> None:
    with pytest.raises(SourceError) as refused:
        parsed("indico-docs-event-137346-events.json")
    assert "?detail=contributions" in str(refused.value)
    assert "/export/timetable/ID.json" in str(refused.value)


def test_xdc_2021_a_real_export_primary_authors_when_no_speaker_is_named() -> None:
    schedule = parsed("indico-xdc2021-contributions.json")
    assert schedule.title == "X.Org Developer Conference 2021"
    assert schedule.timezone == "Europe/Warsaw"  # the event's; its dates are given in UTC
    assert schedule.url == "https://indico.freedesktop.org/event/1/"
    assert len(schedule.talks) == 37
    ssa = talk(schedule, "c19")
    assert ssa.title == "SSA-based Register Allocation for GPU Architectures"
    assert ssa.speakers == (Person("Connor Abbott", "Valve"), Person("Daniel Schürmann", "Valve"))
    assert ssa.start == utc(2021, 9, 15, 14, 35)
    assert ssa.end == utc(2021, 9, 15, 15, 20)
    assert (ssa.session, ssa.track) == ("Main Track", "Talk (full slot) (CLOSED)")
    assert ssa.abstract.startswith("SSA-based register allocation is a new strategy")
    level_zero = talk(schedule, "c27")
    assert len(level_zero.speakers) == 6
    assert level_zero.speakers[1] == Person("Ravindra Babu Ganapathi")  # "…Ganapathi," there
    assert talk(schedule, "c4").speakers == (Person("Iago Toral", "Igalia, S.L."),)
    kwinft = talk(schedule, "c23")
    assert "\n\n - original motives" not in kwinft.abstract
    assert "\n\n- original motives for founding the KWinFT project," in kwinft.abstract


def test_the_documentations_timetable_export() -> None:
    schedule = parsed("indico-docs-timetable-137346.json")
    assert schedule.title == "Indico event 137346"  # a timetable export names no title
    assert schedule.timezone == "Europe/Zurich"
    [entry] = schedule.talks
    assert (entry.uid, entry.title, entry.room) == ("c0", "Contrib 1", "160-1-009")
    assert (entry.start, entry.end) == (utc(2013, 4, 29, 14, 0), utc(2013, 4, 29, 14, 30))
    assert entry.speakers == ()


def test_the_timetable_example_as_printed_is_malformed_json() -> None:
    with pytest.raises(SourceError) as refused:
        parse_schedule(sample("indico-docs-timetable-137346-as-printed.txt"))
    assert str(refused.value) == (
        "The file is not valid JSON: Expecting ',' delimiter at line 41, column 1. "
        "Check that the export downloaded completely and was not edited."
    )


# --- documents as today's serializers write them ----------------------------------------


def when(day: str, clock: str, tz: str = "Europe/Zurich") -> dict:
    return {"date": day, "time": clock, "tz": tz}


def presenter(first: str, last: str, affiliation: str = "") -> dict:
    full = f"{first} {last}"
    return {"firstName": first, "familyName": last, "name": full, "affiliation": affiliation}


BLOCK = {
    "id": "s12",
    "entryType": "Session",
    "title": "Neutrinos",
    "slotTitle": "",
    "sessionSlotId": 45,
    "room": "Main Auditorium",
    "startDate": when("2025-09-01", "09:00:00"),
    "endDate": when("2025-09-01", "10:30:00"),
    "entries": {
        "c101": {
            "id": "c101",
            "entryType": "Contribution",
            "title": "Oscillations at DUNE",
            "startDate": when("2025-09-01", "09:00:00"),
            "endDate": when("2025-09-01", "09:25:00"),
            "room": "Main Auditorium",
            "description": "<p>First&nbsp;results.</p><p>Second <b>paragraph</b>.</p>",
            "presenters": [presenter("Zoë", "Ångström", "Uppsala"), presenter("Li", "Wéi")],
            "sessionSlotId": 45,
        },
        "b7": {
            "id": "b7",
            "entryType": "Break",
            "title": "Coffee",
            "startDate": when("2025-09-01", "10:00:00"),
            "endDate": when("2025-09-01", "10:30:00"),
            "room": "Foyer",
        },
    },
}


def timetable(*entries: dict, day: str = "20250901") -> bytes:
    days = {day: {e["id"]: e for e in entries}, "20250902": {BLOCK["id"]: BLOCK}}
    return json.dumps({"count": 1, "results": {"2024": days}}).encode()


def test_a_timetable_session_block_its_contributions_and_breaks() -> None:
    """A block lasting into the next day is listed on both: its entries are read once."""
    whole_day = {
        "id": "c9",
        "entryType": "Contribution",
        "title": "Exhibition",
        "startDate": when("2025-09-02", "00:00:00"),
        "endDate": when("2025-09-03", "00:00:00"),
        "presenters": [],
    }
    schedule = parse_schedule(timetable(BLOCK, whole_day))
    assert [t.uid for t in schedule.talks] == ["c101", "b7", "c9"]
    dune = talk(schedule, "c101")
    assert dune.speakers == (Person("Zoë Ångström", "Uppsala"), Person("Li Wéi"))
    assert (dune.session, dune.session_uid, dune.room) == ("Neutrinos", "45", "Main Auditorium")
    assert dune.abstract == "First results.\n\nSecond paragraph."
    assert dune.start == utc(2025, 9, 1, 7, 0)
    coffee = talk(schedule, "b7")
    assert coffee.is_break and coffee.session == "Neutrinos" and coffee.room == "Foyer"
    assert talk(schedule, "c9").all_day


def test_a_session_block_without_contributions_is_itself_an_entry() -> None:
    posters = {**BLOCK, "id": "s13", "title": "Poster session", "entries": {}}
    schedule = parse_schedule(timetable(posters))
    poster = talk(schedule, "s13")
    assert (poster.title, poster.session, poster.session_uid) == (
        "Poster session",
        "Poster session",
        "45",
    )
    assert poster.end == utc(2025, 9, 1, 8, 30)


def test_an_event_export_of_session_blocks_as_indico_writes_it_today() -> None:
    contribution = {
        "_type": "Contribution",
        "id": "17",
        "title": "Dark matter",
        "startDate": when("2025-09-01", "14:00:00", "UTC"),
        "endDate": when("2025-09-01", "14:20:00", "UTC"),
        "duration": 20,
        "speakers": [{"first_name": "Ana", "last_name": "Núñez", "affiliation": "IFIC"}],
        "primaryauthors": [{"first_name": "Other", "last_name": "Author"}],
        "room": "",
        "session": None,
    }
    unscheduled = {**contribution, "id": "18", "title": "Not yet placed", "startDate": None}
    block = {
        "_type": "SessionSlot",
        "id": 45,
        "title": "Cosmology: morning",
        "room": "B 222",
        "session": {"_type": "Session", "title": "Cosmology", "id": "3"},
        "contributions": [contribution, unscheduled],
    }
    event = {"_type": "Conference", "title": "Small", "timezone": "Europe/Madrid"}
    data = json.dumps({"results": [{**event, "contributions": [], "sessions": [block]}]})
    schedule = parse_schedule(data.encode())
    [dark] = schedule.talks
    assert dark.speakers == (Person("Ana Núñez", "IFIC"),)
    assert (dark.session, dark.session_uid, dark.room) == ("Cosmology", "45", "B 222")
    assert schedule.warnings == (
        "1 contribution(s) are not in the timetable and were left out: “Not yet placed”.",
    )


def test_dates_without_tz_take_the_events_zone_and_a_bad_tz_is_refused() -> None:
    naive = {"date": "2025-01-10", "time": "10:00:00"}
    contribution = {"id": "1", "title": "T", "startDate": naive}
    event = {"_type": "Conference", "title": "x", "contributions": [contribution]}
    data = json.dumps({"results": [{**event, "timezone": "Asia/Tokyo"}]}).encode()
    [only] = parse_schedule(data).talks
    assert only.start == utc(2025, 1, 10, 1, 0)
    assert only.end is None
    no_zone = json.dumps({"results": [event]}).encode()
    with pytest.raises(SourceError, match="--timezone"):
        parse_schedule(no_zone)
    assert parse_schedule(no_zone, timezone="UTC").talks[0].start == utc(2025, 1, 10, 10, 0)
    contribution["startDate"] = when("2025-01-10", "10:00:00", "Europe/Atlantis")
    with pytest.raises(SourceError, match="“Europe/Atlantis”"):
        parse_schedule(json.dumps({"results": [event]}).encode())
