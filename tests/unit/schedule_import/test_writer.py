"""The meeting-file writer: what it writes reads back into an equal meeting, and what the format
cannot express is refused before anything is written."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.programme.files import load_meeting_file, slugify
from bot.programme.model import (
    EventScope,
    EventSettings,
    FollowSettings,
    Meeting,
    Person,
    ReminderSettings,
    Session,
    Talk,
)
from bot.schedule_import.writer import meeting_toml
from tests.support.paths import SHIPPED_MEETING

PARIS = ZoneInfo("Europe/Paris")


def at(day: date, clock: str, tz: ZoneInfo = PARIS, fold: int = 0) -> datetime:
    """A meeting-local date and "HH:MM" as the UTC instant the loader makes of it."""
    moment = datetime.combine(day, time.fromisoformat(clock), tzinfo=tz).replace(fold=fold)
    return moment.astimezone(UTC)


def round_trip(meeting: Meeting, folder: Path, **options: str) -> tuple[str, Meeting]:
    """The meeting's file, written into `folder`, and what the loader reads from it."""
    text = meeting_toml(meeting, folder=folder, **options)
    path = folder / "meeting.toml"
    path.write_text(text, encoding="utf-8")
    return text, load_meeting_file(path)


def test_the_shipped_meeting_reads_back_equal(tmp_path: Path) -> None:
    shipped = load_meeting_file(SHIPPED_MEETING)
    text, loaded = round_trip(shipped, tmp_path, comment="Written back.\n\nFrom the shipped file.")
    assert loaded == shipped
    assert text.startswith("# Written back.\n#\n# From the shipped file.\n\nslug = ")
    assert "[reminders]" not in text and "[events]" not in text and "source" not in text
    assert text.count('  end = "') == len(shipped.talks)  # every talk's end, explicitly
    assert "\n  [[sessions.talks]]\n  start = " in text
    assert 'speakers = [{ name = "Gérard Biau", affiliation = "Sorbonne Université" }]' in text
    assert meeting_toml(loaded, comment="Written back.\n\nFrom the shipped file.") == text


TRICKY_ABSTRACT = (
    'A "quoted" word, three quotes """ and six """""" in a row, a backslash \\ and \\\\ two;'
    " a line that ends with one \\\n"
    "\n"
    "\tA tabbed line, a Windows line end\r\n"
    "and a lone\rcarriage return, a bell \x07, a delete \x7f, an escape \x1b.\n\n\n"
    "After blank lines: "
    + "a long line of words that goes on and on, well past the width of a line, " * 3
    + "and  two  spaces  between  words, then        eight, to be cut only where TOML keeps "
    + 'them; the end is a quote"'
)


