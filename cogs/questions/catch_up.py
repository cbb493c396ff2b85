"""What a crash or a failure of Discord left undone about questions, made at start and every
minute: the moderation cards not posted, the approved questions not published, the DMs owed.
Each is made once whoever else makes it at the same time (see `QuestionRelay`, `QuestionDms`)."""

from __future__ import annotations

import asyncio
import logging

from bot.client import AmphiBot
from cogs.questions.dms import QuestionDms
from cogs.questions.relay import QuestionRelay

log = logging.getLogger(__name__)

CATCH_UP_SECONDS = 60.0


class QuestionCatchUp:
    """The questions' catch-up pass; the cog keeps it running in the background."""

    def __init__(self, bot: AmphiBot, relay: QuestionRelay, dms: QuestionDms) -> None:
        self.bot = bot
        self.relay = relay
        self.dms = dms

    async def run(self) -> None:
        """Post the missing moderation cards, publish what was approved, send the owed DMs."""
        await self.relay.catch_up_cards()
        for question in await self.relay.publish_approved():
            await self.dms.approved(question)
        await self.dms.deliver_owed()

    async def keep_running(self, interval: float = CATCH_UP_SECONDS) -> None:
        """A pass once the bot is ready, and one every `interval` seconds."""
        await self.bot.wait_until_ready()
        while True:
            try:
                await self.run()
            except Exception:
                log.exception("Could not catch up on questions; trying again later")
            await asyncio.sleep(interval)
