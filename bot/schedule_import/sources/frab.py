"""frab / Pentabarf schedule XML (`schedule.xml`, also written by pretalx and wafer).

Two forms are read. The newer gives each event a `<date>` (ISO 8601 with an offset). The older
(Pentabarf, FOSDEM until 2013, CCC until 2011) gives only the `<day date>` and the event's
`<start>` wall-clock time, with no zone unless the conference names a `<time_zone_name>`; a
start before the day's start (`<day start>` or the conference's `<day_change>`) belongs to the
next calendar day, as at CCC, where a programme day runs past midnight.

Each `<day>` holds its events inside `<room name="…">` elements; the oldest Pentabarf exports
put them straight under `<day>` instead, each naming its room in a `<room>` child. Both are read.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta

from bot.schedule_import.sources.detect import load_xml
from bot.schedule_import.sources.schedule import (
    YEARS,
    SourceError,
    SourceSchedule,
    SourceTalk,
    Zones,
    build,
    clean,
    end_of,
    entry_named,
    looks_like_break,
    parse_date,
    parse_duration,
    parse_iso,
    person,
    plain_text,
    spans_a_day,
    unique_people,
)


def parse_frab(data: bytes, timezone: str | None = None) -> SourceSchedule:
    """The schedule in a frab or Pentabarf XML document."""
    return read_frab(load_xml(data, "frab schedule"), timezone)


def read_frab(root: ET.Element, timezone: str | None = None) -> SourceSchedule:
    """The schedule of a frab or Pentabarf XML document, read (its root element)."""
    if root.tag != "schedule":
        raise SourceError(
            f"This XML document's root element is <{root.tag}>, not <schedule>, so it is not a "
            "frab or Pentabarf schedule. Export the programme as schedule.xml."
        )
    conference = root.find("conference")
    days = root.findall("day")
    if conference is None or not days:
        missing = "<conference>" if conference is None else "<day>"
        raise SourceError(
            f"This frab schedule has no {missing}, which the format requires. "
            "Export the whole schedule again (schedule.xml of a published programme)."
        )
    zones = Zones(timezone, conference.findtext("time_zone_name"))
    day_change = _clock(conference.findtext("day_change"))
    warnings: list[str] = []
    skipped: list[str] = []
    talks = []
    for day in days:
        day_date, day_start, day_length = _day(day, day_change)
        held = [
            (e, room.get("name")) for room in day.findall("room") for e in room.findall("event")
        ]
        held += [(event, "") for event in day.findall("event")]  # the oldest Pentabarf layout
        for event, room_name in held:
            talk = _event(event, day_date, day_start, day_length, room_name, zones)
            if talk is None:
                skipped.append(clean(event.findtext("title")) or event.get("id", "?"))
            else:
                talks.append(talk)
    if skipped:
        warnings.append(
            f"{len(skipped)} event(s) were left out, having no readable start: "
            + ", ".join(f"“{title}”" for title in skipped[:3])
            + "."
        )
    venue = ", ".join(
        part for part in (clean(conference.findtext(k)) for k in ("venue", "city")) if part
    )
    url = clean(conference.findtext("url") or conference.findtext("base_url"))
    return build(
        "frab",
        conference.findtext("title") or "",
        zones,
        talks,
        venue=venue,
        url=url or clean(root.findtext("url")),
        warnings=warnings,
        empty_hint="Its <day> elements hold no <event>; check that the programme is published.",
    )


def _clock(text: str | None) -> timedelta | None:
    """A wall-clock time "HH:MM" or "HH:MM:SS" as the time since midnight (hours past 23 kept,
    as some exports write 25:30 for half past one in the night)."""
    parts = clean(text).split(":")
    if len(parts) not in (2, 3) or not all(p.isascii() and p.isdigit() for p in parts):
        return None
    if any(len(p) > 2 for p in parts) or int(parts[0]) > 47:  # past the next day: a typo
        return None
    numbers = [int(p) for p in parts] + [0]
    return timedelta(hours=numbers[0], minutes=numbers[1], seconds=numbers[2])


def _day(
    day: ET.Element, day_change: timedelta | None
) -> tuple[date | None, timedelta | None, timedelta | None]:
    """The day's date, the wall-clock time it starts at, and its length, each when known."""
    start = _moment(day.get("start"))
    end = _moment(day.get("end"))
    when = day.get("date")
    day_date = parse_date(when) if when else (start.date() if start else None)
    begins = day_change
    if start is not None:
        begins = timedelta(hours=start.hour, minutes=start.minute)
    length = end - start if start and end and start.tzinfo and end.tzinfo else None
    return day_date, begins, length


def _moment(text: str | None) -> datetime | None:
    value = clean(text)
    if "T" not in value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.year in YEARS else None


def _event(
    event: ET.Element,
    day_date: date | None,
    day_start: timedelta | None,
    day_length: timedelta | None,
    room_name: str | None,
    zones: Zones,
) -> SourceTalk | None:
    start = parse_iso(event.findtext("date"), zones)
    if start is None:
        clock = _clock(event.findtext("start"))
        if clock is None or day_date is None:
            return None
        if day_start is not None and clock < day_start:
            clock += timedelta(days=1)
        start = zones.attach(datetime.combine(day_date, datetime.min.time()) + clock)
    title = clean(event.findtext("title"))
    uid = clean(event.get("guid") or event.get("id") or event.findtext("slug"))
    length = parse_duration(event.findtext("duration"), entry_named(title, uid))
    end = end_of(start, length)
    speakers = unique_people(
        [person(p.text) for p in event.findall("persons/person")]
        # a hand-made export (Jekyll) puts one <person> in the event, names joined by commas
        + [person(name) for p in event.findall("person") for name in (p.text or "").split(",")]
    )
    track = clean(event.findtext("track"))
    kind = clean(event.findtext("type"))
    abstract = plain_text(event.findtext("abstract")) or plain_text(event.findtext("description"))
    whole_day = bool(length and day_length and length >= day_length)
    return SourceTalk(
        uid=uid,
        title=title,
        start=start,
        end=end,
        room=clean(room_name or event.findtext("room")),
        speakers=speakers,
        abstract=abstract,
        track=track,
        is_break=looks_like_break(title, kind, track, has_speakers=bool(speakers)),
        all_day=whole_day or spans_a_day(start, end),
    )
