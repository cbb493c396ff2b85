"""Where questions travel on Discord: the moderation channel and each talk's Q&A thread.

Every post of a question is made once: it carries a nonce derived from the question (Discord
returns the earlier message for a nonce it saw in the last few minutes), and a catch-up pass
that finds a question without its post first looks for that post among the channel's latest
messages, by its buttons' custom ids, before it posts.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Literal

import discord

from bot.client import AmphiBot
from bot.core.config import Settings
from bot.core.i18n import Translator, translator_for
from bot.posts.model import PlannedPost, nonce_for
from bot.programme.model import Talk
from bot.questions.model import Publication, Question, QuestionNotPosted, QuestionsUnavailable
from bot.questions.render import moderation_text, public_text, thread_intro, thread_name
from bot.questions.service import QuestionService
from cogs.common import find_channel

log = logging.getLogger(__name__)

#: How many messages a catch-up pass reads, from the oldest question's time, to find a post
#: whose id was not kept.
HISTORY_SCAN = 1000

#: Upvote clicks within this many seconds make one edit of the label.
LABEL_COALESCE_SECONDS = 1.0

THREAD_ARCHIVE_MINUTES: Literal[1440] = 1440

_CARD = re.compile(r"amphi:q:(?:approve|reject):(\d+)")
_POST = re.compile(r"amphi:q:vote:(\d+)")


def card_nonce(question_id: int) -> str:
    """The nonce of a question's moderation card."""
    return nonce_for(f"question-card:{question_id}")


def post_nonce(question_id: int) -> str:
    """The nonce of an approved question's public post."""
    return nonce_for(f"question-post:{question_id}")


#: Approve and Reject under a question's card: (question, translator) to view. The buttons are
#: `cogs/questions/buttons.py`'s, which the questions cog hands to the relay.
CardButtons = Callable[[int, Translator], discord.ui.View]
#: The Upvote button with its count: (question, votes, translator) to view.
UpvoteButton = Callable[[int, int, Translator], discord.ui.View]


