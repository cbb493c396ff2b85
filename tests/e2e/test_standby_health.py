"""A standby keeps the health file saying "standby" while it waits, and removes it as it stops."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

from bot.app import serve
from bot.core.config import load_settings
from bot.services import prepare
from bot.standby import queries
from tests.support.harness import eventually
from tests.support.paths import SHIPPED_MEETING


async def test_a_standby_says_so_in_the_health_file_and_removes_it_as_it_stops(
    tmp_path: Path,
) -> None:
    health = tmp_path / "health"
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}",
        "AMPHI_MEETINGS": str(SHIPPED_MEETING),
        "AMPHI_HEALTH_FILE": str(health),
        "AMPHI_LEASE_SECONDS": "3",
        "DISCORD_TOKEN": "MTAxMjM0NTY3ODkwMTIzNDU2.Gabcde.never-used",
        "DISCORD_GUILD_ID": "1",
    }
    services = await asyncio.to_thread(prepare, load_settings(env))
    # Another instance holds the lease for the whole test: this one only stands by.
    other = await services.db.run(
        queries.claim, write=True, me="other:1:x", host="other", pid=1, seconds=300
    )
    assert other == 1
    serving = asyncio.create_task(serve(services))
    try:
        await eventually(lambda: health.exists() and not serving.done(), timeout=10)
        assert health.read_text(encoding="utf-8") == "standby\n"
        os.kill(os.getpid(), signal.SIGINT)  # serve's own handler: a graceful stop
        await asyncio.wait_for(serving, 10)
    finally:
        serving.cancel()
    assert not health.exists()
