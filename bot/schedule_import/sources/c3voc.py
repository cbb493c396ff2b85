"""The c3voc schedule JSON (https://c3voc.de/schedule/schema.json), written by frab and pretalx.

`schedule.conference.days[].rooms` maps each room to its events. An event's `date` is ISO 8601
with an offset; its length is `duration` ("HH:MM", hours past 24 allowed; pretalx writes
"D:HH:MM" past a day) or, from newer pretalx, an ISO `end`. The draft schema 2 (the CCC hub)
lists the events flat in `schedule.events`, with ISO `start` and `end`; it is read too.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.programme.model import Person
from bot.schedule_import.sources.detect import load_json
from bot.schedule_import.sources.schedule import (
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
from bot.schedule_import.sources.shape import a_list, an_object, objects

_GONE = {"CANCELED", "CANCELLED", "WITHDRAWN", "DELETED", "REJECTED"}


def parse_c3voc(data: bytes, timezone: str | None = None) -> SourceSchedule:
    """The schedule in a c3voc / pretalx / frab schedule JSON document."""
    return read_c3voc(load_json(data, "schedule JSON"), timezone)


def read_c3voc(document: Any, timezone: str | None = None) -> SourceSchedule:
    """The schedule of a c3voc / pretalx / frab schedule JSON document, read (its value)."""
    schedule = document.get("schedule") if isinstance(document, dict) else None
    conference = schedule.get("conference") if isinstance(schedule, dict) else None
    if not isinstance(schedule, dict) or not isinstance(conference, dict):
        raise SourceError(
            "This JSON has no “schedule.conference”, which a c3voc or pretalx schedule has. "
            "Export the programme as schedule.json (pretalx: /schedule/export/schedule.json)."
        )
    zones = Zones(timezone, conference.get("time_zone_name"))
    days = objects(conference.get("days"), "“conference.days”")
    events = schedule.get("events")
    warnings: list[str] = []
    found: list[SourceTalk | None] = []
    if any(isinstance(day.get("rooms"), dict) for day in days):
        for number, day in enumerate(days, start=1):
            rooms = an_object(day.get("rooms"), f"the “rooms” of day {number}")
            for room, held in rooms.items():
                where = f"the events of room “{clean(room)}” on day {number}"
                found += [_event(e, day, room, zones) for e in objects(held, where)]
    elif isinstance(events, list):
        listed = objects(events, "“schedule.events”")
        tracks = {
            clean(t.get("slug")): t.get("name")
            for t in objects(conference.get("tracks"), "“conference.tracks”")
        }
        kept = [e for e in listed if clean(e.get("state")).upper() not in _GONE]
        if len(kept) < len(listed):
            warnings.append(
                f"{len(listed) - len(kept)} cancelled or withdrawn event(s) were left out."
            )
        found = [_flat_event(event, tracks, zones) for event in kept]
    else:
        raise SourceError(
            "This schedule JSON has no “conference.days” with rooms (nor a list of “events”), "
            "so it holds no programme. Export the schedule again once talks are scheduled."
        )
    talks = [talk for talk in found if talk is not None]
    if len(talks) < len(found):
        warnings.append(
            f"{len(found) - len(talks)} event(s) were left out, having no readable start."
        )
    return build(
        "c3voc",
        conference.get("title") or "",
        zones,
        talks,
        url=clean(conference.get("url") or schedule.get("base_url")),
        warnings=warnings,
    )


def _text(value: Any) -> str:
    """A localizable string ({"en": …, "de": …} in schema 2): English, else the first one."""
    if isinstance(value, dict):
        value = value.get("en") or next(iter(value.values()), "")
    return "" if value is None else str(value)


def _speakers(people: Any, where: str) -> tuple[Person, ...]:
    found = []
    for entry in a_list(people, f"the persons of {where}"):
        if isinstance(entry, dict):
            found.append(person(entry.get("public_name") or entry.get("name")))
        else:
            found.append(person(entry))
    return unique_people(found)


def _start(event: dict, day: dict, zones: Zones) -> datetime | None:
    start = parse_iso(event.get("date"), zones)
    if start is not None:
        return start
    try:  # "HH:MM" reads as the time since midnight
        clock = parse_duration(event.get("start"))
    except SourceError:  # a start a year past its day is no readable one
        clock = None
    day_date = parse_date(day.get("date"))
    if clock is None or day_date is None:
        return None
    first = parse_iso(day.get("day_start"), zones)
    if first and clock < timedelta(hours=first.hour, minutes=first.minute):
        clock += timedelta(days=1)
    return zones.attach(datetime.combine(day_date, datetime.min.time()) + clock)


def _event(event: dict, day: dict, room: str, zones: Zones) -> SourceTalk | None:
    start = _start(event, day, zones)
    if start is None:
        return None
    length = parse_duration(event.get("duration"), _named(event))
    end = parse_iso(event.get("end"), zones) or end_of(start, length)
    first, last = parse_iso(day.get("day_start"), zones), parse_iso(day.get("day_end"), zones)
    whole_day = bool(end and first and last and end - start >= last - first)
    return _talk(
        event,
        start,
        end,
        clean(event.get("room") or room),
        _text(event.get("track")),
        _speakers(event.get("persons"), _named(event)),
        whole_day,
    )


def _flat_event(event: dict, tracks: dict, zones: Zones) -> SourceTalk | None:
    start = parse_iso(event.get("start"), zones)
    if start is None:
        return None
    length = parse_duration(event.get("duration"), _named(event))
    end = parse_iso(event.get("end"), zones) or end_of(start, length)
    room = event.get("room")
    track = event.get("track")
    if isinstance(track, dict):
        slug = clean(track.get("slug"))
        track = track.get("name") or tracks.get(slug) or slug
    people = a_list(
        event.get("participants") or event.get("persons"), f"the persons of {_named(event)}"
    )
    speaking = [p for p in people if isinstance(p, dict) and p.get("role") in (None, "SPEAKER")]
    return _talk(
        event,
        start,
        end,
        clean(room.get("name") if isinstance(room, dict) else room),
        _text(track),
        _speakers(speaking or people, _named(event)),
        False,
    )


def _uid(event: dict) -> object:
    return event.get("guid") or event.get("id") or event.get("code") or event.get("slug")


def _named(event: dict) -> str:
    return entry_named(_text(event.get("title")), _uid(event))


def _talk(
    event: dict,
    start: datetime,
    end: datetime | None,
    room: str,
    track: str,
    speakers: tuple[Person, ...],
    whole_day: bool,
) -> SourceTalk:
    title = clean(_text(event.get("title")))
    kind = clean(event.get("type"))
    abstract = plain_text(_text(event.get("abstract"))) or plain_text(
        _text(event.get("description"))
    )
    return SourceTalk(
        uid=clean(_uid(event)),
        title=title,
        start=start,
        end=end,
        room=room,
        speakers=speakers,
        abstract=abstract,
        track=clean(track),
        is_break=looks_like_break(title, kind, track, has_speakers=bool(speakers)),
        all_day=whole_day or bool(event.get("all_day")) or spans_a_day(start, end),
    )
