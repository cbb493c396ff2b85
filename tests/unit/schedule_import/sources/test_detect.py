"""Telling the format from the content, and choosing it by name."""

from __future__ import annotations

import json

import pytest

from bot.schedule_import.sources import FORMATS, SourceError, detect_format, parse_schedule
from tests.unit.schedule_import.sources.samples import SAMPLES, sample

EXPECTED = {
    "pentabarf-fosdem-2013.xml": "frab",
    "pentabarf-ccc-camp-2011.xml": "frab",
    "wafer-debconf23.xml": "frab",
    "jekyll-lswt2019.xml": "frab",
    "c3voc-pretalx-democon.json": "c3voc",
    "c3voc-pretalx-rc3.json": "c3voc",
    "c3voc-frab-camp2019.json": "c3voc",
    "c3voc-hub-schedule2.json": "c3voc",
    "indico-docs-event-137346-sessions.json": "indico",
    "indico-docs-event-137346-contributions.json": "indico",
    "indico-docs-event-137346-events.json": "indico",
    "indico-docs-timetable-137346.json": "indico",
    "indico-xdc2021-contributions.json": "indico",
}


def test_every_sample_is_listed_here_and_in_sources_md() -> None:
    files = {p.name for p in SAMPLES.iterdir()} - {"SOURCES.md"}
    assert files == {*EXPECTED, "indico-docs-timetable-137346-as-printed.txt"}
    provenance = (SAMPLES / "SOURCES.md").read_text()
    assert all(f"`{name}`" in provenance for name in files)


@pytest.mark.parametrize(("name", "expected"), sorted(EXPECTED.items()))
def test_each_sample_is_recognised(name: str, expected: str) -> None:
    assert detect_format(sample(name)) == expected


def test_a_byte_order_mark_and_leading_blank_lines_are_no_obstacle() -> None:
    xml = b"\xef\xbb\xbf\n\n" + sample("jekyll-lswt2019.xml")
    assert detect_format(xml) == "frab"
    assert len(parse_schedule(xml).talks) == 31
    data = b"\xef\xbb\xbf" + sample("c3voc-hub-schedule2.json")
    assert detect_format(data) == "c3voc"
    assert parse_schedule(data).title == "38C3"
    with pytest.raises(SourceError, match="mismatched tag at line 3, column"):
        parse_schedule(b"\n\n<schedule><conference></schedule>")


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"", "The schedule file is empty."),
        (b"   \n", "The schedule file is empty."),
        (b"<!DOCTYPE html><html><body>Timetable</body></html>", "This is a web page (HTML)"),
        (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", "This is an iCalendar file"),
        (b"<?xml version='1.0'?><iCalendar/>", "root element is <iCalendar>, not <schedule>"),
        (b"<httpapiresult><results/></httpapiresult>", "looks like an Indico XML export"),
        (b'{"results": []}', "empty “results”: the event was not found"),
        (b'{"events": [], "title": "x"}', "top-level keys: “events”, “title”"),
        (b"[1, 2, 3]", "This JSON is a list, not an object"),
        (b"title,start\nTalk,10:00\n", "neither XML nor JSON"),
        (b"<iCalendar><broken></iCalendar>", "not well-formed XML: mismatched tag at line 1"),
    ],
)
def test_what_is_no_schedule_export_is_told_as_what_it_looks_like(data: bytes, said: str) -> None:
    with pytest.raises(SourceError) as refused:
        detect_format(data)
    assert said in str(refused.value)


def test_the_format_given_overrides_detection() -> None:
    data = sample("c3voc-pretalx-democon.json")
    assert parse_schedule(data, format="c3voc").format == "c3voc"
    with pytest.raises(SourceError) as refused:
        parse_schedule(data, format="indico")
    message = str(refused.value)
    assert message.startswith("This JSON has no “results”, which every Indico export has.")
    assert message.endswith(
        "It looks like a c3voc/pretalx schedule (JSON), though: leave the format out, or "
        "give “c3voc”."
    )
    with pytest.raises(SourceError, match="It looks like a frab schedule"):
        parse_schedule(sample("jekyll-lswt2019.xml"), format="c3voc")


def test_an_unknown_format_name_lists_the_known_ones() -> None:
    assert FORMATS == ("indico", "frab", "c3voc")
    with pytest.raises(SourceError) as refused:
        parse_schedule(sample("jekyll-lswt2019.xml"), format="pentabarf")
    assert str(refused.value) == (
        "“pentabarf” is not a schedule format Amphi reads; the formats are indico, frab, c3voc."
    )


def test_an_export_is_read_once_for_its_format_and_its_programme(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reads: list[int] = []
    real = json.loads

    def counted(data: bytes) -> object:
        reads.append(len(data))
        return real(data)

    monkeypatch.setattr(json, "loads", counted)
    assert parse_schedule(sample("c3voc-pretalx-democon.json")).format == "c3voc"
    assert len(reads) == 1
