"""The review cards in REVIEW_CHANNEL: one per proposal, posted once, edited on every change.

A card carries a nonce derived from its proposal (Discord returns the earlier message for a
nonce it saw in the last few minutes), and the catch-up pass looks for a card among the
channel's latest messages, by its buttons, before it posts one whose id was not kept.
"""

from __future__ import annotations

import asyncio
import logging
import re

import discord

from bot.client import AmphiBot
from bot.core.config import Settings
from bot.core.i18n import Translator, translator_for
from bot.posts.model import nonce_for
from bot.proposals.model import Proposal, ProposalStatus
from bot.proposals.render import proposal_card
from bot.proposals.service import ProposalService
from cogs.common import card_to_embed, find_channel
from cogs.proposals.buttons import card_view

log = logging.getLogger(__name__)

#: How many of the channel's latest messages a catch-up reads to find a card already posted.
HISTORY_SCAN = 500
CATCH_UP_SECONDS = 60.0

_CARD = re.compile(r"amphi:pp:review:(\d+)")


def card_nonce(proposal_id: int) -> str:
    """The nonce of a proposal's review card."""
    return nonce_for(f"proposal-card:{proposal_id}")


class ReviewCards:
    """Posts and edits the review cards; the cog calls it after each change."""

    def __init__(self, bot: AmphiBot, settings: Settings, service: ProposalService) -> None:
        self.bot = bot
        self.settings = settings
        self.service = service
        self._locks: dict[int, asyncio.Lock] = {}

    def channel_reader(self) -> Translator:
        """The cards are read by every organizer: the server's language."""
        guild = self.bot.get_guild(self.settings.guild_id or 0)
        return translator_for(None, guild.preferred_locale.value if guild else None)

    def _channel(self) -> discord.TextChannel | None:
        return find_channel(
            self.bot.get_guild(self.settings.guild_id or 0), self.settings.review_channel
        )

    async def render(self, proposal: Proposal) -> tuple[discord.Embed, discord.ui.View | None]:
        """The card's embed and buttons (none once its proposer withdrew it)."""
        meeting, _open = await self.service.call()
        # An anonymous review hides the authors until the decision is told.
        anonymous = bool(meeting.call and meeting.call.anonymous_review) and not proposal.told
        tr = self.channel_reader()
        embed = card_to_embed(proposal_card(proposal, tr, anonymous=anonymous))
        withdrawn = proposal.status is ProposalStatus.WITHDRAWN
        return embed, None if withdrawn else card_view(proposal.id, tr)

    async def post(self, proposal: Proposal, *, known: discord.Message | None = None) -> None:
        """The proposal's card, posted once (or `known`, found posted already)."""
        async with self._locks.setdefault(proposal.id, asyncio.Lock()):
            fresh = await self.service.get(proposal.id)
            if fresh.card_message_id is not None:
                return
            message = known
            if message is None:
                channel = self._channel()
                if channel is None:
                    log.warning(
                        "No review channel (REVIEW_CHANNEL=%s): the card of %s waits",
                        self.settings.review_channel,
                        fresh.reference,
                    )
                    return
                embed, view = await self.render(fresh)
                message = await channel.send(
                    embed=embed,
                    view=view if view is not None else discord.utils.MISSING,
                    nonce=card_nonce(fresh.id),
                    allowed_mentions=discord.AllowedMentions.none(),
                )
            await self.service.card_posted(
                proposal_id=fresh.id, channel_id=message.channel.id, message_id=message.id
            )

    async def refresh(self, proposal_id: int) -> None:
        """Show the proposal as it stands now on its card (posting it if it has none)."""
        proposal = await self.service.get(proposal_id)
        if proposal.card_message_id is None or proposal.card_channel_id is None:
            await self.post(proposal)
            return
        embed, view = await self.render(proposal)
        channel = self.bot.get_partial_messageable(proposal.card_channel_id)
        try:
            await channel.get_partial_message(proposal.card_message_id).edit(
                embed=embed, view=view, allowed_mentions=discord.AllowedMentions.none()
            )
        except discord.HTTPException as error:
            log.warning("Could not update the card of %s: %s", proposal.reference, error)

    async def catch_up(self) -> int:
        """Post the card of every proposal that has none; how many."""
        waiting = await self.service.without_card()
        if not waiting:
            return 0
        channel = self._channel()
        if channel is None:
            log.warning("%d proposal(s) wait for the review channel", len(waiting))
            return 0
        posted = await self._posted(channel)
        done = 0
        for proposal in waiting:
            try:
                await self.post(proposal, known=posted.get(proposal.id))
            except Exception:  # the next pass tries again; the others go on
                log.warning("Could not post the card of %s", proposal.reference, exc_info=True)
            else:
                done += 1
        return done

    async def _posted(self, channel: discord.TextChannel) -> dict[int, discord.Message]:
        """Amphi's cards among the channel's latest messages, by proposal id."""
        found: dict[int, discord.Message] = {}
        me = self.bot.user.id if self.bot.user else None
        try:
            async for message in channel.history(limit=HISTORY_SCAN):
                if message.author.id != me:
                    continue
                for row in message.components:
                    for item in getattr(row, "children", ()):
                        if match := _CARD.fullmatch(getattr(item, "custom_id", None) or ""):
                            found.setdefault(int(match[1]), message)
        except discord.HTTPException as error:
            log.warning("Could not read the review channel's history: %s", error)
        return found

    async def keep_catching_up(self, interval: float = CATCH_UP_SECONDS) -> None:
        """A pass once the bot is ready, and one every `interval` seconds."""
        await self.bot.wait_until_ready()
        while True:
            try:
                await self.catch_up()
            except Exception:
                log.exception("Could not catch up on the review cards; trying again later")
            await asyncio.sleep(interval)
