"""`amphi run` killed hard before a reminder, in the middle of a DM broadcast and of a burst of
registrations: nothing lost, nothing twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.burst import ask_again_unanswered, assert_registered_once_each, burst_cut_short
from tests.support.harness import eventually
from tests.support.processes import (
    kill,
    meeting_file,
    register_remote,
    run_env,
    store_seeds,
    zone_at_mid_morning,
)

LINK = "https://video.example/crash-test"
MEMBERS = 200


async def test_hard_kills_lose_nothing_and_repeat_nothing(fake, tmp_path: Path, runs) -> None:
    now = datetime.now(UTC)
    start = (now + timedelta(minutes=3)).replace(second=0, microsecond=0)
    reminder_due = now + timedelta(seconds=9)
    link_due = now + timedelta(seconds=22)
    meetings = meeting_file(tmp_path, start, reminder_due, link_due)
    database = f"sqlite:///{tmp_path / 'amphi.sqlite3'}"
    env = run_env(fake, meetings, database, REMOTE_LINK=LINK, DM_RATE="20")

    # 200 remote attendees who opted in to DMs, registered before the bot starts.
    members = [fake.add_member(f"m{i}") for i in range(MEMBERS)]
    await register_remote(env, members, now)

    # 1. Killed a moment before the reminder is due; the restarted bot still posts it, once.
    first = await runs.start(fake, env)
    await asyncio.sleep(max((reminder_due - datetime.now(UTC)).total_seconds() - 0.5, 0))
    await kill(first)
    second = await runs.start(fake, env)
    await eventually(lambda: len(fake.messages("announcements")) >= 1, timeout=30)

    # 2. Killed in the middle of the DM broadcast; the next run finishes it, nobody twice.
    def delivered() -> int:
        return sum(1 for m in members if fake.dms(m))

    await eventually(lambda: delivered() >= 50, timeout=60)
    await kill(second)
    halfway = delivered()
    assert 50 <= halfway < MEMBERS
    third = await runs.start(fake, env)
    try:
        await eventually(lambda: delivered() == MEMBERS, timeout=60)
        await asyncio.sleep(1.0)  # time for anything extra to arrive
    finally:
        await kill(third)

    [reminder] = fake.messages("announcements")
    assert "**Session 1** of Crash test starts" in reminder.content
    assert [len(fake.dms(m)) for m in members] == [1] * MEMBERS
    assert all(LINK in fake.dms(m)[0].content for m in members)


BURST = 300


@pytest.mark.parametrize(("database_url", "seed"), store_seeds(), indirect=["database_url"])
async def test_a_hard_kill_mid_burst_keeps_every_promise(
    fake, tmp_path: Path, database_url: str, runs, seed: int
) -> None:
    now = datetime.now(UTC)
    start = (now + timedelta(minutes=30)).replace(second=0, microsecond=0)
    meetings = meeting_file(tmp_path, start, start - timedelta(minutes=5), start)
    env = run_env(fake, meetings, database_url)
    members = [fake.add_member(f"b{seed}-{i}") for i in range(BURST)]

    # Killed at a seeded random moment while 300 people register at once; on odd seeds the
    # store is slow at first, so the kill catches commands acknowledged but not yet answered.
    first = await runs.start(fake, env)
    results = await burst_cut_short(fake, database_url, members, seed, lambda: kill(first))
    promised = [(m, r) for m, r in zip(members, results, strict=True) if r.acknowledged]
    answered_before = sum(1 for _, r in promised if r.answer)
    thinking = sum(1 for _, r in promised if r.thinking)

    # The next run answers every acknowledged command, without the member asking again.
    restarted = asyncio.get_running_loop().time()
    second = await runs.start(fake, env)
    try:
        await eventually(lambda: all(r.answer for _, r in promised), timeout=60)
        later = [r.answered_at for _, r in promised if r.answered_at and r.answered_at > restarted]
        print(
            f"seed {seed}: {len(promised)} acknowledged ({thinking} with thinking…), "
            f"{answered_before} answered before the kill; "
            + (
                f"the last answer {max(later) - restarted:.2f} s after the restart began"
                if later
                else "none left to answer"
            )
        )
        await ask_again_unanswered(fake, members, results)
    finally:
        await kill(second)
    await assert_registered_once_each(env, now, members, promised, capacity=10)


@pytest.mark.parametrize("hour", range(24))
def test_the_crash_meetings_never_cross_midnight(hour: int) -> None:
    start = datetime(2026, 12, 31, hour, 59, tzinfo=UTC)
    local = start.astimezone(zone_at_mid_morning(start))
    assert 10 <= local.hour < 11
    assert (local + timedelta(hours=1)).date() == local.date()
