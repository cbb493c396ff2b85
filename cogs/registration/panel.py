"""The live capacity panel: one message the bot edits when a figure changes, at most every 10 s."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import discord

from bot.client import AmphiBot
from bot.core.errors import is_unavailable
from bot.core.i18n import translator_for
from bot.core.markup import Card
from bot.registration.render import render_capacity
from bot.registration.service import RegistrationService
from cogs.common import card_to_embed

log = logging.getLogger(__name__)

MIN_INTERVAL_SECONDS = 10.0


class CapacityPanel:
    """Keeps the posted panel current; `refresh()` after any change, the edits are coalesced."""

    def __init__(
        self,
        bot: AmphiBot,
        service: RegistrationService,
        interval: float = MIN_INTERVAL_SECONDS,
    ) -> None:
        self.bot = bot
        self.service = service
        self.interval = interval
        self._wanted = asyncio.Event()
        self._shown: Card | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the background updater."""
        self._task = asyncio.create_task(self._run(), name="amphi-capacity-panel")
        self.refresh()  # bring a panel posted before a restart up to date

    async def stop(self) -> None:
        """Stop the updater."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def refresh(self) -> None:
        """Figures may have changed: update the panel soon."""
        self._wanted.set()

    def adopt(self, card: Card) -> None:
        """A new panel was just posted showing `card`."""
        self._shown = card

    async def _run(self) -> None:
        await self.bot.wait_until_ready()
        loop = asyncio.get_running_loop()
        last_edit = -self.interval
        while True:
            await self._wanted.wait()
            # Coalesce: changes made while waiting out the interval become one edit.
            await asyncio.sleep(max(last_edit + self.interval - loop.time(), 0))
            self._wanted.clear()
            try:
                await self._update()
                last_edit = loop.time()  # looked: with no panel, or the same figures, too
            except Exception as error:
                # Keep the wish, and try again after the interval: the panel must catch up.
                self._wanted.set()
                last_edit = loop.time()
                if is_unavailable(error):
                    log.warning("Could not update the capacity panel yet: %s", error)
                else:
                    log.exception("Could not update the capacity panel")

    async def _update(self) -> bool:
        """Edit the panel if its figures changed; whether it was edited."""
        channel_id, message_id = await self.service.panel()
        if channel_id is None or message_id is None:
            return False
        guild = self.bot.get_guild(self.bot.settings.guild_id or 0)
        locale = guild.preferred_locale.value if guild else None
        card = render_capacity(await self.service.figures(), translator_for(None, locale))
        if card == self._shown:
            return False
        channel = self.bot.get_partial_messageable(channel_id)
        try:
            await channel.get_partial_message(message_id).edit(embed=card_to_embed(card))
        except discord.NotFound:
            log.warning("The capacity panel was deleted; post a new one with /registrations panel")
            return False
        except discord.Forbidden:
            log.warning("Amphi may not edit the capacity panel; post a new one where it may")
            return False
        self._shown = card
        return True