def a_rich_meeting(folder: Path) -> Meeting:
    """Three days, parallel rooms, ids, overlapping posters, every optional table."""
    image = folder / "covers" / "affiche.png"
    image.parent.mkdir(parents=True, exist_ok=True)
    image.write_bytes(b"\x89PNG\r\n\x1a\n")
    first, second, third = date(2025, 3, 10), date(2025, 3, 11), date(2025, 3, 12)
    zoe = Person("Zoë Ñúñez-O'Brien", "Universität Zürich")
    li = Person("李雷", "北京大学 \\ 物理系")
    lukasz = Person("Łukasz Żółć")
    amphi = "Amphi Poincaré"
    opening = Talk("ouverture", "Ouverture", at(first, "09:00"), at(first, "09:15"), (zoe, li))
    opening = replace(opening, room=amphi, uid="t-0")
    keynote = Talk(
        "geometrie-de-lapprentissage-profond",  # slugify drops the ’
        "Géométrie de l’apprentissage « profond »",
        at(first, "09:15"),
        at(first, "10:15"),
        (zoe, li, lukasz),
        invited=True,
        abstract=TRICKY_ABSTRACT,
        room=amphi,
        uid='id "with" quotes',
    )
    posters = Talk("posters", "Posters", at(first, "10:30"), at(first, "12:30"), room="Hall")
    more_posters = replace(posters, key="posters-2", end=at(first, "11:30"), uid="p2")
    lightning = Talk("lightning-talks", "Lightning talks", at(first, "10:30"), at(first, "10:50"))
    lightning = replace(lightning, room=amphi)
    morning = Session(
        "Matin — jour 1",
        at(first, "09:00"),
        at(first, "12:30"),
        (opening, keynote, posters, more_posters, lightning),
        room=amphi,
        uid="block-1",
    )
    parallel = Session(
        "Atelier",
        at(first, "09:00"),
        at(first, "10:00"),
        (Talk("tutoriel", "Tutoriel", at(first, "09:00"), at(first, "10:00"), room="Salle 2"),),
        room="Salle 2",
    )
    afternoon = Session(
        "Après-midi",
        at(second, "14:00"),
        at(second, "18:00"),
        (
            Talk("posters-3", "Posters", at(second, "14:00"), at(second, "15:00"), room="Hall"),
            Talk("talk", "???", at(second, "15:00"), at(second, "15:30"), room=amphi),
        ),
        room=amphi,
    )
    closing = Session("Clôture", at(third, "08:00"), at(third, "08:30"))
    return Meeting(
        slug="ecole-2025",
        title='École "Théorie & pratique" 2025',
        day=first,
        timezone="Europe/Paris",
        venue="Institut Henri-Poincaré, Paris 5ᵉ",
        capacity=180,
        sessions=(morning, parallel, afternoon, closing),
        url="https://example.org/ecole-2025?lang=fr#programme",
        remote_capacity=250,
        registration_closes=datetime(2025, 3, 9, 22, 59, 30, 125000, tzinfo=UTC),
        reminders=ReminderSettings((30.0, 5.5, 0.0), False, 20.0, 2.25),
        organizers=(Person("Émilie Du Châtelet", "Académie"), Person("Ada")),
        events=EventSettings(EventScope.DAY, str(image.resolve())),
        follow=FollowSettings(str((folder / "exports" / "timetable.json").resolve()), "indico", 15),
    )


def test_a_rich_meeting_reads_back_equal(tmp_path: Path) -> None:
    folder = tmp_path.resolve()
    meeting = a_rich_meeting(folder)
    text, loaded = round_trip(meeting, folder)
    assert loaded == meeting
    assert loaded.talks[1].abstract == TRICKY_ABSTRACT
    assert 'image = "covers/affiche.png"' in text
    assert 'source = "exports/timetable.json"' in text
    assert re.findall(r"^date = .*", text, re.MULTILINE) == [
        "date = 2025-03-10",
        "date = 2025-03-11",
        "date = 2025-03-12",
    ]
    assert text.count('  room = "Hall"') == 3 and '  room = "Amphi Poincaré"' not in text
    assert "registration_closes = 2025-03-09T23:59:30.125000+01:00" in text
    assert "\n  speakers = [\n    { name = " in text
    assert max(len(line) for line in text.splitlines()) <= 100
    assert meeting_toml(loaded, folder=folder) == text


def test_paths_outside_the_folder_are_written_absolute(tmp_path: Path) -> None:
    meeting = a_rich_meeting(tmp_path.resolve() / "assets")
    folder = tmp_path / "meetings"
    folder.mkdir()
    text, loaded = round_trip(meeting, folder)
    assert loaded == meeting
    assert f'image = "{meeting.events.image}"' in text
    assert f'source = "{meeting.follow.source}"' in text
    assert meeting_toml(meeting) == text  # without a folder, every path is absolute
    web = replace(meeting, follow=FollowSettings("https://x.test/a", refresh_minutes=1.5))
    text, loaded = round_trip(web, folder)
    assert loaded == web
    assert 'source = "https://x.test/a"\nsource_refresh_minutes = 1.5\n' in text


