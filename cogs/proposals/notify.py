"""The decisions told by DM: one DM per decision to its proposer, in their language, each
exactly once across crashes and repeated notifies (a resumable broadcast keyed by the proposal
and its decision: a changed decision is a new DM, a repeated one is not)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from bot.client import AmphiBot
from bot.core.config import Settings
from bot.core.i18n import translator_for
from bot.dms.model import DeliveryReport
from bot.dms.service import Broadcaster
from bot.programme.model import Meeting
from bot.proposals.model import Proposal, ProposalStatus
from bot.proposals.render import decision_dm
from bot.proposals.service import ProposalService
from cogs.dm import DirectMessages
from cogs.proposals.buttons import answer_view
from cogs.proposals.cards import ReviewCards

log = logging.getLogger(__name__)


def decision_key(proposal: Proposal) -> str:
    """The broadcast of one decision about one proposal."""
    return f"proposal-decision:{proposal.id}:{proposal.status.value}"


@dataclass
class NotifyReport:
    """How the decisions went out."""

    sent: int = 0
    failed: int = 0


class DecisionDms:
    """Tells each proposer the decision not told yet."""

    def __init__(
        self,
        bot: AmphiBot,
        settings: Settings,
        service: ProposalService,
        broadcaster: Broadcaster,
        dms: DirectMessages,
        cards: ReviewCards,
    ) -> None:
        self.bot = bot
        self.settings = settings
        self.service = service
        self.broadcaster = broadcaster
        self.dms = dms
        self.cards = cards
        self._lock = asyncio.Lock()  # one notify at a time in this run

    async def tell_all(self) -> NotifyReport:
        """DM every decision not told yet; the store remembers each one told."""
        async with self._lock:
            meeting, _open = await self.service.call()
            guild = self.bot.get_guild(self.settings.guild_id or 0)
            guild_locale = guild.preferred_locale.value if guild else None
            report = NotifyReport()
            for proposal in await self.service.decisions_to_tell():
                delivery = await self._tell(proposal, meeting, guild_locale)
                await self.service.told(proposal_id=proposal.id, status=proposal.status)
                report.sent += delivery.sent
                report.failed += delivery.failed
                if delivery.failed:
                    log.info("The decision on %s could not be DMed", proposal.reference)
                await self.cards.refresh(proposal.id)
            return report

    async def _tell(
        self, proposal: Proposal, meeting: Meeting, guild_locale: str | None
    ) -> DeliveryReport:
        """One decision to its proposer, in their language; an acceptance with its buttons."""
        tr = translator_for(proposal.locale or None, guild_locale)
        text = decision_dm(proposal, meeting, tr)
        accepted = proposal.status is ProposalStatus.ACCEPTED
        view = answer_view(proposal.id, tr) if accepted else None

        async def send(user_id: int, text: str, nonce: str) -> None:
            await self.dms.send(user_id, text, nonce, view=view, suppress_embeds=True)

        return await self.broadcaster.run(
            decision_key(proposal), [proposal.user_id], lambda _user: text, send
        )
