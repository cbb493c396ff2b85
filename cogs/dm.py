"""Direct messages: DM channels opened once and reused, Discord's refusals made explicit."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import discord

from bot.dms.model import DmClosed, DmThrottled
from bot.dms.service import DmChannels

CLOSED_DMS = 50007
OPENING_DMS_TOO_FAST = 40003


class DirectMessages:
    """Sends DMs through channels remembered in the store."""

    def __init__(self, bot: discord.Client, channels: DmChannels) -> None:
        self.bot = bot
        self.channels = channels
        self._opening: dict[int, asyncio.Lock] = {}

    async def channel(self, user_id: int) -> discord.PartialMessageable:
        """The DM channel with a user, opened only the first time (once, however many DMs
        go to them at once)."""
        channel_id = await self.channels.known(user_id)
        if channel_id is None:
            async with self._opening.setdefault(user_id, asyncio.Lock()):
                channel_id = await self.channels.known(user_id)
                if channel_id is None:
                    opened = await self.bot.create_dm(discord.Object(id=user_id))
                    channel_id = opened.id
                    await self.channels.remember(user_id, channel_id)
            self._opening.pop(user_id, None)
        return self.bot.get_partial_messageable(channel_id, type=discord.ChannelType.private)

    async def send(
        self,
        user_id: int,
        text: str,
        nonce: str | None = None,
        *,
        files: Sequence[discord.File] = (),
        suppress_embeds: bool = False,
        view: discord.ui.View | None = None,
    ) -> None:
        """DM `text` (with `files` and the buttons of `view`); raises DmClosed or DmThrottled
        for the refusals a broadcast handles."""
        try:
            channel = await self.channel(user_id)
            options: dict[str, Any] = {}
            if nonce is not None:
                options["nonce"] = nonce
            if files:
                options["files"] = list(files)
            if view is not None:
                options["view"] = view
            if suppress_embeds:  # it quotes what someone typed: no link previews
                options["suppress_embeds"] = True
            await channel.send(text, **options)
        except discord.Forbidden as error:
            if error.code == CLOSED_DMS:
                raise DmClosed() from error
            raise
        except discord.HTTPException as error:
            if error.code == OPENING_DMS_TOO_FAST or error.status == 429:
                retry_after = float(getattr(error, "retry_after", 0) or 2.0)
                raise DmThrottled(retry_after) from error
            raise
