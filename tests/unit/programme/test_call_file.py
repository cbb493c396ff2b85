"""The `[call]` table of a meeting file and a talk's `proposal`: read, checked, written back,
kept in the store."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.programme import queries
from bot.programme.files import check_meetings, load_meeting_file
from bot.programme.model import Call
from bot.schedule_import.writer import meeting_toml
from bot.store.db import Database
from tests.support.paths import SHIPPED_MEETING

HEAD = """
slug = "call-day"
title = "Call day"
date = 2021-06-28
timezone = "Europe/Paris"
venue = "Online"
capacity = 10
"""
SESSIONS = """
[[sessions]]
title = "Morning"
start = "10:00"
end = "12:00"

  [[sessions.talks]]
  start = "10:00"
  title = "From the call"
  speakers = [{ name = "Ada Lovelace", affiliation = "UCL" }]
  proposal = "P-12"
"""
FULL_CALL = """
[call]
opens = 2021-04-15T09:00:00
closes = 2021-05-31T23:59:00
kinds = ["talk", "poster"]
abstract_max_chars = 2000
per_member = 3
anonymous_review = true
"""


def write(tmp_path: Path, call: str, sessions: str = SESSIONS) -> Path:
    path = tmp_path / "call-day.toml"
    path.write_text(HEAD + call + sessions, encoding="utf-8")
    return path


def problems(tmp_path: Path, call: str, sessions: str = SESSIONS) -> list[tuple[str, str]]:
    return [(p.key, p.expected) for p in check_meetings(write(tmp_path, call, sessions))]


def test_the_call_is_read_in_meeting_local_time(tmp_path) -> None:
    meeting = load_meeting_file(write(tmp_path, FULL_CALL))
    assert meeting.call == Call(
        opens=datetime(2021, 4, 15, 7, 0, tzinfo=UTC),  # 09:00 in Paris
        closes=datetime(2021, 5, 31, 21, 59, tzinfo=UTC),
        kinds=("talk", "poster"),
        abstract_max_chars=2000,
        per_member=3,
        anonymous_review=True,
    )
    assert meeting.talks[0].proposal == "P-12"


def test_a_call_needs_only_its_closing(tmp_path) -> None:
    meeting = load_meeting_file(write(tmp_path, "[call]\ncloses = 2021-05-31T12:00:00+00:00\n"))
    assert meeting.call == Call(closes=datetime(2021, 5, 31, 12, 0, tzinfo=UTC))
    assert meeting.call.kinds == ("talk",) and meeting.call.abstract_max_chars == 4000


def test_a_meeting_without_a_call_has_none(tmp_path) -> None:
    assert load_meeting_file(write(tmp_path, "")).call is None


def test_the_shipped_meeting_has_the_seed_pages_call() -> None:
    call = load_meeting_file(SHIPPED_MEETING).call
    assert call == Call(closes=datetime(2021, 5, 31, 21, 59, tzinfo=UTC))  # "avant le 31 Mai"


@pytest.mark.parametrize(
    ("call", "key", "expected"),
    [
        (
            "[call]\nopens = 2021-05-01T10:00:00\ncloses = 2021-05-01T09:00:00\n",
            "call.closes",
            "expected a date-time after call.opens (2021-05-01 10:00), got 2021-05-01 09:00",
        ),
        (
            "[call]\ncloses = 2021-06-28T10:30:00\n",
            "call.closes",
            "expected a date-time before the meeting starts (2021-06-28 10:00), "
            "got 2021-06-28 10:30",
        ),
        (
            "[call]\ncloses = 2021-05-31T23:59:00\nabstract_max_chars = 4001\n",
            "call.abstract_max_chars",
            "expected an integer from 1 to 4000, got 4001",
        ),
        (
            "[call]\ncloses = 2021-05-31T23:59:00\nabstract_max_chars = 0\n",
            "call.abstract_max_chars",
            "expected an integer from 1 to 4000, got 0",
        ),
        (
            "[call]\ncloses = 2021-05-31T23:59:00\nper_member = 0\n",
            "call.per_member",
            "expected an integer ≥ 1, got 0",
        ),
        (
            "[call]\ncloses = 2021-05-31T23:59:00\nkinds = []\n",
            "call.kinds",
            'expected a non-empty array of kinds such as ["talk", "poster"], '
            "got an array of 0 item(s)",
        ),
        (
            '[call]\ncloses = 2021-05-31T23:59:00\nkinds = ["talk", " "]\n',
            "call.kinds[1]",
            'expected a non-empty string, got " "',
        ),
        (
            '[call]\ncloses = "2021-05-31"\n',
            "call.closes",
            "expected a TOML date-time such as 2021-06-27T23:59:00+02:00 (no quotes), "
            'got a string "2021-05-31"',
        ),
        (
            "[call]\nopens = 2021-04-15T09:00:00\n",
            "call.closes",
            "expected a TOML date-time such as 2021-06-27T23:59:00+02:00 (no quotes), "
            "got nothing (missing)",
        ),
        (
            "[call]\ncloses = 2021-05-31T23:59:00\nanonymous = true\n",
            "call.anonymous",
            "expected one of: opens, closes, abstract_max_chars, per_member, anonymous_review, "
            'kinds (did you mean "anonymous_review"?)',
        ),
        ('call = "soon"\n', "call", 'expected a table [call], got a string "soon"'),
    ],
)
def test_a_bad_call_is_reported_with_its_key(tmp_path, call, key, expected) -> None:
    assert problems(tmp_path, call) == [(key, expected)]


def test_a_talks_proposal_is_a_reference(tmp_path) -> None:
    sessions = SESSIONS.replace('proposal = "P-12"', 'proposal = "12"')
    found = problems(tmp_path, FULL_CALL, sessions)
    expected = 'expected a proposal reference such as "P-12", got "12"'
    assert found == [("sessions[0].talks[0].proposal", expected)]


def test_the_call_and_proposals_are_written_back(tmp_path) -> None:
    meeting = load_meeting_file(write(tmp_path, FULL_CALL))
    again = tmp_path / "again.toml"
    again.write_text(meeting_toml(meeting), encoding="utf-8")
    assert load_meeting_file(again) == meeting
    shipped = load_meeting_file(SHIPPED_MEETING)
    again.write_text(meeting_toml(shipped), encoding="utf-8")
    assert load_meeting_file(again) == shipped


def test_the_store_keeps_the_call_and_proposals(tmp_path, db: Database) -> None:
    meeting = load_meeting_file(write(tmp_path, FULL_CALL))
    now = datetime(2021, 5, 1, tzinfo=UTC)
    db.call(queries.save_meeting, meeting=meeting, source="x", now=now, write=True)
    [stored] = db.call(queries.load_meetings)
    assert stored.call == meeting.call and stored.talks[0].proposal == "P-12"
    without = load_meeting_file(write(tmp_path, ""))
    db.call(queries.save_meeting, meeting=without, source="x", now=now, write=True)
    assert db.call(queries.load_meetings)[0].call is None
