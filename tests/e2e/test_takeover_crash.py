"""The active `amphi run` killed hard at seeded random moments of a registration burst, a
question round and a DM broadcast, while a standby runs beside it: the standby takes over, and
every promise is kept: nothing lost, nothing twice, one gateway session at a time.

Every test here sets AMPHI_LEASE_SECONDS=3 (5 for a burst on SQLite) to run faster (the
takeover follows in about 3 s instead of about 10); tests/e2e/test_takeover.py measures the
default lease's. In `make test` each scenario plays on one store (tests/e2e/test_takeover.py
takes over on both); `make crash` plays each on both, with 20 seeds."""

from __future__ import annotations

import asyncio
import random
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.burst import ask_again_unanswered, assert_registered_once_each, burst_cut_short
from tests.support.harness import eventually
from tests.support.processes import (
    kill,
    meeting_file,
    posts_due_in,
    register_remote,
    run_env,
    store_seeds_on,
)
from tests.support.question_round import (
    approve_as_they_come,
    assert_each_question_once,
    finish_the_round,
)
from tests.support.takeover import (
    assert_one_session_at_a_time,
    live_connection,
    signal_active,
    taken_over,
)

LEASE = {"AMPHI_LEASE_SECONDS": "3"}
#: On SQLite, an odd seed's writer holds the whole store, renewals with it, for 1.3 s: a 3 s lease
#: gives a renewal 1 s; 5 s gives it 1.7 s and a second try before the lease runs out.
BURST_LEASE = {"sqlite": {"AMPHI_LEASE_SECONDS": "5"}, "postgresql": LEASE}
BURST = 300
ASKERS = 60
MEMBERS = 120
LINK = "https://video.example/takeover-test"


def _store(database_url: str) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


async def kill_and_take_over(fake, active, database_url: str, seed: int) -> None:
    """kill -9 of `active`; returns once the standby's session is live, saying how long it took."""
    dead = live_connection(fake)
    killed_at = await signal_active(active, signal.SIGKILL)
    _new, took = await taken_over(fake, dead, killed_at)
    print(f"takeover {_store(database_url)} seed {seed}: kill -9 → standby live after {took:.2f} s")


@pytest.mark.parametrize(
    ("database_url", "seed"), store_seeds_on("postgresql"), indirect=["database_url"]
)
async def test_a_standby_takes_over_a_burst_and_keeps_every_promise(
    fake, tmp_path: Path, database_url: str, runs, seed: int
) -> None:
    now = datetime.now(UTC)
    start = (now + timedelta(minutes=30)).replace(second=0, microsecond=0)
    meetings = meeting_file(tmp_path, start, start - timedelta(minutes=5), start)
    env = run_env(fake, meetings, database_url, **BURST_LEASE[_store(database_url)])
    members = [fake.add_member(f"b{seed}-{i}") for i in range(BURST)]

    # Killed at a seeded random moment while 300 people register at once; on odd seeds the
    # store is slow at first, so the kill catches commands acknowledged but not yet answered.
    active = await runs.start(fake, env)
    standby = await runs.start_standby(env)
    try:
        results = await burst_cut_short(
            fake,
            database_url,
            members,
            seed,
            lambda: kill_and_take_over(fake, active, database_url, seed),
        )
        promised = [(m, r) for m, r in zip(members, results, strict=True) if r.acknowledged]
        # The standby, now active, answers every acknowledged command, unasked.
        await eventually(lambda: all(r.answer for _, r in promised), timeout=60)
        thinking = sum(1 for _, r in promised if r.thinking)
        print(f"seed {seed}: {len(promised)} acknowledged ({thinking} with thinking…)")
        await ask_again_unanswered(fake, members, results)
    finally:
        await kill(active)
        await kill(standby)
    assert_one_session_at_a_time(fake)
    assert fake.already_acknowledged == []
    await assert_registered_once_each(env, now, members, promised, capacity=10)