def test_the_first_of_twice_happening_local_times_is_written(tmp_path: Path) -> None:
    """On 27 October 2024 Paris's clocks went back from 03:00 to 02:00."""
    day = date(2024, 10, 27)
    talk = Talk("nuit", "Nuit", at(day, "02:30"), at(day, "03:30"))
    night = Meeting(
        "nuit",
        "Nuit",
        day,
        "Europe/Paris",
        "Ici",
        1,
        (Session("S", at(day, "01:00"), at(day, "04:00"), (talk,)),),
    )
    assert round_trip(night, tmp_path)[1] == night
    second = replace(talk, start=at(day, "02:30", fold=1))
    later = replace(night, sessions=(replace(night.sessions[0], talks=(second,)),))
    with pytest.raises(ValueError, match="happens twice"):
        meeting_toml(later)


# --- Every meeting the format can hold: generated -------------------------------------------

ZONES = ("Europe/Paris", "UTC", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe")
ZONES += ("Pacific/Chatham", "America/St_Johns")
ROOMS = ("", "Amphi A", "Salle 2", "Zoom")
TRICKY = " \t\n\r\"'\\#=[]{}.,\x00\x01\x08\x0b\x0c\x1b\x7f\x85\xa0\u2028\u2029\ufeffé€😀"
CHARACTERS = st.one_of(st.sampled_from(TRICKY), st.characters(exclude_categories=["Cs"]))
# Abstracts: words and spaces enough for lines to be wrapped, among what TOML must escape.
PIECES = st.one_of(
    CHARACTERS,
    st.sampled_from(['"', '""', '"""', "\\", "\\\n", "\n", "\n\n", "\r\n", "\t", " \t "]),
    st.sampled_from(["word ", "words  ", "ünïcode ", "x" * 30, " ", "   ", "a,b "]),
    st.sampled_from(["word ", "words  ", "ünïcode ", "x" * 30, " ", "   ", "a,b "]),
)


VISIBLE = st.characters(exclude_categories=["Cs"]).filter(lambda ch: not ch.isspace())


def texts(required: bool = False) -> st.SearchStrategy[str]:
    """Text as the loader keeps it: stripped (non-empty if `required`), no lone surrogates."""
    text = st.text(CHARACTERS, max_size=24)
    if not required:
        return text.map(str.strip)
    return st.builds(lambda head, rest: (head + rest).strip(), VISIBLE, text)


ABSTRACTS = st.one_of(st.lists(PIECES, max_size=8), st.lists(PIECES, min_size=40, max_size=90)).map(
    lambda pieces: "".join(pieces).strip()
)
TITLES = st.one_of(texts(required=True), st.sampled_from(["Posters", "posters!", "???", "Ñandú"]))
PEOPLE = st.builds(Person, texts(required=True), texts())
MINUTES = st.one_of(
    st.integers(0, 10**4).map(float), st.floats(0, 1e12, allow_nan=False, allow_infinity=False)
)
REMINDERS = st.one_of(
    st.just(ReminderSettings()),
    st.builds(
        ReminderSettings, st.lists(MINUTES, max_size=4).map(tuple), st.booleans(), MINUTES, MINUTES
    ),
)
URLS = st.sampled_from(["", "https://example.org/m", "http://x.test/a?b=c&d=é#f"])


@dataclass(frozen=True)
class Place:
    """The folder the generated meetings are written to, and files inside it and outside."""

    folder: Path
    images: tuple[str, ...]
    sources: tuple[str, ...]


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Place:
    base = tmp_path_factory.mktemp("writer").resolve()
    folder, outside = base / "meetings", base / "élsewhere"
    images = (folder / "covers" / "a b.PNG", outside / "cover.jpg")
    for image in images:
        image.parent.mkdir(parents=True, exist_ok=True)
        image.write_bytes(b"image")
    sources = ("https://indico.example.org/event/1/", str(folder / "x.xml"), str(outside / "y"))
    return Place(folder, tuple(map(str, images)), sources)


@st.composite
def meetings(draw: st.DrawFn, place: Place) -> Meeting:
    tz_name = draw(st.sampled_from(ZONES))
    tz, first = ZoneInfo(tz_name), draw(st.dates(date(1990, 1, 1), date(2040, 12, 31)))

    def instant(day: date, minute: int) -> datetime:
        local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz)
        assume(local.astimezone(UTC).astimezone(tz).time() == local.time())  # not in a gap
        return local.astimezone(UTC)

    blocks = st.tuples(
        st.integers(0, 3), st.integers(0, 1438), st.integers(1, 600), st.sampled_from(ROOMS)
    )
    sessions: list[Session] = []
    room_ends: dict[str, tuple[int, int]] = {}  # each room's last (day, end), in minutes
    used: set[str] = set()  # the talk keys so far
    ids: set[str] = {""}  # the talk ids so far
    for offset, start, length, room in sorted(draw(st.lists(blocks, min_size=1, max_size=5))):
        end, day = min(start + length, 1439), first + timedelta(days=offset)
        if room_ends.get(room, (offset, 0)) > (offset, start):
            continue  # the same room, still busy
        room_ends[room] = (offset, end)
        talks = []
        for talk_start in sorted(draw(st.lists(st.integers(start, end - 1), max_size=4))):
            title = draw(TITLES)
            key = candidate = slugify(title) or "talk"
            number = 1  # the loader's rule: "posters", "posters-2", ...
            while key in used:
                number += 1
                key = f"{candidate}-{number}"
            used.add(key)
            talk_room = draw(st.sampled_from([room, *(r for r in ROOMS if r)]))
            talk = Talk(
                key,
                title,
                instant(day, talk_start),
                instant(day, draw(st.integers(talk_start + 1, end))),
                tuple(draw(st.lists(PEOPLE, max_size=3))),
                draw(st.booleans()),
                draw(ABSTRACTS),
                talk_room,
                # A talk's id is its own (the loader refuses one two talks share).
                draw(st.one_of(st.just(""), texts(required=True).filter(lambda t: t not in ids))),
            )
            ids.add(talk.uid)
            talks.append(talk)
        session = Session(
            draw(texts(required=True)),
            instant(day, start),
            instant(day, end),
            tuple(talks),
            room,
            draw(st.one_of(st.just(""), texts(required=True))),
        )
        sessions.append(session)
    events = st.builds(
        EventSettings, st.sampled_from(EventScope), st.sampled_from(("", *place.images))
    )
    follow = st.builds(
        FollowSettings,
        st.sampled_from(place.sources),
        st.sampled_from(["", "indico", "frab", "c3voc"]),
        st.one_of(st.just(5.0), st.floats(1, 1e6)),
    )
    return Meeting(
        slug=draw(st.from_regex(r"[a-z0-9]+(-[a-z0-9]+)*", fullmatch=True)),
        title=draw(texts(required=True)),
        day=first,
        timezone=tz_name,
        venue=draw(texts()),
        capacity=draw(st.integers(0, 10**9)),
        sessions=tuple(sessions),
        url=draw(URLS),
        remote_capacity=draw(st.one_of(st.none(), st.integers(0, 10**6))),
        registration_closes=draw(
            st.one_of(
                st.none(),
                st.datetimes(datetime(1990, 1, 1), datetime(2040, 1, 1), timezones=st.just(UTC)),
            )
        ),
        reminders=draw(REMINDERS),
        organizers=tuple(draw(st.lists(PEOPLE, max_size=3))),
        events=draw(st.one_of(st.just(EventSettings()), events)),
        follow=draw(st.one_of(st.just(FollowSettings()), follow)),
    )


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_every_meeting_reads_back_equal_and_writes_the_same(
    place: Place, data: st.DataObject
) -> None:
    meeting = data.draw(meetings(place))
    comment = data.draw(st.text(st.characters(exclude_categories=["Cs", "Cc"]), max_size=40))
    text, loaded = round_trip(meeting, place.folder, comment=comment)
    assert loaded == meeting
    assert meeting_toml(loaded, folder=place.folder, comment=comment) == text


