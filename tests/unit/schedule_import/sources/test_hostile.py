"""Hostile or malformed exports: each is refused with a SourceError sentence, never a crash,
whatever the parser meets; and the real samples, mutated at random, hold no crash either."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.schedule_import.merge import import_schedule
from bot.schedule_import.sources import SourceError, parse_schedule
from bot.schedule_import.writer import meeting_toml
from tests.unit.schedule_import.sources.samples import sample

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def refusal(data: bytes, **options: str) -> str:
    with pytest.raises(SourceError) as refused:
        parse_schedule(data, **options)
    return str(refused.value)


def c3voc(*events: Any, rooms: Any = None) -> bytes:
    day = {
        "index": 1,
        "date": "2024-03-04",
        "rooms": rooms if rooms is not None else {"A": list(events)},
    }
    return json.dumps(
        {"schedule": {"conference": {"title": "T", "time_zone_name": "UTC", "days": [day]}}}
    ).encode()


def talk(**fields: Any) -> dict[str, Any]:
    return {
        "guid": "g1",
        "title": "Talk",
        "date": "2024-03-04T10:00:00+00:00",
        "duration": "00:30",
        **fields,
    }


def indico(*contributions: Any) -> bytes:
    event = {
        "_type": "Conference",
        "title": "E",
        "timezone": "UTC",
        "contributions": list(contributions),
    }
    return json.dumps({"results": [event]}).encode()


def test_json_nested_200000_deep_is_refused() -> None:
    message = refusal(b"[" * 200_000 + b"]" * 200_000)
    assert message.startswith("The file nests its lists and objects too deeply")


def test_a_number_of_thousands_of_digits_is_refused() -> None:
    assert "holds a value Amphi cannot read" in refusal(b'{"results": ' + b"1" * 5000 + b"}")


def test_a_contribution_that_is_a_string_is_named() -> None:
    message = refusal(indico("Opening talk"))
    assert message.startswith(
        "In the export, entry 1 of the “contributions” of event 1 of “results” is a string "
        "(“Opening talk”), where an object is expected."
    )


def test_rooms_given_as_a_list_are_named() -> None:
    good = {"index": 1, "date": "2024-03-04", "rooms": {"A": [talk()]}}
    bad = {"index": 2, "date": "2024-03-05", "rooms": [talk()]}
    conference = {"title": "T", "time_zone_name": "UTC", "days": [good, bad]}
    message = refusal(json.dumps({"schedule": {"conference": conference}}).encode())
    assert message.startswith("In the export, the “rooms” of day 2 is a list, where an object")


def test_a_duration_of_a_trillion_minutes_is_named() -> None:
    message = refusal(c3voc(talk(duration="1000000000000")))
    assert message.startswith(
        "The entry “Talk” (id g1) lasts 1000000000000, which is no talk's length (at most a year)"
    )
    start = {"date": "2024-03-04", "time": "10:00:00", "tz": "UTC"}
    message = refusal(indico({"id": 7, "title": "Long", "duration": 10**12, "startDate": start}))
    assert message.startswith("The entry “Long” (id 7) lasts 1e+12 minutes, which is no talk's")


@pytest.mark.parametrize("value", [float("inf"), float("nan"), -5])
def test_a_duration_that_is_no_number_of_minutes_is_named(value: float) -> None:
    start = {"date": "2024-03-04", "time": "10:00:00", "tz": "UTC"}
    data = json.dumps({"results": [{"_type": "Conference", "title": "E", "contributions": [
        {"id": 7, "title": "Odd", "duration": value, "startDate": start}]}]}).encode()  # fmt: skip
    assert "The entry “Odd” (id 7) lasts" in refusal(data)


def test_speakers_that_are_a_number_are_named() -> None:
    message = refusal(c3voc(talk(persons=3)))
    assert message.startswith("In the export, the persons of the entry “Talk” (id g1) is a number")


def test_a_date_in_year_9999_is_no_readable_start() -> None:
    data = c3voc(talk(), talk(guid="g2", date="9999-12-31T23:59:00+00:00", duration="48:00"))
    schedule = parse_schedule(data)
    assert [t.uid for t in schedule.talks] == ["g1"]
    assert "1 event(s) were left out, having no readable start." in schedule.warnings


def test_a_time_zone_name_too_long_for_a_path_is_refused() -> None:
    start = {"date": "2024-03-04", "time": "10:00:00", "tz": "Z" * 5000}
    message = refusal(indico({"id": 1, "title": "T", "startDate": start}))
    assert "is not a time zone Amphi knows" in message and len(message) < 400


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE schedule [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<schedule><conference><title>&lol3;</title></conference></schedule>"""

EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE schedule [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<schedule><conference><title>&secret;</title></conference></schedule>"""


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL], ids=["laughs", "external"])
def test_xml_entities_are_refused(data: bytes) -> None:
    assert "declares XML entities (a <!DOCTYPE> with <!ENTITY …>)" in refusal(data)


def test_a_frab_format_forced_on_json_is_told_as_json() -> None:
    message = refusal(sample("c3voc-hub-schedule2.json"), format="frab")
    assert message.startswith("This is JSON, not XML, so it is not a frab schedule (XML).")


# --- fuzzing: the real samples, mutated ----------------------------------------------------

JSON_SAMPLES = [
    "c3voc-pretalx-democon.json",
    "c3voc-hub-schedule2.json",
    "indico-docs-event-137346-sessions.json",
    "indico-docs-timetable-137346.json",
]
_XML_BITS = ["", "<", ">", "&amp;", "99999999", "9999-12-31", ":", "x", "<event/>", "<room/>"]
XML_SAMPLES = ["jekyll-lswt2019.xml", "pentabarf-ccc-camp-2011.xml"]

_ODD = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(), st.text(max_size=12), st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
    st.sampled_from(["9999-12-31T23:59:00+00:00", "0001-01-01", "99:99", "1:23:45:67", "²", ""]),
)  # fmt: skip


def _paths(value: Any, path: tuple = ()) -> list[tuple]:
    found = [path]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value[:3]):
            found += _paths(inner, (*path, index))
    return found


def _replaced(value: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replaced(value[head], rest, new)}
    copy = list(value)
    copy[head] = _replaced(copy[head], rest, new)
    return copy


def _survives(data: bytes) -> None:
    """The export makes a meeting file's text, or is refused with a sentence."""
    try:
        meeting_toml(import_schedule(data, timezone="Europe/Brussels").meeting)
    except SourceError as error:
        assert str(error).strip()


@pytest.mark.parametrize("name", JSON_SAMPLES)
@FUZZ
@given(data=st.data())
def test_a_mutated_json_sample_reads_or_is_refused(name: str, data: st.DataObject) -> None:
    document = json.loads(sample(name))
    for _ in range(data.draw(st.integers(1, 4))):
        path = data.draw(st.sampled_from(_paths(document)))
        document = _replaced(document, path, data.draw(_ODD))
    _survives(json.dumps(document).encode())


@pytest.mark.parametrize("name", XML_SAMPLES)
@FUZZ
@given(data=st.data())
def test_a_mutated_xml_sample_reads_or_is_refused(name: str, data: st.DataObject) -> None:
    text = sample(name).decode()
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(text)))
        cut = data.draw(st.integers(0, 20))
        text = text[:at] + data.draw(st.sampled_from(_XML_BITS)) + text[at + cut :]
    _survives(text.encode())


@FUZZ
@given(st.binary(max_size=200))
def test_any_bytes_read_or_are_refused(data: bytes) -> None:
    _survives(data)
