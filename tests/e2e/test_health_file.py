"""The health file says the bot is connected: touched once it is, removed when it stops."""

from __future__ import annotations

from pathlib import Path

from tests.support.harness import (
    BEFORE_MEETING,
    FakeClock,
    eventually,
    running_amphi,
    test_settings,
)


async def test_the_health_file_is_removed_when_the_bot_stops(
    fake, sqlite_url: str, tmp_path: Path
) -> None:
    health = tmp_path / "health"
    settings = test_settings(fake, sqlite_url, AMPHI_HEALTH_FILE=str(health))
    async with running_amphi(fake, settings, FakeClock(BEFORE_MEETING)):
        await eventually(health.exists, timeout=10)
    assert not health.exists()  # a restore right after a stop is not refused for a stale file
