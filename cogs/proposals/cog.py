"""The call for contributions on Discord: /propose and /my-proposals for members, the review
cards and /proposals for organizers, the decisions by DM, the closing reminders.

A proposal is a kept command (written down before its "thinking…", finished after a restart:
`cogs/proposals/kept.py`); its card is posted once, and a catch-up pass posts the cards a
crash left unposted. A refused form gives the member their text back, to copy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import AmphiBot, reader, report_error
from bot.core.config import Settings
from bot.core.i18n import Translator, translator_for
from bot.core.markup import escape
from bot.core.permissions import Standing
from bot.dms.service import Broadcaster
from bot.kept.service import KeptCommands
from bot.posts.model import PlannedPost, PostKind
from bot.posts.service import PostScheduler
from bot.proposals.model import ProposalStatus
from bot.proposals.refusals import NotYourProposal, UnknownKind
from bot.proposals.render import (
    call_reminder,
    my_proposals,
    notify_preview,
    ranked_list,
)
from bot.proposals.service import ProposalService
from cogs.common import card_to_embed, ensure_standing, find_channel, only, privileged_group
from cogs.dm import DirectMessages
from cogs.kept import KeptReplies
from cogs.proposals.buttons import COG_NAME, ProposalButton, buttons, labels
from cogs.proposals.cards import ReviewCards
from cogs.proposals.forms import proposal_form, read_form, review_form
from cogs.proposals.kept import KeptProposals
from cogs.proposals.notify import DecisionDms
from cogs.proposals.submitted import FormAnswers, open_call

log = logging.getLogger(__name__)

SORT_CHOICES = [
    app_commands.Choice(name="score", value="score"),
    app_commands.Choice(name="received", value="received"),
]
STATUS_CHOICES = [
    app_commands.Choice(name=status.value, value=status.value) for status in ProposalStatus
]
#: /my-proposals puts Edit and Withdraw under this many proposals at most (Discord's 25 buttons).
BUTTONS_FOR = 12


class ProposalsCog(commands.Cog, name=COG_NAME):
    """Proposals in, reviews and decisions, proposers told."""

    proposals = privileged_group(
        "proposals", "Organizers: the call for contributions", Standing.ORGANIZER
    )

    def __init__(
        self,
        bot: AmphiBot,
        *,
        settings: Settings,
        service: ProposalService,
        kept: KeptCommands,
        broadcaster: Broadcaster,
        dms: DirectMessages,
        posts: PostScheduler,
    ) -> None:
        self.bot = bot
        self.settings = settings
        self.service = service
        self.kept = kept
        self.posts = posts
        self.replies = KeptReplies(bot, kept, lambda: self.service.clock())
        self.cards = ReviewCards(bot, settings, service)
        self.decisions = DecisionDms(bot, settings, service, broadcaster, dms, self.cards)
        self.forms = FormAnswers(service, kept, self.replies, self.cards)
        self._catching_up: asyncio.Task[None] | None = None

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ProposalButton)
        self.posts.handle(PostKind.CALL_REMINDER, self.send_call_reminder)
        for kind, finish in KeptProposals(self.bot, self.service, self.cards).kinds().items():
            self.kept.finish_with(kind, finish)
        self._catching_up = asyncio.create_task(
            self.cards.keep_catching_up(), name="amphi-review-cards"
        )

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(ProposalButton)
        if self._catching_up is not None:
            self._catching_up.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._catching_up

    # ----- members ---------------------------------------------------------------------------
    @app_commands.command(name="propose", description="Propose a contribution to the meeting")
    @app_commands.describe(kind="What you propose (default: a talk)")
    @app_commands.guild_only()
    async def propose(self, interaction: discord.Interaction, kind: str | None = None):
        meeting, call = await open_call(self.service)
        chosen = (kind or call.kinds[0]).strip()
        if chosen not in call.kinds:
            raise UnknownKind(call.kinds)
        form = proposal_form(
            reader(interaction),
            f"amphi:pf:new:{call.kinds.index(chosen)}",
            call.abstract_max_chars,
        )
        await interaction.response.send_modal(form)
        log.debug("Proposal form shown to %s for %s", interaction.user.id, meeting.slug)

    @propose.autocomplete("kind")
    async def _kind_autocomplete(self, interaction: discord.Interaction, current: str):
        meeting, _open = await self.service.call()
        kinds = meeting.call.kinds if meeting.call else ()
        typed = current.casefold()
        return [app_commands.Choice(name=k, value=k) for k in kinds if typed in k.casefold()][:25]

    @app_commands.command(name="my-proposals", description="Your proposals and where they stand")
    @app_commands.guild_only()
    async def my_proposals(self, interaction: discord.Interaction):
        meeting, mine = await self.service.mine(user_id=interaction.user.id)
        _meeting, is_open = await self.service.call()
        tr = reader(interaction)
        view = None
        changeable = [p for p in mine if p.status is ProposalStatus.SUBMITTED][:BUTTONS_FOR]
        if is_open and changeable:
            names = labels(tr)
            view = buttons(
                [
                    (action, p.id, f"{names[action]} {p.reference}")
                    for p in changeable
                    for action in ("edit", "withdraw")
                ]
            )
        embed = card_to_embed(my_proposals(meeting, mine, tr, now=self.service.clock()))
        await interaction.response.send_message(
            embed=embed, view=view or discord.utils.MISSING, ephemeral=True
        )

    # ----- organizers ------------------------------------------------------------------------
    @proposals.command(name="list", description="The proposals, best scored or first received")
    @app_commands.describe(
        sort="By mean score (default) or by date received",
        status="Only the proposals with this status",
        page="Which page of the list (10 proposals a page)",
    )
    @app_commands.choices(sort=SORT_CHOICES, status=STATUS_CHOICES)
    @only(Standing.ORGANIZER)
    async def list_proposals(
        self,
        interaction: discord.Interaction,
        sort: app_commands.Choice[str] | None = None,
        status: app_commands.Choice[str] | None = None,
        page: app_commands.Range[int, 1, 1000] = 1,
    ):
        ranked = await self.service.ranked(
            sort=sort.value if sort else "score",
            status=ProposalStatus(status.value) if status else None,
        )
        meeting, _open = await self.service.call()
        anonymous = bool(meeting.call and meeting.call.anonymous_review)
        card = ranked_list(ranked, reader(interaction), anonymous=anonymous, page=page)
        await interaction.response.send_message(embed=card_to_embed(card), ephemeral=True)

    @proposals.command(name="open", description="Open the call now, whatever its dates")
    @only(Standing.ORGANIZER)
    async def open_call(self, interaction: discord.Interaction):
        await self._set_open(interaction, is_open=True)

    @proposals.command(name="close", description="Close the call now, whatever its dates")
    @only(Standing.ORGANIZER)
    async def close_call(self, interaction: discord.Interaction):
        await self._set_open(interaction, is_open=False)

    async def _set_open(self, interaction: discord.Interaction, *, is_open: bool) -> None:
        meeting = await self.service.set_open(open=is_open, by=interaction.user.id)
        tr = reader(interaction)
        text = (
            tr.gettext(
                "The call for contributions to {meeting} is open.", meeting=escape(meeting.title)
            )
            if is_open
            else tr.gettext(
                "The call for contributions to {meeting} is closed: no new proposal, no edit.",
                meeting=escape(meeting.title),
            )
        )
        log.info("Call %s by %s", "opened" if is_open else "closed", interaction.user.id)
        await interaction.response.send_message(text, ephemeral=True)

    @proposals.command(name="notify", description="Tell each proposer the decision, by DM")
    @only(Standing.ORGANIZER)
    async def notify(self, interaction: discord.Interaction):
        preview = await self.service.notify_preview()
        tr = reader(interaction)
        view = discord.utils.MISSING
        if preview.accepted or preview.declined:
            names = labels(tr)
            view = buttons([("send", 0, names["send"]), ("cancel", 0, names["cancel"])])
        await interaction.response.send_message(
            notify_preview(preview, tr), view=view, ephemeral=True, suppress_embeds=True
        )

    # ----- the call's forms ------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """A submitted form of the call's (read here, so that one filled in across a restart
        still arrives)."""
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        match, values = read_form(interaction)
        if match is None:
            return
        try:
            if match["action"] == "new":
                await self.forms.on_proposal(interaction, int(match["target"]), values)
            elif match["action"] == "edit":
                await self.forms.on_edit(interaction, int(match["target"]), values)
            else:
                await self.forms.on_review(interaction, int(match["target"]), values)
        except Exception as error:
            await report_error(interaction, error)

    # ----- buttons (ProposalButton) ------------------------------------------------------------
    async def on_press(self, interaction: discord.Interaction, action: str, item: int) -> None:
        """A button of the call's: organizers' on cards and previews, members' on their own."""
        if action in ("review", "accept", "decline", "send", "cancel"):
            ensure_standing(interaction, Standing.ORGANIZER)
        tr = reader(interaction)
        if action == "review":
            proposal = await self.service.get(item)
            mine = [
                r for r in await self.service.reviews(item) if r.reviewer_id == interaction.user.id
            ]
            score, comment = (mine[0].score, mine[0].comment) if mine else (None, "")
            await interaction.response.send_modal(review_form(tr, proposal, score, comment))
        elif action in ("accept", "decline"):
            await self._decide(interaction, item, accept=action == "accept")
        elif action == "edit":
            await self._show_edit(interaction, item, tr)
        elif action == "withdraw":
            proposal = await self.service.withdraw(user_id=interaction.user.id, proposal_id=item)
            await interaction.response.send_message(
                tr.gettext(
                    "{reference} “{title}” is withdrawn. Thank you for letting us know.",
                    reference=proposal.reference,
                    title=escape(proposal.title),
                ),
                ephemeral=True,
            )
            await self.cards.refresh(item)
        elif action in ("confirm", "giveup"):
            await self._answer_decision(interaction, item, confirmed=action == "confirm", tr=tr)
        elif action == "send":
            await self._send_decisions(interaction, tr)
        else:
            await interaction.response.edit_message(
                content=tr.gettext("Nothing was sent."), view=None
            )

    async def _show_edit(self, interaction: discord.Interaction, item: int, tr: Translator) -> None:
        proposal = await self.service.get(item)
        meeting, call = await open_call(self.service)
        if proposal.user_id != interaction.user.id:
            raise NotYourProposal()
        form = proposal_form(tr, f"amphi:pf:edit:{item}", call.abstract_max_chars, proposal)
        await interaction.response.send_modal(form)
        log.debug("Edit form of %s shown in %s", proposal.reference, meeting.slug)

    async def _decide(self, interaction: discord.Interaction, item: int, *, accept: bool) -> None:
        await self.service.decide(by=interaction.user.id, proposal_id=item, accept=accept)
        proposal = await self.service.get(item)
        embed, view = await self.cards.render(proposal)
        log.info("%s %s by %s", proposal.reference, proposal.status.value, interaction.user.id)
        if interaction.message is not None and interaction.message.id == proposal.card_message_id:
            await interaction.response.edit_message(embed=embed, view=view)
        else:
            await interaction.response.defer(ephemeral=True)
            await self.cards.refresh(item)

    async def _answer_decision(
        self, interaction: discord.Interaction, item: int, *, confirmed: bool, tr: Translator
    ) -> None:
        proposal = await self.service.confirm(
            user_id=interaction.user.id, proposal_id=item, confirmed=confirmed
        )
        title = escape(proposal.title)
        if confirmed:
            text = tr.gettext(
                "Thank you: {reference} “{title}” is confirmed. The organizers will tell you "
                "where it stands on the programme.",
                reference=proposal.reference,
                title=title,
            )
        else:
            text = tr.gettext(
                "{reference} “{title}” is withdrawn from the programme. Thank you for letting "
                "the organizers know.",
                reference=proposal.reference,
                title=title,
            )
        await interaction.response.send_message(text)
        await self.cards.refresh(item)

    async def _send_decisions(self, interaction: discord.Interaction, tr: Translator) -> None:
        await interaction.response.edit_message(
            content=tr.gettext("Sending the decisions…"), view=None
        )
        report = await self.decisions.tell_all()
        text = tr.ngettext("{count} decision sent.", "{count} decisions sent.", report.sent)
        if report.failed:
            text += " " + tr.ngettext(
                "{count} proposer could not be reached by DM: tell them another way.",
                "{count} proposers could not be reached by DM: tell them another way.",
                report.failed,
            )
        await interaction.edit_original_response(content=text)

    # ----- the closing reminders ---------------------------------------------------------------
    async def send_call_reminder(self, post: PlannedPost, late: bool) -> int | None:
        """A week and a day before the call closes, in the announcements channel."""
        meeting = await self.service.programme.meeting(post.meeting_slug)
        _active, is_open = await self.service.call()
        if meeting.call is None or not is_open:
            return None  # closed early, or no call any more: nothing to remind
        guild = self.bot.get_guild(self.settings.guild_id or 0)
        channel = find_channel(guild, self.settings.announcements_channel)
        if guild is None or channel is None:
            raise RuntimeError(
                f"ANNOUNCEMENTS_CHANNEL={self.settings.announcements_channel} is not on the server"
            )
        text = call_reminder(meeting, translator_for(None, guild.preferred_locale.value))
        message = await channel.send(
            text, nonce=post.nonce, allowed_mentions=discord.AllowedMentions.none()
        )
        return message.id
