"""A /propose an earlier run acknowledged and did not answer (see `bot.kept`): the proposal is
stored once, its card posted, and the member answered with its reference."""

from __future__ import annotations

import logging

from bot.client import AmphiBot
from bot.core.errors import AmphiError
from bot.core.i18n import translator_for
from bot.kept.model import KeptCommand, KeptState, refusal_of
from bot.kept.service import Finish
from bot.proposals.model import Draft
from bot.proposals.render import proposal_answer
from bot.proposals.service import ProposalService
from cogs.kept import answer_kept, was_acknowledged
from cogs.proposals.cards import ReviewCards
from cogs.proposals.forms import text_back

log = logging.getLogger(__name__)

#: The kind of kept command a /propose is written down as.
PROPOSE = "proposal"


class KeptProposals:
    """Finishes kept /propose commands."""

    def __init__(self, bot: AmphiBot, service: ProposalService, cards: ReviewCards) -> None:
        self.bot = bot
        self.service = service
        self.cards = cards

    def kinds(self) -> dict[str, Finish]:
        """Each kind with the method that finishes it."""
        return {PROPOSE: self.propose}

    async def propose(self, command: KeptCommand) -> None:
        """The proposal stored once (if the member was told "thinking…"), answered."""
        tr = translator_for(command.locale, command.guild_locale or None)
        options = command.options
        draft = Draft(**options["draft"])
        if command.state is KeptState.RECEIVED and not await self._promised(command):
            return  # the member saw it fail, their text still in the form: no proposal
        try:
            if command.state is KeptState.RECEIVED:
                proposal = await self.service.propose(
                    user_id=command.user_id,
                    display_name=options["display_name"],
                    draft=draft,
                    locale=command.locale,
                    command=command,
                )
            elif kept_refusal := refusal_of(command.result):
                raise kept_refusal
            else:
                proposal = await self.service.get(int(command.result["proposal"]))
        except AmphiError as refusal:
            await self._answer(command, text_back(refusal.user_message(tr), draft, tr))
            return
        meeting, _open = await self.service.call()
        try:
            await self.cards.post(proposal)
        except Exception:
            log.warning("The card of %s waits for the catch-up", proposal.reference, exc_info=True)
        await self._answer(command, proposal_answer(proposal, meeting, tr))

    async def _promised(self, command: KeptCommand) -> bool:
        """Whether the member was told "thinking…" (past the token's life: assume so)."""
        if not command.can_be_answered(self.service.clock()):
            return True
        return await was_acknowledged(self.bot, command)

    async def _answer(self, command: KeptCommand, text: str) -> None:
        if command.can_be_answered(self.service.clock()):
            await answer_kept(self.bot, command, text, suppress_embeds=True)
