"""Registration burst: 1,000 members run /register at once at a 600-seat meeting.

Measures, from each interaction's dispatch: the bot's first response (the defer), the reply (the
follow-up that carries the result), and the time until every registration is stored; then 50
cancellations and the promotions they cause. The floor is a minimal discord.py bot that only
answers /ping, against the same fake, in the same process.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

import discord
from discord import app_commands

from bench.stats import LoopTicker, summary_ms
from tests.conftest import postgres_reason
from tests.fake_discord import fake_discord, start_test_bot, stop_test_bot
from tests.harness import BEFORE_MEETING, FakeClock, eventually, running_amphi, test_settings

MEMBERS = 1000
CANCELLATIONS = 50
DEADLINE = 3.0


def latencies(results) -> dict[str, dict[str, float] | int]:
    """First-response and reply latencies of interaction results."""
    first = [r.acknowledged_at - r.created for r in results if r.acknowledged_at]
    reply = [
        (r.first_followup_at or r.acknowledged_at) - r.created
        for r in results
        if r.first_followup_at or r.acknowledged_at
    ]
    return {
        "first_response": summary_ms(first),
        "reply": summary_ms(reply),
        "over_3s": sum(1 for x in first if x > DEADLINE),
        "unanswered": len(results) - len(first),
    }


async def floor(members: int = MEMBERS) -> dict:
    """A bot that only answers /ping: what discord.py and the fake cost by themselves."""
    async with fake_discord() as fake:
        fake.interaction_deadline = 120
        client = discord.Client(intents=discord.Intents.none(), guild_ready_timeout=0.1)
        tree = app_commands.CommandTree(client)

        @tree.command(name="ping", description="pong")
        async def ping(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("pong", ephemeral=True)

        async def setup_hook() -> None:
            tree.copy_global_to(guild=discord.Object(fake.guild_id))
            await tree.sync(guild=discord.Object(fake.guild_id))

        client.setup_hook = setup_hook
        await start_test_bot(client, fake)
        try:
            people = [fake.add_member(f"p{i}") for i in range(members)]
            ticker = LoopTicker()
            ticker.start()
            start = time.perf_counter()
            results = await asyncio.gather(*(fake.invoke("ping", user=p) for p in people))
            for result in results:
                await result.response(timeout=120)
            drained = time.perf_counter() - start
            await ticker.stop()
        finally:
            await stop_test_bot(client)
    return {
        "bot": "floor (/ping)",
        **latencies(results),
        "drain_s": round(drained, 2),
        "longest_loop_stall_ms": round(ticker.longest * 1000, 1),
    }


async def amphi_burst(store: str, members: int = MEMBERS) -> dict:
    """Amphi's /register burst on `store` ("sqlite" or "postgresql")."""
    folder = Path(tempfile.mkdtemp(prefix="amphi-bench-"))
    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    if store == "postgresql":
        url = await asyncio.to_thread(create_postgres_database)
    try:
        return await _burst(store, url, members)
    finally:
        if store == "postgresql":
            await asyncio.to_thread(drop_postgres_database, url.rsplit("/", 1)[1])


async def _burst(store: str, url: str, members: int) -> dict:
    async with fake_discord() as fake:
        fake.interaction_deadline = 120
        settings = test_settings(fake, url)
        async with running_amphi(fake, settings, FakeClock(BEFORE_MEETING)) as (_bot, services):
            people = [fake.add_member(f"p{i}") for i in range(members)]
            ticker = LoopTicker()
            ticker.start()
            start = time.perf_counter()
            results = await asyncio.gather(
                *(
                    fake.invoke("register", {"mode": "in_person", "member": i % 2 == 0}, user=p)
                    for i, p in enumerate(people)
                )
            )
            replies = [await r.message(timeout=120) for r in results]
            drained = time.perf_counter() - start
            await ticker.stop()
            figures = await services.registration.figures()
            assert (figures.in_person, figures.waitlist) == (600, members - 600), figures
            seated = [p for p, m in zip(people, replies, strict=True) if "have a seat" in m.content]

            start = time.perf_counter()
            cancels = await asyncio.gather(
                *(fake.invoke("unregister", user=p) for p in seated[:CANCELLATIONS])
            )
            for cancel in cancels:
                await cancel.message(timeout=120)
            await eventually(
                lambda: sum(len(fake.dms(p)) for p in people) >= CANCELLATIONS, timeout=120
            )
            promotions = time.perf_counter() - start
    return {
        "bot": f"amphi /register ({store})",
        **latencies(results),
        "drain_s": round(drained, 2),
        "cancel_50_and_promote_s": round(promotions, 2),
        "longest_loop_stall_ms": round(ticker.longest * 1000, 1),
    }


ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test"


def create_postgres_database() -> str:
    import uuid

    import psycopg

    name = f"amphi_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def drop_postgres_database(name: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def run() -> list[dict]:
    """Every row of the registration table."""
    rows = [await floor(), await amphi_burst("sqlite")]
    reason = postgres_reason()
    if reason:
        rows.append({"bot": "amphi /register (postgresql)", "skipped": reason})
    else:
        rows.append(await amphi_burst("postgresql"))
    return rows
