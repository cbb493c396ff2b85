"""The rehearsal of the shipped meeting's day, played whole at high speed: the real bot against
the shipped Discord double, simulated members, and what the transcript shows.

In `make test` the day is the shipped meeting made compact: a room of 60 seats (a thousand
registrations at once are tested in tests/e2e/test_registration.py) and the afternoon moved up
to follow the morning. `make long` (AMPHI_LONG=1) plays the shipped meeting as it is."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

from bot.rehearsal.run import Options, Rehearsal, rehearse
from bot.rehearsal.transcript import DM_KIND, POST
from tests.support.paths import SHIPPED_MEETING

#: The shipped day (08:30 to 18:10) in about 30 s; the compact one (to 15:10) in about 22 s.
SPEED = 1100.0
#: The afternoon's times, moved three hours earlier.
AFTERNOON = {"16:00": "13:00", "16:20": "13:20", "16:40": "13:40", "17:00": "14:00",
             "17:45": "14:45", "18:05": "15:05"}  # fmt: skip
AUDIENCE = {"@In person", "@Remote"}


def transcript(outcome: Rehearsal) -> str:
    lines = [f"{e.at:%H:%M} {e.kind} {e.place}\n    {e.text[:200]}" for e in outcome.entries]
    return "\n".join(lines + outcome.summary.lines())


def first(day: Rehearsal, what: str, test) -> int:
    """The index of the first entry that passes `test`; fails naming `what` otherwise."""
    for index, entry in enumerate(day.entries):
        if test(entry):
            return index
    raise AssertionError(f"the transcript has no {what}:\n{transcript(day)}")


def compact_day(folder: Path) -> Path:
    """The shipped meeting with 60 seats and no gap between its sessions."""
    text = SHIPPED_MEETING.read_text(encoding="utf-8")
    assert text.count("capacity = 600\n") == 1
    text = text.replace("capacity = 600\n", "capacity = 60\n")
    morning, afternoon = text.split('title = "Session 2"')
    for before, after in AFTERNOON.items():
        assert f'"{before}"' in afternoon, before
        afternoon = afternoon.replace(f'"{before}"', f'"{after}"')
    text = morning + 'title = "Session 2"' + afternoon
    path = folder / SHIPPED_MEETING.name
    path.write_text(text, encoding="utf-8")
    return path


async def test_the_shipped_day_plays_whole_in_order(tmp_path: Path) -> None:
    meeting_file = SHIPPED_MEETING if os.environ.get("AMPHI_LONG") else compact_day(tmp_path)
    day = await rehearse(Options(meeting_file, speed=SPEED))
    entries, meeting = day.entries, day.meeting
    shown = transcript(day)

    def post(text: str, place: str = "#announcements"):
        return lambda e: e.kind == POST and e.place == place and text in e.text

    announcement = first(day, "announcement", post("Coffee and badges are in the hall"))
    promotion = first(
        day, "promotion DM", lambda e: e.kind == DM_KIND and "a seat in the room" in e.text
    )
    previous = -1
    for session in meeting.sessions:
        title = f"**{session.title}** of {meeting.title}"
        before = first(day, f"{session.title}'s reminder", post(f"{title} starts in "))
        at_start = first(day, f"{session.title}'s start", post(f"{title} starts now"))
        assert previous < before < at_start, shown
        # The reminder at the start and the first talk's "now on" share their time: either first.
        previous = before
        for talk in session.talks:
            now_on = first(day, f"now-on of {talk.title}", post(f"Now on: **{talk.title}**"))
            assert previous < now_on, f"{talk.title} is out of order\n{shown}"
            previous = max(now_on, at_start)
            thread = f"#questions › {talk.title[:100]}"
            asked = first(day, f"approved question on {talk.title}", post(" asks:", place=thread))
            digest = first(
                day,
                f"digest of {talk.title}",
                lambda e, t=talk: e.kind == DM_KIND and f"after your talk “{t.title}”" in e.text,
            )
            assert now_on < asked < digest, shown
    first_reminder = first(day, "first reminder", post("starts in "))
    assert announcement < first_reminder and promotion < first_reminder, shown

    summary = day.summary
    assert summary.failures == [], shown
    # Every planned post went out on time (none caught up late, none skipped), each claimed
    # within the grace after its time: so each session's 15-minute reminder went out at least
    # 10 minutes ahead, well before the one at its start. Read on the summary's figures, not on
    # the transcript's "starts in 15 minutes", which a loaded machine reads a minute later.
    assert summary.posts == {"sent": 40}, shown
    assert len(summary.lateness) == 40 and summary.late_beyond_grace == 0, shown
    ahead = timedelta(minutes=max(meeting.reminders.session_leads_minutes))
    assert max(summary.lateness) <= summary.grace.total_seconds(), shown
    assert summary.grace < ahead
    assert set(summary.pings) <= AUDIENCE and summary.pings, shown
    assert all(set(e.pings) <= AUDIENCE for e in entries), shown
    figures = summary.figures
    assert figures is not None
    assert figures.in_person == meeting.capacity and figures.waitlist > 0, shown
    assert summary.questions["approved"] == 2 * len(meeting.talks), shown
    assert summary.questions["rejected"] == len(meeting.talks), shown
    assert summary.questions["answered"] == len(meeting.talks), shown
    assert summary.not_rehearsed == [], shown
    # Mentions, channels and times read as a member's client shows them.
    raw = re.compile(r"<(@[!&]?|#|t:)\d+")
    assert [e.text for e in entries if raw.search(e.text)] == []


async def test_a_short_call_for_contributions_is_rehearsed(tmp_path: Path) -> None:
    day = await rehearse(Options(SHIPPED_MEETING, speed=SPEED, attendees=20, call=True))
    assert day.summary.failures == [], day.summary.failures
    text = "\n".join(f"{e.kind} {e.place}: {e.text}" for e in day.entries)
    assert "**P-1**" in text and "(revised)" in text, text
    assert "Only organizers can do this" in text, text  # the moderator's Accept refused
    assert "recorded: 5/5" in text and "Send 2 acceptances and 1 decline" in text, text
    assert "is confirmed" in text and "is closed" in text, text
