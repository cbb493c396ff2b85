"""Question commands an earlier run acknowledged and did not answer (see `bot.kept`):
`/ask` is applied once, its card posted once, and answered; `/qa next` gives the chair the
question it took, or puts the question back when the chair can no longer be told."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.client import AmphiBot
from bot.core.errors import AmphiError
from bot.core.i18n import Translator, translator_for
from bot.kept.model import KeptCommand, KeptState, refusal_of
from bot.kept.service import Finish
from bot.questions.model import NextQuestion, Question
from bot.questions.render import ask_ack, next_question_text
from bot.questions.service import QuestionService
from cogs.kept import answer_kept, was_acknowledged
from cogs.questions.relay import QuestionRelay

log = logging.getLogger(__name__)

#: The kinds of kept commands, as the cog writes them down.
ASK, QA_NEXT = "ask", "qa-next"


class KeptQuestions:
    """Finishes each kind of kept question command."""

    def __init__(self, bot: AmphiBot, service: QuestionService, relay: QuestionRelay) -> None:
        self.bot = bot
        self.service = service
        self.relay = relay

    def kinds(self) -> dict[str, Finish]:
        """Each kind with the method that finishes it."""
        return {ASK: self.ask, QA_NEXT: self.qa_next}

    async def ask(self, command: KeptCommand) -> None:
        """An `/ask`: the question stored once, its card posted once, the asker answered."""
        tr = self._reader(command)
        options = command.options
        if command.state is KeptState.RECEIVED and not await self._promised(command):
            return  # the member saw it fail: asking again must not make two questions
        try:
            if command.state is KeptState.RECEIVED:
                meeting, talk = await self.service.talk_in(options["meeting"], options["talk"])
                question = await self.service.ask(
                    user_id=command.user_id,
                    display_name=options["display_name"],
                    text=options["question"],
                    meeting=meeting,
                    talk=talk,
                    anonymous=bool(options["anonymous"]),
                    locale=command.locale,
                    command=command,
                    at=command.received_at,  # judged as when it was asked
                )
                await self.relay.post_card(question)  # new in this run: it has no card yet
            elif kept_refusal := refusal_of(command.result):
                raise kept_refusal
            else:
                question = await self.service.get(question_id=int(command.result["question"]))
                # Its card may be out already, its id not kept: the pass looks for it first.
                await self.relay.catch_up_cards()
        except AmphiError as refusal:
            await self._answer(command, refusal.user_message(tr))
            return
        await self._answer(command, ask_ack(question, tr))

    async def qa_next(self, command: KeptCommand) -> None:
        """A `/qa next`: the chair gets the question taken for them, or it goes back."""
        tr = self._reader(command)
        options = command.options
        if kept_refusal := refusal_of(command.result):
            await self._answer(command, kept_refusal.user_message(tr))
            return
        taken: Question | None = None
        taken_at: datetime | None = None
        if command.state is not KeptState.RECEIVED and command.result.get("question"):
            taken = await self.service.get(question_id=int(command.result["question"]))
            taken_at = _instant(command.result.get("taken_at"))
        told = False
        try:
            meeting, talk = await self.service.talk_in(options["meeting"], options["talk"])
            if command.state is KeptState.RECEIVED:
                result = await self.service.next_question(
                    meeting=meeting, talk=talk, command=command
                )
                taken = result.question
                taken_at = taken.answered_at if taken else None
            else:
                remaining = int(command.result.get("remaining", 0))
                result = NextQuestion(talk=talk, question=taken, remaining=remaining)
            told = await self._answer(command, next_question_text(result, tr))
        except AmphiError as refusal:
            await self._answer(command, refusal.user_message(tr))
        except Exception:
            log.warning("Could not give the chair question %s", taken, exc_info=True)
        if taken is None:
            return
        if told:
            await self.relay.mark_answered(taken)
        else:  # the chair never saw it: the next /qa next offers it again
            await self.service.give_back(taken, taken_at=taken_at)

    async def _promised(self, command: KeptCommand) -> bool:
        """Whether the member was told "thinking…" (past the token's life: assume so)."""
        if not command.can_be_answered(self.service.clock()):
            return True
        return await was_acknowledged(self.bot, command)

    def _reader(self, command: KeptCommand) -> Translator:
        return translator_for(command.locale, command.guild_locale or None)

    async def _answer(self, command: KeptCommand, text: str) -> bool:
        """Whether the member was told (their token still valid, the response there)."""
        if not command.can_be_answered(self.service.clock()):
            return False
        return await answer_kept(self.bot, command, text, suppress_embeds=True)


def _instant(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None
