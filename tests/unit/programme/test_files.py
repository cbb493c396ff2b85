"""The meeting-file loader, and the shipped meeting it must reproduce."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.programme.files import (
    FileProblem,
    MeetingFileError,
    check_meetings,
    load_meeting_file,
    load_meetings,
    slugify,
)
from bot.programme.model import (
    EventScope,
    EventSettings,
    FollowSettings,
    Meeting,
    Person,
    ReminderSettings,
    overlaps,
)
from tests.support.paths import ROOT

MEETINGS_DIR = ROOT / "data" / "meetings"
SHIPPED = MEETINGS_DIR / "theorie-du-deep-learning-2021.toml"
PARIS = ZoneInfo("Europe/Paris")

# (speaker, affiliation, local start, local end, invited), in programme order, from the page.
PROGRAMME = [
    ("Gérard Biau", "Sorbonne Université", "10:00", "10:45", True),
    ("El-Mehdi Achour", "Institut de Mathématiques de Toulouse", "10:45", "11:05", False),
    ("Jean-Yves Franceschi", "Sorbonne Université, LIP6", "11:05", "11:25", False),
    ("Mathieu Serrurier", "IRIT", "11:25", "11:45", False),
    ("Gianni Franchi", "ENSTA", "11:45", "12:05", False),
    ("Umut Simsekli", "Inria", "12:05", "12:25", False),
    ("Yassine Zniyed", "Université de Lorraine", "16:00", "16:20", False),
    ("Tung Le Quoc", "ENS de Lyon", "16:20", "16:40", False),
    ("Léon Zheng", "ENS de Lyon", "16:40", "17:00", False),
    ("Mikhail Belkin", "UCSD", "17:00", "17:45", True),
    ("Simon Roburrin", "LIGM", "17:45", "18:05", False),
]


def utc(hour: int, minute: int = 0) -> datetime:
    return datetime(2021, 6, 28, hour, minute, tzinfo=UTC)


def local(moment: datetime) -> str:
    return moment.astimezone(PARIS).strftime("%H:%M")


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# The top-level keys of a minimal valid meeting, as TOML literals.
HEADER = {
    "slug": '"minimal"',
    "title": '"Minimal"',
    "date": "2024-05-02",
    "timezone": '"Europe/Paris"',
    "venue": '"Room 1"',
    "capacity": "10",
}
SESSION = '[[sessions]]\ntitle = "Morning"\nstart = "09:00"\nend = "12:00"\n'


def minimal(extra: str = "", talks: str = "", **header: str) -> str:
    """A valid meeting file (one session 09:00-12:00, Paris), with top-level keys replaced."""
    lines = [f"{name} = {value}" for name, value in (HEADER | header).items()]
    return "\n".join([*lines, extra, SESSION + talks])


def problems_of(path: Path) -> list[FileProblem]:
    with pytest.raises(MeetingFileError) as caught:
        load_meetings(path)
    return caught.value.errors


# -- the shipped meeting ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def meeting() -> Meeting:
    return load_meeting_file(SHIPPED)


def test_shipped_meeting_header(meeting: Meeting) -> None:
    assert meeting.slug == "theorie-du-deep-learning-2021"
    assert meeting.title == "Théorie du deep learning"
    assert meeting.day == date(2021, 6, 28)
    assert meeting.timezone == "Europe/Paris"
    assert meeting.venue == "Distanciel et présentiel"
    assert meeting.capacity == 600
    assert meeting.remote_capacity is None
    assert meeting.url == ""
    assert meeting.registration_closes is None
    assert meeting.registration_deadline == utc(8, 0)
    assert meeting.reminders == ReminderSettings()


def test_shipped_organizers(meeting: Meeting) -> None:
    assert [person.name for person in meeting.organizers] == [
        "Caroline Chaux",
        "Valentin Emiya",
        "François Malgouyres",
        "Nicolas Thome",
        "Konstantin Usevich",
    ]
    assert meeting.organizers[0] == Person("Caroline Chaux", "Université Aix-Marseille, I2M")
    assert meeting.organizers[2].affiliation == (
        "Institut de Mathématiques de Toulouse (IMT, CNRS UMR 5219)"
    )
    assert all(person.affiliation for person in meeting.organizers)
    assert not any("@" in f"{p.name} {p.affiliation}" for p in meeting.organizers)


def test_shipped_sessions_in_utc(meeting: Meeting) -> None:
    assert len(meeting.sessions) == 2
    first, second = meeting.sessions
    assert (first.title, first.start, first.end) == ("Session 1", utc(8, 0), utc(10, 25))
    assert (second.title, second.start, second.end) == ("Session 2", utc(14, 0), utc(16, 5))
    assert [len(first.talks), len(second.talks)] == [6, 5]
    assert all(s.start.tzinfo is UTC and s.end.tzinfo is UTC for s in meeting.sessions)


def test_shipped_talk_times(meeting: Meeting) -> None:
    talks = meeting.talks
    assert len(talks) == 11
    assert talks[0].start == datetime(2021, 6, 28, 8, 0, tzinfo=UTC)
    assert talks[0].end == utc(8, 45)  # Biau: 10:00-10:45, ends at the next talk's start
    assert talks[5].end == meeting.sessions[0].end == utc(10, 25)  # Simsekli: session's end
    assert talks[-1].end == utc(16, 5)  # Roburrin: 18:05, the end of session 2
    assert [(local(t.start), local(t.end)) for t in talks] == [
        (s, e) for _, _, s, e, _ in PROGRAMME
    ]
    for before, after in pairwise(talks):
        assert before.end <= after.start


def test_shipped_speakers_and_invited_talks(meeting: Meeting) -> None:
    talks = meeting.talks
    assert [t.speakers for t in talks] == [(Person(n, a),) for n, a, _, _, _ in PROGRAMME]
    assert [t.invited for t in talks] == [invited for *_, invited in PROGRAMME]
    assert {t.speaker_names for t in talks if t.invited} == {"Gérard Biau", "Mikhail Belkin"}
    assert talks[0].title == "Some Theoretical Insights into Wasserstein GANs"
    assert talks[9].title == "From classical statistics to modern machine learning"


def test_shipped_only_biau_has_an_abstract(meeting: Meeting) -> None:
    with_abstract = [t for t in meeting.talks if t.abstract]
    assert [t.speaker_names for t in with_abstract] == ["Gérard Biau"]
    abstract = with_abstract[0].abstract
    assert abstract == abstract.strip()
    assert abstract.startswith("Generative Adversarial Networks (GANs) have been successful")
    assert "real-world datasets.\nThis is a joint work with Maxime Sangnier" in abstract
    assert abstract.endswith("Ugo Tanielian (Sorbonne University & Criteo)")
    assert "  " not in abstract


def test_shipped_talk_keys(meeting: Meeting) -> None:
    keys = [t.key for t in meeting.talks]
    assert len(set(keys)) == len(keys) == 11
    assert keys[0] == "some-theoretical-insights-into-wasserstein-gans"
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", key) and len(key) <= 48 for key in keys)
    assert meeting.talk(keys[9]) is meeting.talks[9]


def test_shipped_folder_checks_clean() -> None:
    assert check_meetings(MEETINGS_DIR) == []
    assert "theorie-du-deep-learning-2021" in [m.slug for m in load_meetings(MEETINGS_DIR)]


# -- problems ---------------------------------------------------------------------------------

BROKEN = """\
slug = "dup-meeting"
title = "Broken"
date = 2024-05-02
timezone = "Mars/Olympus"
venue = "Room 1"
capacity = "600"
organiser = "Me"

