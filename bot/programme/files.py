"""Meeting files: the TOML files under `data/meetings/`, read into `Meeting` objects.

Every problem of every file is reported at once, with its file, key and what was expected. The
sessions and their talks are read in `sessions_file`, the call for contributions in
`bot.proposals.call_file`; here the meeting is put together, its times made UTC.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from datetime import UTC, date, datetime, time
from math import inf
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.programme.model import (
    EventScope,
    EventSettings,
    FollowSettings,
    Meeting,
    ReminderSettings,
    Session,
    Talk,
)
from bot.programme.sessions_file import read_person, read_sessions
from bot.programme.toml_reader import (
    FILE_KEY,
    FileProblem,
    Kind,
    Reader,
    Table,
    described,
    spelled,
)
from bot.proposals.call_file import build_call, read_call

SLUG_MAX_LENGTH = 48

SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Lowercase letters that Unicode does not decompose into an ASCII base letter.
_TRANSLITERATE = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "ł": "l", "đ": "d"})


class MeetingFileError(Exception):
    """Raised with every problem found in the meeting files at once."""

    def __init__(self, errors: list[FileProblem]) -> None:
        self.errors = list(errors)
        count = len(self.errors)
        header = f"{count} problem{'' if count == 1 else 's'} in the meeting files:"
        super().__init__("\n".join([header, *(f"  {problem}" for problem in self.errors)]))


def slugify(text: str, max_length: int = SLUG_MAX_LENGTH) -> str:
    """ASCII, lowercase, hyphen-separated; at most `max_length` characters, cut between words."""
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_TRANSLITERATE))
    ascii_text = decomposed.encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    if len(slug) > max_length:
        head, hyphen, _ = slug[: max_length + 1].rpartition("-")
        slug = (head if hyphen and head else slug[:max_length]).rstrip("-")
    return slug


def load_meeting_file(path: Path) -> Meeting:
    """Read and validate one meeting file; raise MeetingFileError listing all its problems."""
    meeting, _slug, problems = _parse(Path(path))
    if meeting is None:
        raise MeetingFileError(problems)
    return meeting


def load_meetings(path: Path) -> list[Meeting]:
    """Read a meeting file, or every `*.toml` of a folder (sorted by name), checking them all."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.glob("*.toml") if p.is_file())
        missing = "expected at least one *.toml meeting file in this folder, got none"
    else:
        files = [path] if path.exists() else []
        missing = "expected a meeting file or a folder of them, got nothing at this path"
    problems = [] if files else [FileProblem(str(path), FILE_KEY, missing)]
    meetings: list[Meeting] = []
    seen: dict[str, str] = {}
    for file in files:
        meeting, slug, file_problems = _parse(file)
        problems.extend(file_problems)
        if slug and slug in seen:
            expected = f'expected a slug no other meeting uses, got "{slug}" (also in {seen[slug]})'
            problems.append(FileProblem(str(file), "slug", expected))
        seen.setdefault(slug or "", str(file))
        meetings += [meeting] if meeting else []
    if problems:
        raise MeetingFileError(problems)
    return meetings


def check_meetings(path: Path) -> list[FileProblem]:
    """Every problem of the meeting file or folder at `path`; empty when all is well."""
    try:
        load_meetings(path)
    except MeetingFileError as error:
        return error.errors
    return []


def is_zone(value: str) -> bool:
    """Whether `value` names an IANA timezone."""
    try:
        return bool(ZoneInfo(value))
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False


def is_web_address(value: str) -> bool:
    """Whether `value` is an http:// or https:// address."""
    parts = urlsplit(value.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)


_TEXT = Kind("a non-empty string", {"string"}, lambda v: v.strip(), str.strip)
_STRING = Kind("a string", {"string"}, convert=str.strip)
_SLUG = Kind("a slug of lowercase letters, digits and hyphens", {"string"}, SLUG_RE.fullmatch)
_COUNT = Kind("an integer ≥ 0", {"integer"}, lambda v: v >= 0)
_MINUTES = Kind("a number of minutes ≥ 0", {"integer", "float"}, lambda v: 0 <= v < inf, float)
_FLAG = Kind("true or false", {"boolean"})
_DAY = Kind("a TOML local date such as 2021-06-28 (no quotes)", {"local date"})
_ZONE = Kind('an IANA timezone name such as "Europe/Paris"', {"string"}, is_zone)
_URL = Kind("an http:// or https:// address", {"string"}, is_web_address, str.strip)
_DATE_TIMES = {"offset date-time", "local date-time"}
_MOMENT = Kind("a TOML date-time such as 2021-06-27T23:59:00+02:00 (no quotes)", _DATE_TIMES)
# The top-level keys that map directly to `Meeting` fields ("date" is its `day`).
_REQUIRED = {"slug": _SLUG, "title": _TEXT, "date": _DAY, "timezone": _ZONE, "venue": _STRING}
_REQUIRED |= {"capacity": _COUNT}
_OPTIONAL = {"url": _URL, "remote_capacity": _COUNT, "registration_closes": _MOMENT}
_REFRESH = Kind("a number of minutes ≥ 1", {"integer", "float"}, lambda v: 1 <= v < inf, float)


def _follow(top: Table, path: Path) -> FollowSettings:
    """`source`, `source_format` and `source_refresh_minutes`: the export the bot follows."""
    source = top.get("source", _TEXT) or ""
    if source and not is_web_address(source) and "://" in source:
        expected = "expected an https:// address or a file path"
        top.r.problem("source", f"{expected}, got {spelled(source)}")
    elif source and not is_web_address(source):
        source = str((path.parent / source).resolve())
    fmt = top.get("source_format", _SOURCE_FORMAT) or ""
    refresh = top.get("source_refresh_minutes", _REFRESH)
    defaults = FollowSettings()
    return FollowSettings(source, fmt, defaults.refresh_minutes if refresh is None else refresh)


