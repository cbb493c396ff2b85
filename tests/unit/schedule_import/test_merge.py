"""Schedule exports made into meeting files: every real sample becomes a file the loader reads
back as the same meeting, and importing that file's meeting again changes nothing; an update
keeps what the meeting file has of its own."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.programme.files import load_meeting_file
from bot.programme.model import Person, ReminderSettings
from bot.schedule_import.merge import import_schedule, to_meeting, write_meeting_file
from bot.schedule_import.sources import SourceError, SourceSchedule, SourceTalk
from tests.unit.schedule_import.sources.samples import SAMPLES, sample

# Every real sample, with the zone for those that name none.
REAL = {
    "pentabarf-fosdem-2013.xml": "Europe/Brussels",
    "pentabarf-ccc-camp-2011.xml": "Europe/Berlin",
    "wafer-debconf23.xml": "",
    "jekyll-lswt2019.xml": "",
    "c3voc-pretalx-democon.json": "",
    "c3voc-pretalx-rc3.json": "Europe/Berlin",
    "c3voc-frab-camp2019.json": "",
    "c3voc-hub-schedule2.json": "",
    "indico-docs-event-137346-sessions.json": "",
    "indico-docs-event-137346-contributions.json": "",
    "indico-docs-timetable-137346.json": "",
    "indico-xdc2021-contributions.json": "",
}


def test_every_sample_is_collected() -> None:
    exports = {p.name for p in SAMPLES.iterdir() if p.suffix in (".xml", ".json")}
    assert exports - {"indico-docs-event-137346-events.json"} == set(REAL)


@pytest.mark.parametrize("name", sorted(REAL))
def test_a_real_export_makes_a_meeting_file_that_reads_back_the_same(
    name: str, tmp_path: Path
) -> None:
    try:
        imported = import_schedule(sample(name), timezone=REAL[name])
    except SourceError as error:
        # An export whose entries all lack a time has nothing to import, and says so.
        assert "no talks" in str(error)
        pytest.skip(f"{name}: {error}")
    meeting = imported.meeting
    path = tmp_path / "meeting.toml"
    written = write_meeting_file(path, meeting, source=name)
    assert written == meeting
    assert load_meeting_file(path) == meeting
    # Each talk keeps the source's id, and sessions never cross a day.
    assert all(talk.uid for talk in meeting.talks)
    for session in meeting.sessions:
        assert meeting.local_day(session.start) == meeting.local_day(
            session.end - timedelta(seconds=1)
        )
    # Importing again, over the file it wrote, changes nothing.
    again = import_schedule(sample(name), base=written, timezone=REAL[name])
    assert write_meeting_file(path, again.meeting, source=name) == written


def test_fosdem_2013_spans_two_days_and_many_rooms() -> None:
    meeting = import_schedule(sample("pentabarf-fosdem-2013.xml"), timezone="Europe/Brussels")
    assert meeting.meeting.days == (date(2013, 2, 2), date(2013, 2, 3))
    assert len(meeting.meeting.rooms) > 20
    assert meeting.meeting.slug == "fosdem-2013"


def test_without_a_timezone_an_export_that_names_none_is_refused() -> None:
    with pytest.raises(SourceError, match="--timezone"):
        import_schedule(sample("pentabarf-fosdem-2013.xml"))


PARIS = "Europe/Paris"
T0 = datetime(2024, 5, 2, 7, 0, tzinfo=UTC)  # 09:00 in Paris


def entry(uid: str, minutes: int, length: int | None, **more) -> SourceTalk:
    start = T0 + timedelta(minutes=minutes)
    end = None if length is None else start + timedelta(minutes=length)
    return SourceTalk(uid=uid, title=more.pop("title", f"Talk {uid}"), start=start, end=end, **more)


def schedule(*talks: SourceTalk) -> SourceSchedule:
    return SourceSchedule("frab", "Journées", PARIS, tuple(talks))


def test_rooms_make_sessions_and_breaks_are_left_out() -> None:
    imported = to_meeting(
        schedule(
            entry("a", 0, 30, room="Amphi A"),
            entry("b", 0, 45, room="Salle B"),
            entry("c", 30, 15, room="", title="Coffee", is_break=True),
            entry("d", 60, 30, room="Amphi A"),
            entry("e", 24 * 60, 30, room="Amphi A"),
        )
    )
    meeting = imported.meeting
    assert [(s.title, s.room, len(s.talks)) for s in meeting.sessions] == [
        ("Amphi A", "Amphi A", 2),
        ("Salle B", "Salle B", 1),
        ("Amphi A", "Amphi A", 1),
    ]
    assert meeting.days == (date(2024, 5, 2), date(2024, 5, 3))
    assert "Coffee" not in {t.title for t in meeting.talks}


def test_a_talk_without_a_duration_lasts_until_the_next_one_or_a_quarter_hour() -> None:
    imported = to_meeting(schedule(entry("a", 0, None), entry("b", 40, None)))
    a, b = imported.meeting.talks
    assert a.end == T0 + timedelta(minutes=40)
    assert b.end == T0 + timedelta(minutes=55)
    assert len(imported.warnings) == 2 and "no duration" in imported.warnings[0]


def test_an_all_day_item_is_left_out_and_one_past_midnight_ends_at_23_59(tmp_path: Path) -> None:
    imported = to_meeting(
        schedule(
            entry("wall", -9 * 60, 24 * 60, title="Poster wall", all_day=True),
            entry("late", 14 * 60, 180, title="Night session"),
        )
    )
    late = imported.meeting.talk("night-session")
    assert late is not None and late.end == datetime(2024, 5, 2, 21, 59, tzinfo=UTC)
    # The all-day item is no talk: a midnight-to-midnight session would ping in the night.
    assert [t.title for t in imported.meeting.talks] == ["Night session"]
    assert any('all-day item(s) left out ("Poster wall")' in w for w in imported.warnings)
    assert any("past midnight" in warning for warning in imported.warnings)
    assert write_meeting_file(tmp_path / "m.toml", imported.meeting) == imported.meeting


def test_an_update_keeps_what_the_file_has_of_its_own(tmp_path: Path) -> None:
    first = to_meeting(schedule(entry("a", 0, 30), entry("b", 30, 30))).meeting
    mine = replace(
        first,
        slug="my-meeting",
        capacity=250,
        remote_capacity=900,
        venue="Campus Nord",
        reminders=ReminderSettings(session_leads_minutes=(30.0,)),
        organizers=(Person("Caroline Chaux", "I2M"),),
    )
    updated = to_meeting(schedule(entry("a", 10, 30), entry("b", 40, 30)), base=mine).meeting
    assert (updated.slug, updated.capacity, updated.remote_capacity, updated.venue) == (
        "my-meeting",
        250,
        900,
        "Campus Nord",
    )
    assert updated.reminders == mine.reminders and updated.organizers == mine.organizers
    assert updated.talks[0].start == T0 + timedelta(minutes=10)


def test_no_talks_and_no_zone_are_refused() -> None:
    with pytest.raises(SourceError, match="no talks"):
        to_meeting(schedule(entry("c", 0, 15, is_break=True)))
    two_offsets = replace(
        schedule(
            entry("a", 0, 30),
            replace(entry("b", 60, 30), start=T0.astimezone(timezone(timedelta(hours=2)))),
        ),
        timezone="",
    )
    with pytest.raises(SourceError, match="--timezone"):
        to_meeting(two_offsets)


def test_times_with_one_offset_and_no_zone_named_take_the_offsets_zone() -> None:
    summer = timezone(timedelta(hours=2))
    talks = [replace(entry("a", 0, 30), start=T0.astimezone(summer))]
    imported = to_meeting(replace(schedule(*talks), timezone=""))
    assert imported.meeting.timezone == "Etc/GMT-2"
    assert "UTC+02:00" in imported.warnings[-1] and "--timezone" in imported.warnings[-1]


def test_a_file_the_loader_would_refuse_is_never_written(tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    meeting = to_meeting(schedule(entry("a", 0, 30))).meeting
    write_meeting_file(path, meeting)
    before = path.read_text(encoding="utf-8")
    with pytest.raises(ValueError):
        write_meeting_file(path, replace(meeting, slug="Not A Slug"))
    assert path.read_text(encoding="utf-8") == before
    assert not list(tmp_path.glob(".*.tmp"))


def test_ids_several_talks_share_are_told_apart(tmp_path: Path) -> None:
    imported = to_meeting(schedule(entry("c1", 0, 30), entry("c1", 30, 30), entry("c2", 60, 30)))
    assert [t.uid for t in imported.meeting.talks] == ["c1", "c1#2", "c2"]
    assert any("used by several talks (c1)" in w for w in imported.warnings)
    assert write_meeting_file(tmp_path / "m.toml", imported.meeting) == imported.meeting


def test_sessions_overlapping_in_a_room_merge_by_the_meetings_day_not_utcs() -> None:
    tokyo = replace(
        schedule(
            # 08:30 and 09:00 in Tokyo: either side of midnight in UTC.
            entry("a", -450, 60, room="Hall", session="Keynotes", session_uid="1"),
            entry("b", -420, 60, room="Hall", session="Talks", session_uid="2"),
        ),
        timezone="Asia/Tokyo",
    )
    imported = to_meeting(tokyo)
    assert [s.title for s in imported.meeting.sessions] == ["Keynotes"]
    assert any("overlaps" in w for w in imported.warnings)
