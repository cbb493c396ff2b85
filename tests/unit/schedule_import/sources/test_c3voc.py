"""c3voc schedule JSON: pretalx's (DemoCon, rC3), frab's (Camp 2019), the CCC hub's schema 2."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.programme.model import Person
from bot.schedule_import.sources import SourceError, parse_schedule
from tests.unit.schedule_import.sources.samples import names, parsed, sample, talk, utc


def test_pretalx_democon() -> None:
    schedule = parsed("c3voc-pretalx-democon.json")
    assert schedule.format == "c3voc"
    assert schedule.title == "DemoCon"
    assert schedule.timezone == "UTC"  # as named, though its dates carry +01:00
    assert schedule.url == "http://localhost/democon/schedule/"
    assert len(schedule.talks) == 36
    first = schedule.talks[0]
    assert first.uid == "8079583e-8321-506c-95af-fd2903a5f075"  # the guid, not id 25
    assert first.title == "Focused 5thgeneration hardware"
    assert first.start == utc(2020, 12, 14, 8, 0)
    assert first.start.utcoffset() == timedelta(hours=1)  # the offset it was given
    assert first.end == utc(2020, 12, 14, 8, 30)
    assert first.room == "Gray Room"
    assert first.track == "Phased"
    assert first.speakers == (Person("Brian Robinson"),)
    assert first.abstract == "Brand back-end models!"
    assert [t.room for t in schedule.talks[:2]] == ["Gray Room", "Tan Room"]  # same start
    assert schedule.warnings == ()


def test_pretalx_rc3_non_ascii_names_several_persons_and_no_zone_named() -> None:
    schedule = parsed("c3voc-pretalx-rc3.json")
    assert schedule.title == "rC3 Channels"
    assert schedule.timezone == ""  # no time_zone_name; every date has its offset
    assert len(schedule.talks) == 48
    gluon = talk(schedule, "c3642671-4c1f-5109-81ba-0535c1cc8428")
    assert gluon.title == "Der faule Admin automatisiert: Gluon auf echter Hardware testen"
    assert names(gluon) == ["Chris Fiege", "Kasa"]
    assert gluon.start == utc(2020, 12, 27, 10, 30)
    assert gluon.end == utc(2020, 12, 27, 11, 10)
    assert gluon.room == "r3s - Monheim/Rhein"
    assert gluon.abstract.startswith("Eine wichtige Komponente von Freifunk ist die Verfügbarkeit")
    assert "\r" not in gluon.abstract
    thunderbolt = talk(schedule, "c53418ad-f8c5-598f-960f-58da65d416aa")
    assert thunderbolt.speakers == (Person("Björn Ruytenberg"),)
    assert not thunderbolt.is_break  # "Breaking Thunderbolt 3 Security", with a speaker
    bamberg = talk(schedule, "1b91c6c1-220a-5dec-a622-769ba7fb1915")
    assert bamberg.speakers == (Person("Constantin Ganß"),)


def test_frab_camp_2019_public_names_and_a_talk_without_persons() -> None:
    schedule = parsed("c3voc-frab-camp2019.json")
    assert schedule.title == "Chaos Communication Camp 2019"
    assert schedule.timezone == "Europe/Berlin"
    assert len(schedule.talks) == 79
    edri = talk(schedule, "0a99f1db-dfad-4534-888c-bd98acc576b3")
    assert edri.title == "Reporting from Brussels: The state of Digital Rights"
    assert names(edri) == ["Chloé Berthélémy (EDRi)", "Andreea Belu (EDRi)"]
    assert edri.start == utc(2019, 8, 21, 14, 0)
    assert edri.room == "Curie"
    assert edri.track == "Ethics, Society & Politics"
    review = talk(schedule, "4263620e-f36f-4408-b702-01481e0efbd7")
    assert review.title == "Infrastructure Review"
    assert review.speakers == ()


def test_hub_schema_2_flat_events_with_participants_and_track_references() -> None:
    schedule = parsed("c3voc-hub-schedule2.json")
    assert schedule.title == "38C3"
    assert schedule.timezone == "Europe/Berlin"
    opening, late = schedule.talks
    assert opening.title == "38C3: Opening Ceremony"
    assert opening.start == utc(2024, 12, 27, 9, 30)
    assert opening.end == utc(2024, 12, 27, 10, 0)
    assert opening.room == "Saal 1"
    assert opening.track == "CCC"  # {"slug": "ccc"}, named by conference.tracks
    assert names(opening) == ["Gabriela Bogk", "Aline Blankertz"]  # the SPEAKERs only
    assert late.start == utc(2024, 12, 27, 23, 15)
    assert late.track == "Hardware & Making"


# --- small documents ---------------------------------------------------------------------


def document(*events: dict, **conference: object) -> bytes:
    day = {
        "index": 1,
        "date": "2024-05-06",
        "day_start": "2024-05-06T08:00:00+02:00",
        "day_end": "2024-05-07T03:00:00+02:00",
        "rooms": {"Aula": list(events)},
    }
    head = {"title": "Small", "acronym": "small", "days": [day], **conference}
    return json.dumps({"schedule": {"version": "1", "conference": head}}).encode()


def entry(uid: str, title: str, duration: str, **fields: object) -> dict:
    return {"guid": uid, "id": 1, "title": title, "duration": duration, "persons": [], **fields}


def test_durations_past_a_day_the_iso_end_and_start_without_date() -> None:
    data = document(
        entry("a", "Hacking all day", "1:00:00", date="2024-05-06T09:00:00+02:00"),
        entry("b", "Long", "26:00", date="2024-05-06T09:00:00+02:00"),
        entry("c", "Ends", "00:30", date="2024-05-06T10:00", end="2024-05-06T10:40:00+02:00"),
        entry("d", "Night", "00:30", start="01:30"),  # before day_start: the next day
    )
    schedule = parse_schedule(data, timezone="Europe/Berlin")
    by_uid = {t.uid: t for t in schedule.talks}
    assert by_uid["a"].end == utc(2024, 5, 7, 7, 0) and by_uid["a"].all_day
    assert by_uid["b"].end == utc(2024, 5, 7, 9, 0) and by_uid["b"].all_day
    assert by_uid["c"].start == utc(2024, 5, 6, 8, 0)  # no offset: in the zone given
    assert by_uid["c"].end == utc(2024, 5, 6, 8, 40) and not by_uid["c"].all_day
    assert by_uid["d"].start == utc(2024, 5, 6, 23, 30)
    assert schedule.timezone == "Europe/Berlin"


def test_titles_and_names_are_stripped_and_composed_to_nfc() -> None:
    people = [{"public_name": "  Zoe\u0301  Mu\u0308ller "}, {"name": "B. Ode"}, {"name": " "}]
    data = document(
        entry("a", "  Talk\n  title ", "00:30", date="2024-05-06T09:00:00+02:00", persons=people)
    )
    [only] = parse_schedule(data).talks
    assert only.title == "Talk title"
    assert names(only) == ["Zo\u00e9 M\u00fcller", "B. Ode"]


def test_an_unknown_time_zone_name_is_refused() -> None:
    with pytest.raises(SourceError) as refused:
        parse_schedule(sample("c3voc-pretalx-democon.json"), timezone="Mars/Olympus_Mons")
    assert "“Mars/Olympus_Mons”" in str(refused.value)
    assert "IANA" in str(refused.value)


def test_a_schedule_without_days_or_conference_is_refused() -> None:
    with pytest.raises(SourceError, match=r"no “conference\.days” with rooms"):
        parse_schedule(json.dumps({"schedule": {"conference": {"title": "x"}}}).encode())
    with pytest.raises(SourceError, match="holds no talks"):
        parse_schedule(document())
    with pytest.raises(SourceError, match=r"no “schedule\.conference”"):
        parse_schedule(b'{"schedule": {"version": "1"}}', format="c3voc")


def test_malformed_json_is_told_with_its_line_and_column() -> None:
    broken = sample("c3voc-pretalx-democon.json").replace(b'"Gray Room",', b'"Gray Room"', 1)
    with pytest.raises(SourceError) as refused:
        parse_schedule(broken)
    assert str(refused.value).startswith("The file is not valid JSON: Expecting ")
    assert "at line 17, column 11." in str(refused.value)
