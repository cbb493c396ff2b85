"""The programme service: the organizers' choice of meeting, kept in the store."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.core.errors import UnknownMeeting
from bot.programme import queries as store
from bot.programme.files import load_meeting_file
from bot.programme.service import ProgrammeService
from bot.store.db import Database
from tests.support.paths import SHIPPED_MEETING

BEFORE = datetime(2021, 6, 1, 12, 0, tzinfo=UTC)


async def test_the_chosen_meeting_outlives_a_restart(db: Database) -> None:
    meeting = load_meeting_file(SHIPPED_MEETING)
    other = replace(meeting, slug="other-2021", title="Another day")
    for each in (meeting, other):
        db.call(store.save_meeting, meeting=each, source="test", now=BEFORE, write=True)
    programme = ProgrammeService(db, lambda: BEFORE)
    assert (await programme.active_meeting()).slug == meeting.slug  # the first of the day
    assert (await programme.choose("other-2021")).slug == "other-2021"
    with pytest.raises(UnknownMeeting):
        await programme.choose("nope")
    assert (await programme.active_meeting()).slug == "other-2021"

    restarted = ProgrammeService(db, lambda: BEFORE)
    assert (await restarted.active_meeting()).slug == "other-2021"
    assert {m.slug for m in await restarted.meetings()} == {meeting.slug, "other-2021"}
    assert (await restarted.choose(None)).slug == meeting.slug
    assert db.call(store.load_programme)[1] == ""
