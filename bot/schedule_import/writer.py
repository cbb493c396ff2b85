"""Meeting files written back: a `Meeting` as the TOML text that `load_meeting_file` reads into
an equal `Meeting`, in the style of the shipped files.

A meeting the format cannot express (a session past midnight, a time between two minutes, a
talk key the loader would not derive...) raises ValueError: the writer never writes a file the
loader refuses, nor one it would read differently.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.programme import files  # the loader: what it refuses, the writer must not write
from bot.programme.model import (
    Call,
    EventScope,
    EventSettings,
    FollowSettings,
    Meeting,
    Person,
    ReminderSettings,
    Session,
)

WIDTH = 96  # abstract lines longer than this are wrapped with TOML line-ending backslashes
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f"}
_ESCAPES["\r"] = "\\r"
_REFUSED = {chr(code) for code in [*range(32), 127]} - {"\t"}  # in comments
_FORMATS = ("indico", "frab", "c3voc")
_Moment = tuple[date, time]
_Span = tuple[date, time, time]  # a session's date, start and end


def meeting_toml(meeting: Meeting, *, comment: str = "", folder: Path | None = None) -> str:
    """The meeting file of `meeting`, with `comment` as a `# ` block at the top.

    `folder` is the folder the file is for: a cover image or a source file inside it is written
    relative to it, else absolute. Raises ValueError when the format cannot express `meeting`.
    """
    zone = isinstance(meeting.timezone, str) and files.is_zone(meeting.timezone)
    _require(zone, f"timezone: expected an IANA timezone name, got {meeting.timezone!r}")
    tz = ZoneInfo(meeting.timezone)
    _require(meeting.sessions, "sessions: a meeting file needs at least one session, got none")
    day_ok = isinstance(meeting.day, date) and not isinstance(meeting.day, datetime)
    _require(day_ok, f"day: expected a date, got {meeting.day!r}")
    slug_ok = isinstance(meeting.slug, str) and files.SLUG_RE.fullmatch(meeting.slug)
    _require(slug_ok, f"slug: expected lowercase letters, digits and hyphens, got {meeting.slug!r}")
    lines = _comment(comment)
    lines += [f'slug = "{meeting.slug}"', f"title = {_text(meeting.title, 'title', True)}"]
    lines += [f"date = {meeting.day.isoformat()}", f"timezone = {_text(meeting.timezone, 'tz')}"]
    lines += [f"venue = {_text(meeting.venue, 'venue')}"]
    lines += [f"capacity = {_count(meeting.capacity, 'capacity')}"]
    if meeting.url:
        web = files.is_web_address(meeting.url)
        _require(web, f"url: expected an http:// or https:// address, got {meeting.url!r}")
        lines.append(f"url = {_text(meeting.url, 'url')}")
    if meeting.remote_capacity is not None:
        lines.append(f"remote_capacity = {_count(meeting.remote_capacity, 'remote_capacity')}")
    if meeting.registration_closes is not None:
        closes = _offset_moment(meeting.registration_closes, tz, "registration_closes")
        lines.append(f"registration_closes = {closes}")
    lines += _follow(meeting.follow, folder)
    lines += _reminders(meeting.reminders)
    lines += _events(meeting.events, folder)
    lines += _call(meeting.call, tz)
    for index, person in enumerate(meeting.organizers):
        lines += ["", "[[organizers]]", *_person(person, f"organizers[{index}]", "\n").split("\n")]
    lines += _sessions(meeting, tz)
    return "\n".join(lines) + "\n"


def _require(ok: object, message: str) -> None:
    if not ok:
        raise ValueError(message)


def _comment(comment: str) -> list[str]:
    block = comment.splitlines()
    for line in block:
        bad = any(ch in _REFUSED or "\ud800" <= ch <= "\udfff" for ch in line)
        _require(not bad, f"comment: {line!r} holds a control character or a lone surrogate")
    return [f"# {line}".rstrip() for line in block] + ([""] if block else [])


def _check(value: object, where: str, required: bool = False) -> str:
    """`value` if the loader reads it back as it is: a string, stripped, UTF-8 encodable."""
    if not isinstance(value, str):
        raise ValueError(f"{where}: expected a string, got {value!r}")
    _require(value or not required, f"{where}: expected a non-empty string, got an empty one")
    strip = f"{where}: {value!r} has surrounding whitespace, which the loader strips"
    _require(value == value.strip(), strip)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{where}: {value!r} is not valid Unicode (a lone surrogate)") from None
    return value


def _escape(ch: str) -> str:
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    return f"\\u{ord(ch):04X}" if ch < " " or ch == "\x7f" else ch


def _text(value: str, where: str, required: bool = False) -> str:
    """A TOML basic string on one line."""
    return '"' + "".join(map(_escape, _check(value, where, required))) + '"'


def _block(value: str, where: str) -> str:
    """A TOML multi-line basic string (when needed): newlines as they are, long lines wrapped."""
    if "\n" not in _check(value, where) and len(value) <= WIDTH:
        return _text(value, where)
    body, quotes = [], 0  # quotes: the raw `"` just written (three would close the string)
    for index, ch in enumerate(value):
        raw = ch == "\n" or (ch == '"' and quotes < 2 and index < len(value) - 1)
        body.append(ch if raw else _escape(ch))
        quotes = quotes + 1 if raw and ch == '"' else 0
    lines = [piece for line in "".join(body).split("\n") for piece in _wrap(line)]
    return '"""\n' + "\n".join(lines) + '"""'


def _wrap(line: str) -> list[str]:
    """An escaped line cut after spaces, each piece but the last ending in a backslash, which
    TOML drops with the newline and the whitespace after it (so no piece may start with
    whitespace); an escape holds no space, so none is cut."""
    pieces = []
    while len(line) > WIDTH:
        cuts = [i for i in range(1, len(line)) if line[i - 1] == " " and line[i] not in " \t"]
        cut = max((i for i in cuts if i < WIDTH), default=min(cuts, default=0))
        if not cut:
            break
        pieces.append(line[:cut] + "\\")
        line = line[cut:]
    return [*pieces, line]


def _count(value: object, where: str) -> str:
    ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63
    _require(ok, f"{where}: expected an integer ≥ 0 (and a TOML one, < 2**63), got {value!r}")
    return str(value)


def _minutes(value: object, where: str, low: float = 0) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value < math.inf:
        raise ValueError(f"{where}: expected a finite number of minutes ≥ {low:g}, got {value!r}")
    return str(int(value)) if value == int(value) and abs(value) < 2**53 else repr(float(value))


def _flag(value: object, where: str) -> str:
    _require(isinstance(value, bool), f"{where}: expected true or false, got {value!r}")
    return "true" if value else "false"


def _aware(moment: object, where: str) -> datetime:
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise ValueError(f"{where}: expected a timezone-aware datetime, got {moment!r}")
    return moment


def _offset_moment(moment: datetime, tz: ZoneInfo, where: str) -> str:
    """A TOML offset date-time in the meeting's timezone (in UTC if that offset has seconds)."""
    here = _aware(moment, where).astimezone(tz)
    offset = here.utcoffset()
    whole = offset is not None and not offset.seconds % 60 and not offset.microseconds
    return (here if whole else moment.astimezone(UTC)).isoformat()


