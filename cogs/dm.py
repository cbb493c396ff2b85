"""Direct messages: DM channels opened once and reused, Discord's refusals made explicit."""

from __future__ import annotations

import discord

from bot.posts.broadcast import DmChannels
from bot.posts.model import DmClosed, DmThrottled

CLOSED_DMS = 50007
OPENING_DMS_TOO_FAST = 40003


class DirectMessages:
    """Sends DMs through channels remembered in the store."""

    def __init__(self, bot: discord.Client, channels: DmChannels) -> None:
        self.bot = bot
        self.channels = channels

    async def channel(self, user_id: int) -> discord.PartialMessageable:
        """The DM channel with a user, opened only the first time."""
        channel_id = await self.channels.known(user_id)
        if channel_id is None:
            opened = await self.bot.create_dm(discord.Object(id=user_id))
            channel_id = opened.id
            await self.channels.remember(user_id, channel_id)
        return self.bot.get_partial_messageable(channel_id, type=discord.ChannelType.private)

    async def send(self, user_id: int, text: str, nonce: str | None = None) -> None:
        """DM `text`; raises DmClosed or DmThrottled for the refusals a broadcast handles."""
        try:
            channel = await self.channel(user_id)
            if nonce is None:
                await channel.send(text)
            else:
                await channel.send(text, nonce=nonce)
        except discord.Forbidden as error:
            if error.code == CLOSED_DMS:
                raise DmClosed() from error
            raise
        except discord.HTTPException as error:
            if error.code == OPENING_DMS_TOO_FAST or error.status == 429:
                retry_after = float(getattr(error, "retry_after", 0) or 2.0)
                raise DmThrottled(retry_after) from error
            raise
