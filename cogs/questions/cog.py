"""/ask, /questions, the moderators' /qa, the organizers' /speaker link, and what each
button does when pressed (the buttons themselves: `cogs/questions/buttons.py`).

`/ask` and `/qa next` are kept commands (written down before their "thinking…", finished after
a restart: `cogs/questions/kept.py`). A question's later steps (its card, its public post, its
DMs) are each made once, and a catch-up pass at start and every minute makes what a crash or a
failure of Discord left undone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import AmphiBot, reader
from bot.core.config import Settings
from bot.core.errors import AmphiError
from bot.core.permissions import Standing
from bot.dms.service import Broadcaster
from bot.kept.model import KeptCommand
from bot.kept.service import KeptCommands
from bot.posts.model import PostKind
from bot.posts.service import PostScheduler
from bot.programme.model import Talk
from bot.questions.model import (
    NextQuestion,
    QaState,
    Question,
    QuestionsUnavailable,
    check_question,
)
from bot.questions.render import (
    QUESTIONS_PER_PAGE,
    ask_ack,
    moderation_text,
    next_question_text,
    qa_state_text,
    question_list,
    speaker_linked_text,
    vote_ack,
)
from bot.questions.service import QuestionService
from cogs.common import (
    CHOICE_NAME_LIMIT,
    ensure_standing,
    find_channel,
    only,
    privileged_group,
    send_cards,
    talk_choices,
)
from cogs.dm import DirectMessages
from cogs.kept import KeptReplies, Reply
from cogs.questions.buttons import (
    COG_NAME,
    QuestionButton,
    card_buttons,
    more_button,
    upvote_button,
)
from cogs.questions.catch_up import QuestionCatchUp
from cogs.questions.dms import DigestReport, QuestionDms
from cogs.questions.kept import ASK, QA_NEXT, KeptQuestions
from cogs.questions.relay import QuestionRelay

log = logging.getLogger(__name__)


class QuestionsCog(commands.Cog, name=COG_NAME):
    """Audience questions: asked, moderated, voted on, taken by the chair, sent to speakers."""

    qa = privileged_group("qa", "Moderators: the questions of a talk", Standing.MODERATOR)
    speaker = privileged_group(
        "speaker", "Organizers: the speakers' Discord accounts", Standing.ORGANIZER
    )

    def __init__(
        self,
        bot: AmphiBot,
        *,
        settings: Settings,
        service: QuestionService,
        kept: KeptCommands,
        broadcaster: Broadcaster,
        dms: DirectMessages,
        posts: PostScheduler | None = None,
    ) -> None:
        self.bot = bot
        self.settings = settings
        self.service = service
        self.kept = kept
        self.replies = KeptReplies(bot, kept, lambda: self.service.clock())
        self.posts = posts
        self.relay = QuestionRelay(
            bot, settings, service, card_buttons=card_buttons, upvote_button=upvote_button
        )
        self.dms = QuestionDms(bot, service, broadcaster, dms)
        self.catch_up = QuestionCatchUp(bot, self.relay, self.dms)
        self._catching_up: asyncio.Task[None] | None = None

    async def cog_load(self) -> None:
        # The buttons' state is in their custom_id: old messages keep working after a restart.
        self.bot.add_dynamic_items(QuestionButton)
        if self.posts is not None:
            self.posts.handle(PostKind.QA_THREAD, self.relay.open_thread_post)
            self.posts.handle(PostKind.QA_DIGEST, self.dms.digest_post)
        for kind, finish in KeptQuestions(self.bot, self.service, self.relay).kinds().items():
            self.kept.finish_with(kind, finish)
        self._catching_up = asyncio.create_task(
            self.catch_up.keep_running(), name="amphi-questions"
        )

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(QuestionButton)
        for task in (self._catching_up, self.relay.card_pass):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self.relay.settle_labels()

    # ----- for the scheduler ---------------------------------------------------------------
    async def send_digest(self, talk_id: int) -> DigestReport:
        """DM the linked speakers the talk's unanswered approved questions (at the talk's end)."""
        return await self.dms.send_digest(talk_id)

    # ----- attendees ---------------------------------------------------------------------------
    @app_commands.command(name="ask", description="Ask the speaker a question")
    @app_commands.describe(
        question="Your question (up to 500 characters)",
        talk="The talk it is about (default: the talk on now)",
        anonymous="Hide your name from everyone but the moderators",
    )
    @app_commands.guild_only()
    async def ask(
        self,
        interaction: discord.Interaction,
        question: str,
        talk: str | None = None,
        anonymous: bool | None = None,
    ):
        check_question(question)  # refused at once, nothing kept
        meeting, found = await self.service.talk(talk)
        if find_channel(interaction.guild, self.settings.moderation_channel) is None:
            raise QuestionsUnavailable()  # no moderator would ever see it
        options = {
            "meeting": meeting.slug,
            "talk": found.key,
            "question": question,
            "anonymous": bool(anonymous),
            "display_name": interaction.user.display_name,
        }

        async def effect(command: KeptCommand) -> Question:
            return await self.service.ask(
                user_id=interaction.user.id,
                display_name=interaction.user.display_name,
                text=question,
                meeting=meeting,
                talk=found,
                anonymous=bool(anonymous),
                locale=interaction.locale.value,
                command=command,
            )

        tr = reader(interaction)
        asked = await self.replies.handle(
            interaction,
            ASK,
            options,
            effect,
            lambda asked: Reply(ask_ack(asked, tr), suppress_embeds=True),
        )
        # The question is stored: if Discord fails the card now, the catch-up pass posts it.
        try:
            await self.relay.post_card(asked)
        except Exception:
            log.warning(
                "The card of question %s waits for the catch-up pass", asked.id, exc_info=True
            )

    @app_commands.command(name="questions", description="Approved questions, most votes first")
    @app_commands.describe(talk="The talk (default: the talk on now)")
    @app_commands.guild_only()
    async def questions(self, interaction: discord.Interaction, talk: str | None = None):
        await self._send_page(interaction, *await self.service.approved(talk), offset=0)

    async def on_more(self, interaction: discord.Interaction, talk_id: int, offset: int) -> None:
        """The next page of the talk's approved questions, as a new reply."""
        await self._send_page(interaction, *await self.service.approved_of(talk_id), offset=offset)

    async def _send_page(
        self, interaction: discord.Interaction, talk: Talk, approved: list[Question], *, offset: int
    ):
        tr = reader(interaction)
        guild_id = interaction.guild.id if interaction.guild else None
        cards = question_list(talk, approved, tr, guild_id=guild_id, offset=offset)
        following = offset + QUESTIONS_PER_PAGE
        view = None
        if following < len(approved):  # More: the next page of these questions' talk
            view = more_button(approved[0].talk_id, following, tr)
        await send_cards(interaction, cards, view=view)

    # ----- moderators ----------------------------------------------------------------------------
    @qa.command(name="next", description="The most-voted unanswered question, for the chair")
    @app_commands.describe(talk="The talk (default: the talk on now)")
    @only(Standing.MODERATOR)
    async def qa_next(self, interaction: discord.Interaction, talk: str | None = None):
        meeting, found = await self.service.talk(talk)
        taken: NextQuestion | None = None

        async def effect(command: KeptCommand) -> NextQuestion:
            nonlocal taken
            taken = await self.service.next_question(meeting=meeting, talk=found, command=command)
            return taken

        tr = reader(interaction)
        try:
            result = await self.replies.handle(
                interaction,
                QA_NEXT,
                {"meeting": meeting.slug, "talk": found.key},
                effect,
                lambda result: Reply(next_question_text(result, tr), suppress_embeds=True),
            )
        except Exception:
            if taken is not None and (question := taken.question) is not None:
                # The chair never got it: the next /qa next offers it again, and no restart
                # hands it to this chair later.
                await self.service.give_back(question, taken_at=question.answered_at)
                self.kept.answered(interaction.id)
            raise
        if result.question is not None:
            log.info("Question %s taken by %s", result.question.id, interaction.user.id)
            await self.relay.mark_answered(result.question)

    @qa.command(name="open", description="Take questions for a talk, whatever the time")
    @app_commands.describe(talk="The talk")
    @only(Standing.MODERATOR)
    async def qa_open(self, interaction: discord.Interaction, talk: str):
        await self._set_state(interaction, talk, QaState.OPEN)

    @qa.command(name="close", description="Stop taking questions for a talk")
    @app_commands.describe(talk="The talk")
    @only(Standing.MODERATOR)
    async def qa_close(self, interaction: discord.Interaction, talk: str):
        await self._set_state(interaction, talk, QaState.CLOSED)

    async def _set_state(self, interaction: discord.Interaction, talk: str, state: QaState):
        found, window = await self.service.set_state(talk, state)
        log.info("Questions for %s set %s by %s", found.key, state.value, interaction.user.id)
        await interaction.response.send_message(
            qa_state_text(found, window, reader(interaction)), ephemeral=True
        )

    # ----- organizers ----------------------------------------------------------------------------
    @speaker.command(name="link", description="Link a speaker's Discord account to their talk")
    @app_commands.describe(
        talk="The talk",
        user="The speaker's Discord account",
        speaker="Which speaker, when the talk has several",
    )
    @only(Standing.ORGANIZER)
    async def speaker_link(
        self,
        interaction: discord.Interaction,
        talk: str,
        user: discord.User,
        speaker: str | None = None,
    ):
        found, person = await self.service.link_speaker(talk=talk, user_id=user.id, speaker=speaker)
        log.info("Speaker %r of %s linked to %s", person.name, found.key, user.id)
        await interaction.response.send_message(
            speaker_linked_text(found, person, user.id, reader(interaction)), ephemeral=True
        )

    @ask.autocomplete("talk")
    @questions.autocomplete("talk")
    @qa_next.autocomplete("talk")
    @qa_open.autocomplete("talk")
    @qa_close.autocomplete("talk")
    @speaker_link.autocomplete("talk")
    async def _talk_autocomplete(self, interaction: discord.Interaction, current: str):
        return await talk_choices(self.service.programme, current)

    @speaker_link.autocomplete("speaker")
    async def _speaker_autocomplete(self, interaction: discord.Interaction, current: str):
        chosen = getattr(interaction.namespace, "talk", None)
        if not chosen:
            return []
        try:
            _meeting, found = await self.service.talk(str(chosen))
        except AmphiError:  # an unfinished talk option: no suggestions rather than an error
            return []
        typed = current.casefold()
        return [
            app_commands.Choice(name=p.name[:CHOICE_NAME_LIMIT], value=p.name[:CHOICE_NAME_LIMIT])
            for p in found.speakers
            if typed in p.name.casefold()
        ]

    # ----- buttons (QuestionButton, in buttons.py) ------------------------------------------------
    async def on_approve(self, interaction: discord.Interaction, question_id: int) -> None:
        """Approve: one decision, the card shows it, the question goes public, people are told.

        An approved question whose publication failed is published by the next Approve.
        """
        ensure_standing(interaction, Standing.MODERATOR)
        publication = await self.service.approve(question_id=question_id, by=interaction.user.id)
        log.info("Question %s approved by %s", question_id, interaction.user.id)
        tr = self.relay.channel_reader(interaction.guild)
        await interaction.response.edit_message(
            content=moderation_text(publication.question, tr), view=None, suppress_embeds=True
        )
        try:
            published = await self.relay.publish(publication)
        except Exception:
            # Give the card its buttons back, so a moderator can publish it once it can be.
            await interaction.edit_original_response(view=card_buttons(question_id, tr))
            raise
        if published is not None:
            await self.dms.approved(published)

    async def on_reject(self, interaction: discord.Interaction, question_id: int) -> None:
        """Reject: the card shows the decision; the question leaves the queue."""
        ensure_standing(interaction, Standing.MODERATOR)
        question = await self.service.reject(question_id=question_id, by=interaction.user.id)
        tr = self.relay.channel_reader(interaction.guild)
        await interaction.response.edit_message(
            content=moderation_text(question, tr), view=None, suppress_embeds=True
        )

    async def on_vote(self, interaction: discord.Interaction, question_id: int) -> None:
        """Upvote toggle: the member is told where their vote stands; the label follows."""
        outcome = await self.service.toggle_vote(
            question_id=question_id, user_id=interaction.user.id
        )
        text = vote_ack(outcome, reader(interaction))
        await interaction.response.send_message(text, ephemeral=True)
        if interaction.message is not None:
            await self.relay.refresh_upvotes(
                question_id, interaction.message.channel.id, interaction.message.id
            )
