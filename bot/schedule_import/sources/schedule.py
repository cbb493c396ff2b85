"""The neutral form every schedule export is read into, and what the parsers share."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo
from html.parser import HTMLParser
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.programme.files import is_web_address
from bot.programme.model import Person

FORMATS = ("indico", "frab", "c3voc")
UNTITLED = "Untitled"


class SourceError(Exception):
    """A schedule export Amphi cannot read; the message says what is wrong and what to do."""


@dataclass(frozen=True)
class SourceTalk:
    """One entry of a schedule export: a talk, or a break (`is_break`)."""

    uid: str
    title: str
    start: datetime  # timezone-aware
    end: datetime | None  # None when the source gives no duration (or a zero one)
    room: str = ""
    speakers: tuple[Person, ...] = ()
    abstract: str = ""
    track: str = ""
    session: str = ""
    session_uid: str = ""
    is_break: bool = False
    all_day: bool = False


@dataclass(frozen=True)
class SourceSchedule:
    """A whole export: its talks sorted by (start, room, title), breaks included."""

    format: str
    title: str
    timezone: str
    talks: tuple[SourceTalk, ...]
    venue: str = ""
    url: str = ""
    warnings: tuple[str, ...] = ()


# --- text --------------------------------------------------------------------------------

_SPACES = re.compile(r"[^\S\n]+")
_HTML_TAG = re.compile(
    r"</?(p|br|div|span|ul|ol|li|a|b|i|u|em|strong|h[1-6]|table|tr|td|th|blockquote|pre"
    r"|code|img|hr|sup|sub|font|small|big|center)\b[^>]*>",
    re.IGNORECASE,
)
_BLOCKS = {"p", "div", "ul", "ol", "table", "blockquote", "pre", "center", "hr"}
_BLOCKS |= {f"h{level}" for level in range(1, 7)}


# Control characters (but for tabs and newlines) and lone surrogates: no text means them, and a
# meeting file cannot hold them.
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def clean(value: object) -> str:
    """A one-line text: NFC, whitespace runs (newlines too) made one space, stripped."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", _UNPRINTABLE.sub("", str(value)))
    return " ".join(text.split())


class _TextOfHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n\n")
        elif tag in ("br", "tr"):
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(" ".join(data.split("\n")))


def plain_text(value: object) -> str:
    """A multi-line text: HTML tags stripped, paragraphs kept as blank lines, NFC."""
    if value is None:
        return ""
    text = _UNPRINTABLE.sub("", str(value).replace("\r\n", "\n").replace("\r", "\n"))
    if _HTML_TAG.search(text):
        parser = _TextOfHtml()
        parser.feed(text)
        parser.close()
        text = "".join(parser.parts)
    text = unicodedata.normalize("NFC", text).replace("\xa0", " ")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def person(name: object, affiliation: object = "") -> Person | None:
    """A speaker, or None when the source gives no name (a stray trailing comma dropped)."""
    text = clean(name).rstrip(",; ")
    return Person(text, clean(affiliation)) if text else None


def unique_people(people: Iterable[Person | None]) -> tuple[Person, ...]:
    """The persons in source order, each name once."""
    seen: dict[str, Person] = {}
    for found in people:
        if found is not None and found.name not in seen:
            seen[found.name] = found
    return tuple(seen.values())


_BREAK_WORD = re.compile(
    r"\b(coffee|lunch|dinner|breakfast|tea|break|pause|kaffee\w*|mittag\w*|caf[eé]|d[ée]jeuner"
    r"|pausa|snacks?)\b",
    re.IGNORECASE,
)
_BREAK_KINDS = {"break", "pause", "coffee", "coffee break", "lunch", "lunch break", "meal"}


def looks_like_break(title: str, *kinds: str, has_speakers: bool = False) -> bool:
    """A break: its type or track says so, or a short title like "Afternoon coffee break" with
    no speaker."""
    if any(clean(kind).lower() in _BREAK_KINDS for kind in kinds):
        return True
    return not has_speakers and len(title.split()) <= 6 and bool(_BREAK_WORD.search(title))


# --- time --------------------------------------------------------------------------------


