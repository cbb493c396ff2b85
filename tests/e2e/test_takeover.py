"""Several `amphi run` processes on one store: the standbys stay off Discord while the active
lives, and one of them takes over when it dies or stops: one gateway session at a time."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fake_discord import Latency
from tests.support.harness import eventually
from tests.support.processes import kill, meeting_file, posts_due_in, register_remote, run_env
from tests.support.takeover import (
    HANDOVER_PROMISE,
    TAKEOVER_PROMISE,
    assert_one_session_at_a_time,
    live_connection,
    opened,
    says_active,
    signal_active,
    taken_over,
)

OPTIONS = {"mode": "in_person", "member": True}


def a_meeting(tmp_path: Path) -> Path:
    now = datetime.now(UTC)
    start = (now + timedelta(minutes=30)).replace(second=0, microsecond=0)
    return meeting_file(tmp_path, start, start - timedelta(minutes=5), start)


async def registered(fake, name: str) -> str:
    """A new member registers; what they are told (the active must answer at once)."""
    member = fake.add_member(name)
    result = await fake.invoke("register", OPTIONS, user=member)
    answer = (await result.message(timeout=10)).content
    assert "registered" in answer, answer
    return answer


async def keep_registering(fake, prefix: str, answered: list[str]) -> None:
    """Members register one after another, each answered, until cancelled."""
    while True:
        answered.append(await registered(fake, f"{prefix}{len(answered)}"))
        await asyncio.sleep(0.2)


@pytest.mark.parametrize(
    ("database_url", "standbys"),
    [("sqlite", 1), pytest.param("postgresql", 2, marks=pytest.mark.postgres)],
    indirect=["database_url"],
)
async def test_standbys_stay_off_discord_and_take_over_one_at_a_time(
    fake, tmp_path: Path, database_url: str, runs, standbys: int
) -> None:
    # A 3-second lease (renewed every second) keeps the test short; the default lease's
    # takeover is measured by the graceful-stop test below.
    env = run_env(fake, a_meeting(tmp_path), database_url, AMPHI_LEASE_SECONDS="3")
    processes = [await runs.start(fake, env)]
    for _ in range(standbys):
        processes.append(await runs.start_standby(env))
    try:
        # Four renewal periods with members registering: the active answers them all, and no
        # standby as much as opens a websocket.
        answered: list[str] = []
        registering = asyncio.ensure_future(keep_registering(fake, "r", answered))
        await asyncio.sleep(4.0)
        registering.cancel()
        assert len(answered) >= 5
        assert fake.gateway.most_live_sessions == 1
        assert opened(fake) == 1, fake.gateway.timeline
        for number in range(2, standbys + 2):
            assert "Standing by" in runs.log_of(number)
            assert not says_active(runs, number)

        # The active dies: exactly one standby takes over, the others keep standing by; then it
        # dies in turn, and the next takes over.
        alive = list(range(len(processes)))  # indexes into `processes`; runs are numbered from 1
        for round_ in range(standbys):
            dead = live_connection(fake)
            killed_at = await signal_active(processes[alive.pop(0)], signal.SIGKILL)
            _new, took = await taken_over(fake, dead, killed_at)
            print(
                f"takeover {_store(database_url)} round {round_ + 1}: "
                f"kill -9 → standby live after {took:.2f} s"
            )
            actives = [i for i in alive if says_active(runs, i + 1)]
            assert len(actives) == 1, runs.output()
            alive.remove(actives[0])
            alive.insert(0, actives[0])  # the active first, the standbys after
            await registered(fake, f"after{round_}")
            assert_one_session_at_a_time(fake)
        await asyncio.sleep(1.0)  # the last standby stays off (on PostgreSQL: none left)
        assert_one_session_at_a_time(fake)
        assert opened(fake) == standbys + 1, fake.gateway.timeline
    finally:
        for process in processes:
            await kill(process)
    assert fake.already_acknowledged == []


async def test_a_graceful_stop_hands_over_and_a_restarted_process_stands_by(
    fake, tmp_path: Path, database_url: str, runs
) -> None:
    # The default lease (10 s): AMPHI_LEASE_SECONDS is not set.
    env = run_env(fake, a_meeting(tmp_path), database_url)
    first = await runs.start(fake, env)
    second = await runs.start_standby(env)
    third = None
    try:
        # SIGTERM: the active stops cleanly, releases the lease, and the standby is live at once.
        dead = live_connection(fake)
        stopped_at = await signal_active(first, signal.SIGTERM)
        assert await asyncio.wait_for(first.wait(), 15) == 0, runs.log_of(1)
        assert "Released the lease" in runs.log_of(1)
        live, took = await taken_over(fake, dead, stopped_at, timeout=10)
        print(f"takeover {_store(database_url)}: SIGTERM → standby live after {took:.2f} s")
        assert took <= HANDOVER_PROMISE
        await registered(fake, "right-after")

        # The stopped process starts again: it stands by, and opens no websocket.
        third = await runs.start_standby(env)
        await asyncio.sleep(1.0)
        assert not says_active(runs, 3)
        assert opened(fake) == 2, fake.gateway.timeline

        # kill -9 of the active: the restarted process takes over within the promise.
        killed_at = await signal_active(second, signal.SIGKILL)
        _new, took = await taken_over(fake, live, killed_at, timeout=TAKEOVER_PROMISE + 5)
        print(
            f"takeover {_store(database_url)}: "
            f"kill -9 → standby live after {took:.2f} s (default lease)"
        )
        assert took <= TAKEOVER_PROMISE
        assert says_active(runs, 3)
        await registered(fake, "after-the-kill")
        assert_one_session_at_a_time(fake)
    finally:
        for process in (first, second, third):
            if process is not None:
                await kill(process)
    assert fake.already_acknowledged == []


def _store(database_url: str) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


MEMBERS = 120
LINK = "https://video.example/handover-test"


async def test_a_stop_in_the_middle_of_a_dm_broadcast_hands_over_at_once_and_each_dm_arrives_once(
    fake, tmp_path: Path, database_url: str, runs
) -> None:
    # The default lease (10 s). 120 link DMs at 40 a second take 3 s: the stop catches the
    # broadcast under way, and the standby, not the stopping process, finishes it. As the stop
    # comes, Discord slows to 300 ms a request: a DM is under way as the process leaves Discord.
    now = datetime.now(UTC)
    start = (now + timedelta(minutes=3)).replace(second=0, microsecond=0)
    meetings = meeting_file(tmp_path, start, start, start)  # its posts are planned below
    env = run_env(fake, meetings, database_url, REMOTE_LINK=LINK, DM_RATE="40")
    members = [fake.add_member(f"h{i}") for i in range(MEMBERS)]
    await register_remote(env, members, now)
    posts_due_in(tmp_path, start, reminder=11, link_dms=12)

    def delivered() -> int:
        return sum(1 for m in members if fake.dms(m))

    (first, active), (second, standby) = await runs.start_pair(fake, env)
    try:
        assert delivered() == 0, "the processes took too long to start"
        await eventually(lambda: delivered() >= 20, timeout=45, interval=0.01)
        dead = live_connection(fake)
        fake.traffic.latency = Latency(300.0, sigma=0.0)  # REST only, not the gateway
        stopped_at = await signal_active(first, signal.SIGTERM)
        before = delivered()
        # Back to speed once the stopping process is off the gateway, before the standby
        # can take the lease (released after that).
        await eventually(lambda: fake.gateway.closed_at(dead) is not None, timeout=10)
        fake.traffic.latency = None
        _live, took = await taken_over(fake, dead, stopped_at, timeout=10)
        print(
            f"handover {_store(database_url)}: SIGTERM with {before} of {MEMBERS} DMs "
            f"delivered → standby live after {took:.2f} s"
        )
        assert took <= HANDOVER_PROMISE
        assert before < MEMBERS  # the stop caught the broadcast under way
        assert await asyncio.wait_for(first.wait(), 15) == 0, runs.log_of(active)
        assert "Released the lease" in runs.log_of(active)
        assert "Traceback" not in runs.log_of(active)
        await eventually(lambda: delivered() == MEMBERS, timeout=60)
        # The DM cut short by the stop is no failure: the standby sent it (same nonce).
        await eventually(lambda: f"{MEMBERS} sent, 0 failed" in runs.log_of(standby), timeout=10)
        await asyncio.sleep(1.0)  # time for anything extra to arrive
    finally:
        await kill(first)
        await kill(second)

    assert_one_session_at_a_time(fake)
    assert fake.already_acknowledged == []
    assert [len(fake.dms(m)) for m in members] == [1] * MEMBERS
    assert all(LINK in fake.dms(m)[0].content for m in members)


async def test_a_standby_told_to_stop_stops_cleanly(fake, tmp_path: Path, runs) -> None:
    # Store-independent (the process's own loop): SQLite only. A 3-second lease, to run faster.
    database = f"sqlite:///{tmp_path / 'amphi.sqlite3'}"
    env = run_env(fake, a_meeting(tmp_path), database, AMPHI_LEASE_SECONDS="3")
    active = await runs.start(fake, env)
    standby = await runs.start_standby(env)
    try:
        standby.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(standby.wait(), 15) == 0, runs.log_of(2)
        assert "Traceback" not in runs.log_of(2)
        assert not says_active(runs, 2)  # it never took the lease on its way out
        await registered(fake, "still-answered")  # the active carries on, alone on the gateway
        assert opened(fake) == 1, fake.gateway.timeline
    finally:
        await kill(active)
        await kill(standby)
