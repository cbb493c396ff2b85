"""Amphi itself against the fake Discord: settings, an injectable clock, a running bot."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

from bot.app import create_bot
from bot.client import AmphiBot
from bot.core.clock import Clock
from bot.core.config import Settings, load_settings
from bot.registration.model import Mode
from bot.registration.service import RegistrationService
from bot.services import Services, prepare
from fake_discord import FakeDiscord, start_test_bot, stop_test_bot
from tests.support.paths import SHIPPED_MEETING


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


#: Weeks before the shipped meeting: registration is open.
BEFORE_MEETING = datetime(2021, 6, 1, 9, 0, tzinfo=UTC)


def test_settings(fake: FakeDiscord, database_url: str, **env: str) -> Settings:
    """Settings that point at the fake's guild, a test database and the shipped meeting."""
    values = {
        "DISCORD_TOKEN": fake.token,
        "DISCORD_GUILD_ID": str(fake.guild_id),
        "DATABASE_URL": database_url,
        "AMPHI_MEETINGS": str(SHIPPED_MEETING),
        **env,
    }
    return load_settings(values, require_discord=True)


@contextlib.asynccontextmanager
async def running_amphi(
    fake: FakeDiscord, settings: Settings, clock: Clock
) -> AsyncIterator[tuple[AmphiBot, Services]]:
    """Amphi built by its composition root, connected to the fake until the block ends; the
    fake's time (scheduled events judge it) is the test's."""
    fake.clock = clock
    services = prepare(settings, clock=clock)
    bot = create_bot(services, guild_ready_timeout=0.1)
    try:
        await start_test_bot(bot, fake)
        await asyncio.wait_for(services.posts.started.wait(), 5)
        try:
            yield bot, services
        finally:
            await stop_test_bot(bot)
    finally:
        services.close()


def sqlite_url(folder: Path) -> str:
    """A SQLite store in `folder`."""
    return f"sqlite:///{folder / 'amphi.sqlite3'}"


test_settings.__test__ = False  # a helper, not a test


async def eventually(check, timeout: float = 5.0, interval: float = 0.01) -> None:  # noqa: ASYNC109 - a test deadline
    """Wait until `check()` holds (for effects the bot has after its reply, such as roles).

    `check` may be a coroutine function, for effects that only the store shows; poll a costly
    one less often (`interval`), as the fake Discord shares the test's process.
    """
    import asyncio
    import inspect

    async with asyncio.timeout(timeout):
        while True:
            answer = check()
            if await answer if inspect.isawaitable(answer) else answer:
                return
            await asyncio.sleep(interval)


async def settled_status(services: Services, slug: str, key: str, timeout: float = 5.0) -> str:  # noqa: ASYNC109
    """The status of a planned post once it is no longer pending or being sent."""
    async with asyncio.timeout(timeout):
        while True:
            statuses = {r.post.key: r.status for r in await services.posts.timeline(slug)}
            if statuses[key] not in ("pending", "sending"):
                return statuses[key]
            await asyncio.sleep(0.02)


async def register(service: RegistrationService, user: int, mode=Mode.IN_PERSON, **kw):
    """Register user `user` (a member when even), named `user<N>`."""
    kw.setdefault("member", user % 2 == 0)
    return await service.register(user_id=user, display_name=f"user{user}", mode=mode, **kw)


def defer_always(bot) -> None:
    """Commands of `bot` never wait for their effect: "thinking…" at once, the answer later."""
    bot.answer_wait = 0.0


def answer_later(bot, monkeypatch) -> None:
    """Commands of `bot` defer ("thinking…"), and their answer never comes: a run about to die."""
    defer_always(bot)
    monkeypatch.setattr("cogs.kept.answer", lambda *_a, **_k: asyncio.Event().wait())