class QuestionRelay:
    """Posts and edits for questions; the cog and the scheduler call it."""

    def __init__(
        self,
        bot: AmphiBot,
        settings: Settings,
        service: QuestionService,
        *,
        card_buttons: CardButtons,
        upvote_button: UpvoteButton,
    ) -> None:
        self.bot = bot
        self.settings = settings
        self.service = service
        self.card_buttons = card_buttons
        self.upvote_button = upvote_button
        self._thread_locks: dict[int, asyncio.Lock] = {}
        self._card_locks: dict[int, asyncio.Lock] = {}
        self.card_pass: asyncio.Task[int] | None = None
        self._publish_locks: dict[int, asyncio.Lock] = {}
        self._public: set[int] = set()  # the questions this run has posted
        self._label_locks: dict[int, asyncio.Lock] = {}
        self._label_due: dict[int, asyncio.Task[None]] = {}
        self._shown_votes: dict[int, int] = {}

    # ----- where -----------------------------------------------------------------------------
    def guild(self) -> discord.Guild | None:
        """The server Amphi serves."""
        return self.bot.get_guild(self.settings.guild_id or 0)

    def channel_reader(self, guild: discord.Guild | None = None) -> Translator:
        """The language of posts everyone reads: the server's."""
        guild = guild or self.guild()
        return translator_for(None, guild.preferred_locale.value if guild else None)

    async def _posted(
        self, channel: discord.abc.Messageable, pattern: re.Pattern[str], since: datetime
    ) -> dict[int, discord.Message]:
        """Amphi's messages in `channel` since `since` whose buttons name a question, by
        question; what cannot be read is logged and taken as nothing posted (the nonce then
        still keeps a recent post from being made twice)."""
        found: dict[int, discord.Message] = {}
        me = self.bot.user.id if self.bot.user else None
        try:
            async for message in channel.history(
                limit=HISTORY_SCAN, after=since - timedelta(seconds=1), oldest_first=True
            ):
                self._note_post(message, me, pattern, found)
        except discord.HTTPException as error:
            log.warning("Could not read the history of channel %s: %s", channel, error)
        return found

    @staticmethod
    def _note_post(
        message: discord.Message,
        me: int | None,
        pattern: re.Pattern[str],
        found: dict[int, discord.Message],
    ) -> None:
        if message.author.id == me:
            for row in message.components:
                for item in getattr(row, "children", ()):
                    if match := pattern.fullmatch(getattr(item, "custom_id", None) or ""):
                        found.setdefault(int(match[1]), message)

    # ----- moderation ------------------------------------------------------------------------
    async def post_card(self, question: Question, *, known: discord.Message | None = None) -> None:
        """The question with Approve and Reject in the moderation channel, posted once."""
        async with self._card_locks.setdefault(question.id, asyncio.Lock()):
            fresh = await self.service.get(question_id=question.id)
            if fresh.moderation_message_id is not None:
                return
            message = known
            if message is None:
                guild = self.guild()
                channel = find_channel(guild, self.settings.moderation_channel)
                if channel is None:
                    raise QuestionsUnavailable()
                tr = self.channel_reader(guild)
                message = await channel.send(
                    moderation_text(fresh, tr),
                    view=self.card_buttons(fresh.id, tr),
                    suppress_embeds=True,
                    nonce=card_nonce(fresh.id),
                )
            await self.service.set_moderation_message(
                question_id=fresh.id, channel_id=message.channel.id, message_id=message.id
            )

    async def catch_up_cards(self) -> int:
        """Run a pass of `post_missing_cards`, or join the one under way: a restart's hundreds
        of unfinished `/ask` read the channel's history once."""
        if self.card_pass is None or self.card_pass.done():
            self.card_pass = asyncio.create_task(self.post_missing_cards())
        return await asyncio.shield(self.card_pass)

    async def post_missing_cards(self) -> int:
        """Post the card of every pending question whose card is not known; how many."""
        questions = await self.service.without_card()
        if not questions:
            return 0
        channel = find_channel(self.guild(), self.settings.moderation_channel)
        if channel is None:
            log.warning("%d question(s) wait for the moderation channel", len(questions))
            return 0
        posted = await self._posted(channel, _CARD, questions[0].created_at)
        done = 0
        for question in questions:
            try:
                await self.post_card(question, known=posted.get(question.id))
            except Exception:  # the next pass tries again; the others go on
                log.warning("Could not post the card of question %s", question.id, exc_info=True)
            else:
                done += 1
        log.info("Moderation cards caught up: %d of %d question(s)", done, len(questions))
        return done

    # ----- the talk's thread -------------------------------------------------------------------
    async def open_thread_post(self, post: PlannedPost, late: bool) -> int | None:
        """The scheduler's Q&A thread of a talk, at its start: the thread, opened once."""
        meeting, talk = await self.service.talk_in(post.meeting_slug, post.target)
        return await self.open_thread(await self.service.talk_id(meeting, talk), talk)

    async def open_thread(self, talk_id: int, talk: Talk | None = None) -> int | None:
        """The talk's Q&A thread, created (with a first message) if it does not exist yet."""
        async with self._thread_locks.setdefault(talk_id, asyncio.Lock()):
            # Two approvals at once must not make two threads.
            thread_id = await self.service.thread_id(talk_id)
            if thread_id is not None:
                return thread_id
            guild = self.guild()
            channel = find_channel(guild, self.settings.qa_channel)
            if channel is None:
                log.warning(
                    "No Q&A channel (QA_CHANNEL=%r): no thread", str(self.settings.qa_channel)
                )
                return None
            if talk is None:
                _meeting, talk = await self.service.talk_of(talk_id)
            thread = await channel.create_thread(
                name=thread_name(talk),
                type=discord.ChannelType.public_thread,
                auto_archive_duration=THREAD_ARCHIVE_MINUTES,
            )
            # Kept before anything else can fail, so a retry never makes a second thread.
            await self.service.set_thread_id(talk_id, thread.id)
            try:
                intro = thread_intro(talk, self.channel_reader(guild))
                await thread.send(intro, suppress_embeds=True)
            except discord.HTTPException as error:  # the thread is there: questions go in it
                log.warning("Could not post the intro of thread %s: %s", thread.id, error)
            log.info("Opened the Q&A thread %s for talk %s", thread.id, talk.key)
            return thread.id

    # ----- approved questions ------------------------------------------------------------------
    async def publish(
        self, publication: Publication, *, known: discord.Message | None = None
    ) -> Question | None:
        """Post an approved question and record the post with the DMs it owes, unless this run
        posted it already; the question if posted now. A failure is recorded, so a moderator's
        next Approve publishes it.

        Serialised per question, so an approval, a retry after a failed publication and a
        catch-up pass never post it twice (what earlier runs posted, the store says).
        """
        question = publication.question
        async with self._publish_locks.setdefault(question.id, asyncio.Lock()):
            if question.id in self._public:
                return None
            try:
                message = known or await self._post(publication)
                posted = await self.service.published(
                    question, channel_id=message.channel.id, message_id=message.id
                )
            except Exception:
                await self._failed(question)
                raise
            self._public.add(question.id)
            self._shown_votes[question.id] = posted.votes
            return posted

    async def _failed(self, question: Question) -> None:
        try:
            await self.service.publication_failed(question_id=question.id)
        except Exception:  # its approval's age lets the next Approve publish it all the same
            log.warning("Could not record the failed publication of %s", question.id, exc_info=True)

    async def _post(self, publication: Publication) -> discord.Message:
        """Post an approved question in its talk's thread (or the Q&A channel) with Upvote."""
        question = publication.question
        guild = self.guild()
        tr = self.channel_reader(guild)
        view = self.upvote_button(question.id, question.votes, tr)
        thread_id = publication.thread_id
        for _attempt in range(2):  # once more if the thread was deleted under us
            if thread_id is None:
                try:
                    thread_id = await self.open_thread(question.talk_id, publication.talk)
                except discord.HTTPException as error:
                    log.warning("Could not open the thread of %s: %s", question.talk_key, error)
            if thread_id is None:
                break
            thread = self.bot.get_partial_messageable(
                thread_id, guild_id=guild.id if guild else None
            )
            try:
                return await thread.send(
                    public_text(question, tr),
                    view=view,
                    suppress_embeds=True,
                    nonce=post_nonce(question.id),
                )
            except discord.NotFound:
                await self.service.forget_thread(question.talk_id, thread_id)
                thread_id = None
        channel = find_channel(guild, self.settings.qa_channel)
        if channel is None:
            raise QuestionNotPosted()
        return await channel.send(
            public_text(question, tr, with_talk=True),
            view=view,
            suppress_embeds=True,
            nonce=post_nonce(question.id),
        )

    async def publish_approved(self) -> list[Question]:
        """Publish every approved question that is not out (an interrupted or failed approval's)."""
        publications = await self.service.unpublished()
        published = []
        posted: dict[int, discord.Message] = {}
        if publications:
            posted = await self._posts_of(publications)
        for publication in publications:
            question_id = publication.question.id
            try:
                done = await self.publish(publication, known=posted.get(question_id))
            except Exception as error:
                log.warning("Could not publish question %s yet: %s", question_id, error)
                continue
            if done is not None:
                published.append(done)
        if published:
            log.info("Approved questions caught up: %d published", len(published))
        return published

    async def _posts_of(self, publications: list[Publication]) -> dict[int, discord.Message]:
        """Public posts already made of these questions, found in their threads and channel."""
        channels: list[discord.abc.Messageable] = [
            self.bot.get_partial_messageable(thread_id)
            for thread_id in dict.fromkeys(p.thread_id for p in publications)
            if thread_id is not None
        ]
        if (qa := find_channel(self.guild(), self.settings.qa_channel)) is not None:
            channels.append(qa)
        questions = [p.question for p in publications]
        since = min(q.decided_at or q.created_at for q in questions)
        found: dict[int, discord.Message] = {}
        for channel in channels:
            found |= await self._posted(channel, _POST, since)
        return found

    # ----- after publication ---------------------------------------------------------------------
    async def refresh_upvotes(self, question_id: int, channel_id: int, message_id: int) -> None:
        """Bring the Upvote label to the current count, soon: the clicks of a second make one
        edit, and edits of a message never overlap."""
        due = self._label_due.get(question_id)
        if due is not None and not due.done():
            return  # the edit already due will show this click too
        self._label_due[question_id] = asyncio.create_task(
            self._edit_label(question_id, channel_id, message_id),
            name=f"amphi-upvotes-{question_id}",
        )

    async def _edit_label(self, question_id: int, channel_id: int, message_id: int) -> None:
        await asyncio.sleep(LABEL_COALESCE_SECONDS)
        async with self._label_locks.setdefault(question_id, asyncio.Lock()):
            # From here a new click schedules a new edit, which waits for this one.
            self._label_due.pop(question_id, None)
            try:
                votes = await self.service.vote_count(question_id=question_id)
                if self._shown_votes.get(question_id) == votes:
                    return
                view = self.upvote_button(question_id, votes, self.channel_reader())
                channel = self.bot.get_partial_messageable(channel_id)
                await channel.get_partial_message(message_id).edit(view=view)
                self._shown_votes[question_id] = votes
            except Exception:
                log.warning("Could not show the upvotes of question %s", question_id, exc_info=True)

    async def settle_labels(self) -> None:
        """Wait for the label edits that are due (before the bot closes; for tests)."""
        while pending := [t for t in self._label_due.values() if not t.done()]:
            await asyncio.gather(*pending, return_exceptions=True)

    async def mark_answered(self, question: Question) -> None:
        """Show on the public post that the chair has taken the question."""
        if question.public_channel_id is None or question.public_message_id is None:
            return
        # Posted in the Q&A channel itself only when its talk had no thread.
        qa = find_channel(self.guild(), self.settings.qa_channel)
        in_channel = qa is not None and question.public_channel_id == qa.id
        text = public_text(question, self.channel_reader(), with_talk=in_channel)
        channel = self.bot.get_partial_messageable(question.public_channel_id)
        try:
            await channel.get_partial_message(question.public_message_id).edit(content=text)
        except discord.HTTPException as error:
            log.warning("Could not mark question %s answered: %s", question.id, error)
