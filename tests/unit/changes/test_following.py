"""The follower on its own (no Discord): a followed export re-imported at its interval, written
back into the meeting file; a failing export changing nothing; files edited on disk reloaded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.changes.following import ProgrammeFollower
from bot.programme.service import ProgrammeService
from bot.schedule_import.sources import SourceError
from bot.store.db import Database
from tests.support.harness import FakeClock
from tests.unit.schedule_import.sources.samples import sample

EXPORT = "https://pretalx.example.org/democon/schedule/export/schedule.json"
HEADER = f"""slug = "democon"
title = "DemoCon"
date = 2019-01-01
timezone = "Europe/Berlin"
venue = "Hall"
capacity = 50
source = "{EXPORT}"
source_refresh_minutes = 5

[[sessions]]
title = "Placeholder"
start = "09:00"
end = "10:00"
"""


class Export:
    """What the web server at EXPORT answers, and how often it was asked."""

    def __init__(self) -> None:
        self.data: bytes | SourceError = sample("c3voc-pretalx-democon.json")
        self.asked = 0

    def __call__(self, source: str) -> bytes:
        assert source == EXPORT
        self.asked += 1
        if isinstance(self.data, SourceError):
            raise self.data
        return self.data


@pytest.fixture
def setup(db: Database, tmp_path: Path):
    path = tmp_path / "democon.toml"
    path.write_text(HEADER, encoding="utf-8")
    clock = FakeClock(datetime(2018, 12, 1, 9, 0, tzinfo=UTC))
    programme = ProgrammeService(db, clock)
    programme.import_files(path)
    changes: list[int] = []

    async def changed() -> None:
        changes.append(1)

    export = Export()
    follower = ProgrammeFollower(programme, path, clock, fetch=export)
    follower.subscribe(changed)
    return follower, programme, clock, export, path, changes


async def test_a_followed_export_is_imported_at_its_interval(setup) -> None:
    follower, programme, clock, export, path, changes = setup
    [refresh] = await follower.tick()
    assert export.asked == 1 and refresh.changed and changes == [1]
    meeting = await programme.active_meeting()
    assert meeting.capacity == 50 and len(meeting.talks) > 1
    assert "Placeholder" not in path.read_text(encoding="utf-8")
    assert all(talk.uid for talk in meeting.talks)

    clock.now += timedelta(minutes=4)
    assert await follower.tick() == []
    assert export.asked == 1
    clock.now += timedelta(minutes=1)
    [again] = await follower.tick()
    assert export.asked == 2 and not again.changed and not again.error


async def test_a_failing_export_changes_nothing(setup) -> None:
    follower, programme, _clock, export, path, changes = setup
    before_file = path.read_text(encoding="utf-8")
    before = await programme.active_meeting()
    export.data = SourceError("The address answered 503 Service Unavailable.")

    [refresh] = await follower.tick()

    assert refresh.error == "The address answered 503 Service Unavailable."
    assert not refresh.changed and changes == []
    assert await programme.active_meeting() == before
    assert path.read_text(encoding="utf-8") == before_file


async def test_an_edit_on_disk_is_reloaded_once(setup) -> None:
    follower, programme, clock, _export, path, _changes = setup
    await follower.tick()
    clock.now += timedelta(minutes=1)
    assert await follower.tick() == []  # nothing edited, export not due
    path.write_text(
        path.read_text(encoding="utf-8").replace("capacity = 50", "capacity = 600"),
        encoding="utf-8",
    )
    [reloaded] = await follower.tick()
    assert not reloaded.error and (await programme.active_meeting()).capacity == 600
    assert await follower.tick() == []


async def test_a_meeting_file_that_cannot_be_written_is_not_followed(setup, monkeypatch) -> None:
    follower, _programme, _clock, export, _path, changes = setup
    # A read-only mount, as the user sees it (root here could write anywhere).
    monkeypatch.setattr("bot.changes.following.os.access", lambda *_: False)
    [refresh] = await follower.tick()
    assert "cannot be written" in refresh.error and "amphi import" in refresh.error
    assert export.asked == 0 and changes == []
