"""The DMs that follow questions: the asker and the speakers told of an approval, and the
speakers' end-of-talk digest. Each goes through the resumable broadcast (one delivery row per
recipient, a nonce per DM), so a restart finishes them and nobody gets one twice."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field

import discord

from bot.client import AmphiBot
from bot.core.i18n import Translator, translator_for
from bot.dms.service import Broadcaster
from bot.posts.model import PlannedPost
from bot.questions.model import Question
from bot.questions.render import approved_dm, digest, speaker_dm
from bot.questions.service import QuestionService, dm_key
from cogs.dm import DirectMessages

log = logging.getLogger(__name__)


@dataclass
class DigestReport:
    """What `send_digest` did: how many questions, and to whom they went or did not."""

    talk_id: int
    questions: int = 0
    delivered: int = 0
    failed: int = 0
    failures: dict[str, int] = field(default_factory=dict)


def digest_key(talk_id: int) -> str:
    """The broadcast key of a talk's digest."""
    return f"digest:{talk_id}"


class QuestionDms:
    """DMs about questions, each delivered once."""

    def __init__(
        self,
        bot: AmphiBot,
        service: QuestionService,
        broadcaster: Broadcaster,
        dms: DirectMessages,
    ) -> None:
        self.bot = bot
        self.service = service
        self.broadcaster = broadcaster
        self.dms = dms
        self._delivering: set[int] = set()

    def _guild_locale(self) -> str | None:
        guild = self.bot.get_guild(self.bot.settings.guild_id or 0)
        return guild.preferred_locale.value if guild else None

    def channel_reader(self) -> Translator:
        """The server's language, for the speakers' DMs."""
        return translator_for(None, self._guild_locale())

    async def approved(self, question: Question) -> None:
        """Tell the asker (in their language) and the talk's speakers of a published question.

        Who is owed a DM was written with the publication; this sends what is still owed.
        """
        if question.id in self._delivering or question.public_message_id is None:
            return  # another task of this run is delivering them
        self._delivering.add(question.id)
        try:
            guild_id = self.bot.settings.guild_id
            link = (
                f"https://discord.com/channels/{guild_id}/"
                f"{question.public_channel_id}/{question.public_message_id}"
            )
            asker = translator_for(question.locale, self._guild_locale())
            to_asker = approved_dm(question, link, asker)
            to_speakers = speaker_dm(question, self.channel_reader())
            report = await self.broadcaster.run(
                dm_key(question.id),
                [],
                lambda user_id: to_asker if user_id == question.author_id else to_speakers,
                self._send,
            )
        finally:
            self._delivering.discard(question.id)
        if report.failed:
            log.info("Question %s: %d DM(s) not delivered", question.id, report.failed)

    async def _send(self, user_id: int, text: str, nonce: str) -> None:
        await self.dms.send(user_id, text, nonce, suppress_embeds=True)

    async def deliver_owed(self) -> int:
        """Send the approval DMs an interrupted run still owed; for how many questions."""
        owed = await self.service.owed_dms()
        for question_id in owed:
            try:
                await self.approved(await self.service.get(question_id=question_id))
            except Exception:
                log.warning("Could not deliver the DMs of question %s", question_id, exc_info=True)
        return len(owed)

    async def digest_post(self, post: PlannedPost, late: bool) -> None:
        """The scheduler's digest of a talk, at its end."""
        meeting, talk = await self.service.talk_in(post.meeting_slug, post.target)
        await self.send_digest(await self.service.talk_id(meeting, talk))

    async def send_digest(self, talk_id: int) -> DigestReport:
        """DM each linked speaker the talk's unanswered approved questions, most votes first."""
        talk, questions = await self.service.unanswered(talk_id)
        report = DigestReport(talk_id=talk_id, questions=len(questions))
        if not questions:
            return report
        speakers = await self.service.speaker_accounts(talk_id)
        message = digest(talk, questions, self.channel_reader())

        async def send(user_id: int, text: str, nonce: str) -> None:
            files = []
            if message.file_name is not None:
                data = io.BytesIO(message.file_text.encode("utf-8"))
                files.append(discord.File(data, filename=message.file_name))
            await self.dms.send(user_id, text, nonce, files=files, suppress_embeds=True)

        delivery = await self.broadcaster.run(
            digest_key(talk_id), speakers, lambda _user: message.text, send
        )
        report.delivered, report.failed = delivery.sent, delivery.failed
        report.failures = dict(delivery.failures)
        log.info(
            "Digest of %s: %d question(s) to %d speaker(s), %d failed",
            talk.key,
            len(questions),
            report.delivered,
            report.failed,
        )
        return report