def _local(moment: datetime, tz: ZoneInfo, where: str) -> _Moment:
    """The meeting-local date and "HH:MM" that the loader reads back into this very instant."""
    here = _aware(moment, where).astimezone(tz)
    whole = not here.second and not here.microsecond
    _require(whole, f'{where}: {here:%Y-%m-%d %H:%M:%S.%f} is not a whole minute ("HH:MM")')
    clock = time(here.hour, here.minute)
    read_back = datetime.combine(here.date(), clock, tzinfo=tz).astimezone(UTC)
    _require(
        read_back == moment.astimezone(UTC),
        f"{where}: {here:%Y-%m-%d %H:%M} happens twice in {tz.key} (the clocks go back), and "
        "a meeting file's local time always means the first time, not this second one",
    )
    return here.date(), clock


def _path(value: str, folder: Path | None, where: str) -> str:
    """An absolute resolved path (as the loader stores it), relative to `folder` if inside it."""
    resolved = str(Path(_check(value, where, True)).resolve()) == value
    _require(resolved, f"{where}: expected an absolute, resolved path, got {value!r}")
    if folder is not None and Path(value).is_relative_to(folder.resolve()):
        relative = Path(value).relative_to(folder.resolve()).as_posix()
        return relative if relative == relative.strip() else value
    return value


