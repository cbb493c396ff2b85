"""The fake gateway's timeline: which connections held a session, and when, seen by real clients."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator

import discord
import pytest

from fake_discord import FakeDiscord, fake_discord, start_test_bot, stop_test_bot


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """A running, patched fake Discord."""
    async with fake_discord() as running:
        yield running


def client() -> discord.Client:
    """A discord.py client with the guilds intent only."""
    return discord.Client(intents=discord.Intents(guilds=True), guild_ready_timeout=0.1)


def steps(fake: FakeDiscord) -> list[tuple[str, int]]:
    """The timeline as (kind, connection)."""
    return [(e.kind, e.connection) for e in fake.gateway.timeline]


async def closed(fake: FakeDiscord, connection: int) -> None:
    """Wait until the fake has seen ``connection`` close."""
    gateway = fake.gateway
    await fake.changes.wait_for(
        lambda: gateway.closed_at(connection) is not None, 5, f"connection {connection} to close"
    )


async def test_two_sessions_open_at_once_are_counted(fake: FakeDiscord) -> None:
    first, second = client(), client()
    await start_test_bot(first, fake)
    await start_test_bot(second, fake)
    gateway = fake.gateway
    try:
        assert gateway.live_sessions() == 2 and gateway.most_live_sessions == 2
        assert steps(fake) == [("opened", 1), ("identified", 1), ("opened", 2), ("identified", 2)]
    finally:
        await stop_test_bot(first)
        await stop_test_bot(second)
    await closed(fake, 1)
    await closed(fake, 2)
    assert gateway.live_sessions() == 0 and gateway.most_live_sessions == 2
    identified = [e for e in gateway.timeline if e.kind == "identified"]
    assert len({e.session_id for e in identified}) == 2  # two sessions, not one resumed


async def test_one_session_after_another_is_one_at_a_time(fake: FakeDiscord) -> None:
    first, second = client(), client()
    await start_test_bot(first, fake)
    await stop_test_bot(first)
    await closed(fake, 1)
    gateway = fake.gateway
    assert gateway.live_sessions() == 0
    await start_test_bot(second, fake)
    try:
        assert gateway.live_sessions() == 1 and gateway.most_live_sessions == 1
        closed_1, identified_2 = gateway.closed_at(1), gateway.identified_at(2)
        assert closed_1 is not None and identified_2 is not None and closed_1 < identified_2
        [(one, start_1, end_1), (two, start_2, end_2)] = gateway.live_intervals()
        assert (one, two, end_1, end_2) == (1, 2, closed_1, None)
        assert start_1 < end_1 < start_2 == identified_2
    finally:
        await stop_test_bot(second)


async def test_a_dropped_connection_closes_before_the_resume(fake: FakeDiscord) -> None:
    bot = client()
    await start_test_bot(bot, fake)
    try:
        await fake.drop_gateway(code=4000)
        await fake.wait_until_connected()
    finally:
        await stop_test_bot(bot)
    await closed(fake, 2)
    gateway = fake.gateway
    assert steps(fake) == [
        ("opened", 1),
        ("identified", 1),
        ("closed", 1),
        ("opened", 2),
        ("resumed", 2),
        ("closed", 2),
    ]
    session_ids = [e.session_id for e in gateway.timeline if e.kind != "opened"]
    assert len(set(session_ids)) == 1 and session_ids[0] is not None
    assert gateway.most_live_sessions == 1 and gateway.identified_at(2) is None


LINGERING_BOT = """
import discord

client = discord.Client(intents=discord.Intents(guilds=True), guild_ready_timeout=0.1)

@client.event
async def on_ready():
    print("ready", flush=True)

client.run("fake-discord-bot-token", log_handler=None)
"""


async def test_a_killed_client_shows_up_closed_at_once(fake: FakeDiscord) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        LINGERING_BOT,
        env=fake.subprocess_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,  # a client that cannot start says why, in the failure
    )
    try:
        said = b""
        async with asyncio.timeout(15):
            while not said.endswith(b"ready\n"):
                line = await process.stdout.readline()  # type: ignore[union-attr]
                if not line:
                    pytest.fail(f"the client did not start:\n{said.decode(errors='replace')}")
                said += line
        gateway = fake.gateway
        assert gateway.live_sessions() == 1 and gateway.closed_at(1) is None
        killed_at = asyncio.get_running_loop().time()
        process.kill()  # SIGKILL: no close frame, the kernel ends the TCP connection
        await closed(fake, 1)
        closed_at = gateway.closed_at(1)
        assert closed_at is not None and closed_at - killed_at < 1.0
        assert gateway.live_sessions() == 0 and not gateway.connected
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()
