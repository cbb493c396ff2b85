"""frab / Pentabarf schedule XML: the older form (FOSDEM 2013, CCC Camp 2011) and the newer
(DebConf 23 by wafer, a Jekyll-made one), then the edge cases in small documents."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.programme.model import Person
from bot.schedule_import.sources import SourceError, parse_schedule
from tests.unit.schedule_import.sources.samples import names, parsed, sample, talk, utc


def test_fosdem_2013_the_older_form_read_in_the_zone_given() -> None:
    schedule = parsed("pentabarf-fosdem-2013.xml", timezone="Europe/Brussels")
    assert schedule.format == "frab"
    assert schedule.title == "FOSDEM 2013"
    assert schedule.timezone == "Europe/Brussels"
    assert schedule.venue == "ULB (Université Libre de Bruxelles), Brussels"
    assert len(schedule.talks) == 487
    welcome = schedule.talks[0]
    assert welcome.uid == "1113"  # no guid in Pentabarf: the id
    assert welcome.title == "Welcome to FOSDEM 2013"
    assert welcome.start == utc(2013, 2, 2, 9, 30)  # 10:30 in Brussels
    assert welcome.start.tzinfo == ZoneInfo("Europe/Brussels")
    assert welcome.end == utc(2013, 2, 2, 9, 55)
    assert welcome.room == "Janson"
    assert welcome.track == "Keynotes"
    assert welcome.speakers == (Person("FOSDEM Staff"),)
    assert welcome.abstract == "FOSDEM welcome and opening talk."  # its <p> stripped
    assert schedule.talks[-1].title == "Closing FOSDEM 2013"
    assert schedule.talks[-1].start == utc(2013, 2, 3, 16, 50)
    assert schedule.warnings == ()


def test_several_persons_and_non_ascii_names_in_source_order() -> None:
    schedule = parsed("pentabarf-fosdem-2013.xml", timezone="Europe/Brussels")
    panel = talk(schedule, "1280")
    assert panel.title == "Compliance Panel"
    assert names(panel) == [
        "Bradley M. Kuhn",
        "Karen Sandler",
        "Harald Welte",
        "Alexios Zavras",
        "Richard Sands",
        "Stefanie Pors",
    ]
    assert names(talk(schedule, "1208")) == ["Pere Urbón-Bayes", "Achim Friedland"]
    assert talk(schedule, "1150").speakers == (Person("Sébastien Jodogne"),)


def test_times_without_a_zone_and_no_timezone_given_are_refused() -> None:
    with pytest.raises(SourceError) as refused:
        parsed("pentabarf-fosdem-2013.xml")
    assert "without a time zone" in str(refused.value)
    assert "--timezone" in str(refused.value)


def test_a_start_before_the_day_change_belongs_to_the_next_calendar_day() -> None:
    """CCC Camp 2011: <day_change>06:00</day_change>; "We suck." is listed on 10 August at
    00:00, the night after the opening day."""
    schedule = parsed("pentabarf-ccc-camp-2011.xml", timezone="Europe/Berlin")
    assert schedule.title == "Chaos Communication Camp 2011"
    assert schedule.timezone == "Europe/Berlin"
    night = talk(schedule, "4423")
    assert night.title == "We suck."
    assert night.start == utc(2011, 8, 10, 22, 0)  # 11 August, 00:00 in Berlin
    assert night.end == utc(2011, 8, 10, 23, 0)
    assert night.room == "Kourou"
    opening = talk(schedule, "4553")
    assert opening.start == utc(2011, 8, 10, 10, 0)  # same <day>, noon: the same date
    assert schedule.talks[0] == opening
    assert names(talk(schedule, "4492")) == [
        "Agata Królikowski",
        "Ina Kwasniewski",
        "Jens-Martin Loebel",
        "Kai Kittler",
        "Marcus Mews",
        "Marcus Richter",
    ]


def test_debconf_the_newer_form_each_event_dated_with_its_offset() -> None:
    """wafer writes <date> in UTC and <start> in local time (Asia/Kolkata): the date wins."""
    schedule = parsed("wafer-debconf23.xml")
    assert schedule.title == "DebConf 23"
    assert schedule.timezone == "Asia/Kolkata"
    assert schedule.url == "https://debconf23.debconf.org"
    opening = talk(schedule, "455d075f-48c0-2ec2-24b3-f5add30c383a")  # the guid, not id 35
    assert opening.title == "Opening Ceremony"
    assert opening.start == utc(2023, 9, 10, 5, 0)
    assert opening.start.astimezone(ZoneInfo("Asia/Kolkata")).hour == 10
    assert opening.end == opening.start + timedelta(minutes=20)
    assert opening.room == "Anamudi"
    assert opening.speakers == (Person("Sruthi Chandran"),)
    assert opening.abstract == "Welcome to DebConf23"
    day_trip = [t for t in schedule.talks if t.title == "Day trip"]
    assert [(t.end - t.start, t.all_day) for t in day_trip if t.end] == [
        (timedelta(hours=8, minutes=30), False)
    ]


def test_meals_and_breaks_are_marked_as_breaks() -> None:
    schedule = parsed("wafer-debconf23.xml")
    assert {t.title for t in schedule.talks if t.is_break} == {
        "Afternoon break",
        "Breakfast",
        "Dinner",
        "Lunch",
    }
    assert not any(t.is_break for t in schedule.talks if t.speakers)


def test_a_hand_made_export_persons_in_one_element_breaks_by_track_and_shared_ids() -> None:
    schedule = parsed("jekyll-lswt2019.xml")
    assert schedule.title == "7th Leipzig Semantic Web Day"
    assert schedule.timezone == ""  # it names none, and every <date> carries "Z"
    teaching = talk(schedule, "1011")
    assert names(teaching) == [
        "Prof. Dr. Vera Meister",
        "Prof. Dr. Andreas Both",
        "Prof. Dr. Thomas Riechert",
    ]
    assert talk(schedule, "112").speakers == (Person("Prof. Dr. Birgitta König-Ries"),)
    assert talk(schedule, "101").start == utc(2019, 5, 22, 9, 0)
    breaks = [t for t in schedule.talks if t.is_break]
    assert {t.title for t in breaks} == {"Coffee Break and Postersession", "Lunch Break"}
    assert {t.room for t in breaks} == {"Main Track", "Tutorials"}
    thinktank = talk(schedule, "300")
    assert thinktank.end is None  # <duration></duration>
    assert thinktank.abstract.startswith("Der Thinktank und Hackathon “Artificial Intelligence")
    assert "\n\nKurz zusammengefasst: Die Veranstaltung" in thinktank.abstract
    assert "<p>" not in thinktank.abstract
    assert any("no duration" in w and "Thinktank" in w for w in schedule.warnings)
    assert any("“997”" in w and "shared by several entries" in w for w in schedule.warnings)


# --- small documents, for what no sample shows --------------------------------------------

HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n<schedule><conference><title>Demo</title>'


def schedule_of(*events: str, conference: str = "", day: str = 'date="2024-03-04"') -> bytes:
    body = "".join(events)
    return (
        HEAD
        + conference.encode()
        + f'</conference><day {day} index="1">'.encode()
        + (f'<room name="Hall">{body}</room></day></schedule>'.encode())
    )


def event(uid: str, title: str, start: str, duration: str, persons: str = "") -> str:
    return (
        f'<event id="{uid}"><start>{start}</start><duration>{duration}</duration>'
        f"<title>{title}</title><persons>{persons}</persons></event>"
    )


def test_overlapping_talks_in_one_room_are_kept_with_a_warning() -> None:
    data = schedule_of(
        event("1", "Posters A", "10:00", "01:00"),
        event("2", "Posters B", "10:30", "01:00"),
        event("3", "Later", "11:30", "00:30"),
    )
    schedule = parse_schedule(data, timezone="Europe/Paris")
    assert [t.uid for t in schedule.talks] == ["1", "2", "3"]
    [warning] = schedule.warnings
    assert "“Hall”" in warning and "“Posters B”" in warning and "“Posters A”" in warning
    assert "poster session" in warning


def test_a_talk_without_duration_or_of_zero_duration_has_no_end() -> None:
    data = schedule_of(event("1", "Open end", "10:00", ""), event("2", "Zero", "11:00", "00:00"))
    schedule = parse_schedule(data, timezone="UTC")
    assert [(t.title, t.end) for t in schedule.talks] == [("Open end", None), ("Zero", None)]
    assert [t.start for t in schedule.talks] == [utc(2024, 3, 4, 10, 0), utc(2024, 3, 4, 11, 0)]
    assert schedule.warnings == (
        "2 talk(s) have no duration, so their end is unknown: “Open end”, “Zero”.",
    )


def test_an_event_without_id_is_known_by_its_room_and_start() -> None:
    anonymous = "<event><start>09:00</start><duration>00:20</duration><title>Hi</title></event>"
    [only] = parse_schedule(schedule_of(anonymous), timezone="UTC").talks
    assert only.uid == "Hall@2024-03-04T09:00:00+00:00"


def test_an_item_lasting_the_whole_day_is_all_day() -> None:
    data = schedule_of(
        event("1", "Hackcenter open", "10:00", "24:00"),
        event("2", "Hackcenter open", "10:00", "1:00:00"),  # pretalx: one day
        event("3", "Talk", "10:00", "00:45:00"),  # HH:MM:SS, 45 minutes
    )
    schedule = parse_schedule(data, timezone="UTC")
    assert [(t.uid, t.all_day, t.end) for t in schedule.talks] == [
        ("1", True, utc(2024, 3, 5, 10, 0)),
        ("2", True, utc(2024, 3, 5, 10, 0)),
        ("3", False, utc(2024, 3, 4, 10, 45)),
    ]


def test_newer_form_dates_without_offset_take_the_named_zone_or_the_fallback() -> None:
    dated = (
        '<event guid="9f1c1f47-0000-4000-8000-000000000001" id="7"><date>2024-03-04T09:15:00'
        "</date><start>09:15</start><duration>00:30</duration><title>Naive</title></event>"
    )
    named = schedule_of(dated, conference="<time_zone_name>Europe/Vienna</time_zone_name>")
    [only] = parse_schedule(named, timezone="America/Chicago").talks
    assert only.uid == "9f1c1f47-0000-4000-8000-000000000001"
    assert only.start == utc(2024, 3, 4, 8, 15)  # the schedule's own zone comes first
    [fallback] = parse_schedule(schedule_of(dated), timezone="America/Chicago").talks
    assert fallback.start == utc(2024, 3, 4, 15, 15)
    with pytest.raises(SourceError, match="--timezone"):
        parse_schedule(schedule_of(dated))


def test_a_schedule_of_breaks_only_or_of_nothing_is_refused() -> None:
    with pytest.raises(SourceError) as refused:
        parse_schedule(schedule_of(event("1", "Coffee break", "10:00", "00:30")), timezone="UTC")
    assert str(refused.value).startswith("The schedule holds no talks (only breaks).")
    with pytest.raises(SourceError, match="holds no talks"):
        parse_schedule(schedule_of(), timezone="UTC")


def test_a_schedule_missing_its_required_parts_is_refused() -> None:
    with pytest.raises(SourceError) as refused:
        parse_schedule(b"<schedule><day date='2024-01-01'/></schedule>")
    assert "no <conference>" in str(refused.value)
    with pytest.raises(SourceError, match="has no <day>, which the format requires"):
        parse_schedule(b"<schedule><conference><title>x</title></conference></schedule>")


def test_malformed_xml_is_told_with_its_line_and_column() -> None:
    broken = sample("wafer-debconf23.xml")[:5000]
    with pytest.raises(SourceError) as refused:
        parse_schedule(broken)
    message = str(refused.value)
    assert message.startswith("The frab schedule is not well-formed XML: ")
    assert "at line " in message and ", column " in message
    line = broken.decode().count("\n") + 1
    assert f"line {line}," in message


OLDEST_LAYOUT = b"""<?xml version="1.0" encoding="UTF-8"?>
<schedule>
  <conference><title>Old Pentabarf</title><time_zone_name>Europe/Berlin</time_zone_name>
  </conference>
  <day date="2007-02-24" index="1">
    <event id="101"><start>10:00</start><duration>00:45</duration><room>Janson</room>
      <title>Welcome</title><persons><person id="1">Ada Lovelace</person></persons></event>
    <event id="102"><start>11:00</start><duration>01:00</duration><room>H.1301</room>
      <title>Kernels</title><persons><person id="2">Linus</person></persons></event>
  </day>
  <day date="2007-02-25" index="2">
    <room name="Janson">
      <event id="201"><start>09:30</start><duration>00:30</duration>
        <title>Closing</title></event>
    </room>
  </day>
</schedule>
"""


def test_the_oldest_pentabarf_layout_events_straight_under_the_day() -> None:
    schedule = parse_schedule(OLDEST_LAYOUT)
    berlin = ZoneInfo("Europe/Berlin")
    assert [(t.uid, t.room, t.start, t.end) for t in schedule.talks] == [
        ("101", "Janson", datetime(2007, 2, 24, 10, tzinfo=berlin),
         datetime(2007, 2, 24, 10, 45, tzinfo=berlin)),
        ("102", "H.1301", datetime(2007, 2, 24, 11, tzinfo=berlin),
         datetime(2007, 2, 24, 12, tzinfo=berlin)),
        ("201", "Janson", datetime(2007, 2, 25, 9, 30, tzinfo=berlin),
         datetime(2007, 2, 25, 10, tzinfo=berlin)),
    ]  # fmt: skip
    assert names(talk(schedule, "101")) == ["Ada Lovelace"]