def _follow(follow: FollowSettings, folder: Path | None) -> list[str]:
    lines, source = [], follow.source
    if source and files.is_web_address(_check(source, "source")):
        lines.append(f"source = {_text(source, 'source')}")
    elif source:
        url = f"source: expected an https:// address or a file path, got {source!r}"
        _require("://" not in source, url)
        lines.append(f"source = {_text(_path(source, folder, 'source'), 'source')}")
    if follow.format:
        known = follow.format in _FORMATS
        _require(known, f"source_format: expected one of {_FORMATS}, got {follow.format!r}")
        lines.append(f'source_format = "{follow.format}"')
    if follow.refresh_minutes != FollowSettings().refresh_minutes:
        refresh = _minutes(follow.refresh_minutes, "source_refresh_minutes", 1)
        lines.append(f"source_refresh_minutes = {refresh}")
    return lines


def _reminders(reminders: ReminderSettings) -> list[str]:
    if reminders == ReminderSettings():
        return []
    where, leads = "reminders.session_leads_minutes", reminders.session_leads_minutes
    _require(isinstance(leads, tuple | list), f"{where}: expected a tuple, got {leads!r}")
    written = ", ".join(_minutes(lead, f"{where}[{i}]") for i, lead in enumerate(leads))
    remote = _minutes(reminders.remote_link_lead_minutes, "reminders.remote_link_lead_minutes")
    lines = ["", "[reminders]", f"session_leads_minutes = [{written}]"]
    lines.append(f"talk_start = {_flag(reminders.talk_start, 'reminders.talk_start')}")
    lines.append(f"remote_link_lead_minutes = {remote}")
    return [*lines, f"grace_minutes = {_minutes(reminders.grace_minutes, 'reminders.grace')}"]


def _events(events: EventSettings, folder: Path | None) -> list[str]:
    if events == EventSettings():
        return []
    scopes = {scope.value for scope in EventScope}
    _require(events.scope in scopes, f"events.scope: expected one of {scopes}: {events.scope!r}")
    lines = ["", "[events]", f'scope = "{EventScope(events.scope).value}"']
    if events.image:
        image = Path(_path(events.image, None, "events.image"))
        is_image = image.suffix.lower() in files.IMAGE_TYPES and image.is_file()
        _require(is_image, f"events.image: expected a PNG, JPEG or GIF file, got {image}")
        lines.append(f"image = {_text(_path(events.image, folder, 'events.image'), 'image')}")
    return lines


def _call(call: Call | None, tz: ZoneInfo) -> list[str]:
    """The `[call]` table, its times as offset date-times in the meeting's timezone."""
    if call is None:
        return []
    lines = ["", "[call]"]
    if call.opens is not None:
        lines.append(f"opens = {_offset_moment(call.opens, tz, 'call.opens')}")
    lines.append(f"closes = {_offset_moment(call.closes, tz, 'call.closes')}")
    _require(call.kinds, "call.kinds: expected at least one kind")
    lines.append(f"kinds = [{', '.join(_text(k, 'call.kinds', True) for k in call.kinds)}]")
    if call.abstract_max_chars != Call.abstract_max_chars:
        lines.append(f"abstract_max_chars = {_count(call.abstract_max_chars, 'call')}")
    if call.per_member is not None:
        lines.append(f"per_member = {_count(call.per_member, 'call.per_member')}")
    if call.anonymous_review:
        lines.append("anonymous_review = true")
    return lines


def _person(person: Person, where: str, separator: str = ", ") -> str:
    name = f"name = {_text(person.name, f'{where}.name', True)}"
    if not _check(person.affiliation, f"{where}.affiliation"):
        return name
    return f"{name}{separator}affiliation = {_text(person.affiliation, where)}"


