"""`amphi run` killed hard at seeded random moments around an edit of the programme: the change
notice still reaches the announcements channel once, and each attendee who opted in by DM once."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.harness import eventually
from tests.support.processes import CRASH_SEEDS, kill, meeting_file, register_remote, run_env

MEMBERS = 120
#: Seeded kill moments: one in `make test`, 20 in `make crash`.
SEEDS = range(CRASH_SEEDS)


def notices(fake) -> list[str]:
    return [m.content for m in fake.messages("announcements") if "Programme changes" in m.content]


@pytest.mark.parametrize("seed", SEEDS)
async def test_a_hard_kill_around_an_edit_still_tells_everyone_once(
    fake, tmp_path: Path, runs, seed: int
) -> None:
    now = datetime.now(UTC)
    start = (now + timedelta(minutes=40)).replace(second=0, microsecond=0)
    meetings = meeting_file(tmp_path, start, start - timedelta(minutes=30), start)
    database = f"sqlite:///{tmp_path / 'amphi.sqlite3'}"
    env = run_env(
        fake,
        meetings,
        database,
        AMPHI_WATCH_SECONDS="0.2",
        CHANGE_NOTICE_DELAY="1",
        DM_RATE="40",
    )
    members = [fake.add_member(f"n{seed}-{i}") for i in range(MEMBERS)]
    await register_remote(env, members, now)

    first = await runs.start(fake, env)
    await asyncio.sleep(1.0)  # the first run has loaded the programme and told nobody yet
    # The talk is retitled on disk; somewhere from before the bot sees it to the middle of the
    # notice's DMs, the bot is killed.
    text = meetings.read_text(encoding="utf-8")
    meetings.write_text(text.replace('title = "A talk"', 'title = "A renamed talk"'))
    await asyncio.sleep(random.Random(seed).uniform(0.0, 4.5))
    await kill(first)
    told_before = sum(1 for m in members if fake.dms(m))

    second = await runs.start(fake, env)
    try:
        await eventually(lambda: all(fake.dms(m) for m in members), timeout=60)
        await asyncio.sleep(1.0)  # time for anything extra to arrive
    finally:
        await kill(second)
    print(f"seed {seed}: {told_before} of {MEMBERS} told by DM before the kill")

    [notice] = notices(fake)
    assert "Retitled: **A talk** is now **A renamed talk**" in notice, runs.output()
    assert [len(fake.dms(m)) for m in members] == [1] * MEMBERS, runs.output()
    assert all("A renamed talk" in fake.dms(m)[0].content for m in members)