# --- What the format cannot express --------------------------------------------------------

DAY = date(2024, 5, 2)


def simple() -> Meeting:
    """One session 09:00-12:00 in Paris, with two talks."""
    talks = (
        Talk("opening", "Opening", at(DAY, "09:00"), at(DAY, "09:30")),
        Talk("keynote", "Keynote", at(DAY, "09:30"), at(DAY, "10:30")),
    )
    session = Session("Morning", at(DAY, "09:00"), at(DAY, "12:00"), talks)
    return Meeting("simple", "Simple", DAY, "Europe/Paris", "Room 1", 10, (session,))


def with_session(**changes: object) -> Meeting:
    meeting = simple()
    return replace(meeting, sessions=(replace(meeting.sessions[0], **changes),))


def with_talk(index: int = 0, **changes: object) -> Meeting:
    talks = list(simple().sessions[0].talks)
    talks[index] = replace(talks[index], **changes)
    return with_session(talks=tuple(talks))


def with_sessions(*sessions: Session) -> Meeting:
    return replace(simple(), sessions=sessions)


NEXT = DAY + timedelta(days=1)
EVENING = Session("Evening", at(DAY, "20:00"), at(DAY, "23:59"))
REFUSED: dict[str, tuple[Callable[[], Meeting], str]] = {
    "a session past midnight": (
        lambda: with_session(start=at(DAY, "20:00"), end=at(NEXT, "01:00"), talks=()),
        "before midnight",
    ),
    "a session ending at midnight": (
        lambda: with_session(start=at(DAY, "20:00"), end=at(NEXT, "00:00"), talks=()),
        "before midnight",
    ),
    "a talk past midnight": (
        lambda: with_sessions(
            replace(EVENING, talks=(Talk("late", "Late", at(DAY, "23:30"), at(NEXT, "00:30")),))
        ),
        "midnight",
    ),
    "a talk on another date than its session's": (
        lambda: with_talk(start=at(NEXT, "09:00"), end=at(NEXT, "09:30")),
        "not on its session's date",
    ),
    "a session start between minutes": (
        lambda: with_session(start=at(DAY, "09:00") - timedelta(seconds=30)),
        "whole minute",
    ),
    "a talk end between minutes": (
        lambda: with_talk(end=at(DAY, "09:30") + timedelta(microseconds=1)),
        "whole minute",
    ),
    "a naive time": (lambda: with_talk(end=datetime(2024, 5, 2, 9, 30)), "timezone-aware"),
    "a session ending at its start": (
        lambda: with_session(end=at(DAY, "09:00"), talks=()),
        "not after its start",
    ),
    "sessions out of order": (
        lambda: with_sessions(EVENING, simple().sessions[0]),
        "before the previous session",
    ),
    "overlapping sessions in one room": (
        lambda: with_sessions(simple().sessions[0], replace(EVENING, start=at(DAY, "11:00"))),
        "parallel need different rooms",
    ),
    "a session before the meeting's date": (
        lambda: replace(simple(), day=NEXT),
        "before the meeting's date",
    ),
    "a talk outside its session": (
        lambda: with_talk(1, end=at(DAY, "12:30")),
        "not within its session",
    ),
    "a talk of no length": (lambda: with_talk(end=at(DAY, "09:00")), "not after its start"),
    "talks in the wrong order": (
        lambda: with_talk(0, start=at(DAY, "09:45"), end=at(DAY, "10:00")),
        "before the previous talk",
    ),
    "a talk without a room in a session with one": (
        lambda: with_session(room="Amphi"),
        "takes its session's",
    ),
    "a key the loader would not derive": (lambda: with_talk(key="first"), "derives the key"),
    "a key of a repeated title": (
        lambda: with_talk(1, title="Opening", key="opening"),
        "derives the key 'opening-2'",
    ),
    "no sessions": (lambda: with_sessions(), "at least one session"),
    "an empty title": (lambda: replace(simple(), title=""), "non-empty"),
    "an empty speaker name": (lambda: with_talk(speakers=(Person(""),)), "non-empty"),
    "a padded title": (lambda: with_talk(title=" Opening", key="opening"), "whitespace"),
    "a padded affiliation": (
        lambda: replace(simple(), organizers=(Person("A", "B\n"),)),
        "whitespace",
    ),
    "a lone surrogate": (lambda: replace(simple(), venue="Room \ud800"), "surrogate"),
    "a bad slug": (lambda: replace(simple(), slug="Bad Slug"), "slug"),
    "an unknown timezone": (lambda: replace(simple(), timezone="Mars/Olympus"), "timezone"),
    "a negative capacity": (lambda: replace(simple(), capacity=-1), "integer ≥ 0"),
    "a capacity that is a bool": (lambda: replace(simple(), remote_capacity=True), "integer"),
    "a capacity TOML cannot hold": (lambda: replace(simple(), capacity=2**63), "integer"),
    "a url that is not a web address": (lambda: replace(simple(), url="example.org"), "url"),
    "a naive registration close": (
        lambda: replace(simple(), registration_closes=datetime(2024, 5, 1)),
        "timezone-aware",
    ),
    "a negative lead": (
        lambda: replace(simple(), reminders=ReminderSettings((-1.0,))),
        "minutes ≥ 0",
    ),
    "an infinite grace": (
        lambda: replace(simple(), reminders=ReminderSettings(grace_minutes=float("inf"))),
        "finite",
    ),
    "a refresh under a minute": (
        lambda: replace(simple(), follow=FollowSettings("https://x.test", refresh_minutes=0.5)),
        "minutes ≥ 1",
    ),
    "a source neither web address nor path": (
        lambda: replace(simple(), follow=FollowSettings("ftp://x.test/a")),
        "https:// address or a file path",
    ),
    "a relative source path": (
        lambda: replace(simple(), follow=FollowSettings("exports/a.json")),
        "absolute, resolved path",
    ),
    "an unknown source format": (
        lambda: replace(simple(), follow=FollowSettings(format="ical")),
        "source_format",
    ),
    "an unknown event scope": (
        lambda: replace(simple(), events=EventSettings(scope="week")),  # type: ignore[arg-type]
        "events.scope",
    ),
    "a relative image": (
        lambda: replace(simple(), events=EventSettings(image="cover.png")),
        "absolute, resolved path",
    ),
    "a missing image": (
        lambda: replace(simple(), events=EventSettings(image="/nonexistent/cover.png")),
        "PNG, JPEG or GIF",
    ),
    "an image of another type": (
        lambda: replace(simple(), events=EventSettings(image="/nonexistent/cover.bmp")),
        "PNG, JPEG or GIF",
    ),
}


@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_what_the_format_cannot_express_is_refused(case: str) -> None:
    build, message = REFUSED[case]
    meeting = build()
    with pytest.raises(ValueError, match=re.escape(message)):
        meeting_toml(meeting)


def test_a_comment_with_a_control_character_is_refused() -> None:
    with pytest.raises(ValueError, match="comment"):
        meeting_toml(simple(), comment="bell \x07")


def test_the_simple_meeting_is_written_as_a_person_would(tmp_path: Path) -> None:
    text, loaded = round_trip(simple(), tmp_path)
    assert loaded == simple()
    assert tomllib.loads(text)["sessions"][0]["talks"][0] == {
        "start": "09:00",
        "end": "09:30",
        "title": "Opening",
    }
    assert text.endswith(
        '  [[sessions.talks]]\n  start = "09:30"\n  end = "10:30"\n  title = "Keynote"\n'
    )
