"""The follower on its own (no Discord): a followed export re-imported at its interval once two
fetches agree, written back into the meeting file; a source flapping between versions, or cut
down to a fraction of the programme, changing nothing; a failing export changing nothing; files
edited on disk reloaded; a slow download delaying nothing else."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.changes.following import ProgrammeFollower
from bot.changes.held import held_path
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


def variant(*, days: int = 3, retitle: str = "") -> bytes:
    """The sample export with only its first `days` days, its first talk retitled."""
    data = json.loads(sample("c3voc-pretalx-democon.json"))
    conference = data["schedule"]["conference"]
    conference["days"] = conference["days"][:days]
    if retitle:
        first = next(iter(conference["days"][0]["rooms"].values()))[0]
        first["title"] = retitle
    return json.dumps(data).encode()


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
    [first] = await follower.tick()
    assert export.asked == 1 and first.waiting and not first.changed and changes == []
    clock.now += timedelta(minutes=4)
    assert await follower.tick() == []
    assert export.asked == 1
    clock.now += timedelta(minutes=1)
    [refresh] = await follower.tick()  # the second fetch agrees: applied
    assert export.asked == 2 and refresh.changed and changes == [1]
    meeting = await programme.active_meeting()
    assert meeting.capacity == 50 and len(meeting.talks) > 1
    assert "Placeholder" not in path.read_text(encoding="utf-8")
    assert all(talk.uid for talk in meeting.talks)

    clock.now += timedelta(minutes=5)
    [again] = await follower.tick()
    assert export.asked == 3 and not again.changed and not again.error


async def test_an_organizers_refresh_fetches_twice_and_applies_what_agrees(setup) -> None:
    follower, programme, _clock, export, _path, changes = setup
    refresh = await follower.refresh("democon", asked=True)
    assert export.asked == 2 and refresh.changed and changes == [1]
    assert len((await programme.active_meeting()).talks) == 36


async def test_a_source_flapping_between_two_versions_changes_nothing(setup) -> None:
    follower, programme, clock, export, path, changes = setup
    await follower.refresh("democon", asked=True)
    applied = path.read_text(encoding="utf-8")
    before = await programme.active_meeting()
    versions = [variant(retitle="A cached title"), export.data]
    for flip in range(8):
        export.data = versions[flip % 2]
        clock.now += timedelta(minutes=5)
        [refresh] = await follower.tick()
        assert refresh.waiting and not refresh.changed
    assert changes == [1]  # the first import only
    assert await programme.active_meeting() == before
    assert path.read_text(encoding="utf-8") == applied


async def test_an_export_cut_down_waits_for_an_organizer_across_a_restart(
    setup, db: Database
) -> None:
    follower, programme, clock, export, path, changes = setup
    await follower.refresh("democon", asked=True)
    applied = path.read_text(encoding="utf-8")
    before = await programme.active_meeting()
    export.data = variant(days=1)  # 12 of 36 talks: two days gone

    held = (await follower.refresh("democon", asked=True)).held

    assert held is not None and held.slug == "democon" and not held.told
    assert len(held.cut.removed) == 24 and held.cut.days == ("2020-12-15", "2020-12-16")
    assert path.read_text(encoding="utf-8") == applied and changes == [1]
    assert await programme.active_meeting() == before
    assert [h.version for h in await follower.untold()] == [held.version]
    await follower.told(held)
    # At each round and after a restart the same version stays held, and is not told again.
    clock.now += timedelta(minutes=5)
    [again] = await follower.tick()
    assert again.held is not None and again.held.version == held.version
    restarted = ProgrammeFollower(ProgrammeService(db, clock), path, clock, fetch=export)
    assert (await restarted.held("democon")) is not None
    assert await restarted.untold() == []
    assert await restarted.apply_held("democon", "0" * 16) is None  # not the version held

    applied_now = await restarted.apply_held("democon", held.version)

    assert applied_now is not None and "democon" in applied_now.edited
    assert len((await restarted.programme.active_meeting()).talks) == 12
    assert not held_path(path).exists()


async def test_a_dropped_cut_down_export_is_not_held_again(setup) -> None:
    follower, programme, clock, export, _path, _changes = setup
    await follower.refresh("democon", asked=True)
    export.data = variant(days=2)  # a whole day gone
    held = (await follower.refresh("democon", asked=True)).held
    assert held is not None and held.cut.days == ("2020-12-16",)

    assert await follower.drop_held("democon", held.version)

    clock.now += timedelta(minutes=5)
    [again] = await follower.tick()
    assert again.held is None and not again.changed
    assert await follower.held("democon") is None and await follower.untold() == []
    assert len((await programme.active_meeting()).talks) == 36
    # A talk or two gone is the source's to decide.
    data = json.loads(sample("c3voc-pretalx-democon.json"))
    next(iter(data["schedule"]["conference"]["days"][0]["rooms"].values())).pop()
    export.data = json.dumps(data).encode()
    assert (await follower.refresh("democon", asked=True)).changed
    assert len((await programme.active_meeting()).talks) == 35


async def test_a_slow_download_holds_up_no_other_refresh(setup) -> None:
    follower, programme, _clock, export, path, _changes = setup
    await follower.refresh("democon", asked=True)
    answered, started = threading.Event(), threading.Event()
    fast = export.data

    def slow(source: str) -> bytes:
        started.set()
        answered.wait(timeout=30)
        return fast

    follower.fetch = slow
    path.write_text(
        path.read_text(encoding="utf-8").replace("capacity = 50", "capacity = 80"),
        encoding="utf-8",
    )
    downloading = asyncio.create_task(follower.refresh("democon"))
    assert await asyncio.to_thread(started.wait, 10)
    try:
        # The edited file is loaded while the export is still downloading.
        reloaded = await asyncio.wait_for(follower.reload(), timeout=10)
    finally:
        answered.set()
    assert not reloaded.error and (await programme.active_meeting()).capacity == 80
    assert not (await downloading).error


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