def zone_named(name: str, where: str) -> ZoneInfo:
    """The IANA zone `name`, or a SourceError naming `where` the name came from."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a path
        raise SourceError(
            f"“{clean(name)[:60]}” ({where}) is not a time zone Amphi knows. "
            "Give an IANA name such as Europe/Paris, America/New_York or UTC."
        ) from None


class Zones:
    """The zone for times that carry none: the source's own, else the organizer's fallback."""

    def __init__(self, fallback: str | None, source_name: object = "") -> None:
        self.fallback = zone_named(fallback, "the --timezone given") if fallback else None
        self.source_name = clean(source_name)
        self.notes: list[str] = []
        self._source: tzinfo | None = None
        self._unknown = ""
        if self.source_name:
            try:
                self._source = zone_named(self.source_name, "the schedule's time zone")
            except SourceError:
                self._unknown, self.source_name = self.source_name, ""
        if self._unknown and self.fallback:
            self.notes.append(
                f"The schedule names the time zone “{self._unknown}”, which Amphi does not "
                f"know; its times without an offset are read in {self.fallback}."
            )

    @property
    def name(self) -> str:
        """The IANA name the schedule is in: the source's, else the fallback, else ""."""
        if self.source_name:
            return self.source_name
        return str(self.fallback) if self.fallback else ""

    def local(self) -> tzinfo:
        """The zone to attach to a time without one, or a SourceError when none is known."""
        zone = self._source or self.fallback
        if zone is not None:
            return zone
        if self._unknown:
            raise SourceError(
                f"The schedule names the time zone “{self._unknown}”, which Amphi does not "
                "know. Give the meeting's zone with --timezone (an IANA name, such as "
                "Europe/Brussels)."
            )
        raise SourceError(
            "The schedule gives its times without a time zone, and names none. "
            "Give the meeting's zone with --timezone (an IANA name, such as Europe/Brussels)."
        )

    def attach(self, moment: datetime) -> datetime:
        """`moment` as it is if it carries a zone or an offset, else in the local zone."""
        return moment if moment.tzinfo else moment.replace(tzinfo=self.local())


#: The years a schedule's dates may fall in: beyond them a date is a typo (and a date near
#: year 9999 overflows once a talk's length is added).
YEARS = range(1900, 3000)
#: The longest a talk may last: an export saying more has a broken duration.
MAX_LENGTH = timedelta(days=366)


def parse_iso(text: object, zones: Zones) -> datetime | None:
    """An ISO 8601 date and time ("Z" and offsets allowed), zoned; None if unreadable."""
    value = clean(text)
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return zones.attach(moment) if moment.year in YEARS else None


def parse_date(text: object) -> date | None:
    """An ISO 8601 date (YYYY-MM-DD); None if unreadable."""
    try:
        day = date.fromisoformat(clean(text))
    except ValueError:
        return None
    return day if day.year in YEARS else None


def parse_duration(text: object, where: str = "an entry") -> timedelta | None:
    """A frab or pretalx duration: "HH:MM", "H:MM:SS" (zero-padded hours), pretalx's "D:HH:MM"
    (unpadded days), or plain minutes; None when unreadable; a SourceError naming `where` when
    longer than MAX_LENGTH."""
    text = clean(text)
    parts = text.split(":")
    if not all(part.isascii() and part.isdigit() for part in parts) or len(parts) > 3:
        return None
    numbers = [int(part) for part in parts] if len(text) < 30 else [MAX_LENGTH.days * 1440 + 1]
    if len(numbers) == 1:
        minutes: float = numbers[0]
    elif len(numbers) == 2:
        minutes = numbers[0] * 60 + numbers[1]
    elif len(parts[0]) < 2:  # pretalx: days are not zero-padded
        minutes = (numbers[0] * 24 + numbers[1]) * 60 + numbers[2]
    else:
        minutes = numbers[0] * 60 + numbers[1] + numbers[2] / 60
    return length_of(minutes, where, shown=text)


def length_of(minutes: float, where: str, *, shown: str = "") -> timedelta:
    """`minutes` as a length, or a SourceError naming `where` when it is not a plausible one."""
    if not 0 <= minutes <= MAX_LENGTH / timedelta(minutes=1):  # NaN fails both comparisons
        raise SourceError(
            f"{capitalized(where)} lasts {shown or f'{minutes:g} minutes'}, which is no "
            "talk's length (at most a year); correct its duration in the schedule."
        )
    return timedelta(minutes=minutes)


def end_of(start: datetime, length: timedelta | None) -> datetime | None:
    """The end of a talk `length` long; None when the length is unknown or zero."""
    return start + length if length else None


def entry_named(title: object, uid: object = "") -> str:
    """How a message names an entry of the export: the entry “Title” (id 12), or by its id."""
    shown, key = clean(title)[:80], clean(uid)[:40]
    if shown and key:
        return f"the entry “{shown}” (id {key})"
    if shown or key:
        return f"the entry “{shown}”" if shown else f"the entry with id {key}"
    return "an untitled entry"