[[sessions]]
title = "Morning"
start = "09:00"
end = "12:00"

  [[sessions.talks]]
  start = "25:00"
  title = "Bad time"

  [[sessions.talks]]
  start = "10:00"
  end = "09:30"
  title = "Ends before it starts"

  [[sessions.talks]]
  start = "13:00"
  title = "After the session"
  titel = "typo"

[[sessions]]
title = "Afternoon"
start = "14:00"
end = "13:00"
"""


def test_every_problem_of_every_file_in_one_error(tmp_path: Path) -> None:
    folder = tmp_path / "meetings"
    broken = write(folder, "a-broken.toml", BROKEN)
    duplicate = write(folder, "b-duplicate.toml", minimal(slug='"dup-meeting"'))
    with pytest.raises(MeetingFileError) as caught:
        load_meetings(folder)
    errors = caught.value.errors
    assert {(p.path, p.key) for p in errors} == {
        (str(broken), "timezone"),
        (str(broken), "capacity"),
        (str(broken), "organiser"),
        (str(broken), "sessions[0].talks[0].start"),
        (str(broken), "sessions[0].talks[1].end"),
        (str(broken), "sessions[0].talks[2].start"),
        (str(broken), "sessions[0].talks[2].titel"),
        (str(broken), "sessions[1].end"),
        (str(duplicate), "slug"),
    }
    assert len(errors) == 9
    text = {p.key: str(p) for p in errors}
    assert text["sessions[0].talks[0].start"] == (
        f'{broken}: sessions[0].talks[0].start: expected a time "HH:MM" (24-hour), got "25:00"'
    )
    assert text["capacity"].endswith('expected an integer ≥ 0, got a string "600"')
    assert '"Mars/Olympus"' in text["timezone"] and "IANA" in text["timezone"]
    assert "expected one of: " in text["organiser"] and '"organizers"' in text["organiser"]
    assert '"title"' in text["sessions[0].talks[2].titel"]
    assert text["sessions[0].talks[1].end"].endswith('after its start 10:00, got "09:30"')
    assert "within its session (09:00–12:00)" in text["sessions[0].talks[2].start"]
    assert text["sessions[1].end"].endswith('got "13:00"')
    assert str(broken) in text["slug"] and '"dup-meeting"' in text["slug"]
    message = str(caught.value)
    assert message.startswith("9 problems in the meeting files:")
    assert all(str(problem) in message for problem in errors)
    assert check_meetings(folder) == errors


def test_single_file_reports_all_its_problems(tmp_path: Path) -> None:
    broken = write(tmp_path, "broken.toml", BROKEN)
    with pytest.raises(MeetingFileError) as caught:
        load_meeting_file(broken)
    assert len(caught.value.errors) == 8
    assert all(problem.path == str(broken) for problem in caught.value.errors)


def test_invalid_toml_reports_file_and_position(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.toml", 'slug = "x"\ntitle = \n')
    [problem] = check_meetings(path)
    assert (problem.path, problem.key) == (str(path), "(file)")
    assert problem.expected.startswith("expected valid TOML")
    assert "(at line 2, column 9)" in str(problem)


def test_undecodable_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('title = "Théorie"\n'.encode("latin-1"))
    [problem] = check_meetings(path)
    assert (problem.key, problem.expected.split(",")[0]) == ("(file)", "expected UTF-8 text")


def test_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    assert [(p.path, p.key) for p in problems_of(missing)] == [(str(missing), "(file)")]
    with pytest.raises(MeetingFileError) as caught:
        load_meeting_file(tmp_path / "nowhere.toml")
    assert [p.key for p in caught.value.errors] == ["(file)"]


def test_empty_folder(tmp_path: Path) -> None:
    write(tmp_path, "notes.txt", "not a meeting")
    [problem] = problems_of(tmp_path)
    assert (problem.path, problem.key) == (str(tmp_path), "(file)")
    assert "*.toml" in problem.expected


def test_missing_required_keys(tmp_path: Path) -> None:
    path = write(tmp_path, "empty.toml", "")
    keys = [p.key for p in problems_of(path)]
    assert keys == ["slug", "title", "date", "timezone", "venue", "capacity", "sessions"]


@pytest.mark.parametrize(
    ("extra", "key", "found"),
    [
        ("capacity = true", "capacity", "got a boolean true"),
        ("capacity = -1", "capacity", "got -1"),
        ('url = "ftp://example.org"', "url", 'got "ftp://example.org"'),
        ("remote_capacity = 1.5", "remote_capacity", "got a float 1.5"),
        ('registration_closes = "2024-05-01"', "registration_closes", 'got a string "2024-05-01"'),
        ('slug = "Not A Slug"', "slug", 'got "Not A Slug"'),
        ('date = "2024-05-02"', "date", 'got a string "2024-05-02"'),
        ("[reminders]\ntalk_start = 1", "reminders.talk_start", "got an integer 1"),
        ("[reminders]\ngrace_minutes = -5", "reminders.grace_minutes", "got -5"),
        (
            "[reminders]\nsession_leads_minutes = [15, nan]",
            "reminders.session_leads_minutes[1]",
            "",
        ),
        ("[reminders]\nsession_leads_minutes = 15", "reminders.session_leads_minutes", ""),
        ("[reminders]\ngrace = 3", "reminders.grace", "expected one of: "),
        ("[[organizers]]\naffiliation = 'X'", "organizers[0].name", "got nothing (missing)"),
        ('[events]\nscope = "weekly"', "events.scope", 'one of "sessions", "day" or "none"'),
        ('[events]\nimage = "cover.bmp"', "events.image", "a PNG, JPEG or GIF file"),
        ('[events]\nimage = "gone.png"', "events.image", '"gone.png": no such file'),
        ("[events]\ncolour = 1", "events.colour", "expected one of: scope, image"),
    ],
)
def test_wrong_values_and_types(tmp_path: Path, extra: str, key: str, found: str) -> None:
    name, _, value = extra.partition(" = ")
    text = minimal(**{name: value}) if name in HEADER else minimal(extra=extra)
    [problem] = problems_of(write(tmp_path, "m.toml", text))
    assert problem.key == key
    assert found in problem.expected


def test_optional_values(tmp_path: Path) -> None:
    extra = """\