def _sessions(meeting: Meeting, tz: ZoneInfo) -> list[str]:
    """The sessions and their talks, checked as the loader checks them (and talk keys too)."""
    lines: list[str] = []
    previous: _Moment | None = None
    room_ends: dict[str, _Moment] = {}  # each room's latest session end
    used: set[str] = set()  # the talk keys so far
    for number, session in enumerate(meeting.sessions, 1):
        where = f"session {number} ({session.title!r})"
        day, start = _local(session.start, tz, f"{where} start")
        end_day, end = _local(session.end, tz, f"{where} end")
        _require(
            end_day == day,
            f"{where}: starts on {day} and ends on {end_day}; a session must end on the local "
            "date it starts (before midnight)",
        )
        _require(end > start, f"{where}: ends at {end:%H:%M}, not after its start {start:%H:%M}")
        _require(day >= meeting.day, f"{where}: on {day}, before the meeting's date {meeting.day}")
        in_order = previous is None or (day, start) >= previous
        _require(in_order, f"{where}: starts before the previous session (order of date, start)")
        room_end = room_ends.get(session.room, (day, start))
        _require(
            room_end[0] != day or start >= room_end[1],
            f"{where}: starts before the previous session in room {session.room!r} ends "
            f"({room_end[1]:%H:%M}); sessions in parallel need different rooms",
        )
        previous, room_ends[session.room] = (day, start), max(room_end, (day, end))
        lines += ["", "[[sessions]]", f"title = {_text(session.title, f'{where} title', True)}"]
        lines += [f"date = {day.isoformat()}"] if day != meeting.day else []
        lines += [f'start = "{start:%H:%M}"', f'end = "{end:%H:%M}"']
        lines += [f"room = {_text(session.room, f'{where} room')}"] if session.room else []
        lines += [f"id = {_text(session.uid, f'{where} id')}"] if session.uid else []
        lines += _talks(session, (day, start, end), tz, used)
    return lines


def _talks(session: Session, span: _Span, tz: ZoneInfo, used: set[str]) -> list[str]:
    lines: list[str] = []
    day, first, last = span
    previous = first
    for talk in session.talks:
        where = f"talk {talk.key!r}"
        title = _check(talk.title, f"{where} title", True)
        key = files.unique_key(files.slugify(title) or "talk", used)
        _require(talk.key == key, f"{where}: the loader derives the key {key!r} from its title")
        start_day, start = _local(talk.start, tz, f"{where} start")
        end_day, end = _local(talk.end, tz, f"{where} end")
        _require(start_day == end_day, f"{where}: starts {start_day}, ends {end_day} (midnight)")
        _require(start_day == day, f"{where}: on {start_day}, not on its session's date {day}")
        _require(end > start, f"{where}: ends at {end:%H:%M}, not after its start {start:%H:%M}")
        inside = first <= start < last and end <= last
        _require(inside, f"{where}: not within its session, {first:%H:%M}–{last:%H:%M}")
        _require(start >= previous, f"{where}: starts before the previous talk (talks in order)")
        _require(
            talk.room or not session.room,
            f"{where}: has no room, but a talk without one takes its session's, {session.room!r}",
        )
        previous = start
        lines += ["", "  [[sessions.talks]]", f'  start = "{start:%H:%M}"']
        lines += [f'  end = "{end:%H:%M}"', f"  title = {_text(title, where)}"]
        lines += [f"  invited = {_flag(talk.invited, f'{where} invited')}"] if talk.invited else []
        speakers = [_person(p, f"{where} speakers[{i}]") for i, p in enumerate(talk.speakers)]
        if len(speakers) == 1:
            lines.append(f"  speakers = [{{ {speakers[0]} }}]")
        elif speakers:
            lines += ["  speakers = [", *(f"    {{ {s} }}," for s in speakers), "  ]"]
        if talk.room != session.room:
            lines.append(f"  room = {_text(talk.room, f'{where} room')}")
        lines += [f"  id = {_text(talk.uid, f'{where} id')}"] if talk.uid else []
        if talk.proposal:
            known = re.fullmatch(r"P-[1-9][0-9]*", talk.proposal)
            _require(known, f'{where} proposal: expected a reference such as "P-12"')
            lines.append(f'  proposal = "{talk.proposal}"')
        if talk.abstract:
            lines.append(f"  abstract = {_block(talk.abstract, f'{where} abstract')}")
    return lines