@pytest.mark.parametrize(
    ("database_url", "seed"), store_seeds_on("sqlite"), indirect=["database_url"]
)
async def test_a_standby_takes_over_a_question_round_and_keeps_every_promise(
    fake, tmp_path: Path, database_url: str, runs, seed: int
) -> None:
    now = datetime.now(UTC)
    start = (now - timedelta(minutes=2)).replace(second=0, microsecond=0)  # the talk is on
    meetings = meeting_file(tmp_path, start, start - timedelta(minutes=5), start)
    env = run_env(fake, meetings, database_url, **LEASE)
    moderator = fake.add_member(f"mod{seed}", roles=["Moderator"])
    organizer = fake.add_member(f"org{seed}", roles=["Organizer"])
    speaker = fake.add_member(f"ada{seed}")
    askers = [fake.add_member(f"q{seed}-{i}") for i in range(ASKERS)]
    text = {m.id: f"Question {i} of seed {seed}?" for i, m in enumerate(askers)}

    active = await runs.start(fake, env)
    standby = await runs.start_standby(env)
    try:
        linked = await fake.invoke(
            "speaker link", {"talk": "a-talk", "user": speaker}, user=organizer
        )
        assert "is now linked" in (await linked.message(timeout=10)).content
        # Moderators approve cards as they come, before and after the takeover.
        clicked: set[int] = set()
        approving = asyncio.ensure_future(approve_as_they_come(fake, moderator, clicked))
        asks = [
            asyncio.ensure_future(fake.invoke("ask", {"question": text[m.id]}, user=m))
            for m in askers
        ]
        await eventually(lambda: any(t.done() and t.result().acknowledged for t in asks))
        await asyncio.sleep(random.Random(seed).uniform(0, 1.0))
        await kill_and_take_over(fake, active, database_url, seed)
        results = await asyncio.gather(*asks)
        # A click on the dead active's cards went unanswered: the moderator clicks again.
        clicked.clear()
        stored = await finish_the_round(fake, env, now, askers, results, text, speaker)
        approving.cancel()
    finally:
        await kill(active)
        await kill(standby)

    assert_one_session_at_a_time(fake)
    assert fake.already_acknowledged == []
    assert_each_question_once(fake, stored, askers, results, text, speaker)


@pytest.mark.parametrize(
    ("database_url", "seed"), store_seeds_on("postgresql"), indirect=["database_url"]
)
async def test_a_standby_takes_over_a_dm_broadcast_and_keeps_every_promise(
    fake, tmp_path: Path, database_url: str, runs, seed: int
) -> None:
    now = datetime.now(UTC)
    start = (now + timedelta(minutes=3)).replace(second=0, microsecond=0)
    meetings = meeting_file(tmp_path, start, start, start)  # its posts are planned below
    env = run_env(fake, meetings, database_url, REMOTE_LINK=LINK, DM_RATE="20", **LEASE)
    members = [fake.add_member(f"d{seed}-{i}") for i in range(MEMBERS)]
    await register_remote(env, members, now)
    # The reminder goes out just before the DMs, which last 6 s (120 at 20 a second).
    posts_due_in(tmp_path, start, reminder=11, link_dms=12)

    def delivered() -> int:
        return sum(1 for m in members if fake.dms(m))

    (active, _), (standby, _) = await runs.start_pair(fake, env)
    try:
        # Killed at a seeded moment of the broadcast.
        await eventually(lambda: delivered() >= 1, timeout=30)
        await asyncio.sleep(random.Random(seed).uniform(0, 2.0))
        halfway = delivered()
        await kill_and_take_over(fake, active, database_url, seed)
        print(f"seed {seed}: {halfway} of {MEMBERS} DMs delivered before the kill")
        assert halfway < MEMBERS  # the kill caught the broadcast under way
        await eventually(lambda: delivered() == MEMBERS, timeout=60)
        await asyncio.sleep(1.0)  # time for anything extra to arrive
    finally:
        await kill(active)
        await kill(standby)

    assert_one_session_at_a_time(fake)
    [reminder] = fake.messages("announcements")
    assert "**Session 1** of Crash test starts" in reminder.content
    assert [len(fake.dms(m)) for m in members] == [1] * MEMBERS
    assert all(LINK in fake.dms(m)[0].content for m in members)
