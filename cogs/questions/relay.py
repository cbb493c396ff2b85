"""Where questions travel on Discord: the moderation channel, each talk's Q&A thread, DMs."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

import discord

from bot.client import AmphiBot
from bot.core.config import Settings
from bot.core.i18n import Translator, translator_for
from bot.questions.model import Question, QuestionNotPosted, QuestionStatus, QuestionsUnavailable
from bot.questions.render import (
    approve_label,
    approved_dm,
    digest,
    moderation_text,
    public_text,
    reject_label,
    speaker_dm,
    thread_intro,
    thread_name,
    upvote_label,
)
from bot.questions.service import QuestionService
from cogs.common import find_channel
from cogs.questions.buttons import moderation_view, upvote_view

log = logging.getLogger(__name__)

#: An approved question not public after this long failed to publish.
PUBLICATION_TIMEOUT = timedelta(minutes=1)

THREAD_ARCHIVE_MINUTES: Literal[1440] = 1440


@dataclass
class DigestReport:
    """What `send_digest` did: how many questions, and to whom they went or did not."""

    talk_key: str
    questions: int = 0
    delivered: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


class QuestionRelay:
    """Posts, edits and DMs for questions; the cog and the scheduler call it."""

    def __init__(self, bot: AmphiBot, settings: Settings, service: QuestionService) -> None:
        self.bot = bot
        self.settings = settings
        self.service = service
        self._thread_locks: dict[str, asyncio.Lock] = {}
        self._publish_locks: dict[int, asyncio.Lock] = {}
        self.failed_publications: set[int] = set()
        self._label_locks: dict[int, asyncio.Lock] = {}
        self._shown_votes: dict[int, int] = {}

    # ----- where -----------------------------------------------------------------------------
    def guild(self) -> discord.Guild | None:
        """The server Amphi serves."""
        return self.bot.get_guild(self.settings.guild_id or 0)

    def channel_reader(self, guild: discord.Guild | None = None) -> Translator:
        """The language of posts everyone reads: the server's."""
        guild = guild or self.guild()
        return translator_for(None, guild.preferred_locale.value if guild else None)

    # ----- moderation ------------------------------------------------------------------------
    async def post_for_moderation(
        self, guild: discord.Guild | None, question: Question
    ) -> discord.Message:
        """The question with Approve and Reject in the moderation channel."""
        channel = find_channel(guild, self.settings.moderation_channel)
        if channel is None:
            raise QuestionsUnavailable()
        tr = self.channel_reader(guild)
        view = moderation_view(question.id, approve_label(tr), reject_label(tr))
        message = await channel.send(moderation_text(question, tr), view=view, suppress_embeds=True)
        await self.service.set_moderation_message(
            question_id=question.id, channel_id=channel.id, message_id=message.id
        )
        return message

    # ----- the talk's thread -------------------------------------------------------------------
    async def open_thread(self, talk_key: str) -> int | None:
        """The talk's Q&A thread, created (with a first message) if it does not exist yet."""
        lock = self._thread_locks.setdefault(talk_key, asyncio.Lock())
        async with lock:  # two approvals at once must not make two threads
            thread_id = await self.service.thread_id(talk_key)
            if thread_id is not None:
                return thread_id
            guild = self.guild()
            channel = find_channel(guild, self.settings.qa_channel)
            if channel is None:
                log.warning(
                    "No Q&A channel (QA_CHANNEL=%r): no thread", str(self.settings.qa_channel)
                )
                return None
            _meeting, talk = await self.service.talk_by_key(talk_key)
            thread = await channel.create_thread(
                name=thread_name(talk),
                type=discord.ChannelType.public_thread,
                auto_archive_duration=THREAD_ARCHIVE_MINUTES,
            )
            # Kept before anything else can fail, so a retry never makes a second thread.
            await self.service.set_thread_id(talk_key, thread.id)
            await thread.send(thread_intro(talk, self.channel_reader(guild)), suppress_embeds=True)
            log.info("Opened the Q&A thread %s for talk %s", thread.id, talk_key)
            return thread.id

    async def _forget_thread(self, talk_key: str, thread_id: int) -> None:
        async with self._thread_locks.setdefault(talk_key, asyncio.Lock()):
            if await self.service.thread_id(talk_key) == thread_id:
                await self.service.set_thread_id(talk_key, None)

    # ----- approved questions ------------------------------------------------------------------
    def publication_failed(self, question: Question) -> bool:
        """Approved but not public because publishing failed (not merely still under way)."""
        if question.status is not QuestionStatus.APPROVED or question.public_message_id:
            return False
        if question.id in self.failed_publications:
            return True
        # After a restart: an approval this old would have been published by now.
        decided = question.decided_at
        return decided is not None and self.service.clock() - decided > PUBLICATION_TIMEOUT

    async def publish_once(self, question_id: int) -> discord.Message | None:
        """Publish an approved question unless it is out already; the post if made now.

        Serialised per question, so an approval and a retry after a failed publication never
        post it twice.
        """
        async with self._publish_locks.setdefault(question_id, asyncio.Lock()):
            question = await self.service.get(question_id=question_id)
            if question.public_message_id is not None:
                return None
            message = await self.publish(question)
            self.failed_publications.discard(question_id)
            return message

    async def publish(self, question: Question) -> discord.Message:
        """Post an approved question in its talk's thread (or the Q&A channel) with Upvote."""
        guild = self.guild()
        tr = self.channel_reader(guild)
        view = upvote_view(question.id, upvote_label(question.votes, tr))
        message = None
        for _attempt in range(2):  # once more if the thread was deleted under us
            try:
                thread_id = await self.open_thread(question.talk_key)
            except discord.HTTPException as error:
                log.warning("Could not open the thread of %s: %s", question.talk_key, error)
                thread_id = None
            if thread_id is None:
                break
            thread = self.bot.get_partial_messageable(
                thread_id, guild_id=guild.id if guild else None
            )
            try:
                message = await thread.send(
                    public_text(question, tr), view=view, suppress_embeds=True
                )
                break
            except discord.NotFound:
                await self._forget_thread(question.talk_key, thread_id)
        if message is None:
            channel = find_channel(guild, self.settings.qa_channel)
            if channel is None:
                raise QuestionNotPosted()
            message = await channel.send(
                public_text(question, tr, with_talk=True), view=view, suppress_embeds=True
            )
        await self.service.set_public_message(
            question_id=question.id, channel_id=message.channel.id, message_id=message.id
        )
        self._shown_votes[question.id] = question.votes
        return message

    async def refresh_upvotes(self, question_id: int, channel_id: int, message_id: int) -> None:
        """Bring the Upvote label to the current count; edits are serialised and coalesced."""
        async with self._label_locks.setdefault(question_id, asyncio.Lock()):
            votes = await self.service.vote_count(question_id=question_id)
            if self._shown_votes.get(question_id) == votes:
                return  # a click queued behind this one already showed this count
            label = upvote_label(votes, self.channel_reader())
            message = self.bot.get_partial_messageable(channel_id).get_partial_message(message_id)
            await message.edit(view=upvote_view(question_id, label))
            self._shown_votes[question_id] = votes

    async def mark_answered(self, question: Question) -> None:
        """Show on the public post that the chair has taken the question."""
        if question.public_channel_id is None or question.public_message_id is None:
            return
        thread_id = await self.service.thread_id(question.talk_key)
        in_thread = question.public_channel_id == thread_id
        text = public_text(question, self.channel_reader(), with_talk=not in_thread)
        channel = self.bot.get_partial_messageable(question.public_channel_id)
        try:
            await channel.get_partial_message(question.public_message_id).edit(content=text)
        except discord.HTTPException as error:
            log.warning("Could not mark question %s answered: %s", question.id, error)

    # ----- DMs ---------------------------------------------------------------------------------
    async def dm(self, user_id: int, content: str) -> bool:
        """Send a DM; a member whose DMs are closed is skipped with a log line."""
        try:
            channel = await self.bot.create_dm(discord.Object(id=user_id))
            await channel.send(content, suppress_embeds=True)
        except discord.HTTPException as error:
            log.info("Could not DM member %s (DMs closed?): %s", user_id, error)
            return False
        return True

    async def tell_asker(self, question: Question, link: str) -> bool:
        """Tell the asker, in their language, that their question was approved."""
        guild = self.guild()
        tr = translator_for(question.locale, guild.preferred_locale.value if guild else None)
        return await self.dm(question.author_id, approved_dm(question, link, tr))

    async def tell_speakers(self, question: Question) -> list[int]:
        """DM the approved question to each linked speaker of its talk; who received it."""
        text = speaker_dm(question, self.channel_reader())
        accounts = await self.service.speaker_accounts(question.talk_key)
        return [user_id for user_id in accounts if await self.dm(user_id, text)]

    async def send_digest(self, talk_key: str) -> DigestReport:
        """DM each linked speaker the talk's unanswered approved questions, most votes first."""
        talk, questions = await self.service.unanswered(talk_key)
        report = DigestReport(talk_key=talk.key, questions=len(questions))
        if not questions:
            return report
        messages = digest(talk, questions, self.channel_reader())
        for user_id in await self.service.speaker_accounts(talk.key):
            delivered = True
            for content in messages:
                delivered = await self.dm(user_id, content)
                if not delivered:
                    break
            (report.delivered if delivered else report.failed).append(user_id)
        log.info(
            "Digest of %s: %d question(s) to %d speaker(s), %d failed",
            talk.key,
            len(questions),
            len(report.delivered),
            len(report.failed),
        )
        return report
