"""What the parsers share: durations, text, breaks, zones, and the checks of the whole."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.schedule_import.sources import SourceError, parse_schedule
from bot.schedule_import.sources.schedule import looks_like_break, parse_duration, plain_text


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("00:30", timedelta(minutes=30)),
        ("1:30", timedelta(hours=1, minutes=30)),
        ("48:00", timedelta(hours=48)),  # frab: hours past a day
        ("1:02:15", timedelta(days=1, hours=2, minutes=15)),  # pretalx: D:HH:MM
        ("00:05:00", timedelta(minutes=5)),  # the XSD's HH:MM:SS
        ("01:00:00", timedelta(hours=1)),
        ("90", timedelta(minutes=90)),
        (" 00:45 ", timedelta(minutes=45)),
    ],
)
def test_durations_in_every_form_the_exports_use(text: str, length: timedelta) -> None:
    assert parse_duration(text) == length


@pytest.mark.parametrize("text", ["", None, "half an hour", "1:2:3:4", "-00:30"])
def test_an_unreadable_duration_is_none(text: str | None) -> None:
    assert parse_duration(text) is None


def test_html_becomes_plain_text_with_paragraphs_kept() -> None:
    html = (
        "<p>First&nbsp;line of <em>the</em>\r\nabstract.</p>\n<p>Second &amp; last:</p>"
        "<ul><li>one</li><li>two</li></ul>Tail<br>end"
    )
    assert plain_text(html) == (
        "First line of the abstract.\n\nSecond & last:\n\n- one\n- two\n\nTail\nend"
    )


def test_plain_text_keeps_its_paragraphs_and_its_symbols() -> None:
    text = "A < B & C > D.\r\n\r\n\r\n\r\nNext   paragraph\u00a0here.  \n"
    assert plain_text(text) == "A < B & C > D.\n\nNext paragraph here."


@pytest.mark.parametrize(
    ("title", "kinds", "has_speakers", "expected"),
    [
        ("Coffee break", (), False, True),
        ("Afternoon break", (), False, True),
        ("Mittagspause", (), False, True),
        ("Opening", ("break",), False, True),
        ("Session", ("", "Pause"), False, True),
        ("Coffee break", (), True, False),  # someone speaks: a talk
        ("Breaking Thunderbolt 3 Security", (), False, False),
        ("Why lunch talks in long conference days work so well", (), False, False),
    ],
)
def test_what_counts_as_a_break(
    title: str, kinds: tuple[str, ...], has_speakers: bool, expected: bool
) -> None:
    assert looks_like_break(title, *kinds, has_speakers=has_speakers) is expected


def _tiny(zone: str) -> bytes:
    return (
        f"<schedule><conference><title>Z</title><time_zone_name>{zone}</time_zone_name>"
        "</conference><day date='2024-06-01'><room name='R'><event id='1'><start>10:00</start>"
        "<duration>00:30</duration><title>Talk</title></event></room></day></schedule>"
    ).encode()


def test_a_zone_the_schedule_names_wrongly_gives_way_to_the_fallback_with_a_warning() -> None:
    schedule = parse_schedule(_tiny("Europe/Nowhere"), timezone="Europe/Lisbon")
    assert schedule.timezone == "Europe/Lisbon"
    assert schedule.talks[0].start.isoformat() == "2024-06-01T10:00:00+01:00"
    assert schedule.warnings == (
        "The schedule names the time zone “Europe/Nowhere”, which Amphi does not know; its "
        "times without an offset are read in Europe/Lisbon.",
    )
    with pytest.raises(SourceError) as refused:
        parse_schedule(_tiny("Europe/Nowhere"))
    assert str(refused.value) == (
        "The schedule names the time zone “Europe/Nowhere”, which Amphi does not know. Give "
        "the meeting's zone with --timezone (an IANA name, such as Europe/Brussels)."
    )


def test_an_invalid_timezone_given_is_refused_even_when_no_time_needs_it() -> None:
    with pytest.raises(SourceError) as refused:
        parse_schedule(_tiny("Europe/Lisbon"), timezone="CEST+2")
    assert str(refused.value) == (
        "“CEST+2” (the --timezone given) is not a time zone Amphi knows. "
        "Give an IANA name such as Europe/Paris, America/New_York or UTC."
    )