def capitalized(text: str) -> str:
    """`text` to begin a sentence."""
    return text[:1].upper() + text[1:]


def spans_a_day(start: datetime, end: datetime | None) -> bool:
    """Whether a talk lasts a whole day: 24 hours or more, or midnight to midnight."""
    if end is None:
        return False
    if end - start >= timedelta(hours=24):
        return True
    midnight = time(0)
    return start.time() == midnight and end.time() == midnight and end.date() > start.date()


# --- the whole -----------------------------------------------------------------------------


def _quoted(titles: list[str], limit: int = 3) -> str:
    shown = ", ".join(f"“{t}”" for t in titles[:limit])
    return shown + (f" and {len(titles) - limit} more" if len(titles) > limit else "")


def _checks(talks: list[SourceTalk]) -> list[str]:
    warnings = []
    untimed = [t.title for t in talks if t.end is None and not t.is_break]
    if untimed:
        warnings.append(
            f"{len(untimed)} talk(s) have no duration, so their end is unknown: {_quoted(untimed)}."
        )
    by_room: dict[str, list[SourceTalk]] = defaultdict(list)
    for talk in talks:
        if talk.room and talk.end and not (talk.is_break or talk.all_day):
            by_room[talk.room].append(talk)
    for room, held in sorted(by_room.items()):
        held.sort(key=lambda t: (t.start, t.title))
        pairs: list[tuple[SourceTalk, SourceTalk]] = []
        latest = held[0]
        for talk in held[1:]:
            if talk.start < (latest.end or talk.start):
                pairs.append((latest, talk))
            if (talk.end or talk.start) > (latest.end or latest.start):
                latest = talk
        if pairs:
            first, second = pairs[0]
            warnings.append(
                f"In room “{room}”, {len(pairs)} talk(s) overlap an earlier one, e.g. "
                f"“{second.title}” ({second.start.isoformat(timespec='minutes')}) starts "
                f"before “{first.title}” ends. That is fine for a poster session; "
                "otherwise check the times."
            )
    uids: dict[str, list[str]] = defaultdict(list)
    for talk in talks:
        uids[talk.uid].append(talk.title)
    shared = sorted(uid for uid, titles in uids.items() if len(titles) > 1)
    if shared:
        warnings.append(
            f"{len(shared)} id(s) are shared by several entries (e.g. “{shared[0]}”, by "
            f"{_quoted(uids[shared[0]])}). Amphi follows a talk by its id, so entries sharing "
            "one may be taken for one another; give each its own id in the source if you can."
        )
    return warnings


def build(
    fmt: str,
    title: str,
    zones: Zones,
    talks: Iterable[SourceTalk],
    *,
    venue: str = "",
    url: str = "",
    warnings: Iterable[str] = (),
    empty_hint: str = "",
) -> SourceSchedule:
    """The schedule, its talks sorted, exact duplicates dropped, and checked; a SourceError
    when it holds no talk (breaks alone count as none)."""
    unique: dict[tuple[str, datetime, str], SourceTalk] = {}
    untitled: list[str] = []
    for talk in talks:
        if not talk.title:  # a meeting file's talk has a title
            untitled.append(talk.uid or talk.start.isoformat(timespec="minutes"))
            talk = replace(talk, title=UNTITLED)
        if not talk.uid:  # the source gives no id: the place and time stand in for one
            talk = replace(talk, uid=f"{talk.room}@{talk.start.isoformat()}")
        if talk.end is not None and talk.end <= talk.start:  # a zero (or negative) length
            talk = replace(talk, end=None, all_day=False)
        unique.setdefault((talk.uid, talk.start, talk.room), talk)
    ordered = sorted(unique.values(), key=lambda t: (t.start, t.room, t.title))
    if untitled:
        warnings = [
            *warnings,
            f"{len(untitled)} entries have no title, so they are called “{UNTITLED}”: "
            + ", ".join(untitled[:3])
            + (" and more" if len(untitled) > 3 else "")
            + ". Give them a title in the schedule.",
        ]
    url = clean(url)
    if not is_web_address(url):  # a meeting's link is to the web
        url = ""
    if not any(not t.is_break for t in ordered):
        raise SourceError(
            "The schedule holds no talks"
            + (" (only breaks)" if ordered else "")
            + ". "
            + (empty_hint or "Check that the programme is published and the export is complete.")
        )
    return SourceSchedule(
        format=fmt,
        title=clean(title),
        timezone=zones.name,
        talks=tuple(ordered),
        venue=clean(venue),
        url=url,
        warnings=(*zones.notes, *warnings, *_checks(ordered)),
    )