url = "https://example.org/meeting"
remote_capacity = 1000
registration_closes = 2024-05-01T23:59:00

[reminders]
session_leads_minutes = [30, 7.5, 0]
talk_start = false
grace_minutes = 2

[[organizers]]
name = "Ada"
"""
    meeting = load_meeting_file(write(tmp_path, "m.toml", minimal(extra=extra)))
    assert meeting.url == "https://example.org/meeting"
    assert meeting.remote_capacity == 1000
    # A local date-time is read in the meeting's timezone (Paris, UTC+2 in May).
    assert meeting.registration_closes == datetime(2024, 5, 1, 21, 59, tzinfo=UTC)
    assert meeting.reminders == ReminderSettings((30.0, 7.5, 0.0), False, 10.0, 2.0)
    assert meeting.organizers == (Person("Ada"),)
    assert meeting.sessions[0].talks == ()


def test_events_table(tmp_path: Path) -> None:
    write(tmp_path, "cover.png", "not checked here: Discord reads the bytes")
    extra = '[events]\nscope = "day"\nimage = "cover.png"\n'
    meeting = load_meeting_file(write(tmp_path, "m.toml", minimal(extra=extra)))
    assert meeting.events == EventSettings(EventScope.DAY, str((tmp_path / "cover.png").resolve()))
    plain = load_meeting_file(write(tmp_path, "n.toml", minimal()))
    assert plain.events == EventSettings(EventScope.SESSIONS, "")


def test_offset_registration_close(tmp_path: Path) -> None:
    extra = "registration_closes = 2024-05-01T12:00:00-04:00"
    meeting = load_meeting_file(write(tmp_path, "m.toml", minimal(extra=extra)))
    assert meeting.registration_closes == datetime(2024, 5, 1, 16, 0, tzinfo=UTC)


def talk(start: str, title: str, end: str = "") -> str:
    end_line = f'  end = "{end}"\n' if end else ""
    return f'  [[sessions.talks]]\n  start = "{start}"\n{end_line}  title = "{title}"\n'


def test_talks_out_of_order_are_refused_and_overlapping_ones_only_warned_of(
    tmp_path: Path,
) -> None:
    talks = talk("09:00", "A", end="09:40") + talk("09:30", "B") + talk("09:20", "C")
    errors = problems_of(write(tmp_path, "m.toml", minimal(talks=talks)))
    assert [(p.key, p.expected) for p in errors] == [
        (
            "sessions[0].talks[2].start",
            "expected a time at or after the previous talk's start 09:30 (talks in order), "
            'got "09:20"',
        ),
    ]
    posters = talk("09:00", "A", end="09:40") + talk("09:30", "B") + talk("10:00", "C")
    meeting = load_meeting_file(write(tmp_path, "ok.toml", minimal(talks=posters)))
    assert [(a.title, b.title) for a, b in overlaps(meeting)] == [("A", "B")]


def test_talk_end_outside_session_and_sessions_overlapping(tmp_path: Path) -> None:
    talks = talk("11:30", "Late", end="12:30")
    talks += '[[sessions]]\ntitle = "Overlap"\nstart = "11:00"\nend = "13:00"\n'
    errors = problems_of(write(tmp_path, "m.toml", minimal(talks=talks)))
    assert [p.key for p in errors] == ["sessions[0].talks[0].end", "sessions[1].start"]
    assert "within its session (09:00–12:00)" in errors[0].expected
    assert "previous session's end 12:00" in errors[1].expected


def test_talk_ends_default_and_are_converted(tmp_path: Path) -> None:
    talks = talk("09:00", "First") + talk("10:00", "Second", end="10:30") + talk("11:00", "Last")
    meeting = load_meeting_file(write(tmp_path, "m.toml", minimal(talks=talks)))
    spans = [
        (t.start.astimezone(PARIS).time(), t.end.astimezone(PARIS).time()) for t in meeting.talks
    ]
    assert [f"{s:%H:%M}-{e:%H:%M}" for s, e in spans] == [
        "09:00-10:00",
        "10:00-10:30",
        "11:00-12:00",
    ]
    assert meeting.talks[0].start == datetime(2024, 5, 2, 7, 0, tzinfo=UTC)


# -- talk keys ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Théorie du deep learning", "theorie-du-deep-learning"),
        (
            "Fixed support matrix factorization is NP hard",
            "fixed-support-matrix-factorization-is-np-hard",
        ),
        ("  L'œuvre — d'art: 100% « Ça » !  ", "l-oeuvre-d-art-100-ca"),
        ("Straße, Łódź & Ærø", "strasse-lodz-aero"),
        ("Tensor-based approaches", "tensor-based-approaches"),
        ("!!!", ""),
    ],
)
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_slugify_cuts_long_titles_between_words() -> None:
    title = (
        "Towards Building a Heavy-Tailed Theory of Stochastic Gradient Descent for Deep Networks"
    )
    full = "towards-building-a-heavy-tailed-theory-of-stochastic-gradient-descent-for-deep-networks"
    cut = slugify(title)
    assert cut == "towards-building-a-heavy-tailed-theory-of"
    assert len(cut) <= 48 and full.startswith(cut + "-")
    assert slugify("a" * 48 + " b") == "a" * 48  # the hyphen falls just after the limit
    assert slugify("x" * 60) == "x" * 48  # one long word is cut where it must be
    assert slugify("ab cd ef", max_length=5) == "ab-cd"


def test_duplicate_titles_get_numbered_keys(tmp_path: Path) -> None:
    talks = (
        talk("09:00", "Discussion") + talk("09:30", "Discussion") + talk("10:00", "Discussion 2")
    )
    talks += '[[sessions]]\ntitle = "Afternoon"\nstart = "14:00"\nend = "15:00"\n'
    talks += talk("14:00", "discussion!") + talk("14:30", "???")
    meeting = load_meeting_file(write(tmp_path, "m.toml", minimal(talks=talks)))
    assert [t.key for t in meeting.talks] == [
        "discussion",
        "discussion-2",
        "discussion-2-2",
        "discussion-3",
        "talk",
    ]


def test_sessions_carry_a_date_and_talks_a_room(tmp_path: Path) -> None:
    talks = talk("09:00", "Opening")
    talks += '[[sessions]]\ntitle = "Posters"\ndate = 2024-05-02\nroom = "Hall"\n'
    talks += 'start = "11:00"\nend = "12:00"\nid = "blk-7"\n'
    talks += talk("11:00", "Poster wall")
    talks += '[[sessions]]\ntitle = "Day two"\ndate = 2024-05-03\nroom = "Amphi A"\n'
    talks += 'start = "09:00"\nend = "10:00"\n'
    talks += talk("09:00", "Keynote") + '  room = "Amphi B"\n  id = "c42"\n'
    meeting = load_meeting_file(write(tmp_path, "m.toml", minimal(talks=talks)))
    assert meeting.days == (date(2024, 5, 2), date(2024, 5, 3))
    assert meeting.multi_day
    assert meeting.rooms == ("Hall", "Amphi A", "Amphi B")
    hall, second = meeting.sessions[1], meeting.sessions[2]
    assert (hall.room, hall.uid, hall.talks[0].room) == ("Hall", "blk-7", "Hall")
    assert second.start == datetime(2024, 5, 3, 7, 0, tzinfo=UTC)
    keynote = second.talks[0]
    assert (keynote.room, keynote.uid) == ("Amphi B", "c42")
    assert meeting.end == datetime(2024, 5, 3, 8, 0, tzinfo=UTC)
    assert [s.title for s in meeting.sessions_on(date(2024, 5, 3))] == ["Day two"]


def test_parallel_sessions_in_other_rooms_are_allowed_not_in_the_same(tmp_path: Path) -> None:
    parallel = '[[sessions]]\ntitle = "B"\nroom = "Two"\nstart = "09:00"\nend = "10:00"\n'
    same = '[[sessions]]\ntitle = "C"\nroom = "Two"\nstart = "09:30"\nend = "11:00"\n'
    meeting = load_meeting_file(write(tmp_path, "ok.toml", minimal(talks=parallel)))
    assert [s.room for s in meeting.sessions] == ["", "Two"]
    errors = problems_of(write(tmp_path, "bad.toml", minimal(talks=parallel + same)))
    assert [(p.key, p.expected) for p in errors] == [
        (
            "sessions[2].start",
            'expected a time at or after the previous session\'s end 10:00 in Two, got "09:30"',
        ),
    ]


def test_session_dates_before_the_meeting_or_out_of_order_are_refused(tmp_path: Path) -> None:
    early = '[[sessions]]\ntitle = "B"\ndate = 2024-05-01\nstart = "13:00"\nend = "14:00"\n'
    errors = problems_of(write(tmp_path, "m.toml", minimal(talks=early)))
    assert [p.key for p in errors] == ["sessions[1].date", "sessions[1].start"]
    assert "on or after the meeting's date 2024-05-02" in errors[0].expected
    assert "sessions in order of date and start" in errors[1].expected


def test_source_to_follow(tmp_path: Path) -> None:
    export = "https://indico.example.org/export/event/1.json"
    extra = f'source = "{export}"\nsource_refresh_minutes = 2'
    meeting = load_meeting_file(write(tmp_path, "m.toml", minimal(extra=extra)))
    assert meeting.follow == FollowSettings(export, "", 2.0)
    local = 'source = "export.xml"\nsource_format = "frab"'
    meeting = load_meeting_file(write(tmp_path, "l.toml", minimal(extra=local)))
    assert meeting.follow.source == str(tmp_path / "export.xml")
    assert meeting.follow.format == "frab"
    bad = 'source = "ftp://example.org/x"\nsource_format = "ical"\nsource_refresh_minutes = 0'
    errors = problems_of(write(tmp_path, "b.toml", minimal(extra=bad)))
    assert [p.key for p in errors] == ["source", "source_format", "source_refresh_minutes"]


def test_a_time_the_clocks_skip_is_refused(tmp_path: Path) -> None:
    # On 31 March 2024, Paris goes from 02:00 straight to 03:00.
    session = '[[sessions]]\ntitle = "Night"\nstart = "01:30"\nend = "02:30"\n'
    text = minimal(date="2024-03-31").replace(SESSION, session)
    errors = problems_of(write(tmp_path, "m.toml", text))
    assert [(p.key, p.expected) for p in errors] == [
        (
            "sessions[0].end",
            "expected a time that exists on 2024-03-31 in Europe/Paris (the clocks go forward), "
            'got "02:30"',
        )
    ]


def test_two_talks_with_one_id_are_refused(tmp_path: Path) -> None:
    talks = talk("09:00", "A") + '  id = "c1"\n' + talk("10:00", "B") + '  id = "c1"\n'
    errors = problems_of(write(tmp_path, "m.toml", minimal(talks=talks)))
    assert [(p.key, p.expected) for p in errors] == [
        (
            "sessions[0].talks[1].id",
            'expected an id no other talk has, got "c1" (also sessions[0].talks[0])',
        )
    ]