def _reminders(top: Table) -> ReminderSettings:
    defaults, key, data = ReminderSettings(), top.key("reminders"), top.data.get("reminders", {})
    if not isinstance(data, dict):
        top.r.problem(key, f"expected a table [reminders], got {described(data)}")
        return defaults
    table = Table(top.r, key, data)
    leads_key, leads = table.key("session_leads_minutes"), defaults.session_leads_minutes
    raw = data.get("session_leads_minutes", list(leads))
    if isinstance(raw, list):
        leads = tuple(top.r.value(f"{leads_key}[{i}]", _MINUTES, v) for i, v in enumerate(raw))
    else:
        top.r.problem(leads_key, f"expected an array of {_MINUTES.expected}, got {described(raw)}")
    knobs = {"talk_start": _FLAG, "remote_link_lead_minutes": _MINUTES, "grace_minutes": _MINUTES}
    given = {n: v for n, kind in knobs.items() if (v := table.get(n, kind)) is not None}
    table.done()
    return replace(defaults, session_leads_minutes=leads, **given)


#: The cover images Discord takes for a scheduled event.
IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
}
_SOURCE_FORMAT = Kind(
    'one of "indico", "frab" or "c3voc"', {"string"}, lambda v: v in ("indico", "frab", "c3voc")
)
_SCOPE = Kind(
    'one of "sessions", "day" or "none"', {"string"}, lambda v: v in set(EventScope), EventScope
)


def _events(top: Table, path: Path) -> EventSettings:
    key, data = top.key("events"), top.data.get("events", {})
    if not isinstance(data, dict):
        top.r.problem(key, f"expected a table [events], got {described(data)}")
        return EventSettings()
    table = Table(top.r, key, data)
    scope = table.get("scope", _SCOPE) or EventScope.SESSIONS
    image = table.get("image", _TEXT) or ""
    if image:
        file = (path.parent / image).resolve()
        if file.suffix.lower() not in IMAGE_TYPES:
            expected = f"expected a PNG, JPEG or GIF file (.png, .jpg, .gif), got {spelled(image)}"
            top.r.problem(f"{key}.image", expected)
        elif not file.is_file():
            expected = (
                "expected an image file, relative to the meeting file's folder, "
                f"got {spelled(image)}: no such file"
            )
            top.r.problem(f"{key}.image", expected)
        image = str(file)
    table.done()
    return EventSettings(scope=scope, image=image)


def _parse(path: Path) -> tuple[Meeting | None, str | None, list[FileProblem]]:
    """The meeting (None when the file has problems), its slug when valid, and the problems."""
    r = Reader(path)
    top = r.load(path)
    if top is None:
        return None, None, r.problems
    values = {name: top.get(name, kind, required=True) for name, kind in _REQUIRED.items()}
    values |= {name: top.get(name, kind) for name, kind in _OPTIONAL.items()}
    reminders = _reminders(top)
    events = _events(top, path)
    follow = _follow(top, path)
    organizers = tuple(map(read_person, top.tables("organizers", "[[organizers]]")))
    raw_call = read_call(top)
    sessions = read_sessions(r, top, values["date"])
    top.done()
    if r.problems:
        return None, values["slug"], r.problems
    day, tz = values.pop("date"), ZoneInfo(values["timezone"])

    def at(on: date, moment: time | None, key: str) -> datetime:
        assert moment is not None  # a missing time is one of the problems returned above
        local = datetime.combine(on, moment, tzinfo=tz)
        instant = local.astimezone(UTC)
        if instant.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
            expected = f"a time that exists on {on:%Y-%m-%d} in {tz.key} (the clocks go forward)"
            r.bad_time(key, expected, moment)
        return instant

    if closes := values.pop("registration_closes"):
        closes = (closes if closes.tzinfo else closes.replace(tzinfo=tz)).astimezone(UTC)
    used: set[str] = set()
    built = []
    for draft in sessions:
        on = draft.day or day
        talks = []
        for talk in draft.talks:
            # A talk without an end lasts until the next talk starts, or its session ends.
            starts = (t.start for t in draft.talks if t.start)
            later = (start for start in starts if talk.start and start > talk.start)
            talk_end = talk.end or next(later, draft.end)
            key = unique_key(slugify(talk.details["title"]) or "talk", used)
            start = at(on, talk.start, f"{talk.key}.start")
            end = at(on, talk_end, f"{talk.key}.end" if talk.end else f"{draft.key}.end")
            talks.append(Talk(key=key, start=start, end=end, **talk.details))
        start, end = (
            at(on, draft.start, f"{draft.key}.start"),
            at(on, draft.end, f"{draft.key}.end"),
        )
        built.append(Session(draft.title, start, end, tuple(talks), **draft.details))
    call = build_call(r, raw_call, tz, min(s.start for s in built)) if raw_call else None
    if r.problems:
        return None, values["slug"], r.problems
    values["url"] = values["url"] or ""
    meeting = Meeting(
        day=day,
        sessions=tuple(built),
        registration_closes=closes,
        **values,
        reminders=reminders,
        organizers=organizers,
        events=events,
        follow=follow,
        call=call,
    )
    return meeting, meeting.slug, []


def unique_key(key: str, used: set[str]) -> str:
    """`key`, or `key-2`, `key-3`... whichever is still free; marks it used."""
    candidate, number = key, 1
    while candidate in used:
        number += 1
        candidate = f"{key}-{number}"
    used.add(candidate)
    return candidate
