"""The Indico HTTP export API, as JSON: the event export and the timetable export.

- `/export/event/ID.json?detail=contributions` (or `detail=sessions`): `{"results": [event]}`,
  each contribution with `startDate` and `endDate` as `{date, time, tz}` and `duration` in
  minutes; with `detail=sessions`, the contributions of a session sit in its blocks
  (`sessions[]`) and the top-level list keeps the others.
- `/export/timetable/ID.json`: `{"results": {event id: {YYYYMMDD: {entry id: entry}}}}`, where
  an entry is a Contribution, a Break or a Session block whose own `entries` hold the rest.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from bot.programme.model import Person
from bot.schedule_import.sources.detect import load_json
from bot.schedule_import.sources.schedule import (
    SourceError,
    SourceSchedule,
    SourceTalk,
    Zones,
    build,
    capitalized,
    clean,
    end_of,
    entry_named,
    length_of,
    looks_like_break,
    parse_date,
    person,
    plain_text,
    spans_a_day,
    unique_people,
    zone_named,
)
from bot.schedule_import.sources.shape import a_list, objects

_NO_CONTRIBUTIONS = (
    "This Indico export holds the event only, not its contributions. Export it with "
    "?detail=contributions (or ?detail=sessions), or use the timetable export "
    "/export/timetable/ID.json."
)


#: How deep session blocks may nest in a timetable export (Indico nests one level).
_MAX_NESTING = 4


def parse_indico(data: bytes, timezone: str | None = None) -> SourceSchedule:
    """The schedule in an Indico event or timetable export."""
    return read_indico(load_json(data, "Indico export"), timezone)


def read_indico(document: Any, timezone: str | None = None) -> SourceSchedule:
    """The schedule of an Indico event or timetable export, read (its JSON value)."""
    results = document.get("results") if isinstance(document, dict) else None
    if isinstance(results, list):
        return _event_export(objects(results, "“results”"), timezone)
    if isinstance(results, dict):
        return _timetable_export(results, timezone)
    raise SourceError(
        "This JSON has no “results”, which every Indico export has. Export the event from "
        "Indico as /export/event/ID.json?detail=contributions or /export/timetable/ID.json."
    )


def _moment(value: Any, zones: Zones) -> datetime | None:
    """An Indico `{date, time, tz}`, in its `tz` (else the event's zone); None if absent."""
    if not isinstance(value, dict) or not value.get("date"):
        return None
    day = parse_date(value["date"])
    try:
        clock = time.fromisoformat(clean(value.get("time")) or "00:00:00")
    except ValueError:
        return None
    if day is None:
        return None
    tz = clean(value.get("tz"))
    zone = zone_named(tz, "the zone of an Indico date") if tz else zones.local()
    return datetime.combine(day, clock, tzinfo=zone)


def _name(entry: Any) -> Person | None:
    """A person of any Indico serializer: first and last names, else the full name."""
    if not isinstance(entry, dict):
        return person(entry)
    first = clean(entry.get("first_name") or entry.get("firstName"))
    last = clean(entry.get("last_name") or entry.get("familyName"))
    name = f"{first} {last}".strip()
    if not name:
        name = clean(entry.get("name") or entry.get("fullName"))
        if name.count(",") == 1:  # fullName is "Last, First"
            name = " ".join(reversed([part.strip() for part in name.split(",")]))
    return person(name, entry.get("affiliation"))


def _people(where: str, *lists: tuple[str, Any]) -> tuple[Person, ...]:
    """The first list that names anyone (speakers, else the primary authors)."""
    for key, listed in lists:
        found = unique_people(_name(p) for p in a_list(listed, f"“{key}” of {where}"))
        if found:
            return found
    return ()


def _text(value: Any) -> str:
    return clean(value) if isinstance(value, str | int) else ""


# --- /export/event/ID.json ---------------------------------------------------------------


def _event_export(events: list[dict], fallback: str | None) -> SourceSchedule:
    if not events:
        raise SourceError(
            "This Indico export lists no event. Check the event id, and that the event is "
            "public or the export URL carries a key that may read it."
        )
    if not any("contributions" in e or "sessions" in e for e in events):
        raise SourceError(_NO_CONTRIBUTIONS)
    first = events[0]
    zones = Zones(fallback, first.get("timezone"))
    talks: list[SourceTalk] = []
    unscheduled: list[str] = []
    for number, event in enumerate(events, start=1):
        where = f"event {number} of “results”"
        contributions = objects(event.get("contributions"), f"the “contributions” of {where}")
        listed: list[tuple[dict, dict | None]] = [(c, None) for c in contributions]
        for session in objects(event.get("sessions"), f"the “sessions” of {where}"):
            inner = objects(
                session.get("contributions"), f"the “contributions” of a session of {where}"
            )
            listed += [(c, session) for c in inner]
        for contribution, block in listed:
            talk = _contribution(contribution, block, zones)
            if talk is None:
                unscheduled.append(clean(contribution.get("title")))
            else:
                talks.append(talk)
    warnings = []
    if len(events) > 1:
        warnings.append(f"The export holds {len(events)} events; their talks are read together.")
    if unscheduled:
        warnings.append(
            f"{len(unscheduled)} contribution(s) are not in the timetable and were left out: "
            + ", ".join(f"“{t}”" for t in unscheduled[:3])
            + "."
        )
    return build(
        "indico",
        first.get("title") or "",
        zones,
        talks,
        venue=_text(first.get("location")),
        url=_text(first.get("url")),
        warnings=warnings,
        empty_hint="Check that its contributions are scheduled in the timetable and published.",
    )


def _contribution(entry: dict, block: dict | None, zones: Zones) -> SourceTalk | None:
    start = _moment(entry.get("startDate"), zones)
    if start is None:
        return None
    title = clean(entry.get("title"))
    uid = entry.get("id") if entry.get("id") is not None else entry.get("db_id")
    named = entry_named(title, uid)
    end = _moment(entry.get("endDate"), zones)
    if end is None and isinstance(entry.get("duration"), int | float):
        end = end_of(start, length_of(entry["duration"], named))
    block = block or {}
    session = _text(entry.get("session"))
    if not session:
        raw = block.get("session")
        inner = raw if isinstance(raw, dict) else {}
        session = _text(inner.get("title") or block.get("title"))
    speakers = _people(
        named, ("speakers", entry.get("speakers")), ("primaryauthors", entry.get("primaryauthors"))
    )
    return SourceTalk(
        uid=f"c{clean(uid)}",
        title=title,
        start=start,
        end=end,
        room=_text(entry.get("room") or entry.get("roomFullname"))
        or _text(block.get("room") or block.get("roomFullname")),
        speakers=speakers,
        abstract=plain_text(entry.get("description")),
        track=_text(entry.get("track")),
        session=session,
        session_uid=_text(block.get("id")),
        is_break=looks_like_break(title, _text(entry.get("type")), has_speakers=bool(speakers)),
        all_day=spans_a_day(start, end),
    )


# --- /export/timetable/ID.json -----------------------------------------------------------


def _timetable_export(results: dict, fallback: str | None) -> SourceSchedule:
    days_of = {k: v for k, v in results.items() if isinstance(v, dict)}
    entries = [
        (key, entry)
        for days in days_of.values()
        for day in days.values()
        if isinstance(day, dict)
        for key, entry in day.items()
        if isinstance(entry, dict)
    ]
    if not days_of or not entries:
        raise SourceError(
            "This Indico timetable export has no entries. Check that the timetable is "
            "published (or that the export URL carries a key that may read it)."
        )
    first_tz = next(
        (e["startDate"].get("tz") for _, e in entries if isinstance(e.get("startDate"), dict)), ""
    )
    zones = Zones(fallback, first_tz)
    talks: list[SourceTalk] = []
    for key, entry in entries:
        _walk(entry, key, None, zones, talks, 0)
    events = ", ".join(days_of)
    return build("indico", f"Indico event {events}", zones, talks)


def _walk(
    entry: dict, key: str, parent: dict | None, zones: Zones, talks: list[SourceTalk], depth: int
) -> None:
    kind = clean(entry.get("entryType"))
    children = entry.get("entries") if kind == "Session" else None
    if isinstance(children, dict) and children:
        if depth >= _MAX_NESTING:
            raise SourceError(
                f"{capitalized(entry_named(entry.get('title'), entry.get('id') or key))} of "
                f"the Indico timetable holds sessions nested more than {_MAX_NESTING} deep, "
                "which Indico never writes; check that the export was not edited."
            )
        for child_key, child in children.items():
            if isinstance(child, dict):
                _walk(child, child_key, entry, zones, talks, depth + 1)
        return
    start = _moment(entry.get("startDate"), zones)
    if start is None:
        return
    end = _moment(entry.get("endDate"), zones)
    block = parent if parent is not None else (entry if kind == "Session" else {})
    title = clean(entry.get("slotTitle") or entry.get("title")) if kind == "Session" else ""
    title = title or clean(entry.get("title"))
    speakers = _people(
        entry_named(title, entry.get("id") or key),
        ("presenters", entry.get("presenters")),
        ("authors", entry.get("authors")),
    )
    slot = entry.get("sessionSlotId") or block.get("sessionSlotId") or block.get("id")
    talks.append(
        SourceTalk(
            uid=clean(entry.get("id") or key),
            title=title,
            start=start,
            end=end,
            room=_text(entry.get("room")) or _text(block.get("room")),
            speakers=speakers,
            abstract=plain_text(entry.get("description")),
            track=_text(entry.get("track")),
            session=_text(block.get("title")),
            session_uid=_text(slot),
            is_break=kind == "Break" or looks_like_break(title, has_speakers=bool(speakers)),
            all_day=spans_a_day(start, end),
        )
    )
