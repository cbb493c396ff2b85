"""Throttled, resumable DM delivery: one row per recipient, claimed before the DM is sent."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.core.clock import Clock
from bot.core.errors import Deposed
from bot.dms import queries as store
from bot.dms.model import DeliveryReport, DmClosed, DmThrottled
from bot.posts.model import nonce_for
from bot.posts.service import NONCE_WINDOW
from bot.store.db import Database

log = logging.getLogger(__name__)

DEFAULT_RATE = 20.0  # DMs a second, well under Discord's global 50 requests a second
MAX_PAUSES = 5


class DmChannels:
    """The DM channel opened with each user, remembered in the store so it is opened only once."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._known: dict[int, int] = {}

    async def known(self, user_id: int) -> int | None:
        """The DM channel already opened with `user_id`, if any."""
        channel_id = self._known.get(user_id) or await self.db.run(
            store.dm_channel, user_id=user_id
        )
        if channel_id is not None:
            self._known[user_id] = channel_id
        return channel_id

    async def remember(self, user_id: int, channel_id: int) -> None:
        """`channel_id` is the DM channel just opened with `user_id`."""
        await self.db.run(
            store.remember_dm_channel, user_id=user_id, channel_id=channel_id, write=True
        )
        self._known[user_id] = channel_id


#: Sends one DM: (user id, text, nonce). Raises DmClosed, DmThrottled or another error.
SendDm = Callable[[int, str, str], Awaitable[None]]


class Broadcaster:
    """Delivers one text per recipient, at most `rate` a second, each exactly once."""

    def __init__(self, db: Database, clock: Clock, *, rate: float = DEFAULT_RATE) -> None:
        self.db = db
        self.clock = clock
        self.rate = rate

    async def run(
        self,
        key: str,
        recipients: list[int],
        render: Callable[[int], str],
        send: SendDm,
        progress: Callable[[DeliveryReport], Awaitable[None]] | None = None,
    ) -> DeliveryReport:
        """Deliver (or resume delivering) broadcast `key`; returns the delivery report."""
        if recipients:  # none new: resuming a broadcast whose recipients were written before
            await self.db.run(store.add_recipients, key=key, user_ids=recipients, write=True)
        rows = await self.db.run(store.deliveries, key=key)
        report = DeliveryReport(total=len(rows))
        interval = 1.0 / self.rate
        next_slot = asyncio.get_running_loop().time()
        for row in rows:
            if row.status == "sent":
                report.sent += 1
                continue
            if row.status == "failed":
                report.failures[row.detail] += 1
                continue
            if row.status == "sending" and not self._may_resend(row.claimed_at):
                detail = "interrupted while sending; not repeated"
                await self._finish(key, row.user_id, "failed", detail)
                report.failures[detail] += 1
                continue
            if row.status == "pending" and not await self.db.run(
                store.claim, key=key, user_id=row.user_id, now=self.clock(), write=True
            ):
                continue
            loop_now = asyncio.get_running_loop().time()
            if next_slot > loop_now:
                await asyncio.sleep(next_slot - loop_now)
            next_slot = max(next_slot, asyncio.get_running_loop().time()) + interval
            status, detail = await self._send(key, row.user_id, render(row.user_id), send)
            await self._finish(key, row.user_id, status, detail)
            if status == "sent":
                report.sent += 1
            else:
                report.failures[detail] += 1
            if progress is not None:
                await progress(report)
        return report

    def _may_resend(self, claimed_at: datetime | None) -> bool:
        return claimed_at is not None and self.clock() - claimed_at <= NONCE_WINDOW

    async def _send(self, key: str, user_id: int, text: str, send: SendDm) -> tuple[str, str]:
        nonce = nonce_for(f"{key}:{user_id}")
        for _ in range(MAX_PAUSES):
            try:
                await send(user_id, text, nonce)
            except DmClosed:
                return "failed", "DMs closed"
            except DmThrottled as throttled:
                log.info("DMs throttled by Discord; pausing %.1f s", throttled.retry_after)
                await asyncio.sleep(throttled.retry_after)
                continue
            except Deposed:
                raise  # not a failure of this DM: the next active sends it, claimed as it is
            except Exception as error:
                log.warning("DM to %s failed: %s", user_id, error)
                return "failed", f"{type(error).__name__}: {error}"[:100]
            return "sent", ""
        return "failed", "Discord kept asking to slow down"

    async def _finish(self, key: str, user_id: int, status: str, detail: str) -> None:
        await self.db.run(
            store.finish,
            key=key,
            user_id=user_id,
            status=status,
            detail=detail,
            now=self.clock(),
            write=True,
        )


def throttle_floor(count: int, rate: float) -> timedelta:
    """The least time `count` DMs take at `rate` a second."""
    return timedelta(seconds=max(count - 1, 0) / rate)
