"""The `[[sessions]]` of a meeting file: each session and its talks, read with every problem
reported like the rest of the file, and held to the timetable's order (sessions by date and start,
none overlapping another in its room; each talk inside its session, after the one before). The
drafts keep the file's local times: `files` makes them the `Session`s and `Talk`s of the meeting
once its date and timezone are known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from bot.programme.model import Person
from bot.programme.toml_reader import Kind, Reader, Table, spelled

_CLOCK_RE = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")


def _clock(value: str) -> time | None:
    match = _CLOCK_RE.fullmatch(value.strip())
    return time(int(match[1]), int(match[2])) if match else None


_TEXT = Kind("a non-empty string", {"string"}, lambda v: v.strip(), str.strip)
_STRING = Kind("a string", {"string"}, convert=str.strip)
_FLAG = Kind("true or false", {"boolean"})
_CLOCK = Kind('a time "HH:MM" (24-hour)', {"string"}, _clock, _clock)
_DAY = Kind("a TOML local date such as 2021-06-28 (no quotes)", {"local date"})
_ID = Kind("a non-empty string (the source's id)", {"string"}, lambda v: v.strip(), str.strip)
_REFERENCE = Kind(
    'a proposal reference such as "P-12"', {"string"}, re.compile(r"P-[1-9][0-9]*").fullmatch
)


def read_person(table: Table) -> Person:
    """A speaker's or an organizer's table: a name, and an affiliation if given."""
    name = table.get("name", _TEXT, required=True) or ""
    affiliation = table.get("affiliation", _STRING) or ""
    table.done()
    return Person(name, affiliation)


@dataclass
class TalkDraft:
    """A talk as the file gives it: its times still local, its end possibly left out."""

    key: str  # where it is in the file: "sessions[2].talks[0]"
    start: time | None
    end: time | None  # None when absent (or invalid, which is a problem)
    details: dict[str, Any]  # the other fields of the Talk


@dataclass
class SessionDraft:
    """A session as the file gives it, with its talks: its times still local."""

    key: str  # where it is in the file: "sessions[2]"
    title: str
    day: date | None  # None: the meeting's date
    start: time | None
    end: time | None
    details: dict[str, Any]  # room, uid
    talks: list[TalkDraft]


_Span = tuple[time, time] | None
_SPEAKER = '{ name = "...", affiliation = "..." }'


def read_sessions(r: Reader, top: Table, first_day: date | None) -> list[SessionDraft]:
    """The sessions and their talks: sessions in order of date and start, not overlapping
    another session in the same room; talks in order within their session."""
    if not top.data.get("sessions"):
        r.problem("sessions", "expected at least one session ([[sessions]]), got none")
    sessions: list[SessionDraft] = []
    previous_start: tuple[date, time] | None = None
    room_ends: dict[str, tuple[date, time]] = {}  # each room's latest session end
    talk_ids: dict[str, str] = {}  # a talk's id → where it is: one talk each
    for table in top.tables("sessions", "[[sessions]]"):
        title = table.get("title", _TEXT, required=True) or ""
        day = table.get("date", _DAY)
        if day and first_day and day < first_day:
            expected = f"a date on or after the meeting's date {first_day:%Y-%m-%d}"
            r.problem(f"{table.prefix}.date", f"expected {expected}, got {day:%Y-%m-%d}")
        on = day or first_day
        start = table.get("start", _CLOCK, required=True)
        end = table.get("end", _CLOCK, required=True)
        room = table.get("room", _STRING) or ""
        details = {"room": room, "uid": table.get("id", _ID) or ""}
        if start and end and end <= start:
            r.bad_time(f"{table.prefix}.end", f"a time after its start {start:%H:%M}", end)
        if on and start:
            if previous_start and (on, start) < previous_start:
                expected = "a session starting at or after the previous one (sessions in order"
                r.problem(
                    f"{table.prefix}.start",
                    f"expected {expected} of date and start), got {start:%H:%M} on {on:%Y-%m-%d}",
                )
            room_end = room_ends.get(room)
            if room_end and (on, start) < room_end and on == room_end[0]:
                what = f"previous session's end {room_end[1]:%H:%M}"
                where = f" in {room}" if room else ""
                r.bad_time(f"{table.prefix}.start", f"a time at or after the {what}{where}", start)
            previous_start = max(filter(None, (previous_start, (on, start))))
            if end and end > start:
                room_ends[room] = max(filter(None, (room_ends.get(room), (on, end))))
        bounds = (start, end) if start and end and start < end else None
        talks: list[TalkDraft] = []
        for talk in table.tables("talks", "[[sessions.talks]]"):
            draft = TalkDraft(
                talk.prefix, talk.get("start", _CLOCK, required=True), talk.get("end", _CLOCK), {}
            )
            draft.details = {
                "title": talk.get("title", _TEXT, required=True),
                "invited": bool(talk.get("invited", _FLAG)),
                "speakers": tuple(map(read_person, talk.tables("speakers", _SPEAKER))),
                "abstract": talk.get("abstract", _STRING) or "",
                "room": talk.get("room", _STRING) or room,
                "uid": talk.get("id", _ID) or "",
                "proposal": talk.get("proposal", _REFERENCE) or "",
            }
            talk.done()
            if uid := draft.details["uid"]:
                if uid in talk_ids:
                    expected = f"an id no other talk has, got {spelled(uid)} (also {talk_ids[uid]})"
                    r.problem(f"{talk.prefix}.id", f"expected {expected}")
                talk_ids.setdefault(uid, talk.prefix)
            _check_talk(r, draft, next((t for t in reversed(talks) if t.start), None), bounds)
            talks.append(draft)
        table.done()
        sessions.append(SessionDraft(table.prefix, title, day, start, end, details, talks))
    return sessions


def _check_talk(r: Reader, talk: TalkDraft, previous: TalkDraft | None, bounds: _Span) -> None:
    """Inside its session, and not before the previous talk (overlaps are only warned of)."""
    start, end = talk.start, talk.end
    inside = f"a time within its session ({bounds[0]:%H:%M}–{bounds[1]:%H:%M})" if bounds else ""
    if start and bounds and not bounds[0] <= start < bounds[1]:
        r.bad_time(f"{talk.key}.start", inside, start)
    if start and end and end <= start:
        r.bad_time(f"{talk.key}.end", f"a time after its start {start:%H:%M}", end)
    elif end and bounds and end > bounds[1]:
        r.bad_time(f"{talk.key}.end", inside, end)
    if start and previous and previous.start and start < previous.start:
        expected = f"a time at or after the previous talk's start {previous.start:%H:%M}"
        r.bad_time(f"{talk.key}.start", f"{expected} (talks in order)", start)
