"""Helpers to run a real discord.py bot against a FakeDiscord inside a test."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import discord.http

from .server import FakeDiscord

_running: dict[int, tuple[asyncio.Task[None], contextlib.ExitStack]] = {}


async def start_test_bot(
    bot: Any,
    fake: FakeDiscord,
    *,
    timeout: float = 5.0,  # noqa: ASYNC109 - the public API takes timeout=
) -> asyncio.Task[None]:
    """Run ``bot.start(fake.token)`` as a task and wait until the bot is ready."""
    stack = contextlib.ExitStack()
    if fake.rest_base != discord.http.Route.BASE:
        # Patch only when the test has not: stop_test_bot undoes what was done here.
        stack.enter_context(fake.patch_discord())
    task = asyncio.create_task(bot.start(fake.token), name=f"test-bot-{id(bot)}")
    _running[id(bot)] = (task, stack)
    try:
        async with asyncio.timeout(timeout):
            # wait_until_ready() cannot be awaited before login has created its event, so poll.
            while not bot.is_ready():
                if task.done():
                    task.result()
                    raise RuntimeError("the bot stopped before it was ready")
                await asyncio.sleep(0.01)
    except BaseException:
        await stop_test_bot(bot)
        raise
    return task


async def stop_test_bot(bot: Any, *, timeout: float = 5.0) -> None:  # noqa: ASYNC109 - the public API takes timeout=
    """Close a bot started by start_test_bot and wait for its task to end."""
    task, stack = _running.pop(id(bot), (None, contextlib.ExitStack()))
    try:
        await asyncio.wait_for(bot.close(), timeout)
        if task is not None:
            done, _ = await asyncio.wait({task}, timeout=timeout)
            if not done:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            elif not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
    finally:
        stack.close()


@contextlib.asynccontextmanager
async def running_bot(bot: Any, fake: FakeDiscord, *, timeout: float = 5.0) -> AsyncIterator[Any]:  # noqa: ASYNC109 - the public API takes timeout=
    """``async with running_bot(bot, fake):`` starts the bot and always stops it."""
    await start_test_bot(bot, fake, timeout=timeout)
    try:
        yield bot
    finally:
        await stop_test_bot(bot)


@contextlib.asynccontextmanager
async def fake_discord(**kwargs: Any) -> AsyncIterator[FakeDiscord]:
    """A started, patched FakeDiscord that is closed afterwards (for async fixtures)."""
    async with FakeDiscord(**kwargs) as fake:
        with fake.patch_discord():
            yield fake
