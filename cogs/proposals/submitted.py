"""What a submitted form of the call's does: a new proposal (a kept command), an edit, a review.
A refused proposal or edit gives the member their text back, to copy."""

from __future__ import annotations

import logging
from dataclasses import asdict

import discord

from bot.client import reader
from bot.core.errors import AmphiError
from bot.core.permissions import Standing
from bot.kept.model import KeptCommand
from bot.kept.service import KeptCommands
from bot.programme.model import Call, Meeting
from bot.proposals.model import Proposal
from bot.proposals.refusals import CallClosed, CallNotOpen, NoCall
from bot.proposals.render import proposal_answer
from bot.proposals.service import ProposalService
from cogs.common import ensure_standing
from cogs.kept import KeptReplies, Reply, answer, respond
from cogs.proposals.cards import ReviewCards
from cogs.proposals.forms import draft_of, text_back
from cogs.proposals.kept import PROPOSE

log = logging.getLogger(__name__)


class FormAnswers:
    """Handles the call's submitted forms for the cog."""

    def __init__(
        self,
        service: ProposalService,
        kept: KeptCommands,
        replies: KeptReplies,
        cards: ReviewCards,
    ) -> None:
        self.service = service
        self.kept = kept
        self.replies = replies
        self.cards = cards

    async def on_proposal(
        self, interaction: discord.Interaction, kind_index: int, values: dict[str, str]
    ) -> None:
        """A new proposal's form: stored (a kept command), answered, its card posted."""
        meeting, _open = await self.service.call()
        kinds = meeting.call.kinds if meeting.call else ()
        kind = kinds[kind_index] if kind_index < len(kinds) else ""
        draft = draft_of(kind, values)
        tr = reader(interaction)
        options = {
            "meeting": meeting.slug,
            "display_name": interaction.user.display_name,
            "draft": asdict(draft),
        }

        async def effect(command: KeptCommand) -> Proposal:
            return await self.service.propose(
                user_id=interaction.user.id,
                display_name=interaction.user.display_name,
                draft=draft,
                locale=interaction.locale.value,
                command=command,
            )

        try:
            proposal = await self.replies.handle(
                interaction,
                PROPOSE,
                options,
                effect,
                lambda made: Reply(proposal_answer(made, meeting, tr), suppress_embeds=True),
            )
        except AmphiError as refusal:
            await self._give_back(interaction, text_back(refusal.user_message(tr), draft, tr))
            self.kept.after_error(interaction.id, told=True)
            return
        log.info("Proposal %s by %s", proposal.reference, interaction.user.id)
        try:
            await self.cards.post(proposal)
        except Exception:
            log.warning("The card of %s waits for the catch-up", proposal.reference, exc_info=True)

    async def on_edit(
        self, interaction: discord.Interaction, proposal_id: int, values: dict[str, str]
    ) -> None:
        """An edited proposal's form: the proposal and its card updated."""
        before = await self.service.get(proposal_id)
        draft = draft_of(before.kind, values)
        tr = reader(interaction)
        try:
            proposal = await self.service.edit(
                user_id=interaction.user.id, proposal_id=proposal_id, draft=draft
            )
        except AmphiError as refusal:
            await self._give_back(interaction, text_back(refusal.user_message(tr), draft, tr))
            return
        meeting, _open = await self.service.call()
        await interaction.response.send_message(
            proposal_answer(proposal, meeting, tr), ephemeral=True, suppress_embeds=True
        )
        await self.cards.refresh(proposal.id)

    async def on_review(
        self, interaction: discord.Interaction, proposal_id: int, values: dict[str, str]
    ) -> None:
        """A review's form (organizers): kept, and the card's count and mean follow."""
        ensure_standing(interaction, Standing.ORGANIZER)
        raw = values.get("score", "").strip()
        score = int(raw) if raw.isdigit() else 0  # anything else is refused as a bad score
        proposal = await self.service.review(
            reviewer_id=interaction.user.id,
            proposal_id=proposal_id,
            score=score,
            comment=values.get("comment", "").strip(),
        )
        tr = reader(interaction)
        await interaction.response.send_message(
            tr.gettext(
                "Your review of {reference} is recorded: {score}/5. You can change it with "
                "Review on its card.",
                reference=proposal.reference,
                score=score,
            ),
            ephemeral=True,
        )
        await self.cards.refresh(proposal.id)

    async def _give_back(self, interaction: discord.Interaction, text: str) -> None:
        """A refused form's answer, its text given back (whether or not "thinking…" was said)."""
        if interaction.response.is_done():
            await answer(interaction, text, suppress_embeds=True)
        else:
            await respond(interaction, Reply(text, suppress_embeds=True))


async def open_call(service: ProposalService) -> tuple[Meeting, Call]:
    """The active meeting's call, when it takes proposals now; else the refusal why."""
    meeting, is_open = await service.call()
    call = meeting.call
    if call is None:
        raise NoCall()
    if not is_open:
        now = service.clock()
        if call.opens is not None and now < call.opens:
            raise CallNotOpen(call.opens)
        raise CallClosed(min(now, call.closes))
    return meeting, call
