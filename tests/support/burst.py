"""A registration burst cut short by a kill, as the crash and takeover tests play it: another
writer holding the seats' lock as it begins, and the store checked once the bot is back."""

from __future__ import annotations

import asyncio
import random
import sqlite3
import threading
from datetime import datetime

import psycopg
from sqlalchemy.engine import make_url

from bot.core.config import load_settings
from bot.services import prepare
from tests.support.harness import eventually

#: How long another writer holds the seats' lock at the start of an odd seed's burst: past
#: Amphi's wait for an answer in the first response, short of Discord's 3-second deadline.
HOLD_SECONDS = 1.3


def hold_the_seats(database_url: str, held: threading.Event) -> None:
    """Another writer holds the seats' lock for `HOLD_SECONDS`: the burst's effects wait, so its
    commands are written down, acknowledged with "thinking…" and answered later (on SQLite the
    write of the kept commands waits too, and some go each way), the promises a kill can catch
    half done."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        connection = sqlite3.connect(str(url.database), isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            held.set()
            threading.Event().wait(HOLD_SECONDS)
            connection.execute("ROLLBACK")
        finally:
            connection.close()
        return
    dsn = f"host={url.host} port={url.port} user={url.username} dbname={url.database}"
    with psycopg.connect(dsn) as connection:
        connection.execute("SELECT 1 FROM registration_control FOR UPDATE")
        held.set()
        threading.Event().wait(HOLD_SECONDS)
        connection.rollback()


async def assert_registered_once_each(
    env: dict[str, str], now: datetime, members, promised, *, capacity: int
) -> None:
    """Every member registered once, never more seated than `capacity`, the waitlist numbered
    without a gap, and every acknowledged command's answer as the store says."""
    services = prepare(load_settings(env), clock=lambda: now)
    try:
        everyone = await services.registration.all_registrations()
    finally:
        services.close()
    assert sorted(r.user_id for r in everyone) == sorted(m.id for m in members)  # once each
    seated = {r.user_id for r in everyone if r.position is None}
    assert len(seated) == capacity  # the meeting's capacity: never more
    positions = sorted(r.position for r in everyone if r.position is not None)
    assert positions == list(range(1, len(members) - capacity + 1))
    for member, result in promised:  # every answer agrees with the store
        assert result.answer is not None
        assert ("have a seat" in result.answer) == (member.id in seated), result.answer


#: What every member of a burst asks.
IN_PERSON = {"mode": "in_person", "member": True}


async def burst_cut_short(fake, database_url: str, members, seed: int, cut) -> list:
    """Every member runs `/register` at once (on odd seeds with the seats' lock held first, so
    that commands are acknowledged with "thinking…" before they are answered); `await cut()` at
    a seeded moment once one is acknowledged. What each member's command got."""
    holding = None
    if seed % 2:
        held = threading.Event()
        holding = asyncio.ensure_future(asyncio.to_thread(hold_the_seats, database_url, held))
        await eventually(held.is_set)
    burst = [asyncio.ensure_future(fake.invoke("register", IN_PERSON, user=m)) for m in members]
    await eventually(lambda: any(t.done() and t.result().acknowledged for t in burst))
    await asyncio.sleep(random.Random(seed).uniform(0, 0.6))
    await cut()
    results = await asyncio.gather(*burst)
    if holding is not None:
        await holding
    return results


async def ask_again_unanswered(fake, members, results) -> None:
    """The members whose command was never acknowledged saw "did not respond": they register
    again and are told how they stand."""
    for member, result in zip(members, results, strict=True):
        if not result.acknowledged:
            retry = await fake.invoke("register", IN_PERSON, user=member)
            assert "registered" in (await retry.message(timeout=10)).content
