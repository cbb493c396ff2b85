"""Audience questions: asking, moderation, votes, the chair's next question.

Every rule that must hold under concurrency (one decision per question, one vote per member,
one chair per question, the asking quota) is enforced by a single transaction in
`bot.questions.queries`: an approval is `approve`, one conditional UPDATE whose row count picks
the first moderator, read with what the question's post needs. The Q&A window, the text rules
and when a failed publication may be retried are `bot.questions.model`. This service cleans the
input and reads the clock; which talk, and the talk's own Q&A (its window, thread and speakers'
accounts), are `bot.questions.talk_qa`'s, which it builds on. A user's action is one transaction.

A talk option names a talk of the active meeting; from the moment a question exists, all that
follows it (its approval, its post, the thread, the DMs, the digest) goes by the talk's id, so
it stays in the talk's own meeting whichever meeting becomes active.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlmodel import Session

from bot.core.clock import Clock
from bot.core.errors import AmphiError, NoMeeting, UnknownTalk
from bot.dms import queries as deliveries
from bot.kept import queries as commands
from bot.kept.model import KeptCommand
from bot.programme.model import Meeting, Talk
from bot.programme.service import ProgrammeService
from bot.questions import queries as store
from bot.questions import talks
from bot.questions.model import (
    MEMBER_LIMIT_COUNT,
    MEMBER_LIMIT_WINDOW,
    RATE_LIMIT_COUNT,
    RATE_LIMIT_WINDOW,
    NextQuestion,
    Publication,
    Question,
    QuestionStatus,
    VoteOutcome,
    check_question,
    qa_window,
)
from bot.questions.talk_qa import TalkQaService
from bot.registration.model import DISPLAY_NAME_LIMIT, clean_text
from bot.store.db import Database

T = TypeVar("T")

#: The DM broadcast that tells an approved question's asker and speakers (see `published`).
DM_PREFIX = "question:"


def dm_key(question_id: int) -> str:
    """The broadcast key of an approved question's DMs: each recipient gets it once."""
    return f"{DM_PREFIX}{question_id}"


class QuestionService(TalkQaService):
    """The Q&A of the meetings: questions asked, moderated, voted on and taken by the chair."""

    def __init__(
        self,
        db: Database,
        programme: ProgrammeService,
        clock: Clock,
        *,
        rate_limit: int = RATE_LIMIT_COUNT,
        rate_window: timedelta = RATE_LIMIT_WINDOW,
        member_limit: int = MEMBER_LIMIT_COUNT,
        member_window: timedelta = MEMBER_LIMIT_WINDOW,
    ) -> None:
        super().__init__(db, programme, clock)
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.member_limit = member_limit
        self.member_window = member_window

    # ----- asking ----------------------------------------------------------------------------
    async def ask(
        self,
        *,
        user_id: int,
        display_name: str,
        text: str,
        meeting: Meeting,
        talk: Talk,
        anonymous: bool = False,
        locale: str = "",
        command: KeptCommand | None = None,
        at: datetime | None = None,
    ) -> Question:
        """Queue a question for the moderators; refusals say what to do instead.

        With `command`, the kept command it fulfils is marked applied in the same transaction
        (with the question's id, or the refusal). `at` is when it was asked (now by default):
        a restart judges a command of the last run by its own time.
        """
        cleaned = check_question(text)
        values: dict[str, Any] = {
            "window": qa_window(meeting, talk),
            "author_id": user_id,
            "author_name": clean_text(display_name, DISPLAY_NAME_LIMIT) or str(user_id),
            "anonymous": anonymous,
            "text": cleaned,
            "locale": locale[:10],
            "now": at or self.clock(),
            "limit": self.rate_limit,
            "per": self.rate_window,
            "member_limit": self.member_limit,
            "member_per": self.member_window,
        }

        def transaction(session: Session) -> Question | AmphiError:
            talk_id = talks.talk_id(session, meeting=meeting, talk_key=talk.key)
            return commands.apply_kept(
                session,
                effect=lambda: store.ask(session, talk_id=talk_id, **values),
                command=command,
                result=lambda question: {"question": question.id},
            )

        return _raised(await self.db.run(transaction, write=True))

    async def set_moderation_message(
        self, *, question_id: int, channel_id: int, message_id: int
    ) -> None:
        """Remember the question's message in the moderation channel."""
        await self.db.run(
            store.set_moderation_message,
            question_id=question_id,
            channel_id=channel_id,
            message_id=message_id,
            write=True,
        )

    async def withdraw(self, *, question_id: int) -> None:
        """Drop a question that never reached the moderators."""
        await self.db.run(store.withdraw, question_id=question_id, write=True)

    async def get(self, *, question_id: int) -> Question:
        """One question, or QuestionNotFound."""
        return await self.db.run(store.get_question, question_id=question_id)

    async def tally(self) -> dict[str, int]:
        """Questions by status ("pending", "approved", "rejected"), and "answered" ones."""
        return await self.db.run(store.tally)

    async def without_card(self) -> list[Question]:
        """Pending questions whose moderation card is not known to be posted, oldest first."""
        return await self.db.run(store.without_card)

    # ----- moderation ------------------------------------------------------------------------
    async def approve(self, *, question_id: int, by: int) -> Publication:
        """Approve a pending question, and what its post needs (AlreadyDecided if someone was
        first, unless its publication failed: then this Approve publishes it)."""
        question, thread_id = await self.db.run(
            store.approve, question_id=question_id, by=by, now=self.clock(), write=True
        )
        return await self._publication(question, thread_id)

    async def reject(self, *, question_id: int, by: int) -> Question:
        """Reject a pending question (AlreadyDecided if someone was first)."""
        return await self.db.run(
            store.decide,
            question_id=question_id,
            status=QuestionStatus.REJECTED,
            by=by,
            now=self.clock(),
            write=True,
        )

    async def unpublished(self) -> list[Publication]:
        """Approved questions not known to be posted (an interrupted or failed publication's),
        with what their posts need."""
        found = await self.db.run(store.unpublished, decided_before=self.clock())
        return [await self._publication(question, thread_id) for question, thread_id in found]

    async def _publication(self, question: Question, thread_id: int | None) -> Publication:
        try:
            _meeting, talk = await self.talk_in(question.meeting_slug, question.talk_key)
        except (NoMeeting, UnknownTalk):  # gone from the programme: no thread can be made for it
            return Publication(question, None, thread_id)
        return Publication(question, talk, thread_id)

    async def published(self, question: Question, *, channel_id: int, message_id: int) -> Question:
        """The approved question is posted: remember where, and, in the same transaction, owe
        its DMs (the asker, the talk's linked speakers) so a restart still sends them. The
        question as it now stands."""

        def transaction(session: Session) -> Question:
            store.set_public_message(
                session, question_id=question.id, channel_id=channel_id, message_id=message_id
            )
            speakers = talks.speaker_accounts(session, talk_id=question.talk_id)
            recipients = [question.author_id, *speakers]
            deliveries.add_recipients(session, key=dm_key(question.id), user_ids=recipients)
            return store.get_question(session, question_id=question.id)

        return await self.db.run(transaction, write=True)

    async def publication_failed(self, *, question_id: int) -> None:
        """Publishing the approved question failed: a moderator's next Approve publishes it."""
        await self.db.run(
            store.record_failed_publication,
            question_id=question_id,
            now=self.clock(),
            write=True,
        )

    async def owed_dms(self) -> list[int]:
        """The approved questions whose DMs are not all sent (an interrupted run's)."""
        keys = await self.db.run(deliveries.unfinished_broadcasts, prefix=DM_PREFIX)
        return [int(key.removeprefix(DM_PREFIX)) for key in keys]

    # ----- votes and the chair -----------------------------------------------------------------
    async def toggle_vote(self, *, question_id: int, user_id: int) -> VoteOutcome:
        """Upvote an approved question, or take the upvote back."""
        return await self.db.run(
            store.toggle_vote, question_id=question_id, user_id=user_id, write=True
        )

    async def vote_count(self, *, question_id: int) -> int:
        """The question's upvotes now."""
        return await self.db.run(store.vote_count, question_id=question_id)

    async def approved(self, talk: str | None = None) -> tuple[Talk, list[Question]]:
        """The talk's approved questions, most votes first (ties: oldest first)."""
        meeting, found = await self.talk(talk)

        def transaction(session: Session) -> list[Question]:
            talk_id = talks.talk_id(session, meeting=meeting, talk_key=found.key)
            return store.approved_questions(session, talk_id=talk_id)

        return found, await self.db.run(transaction)

    async def approved_of(self, talk_id: int) -> tuple[Talk, list[Question]]:
        """The approved questions of the talk with this id (the pages after the first)."""
        return await self._questions_of(talk_id, unanswered_only=False)

    async def unanswered(self, talk_id: int) -> tuple[Talk, list[Question]]:
        """The talk's approved questions no chair has taken yet, most votes first (the digest)."""
        return await self._questions_of(talk_id, unanswered_only=True)

    async def _questions_of(
        self, talk_id: int, *, unanswered_only: bool
    ) -> tuple[Talk, list[Question]]:
        def transaction(session: Session) -> tuple[str, str, list[Question]]:
            slug, key = talks.talk_ref(session, talk_id=talk_id)
            found = store.approved_questions(
                session, talk_id=talk_id, unanswered_only=unanswered_only
            )
            return slug, key, found

        slug, key, questions = await self.db.run(transaction)
        _meeting, talk = await self._known_talk(slug, key)
        return talk, questions

    async def next_question(
        self, *, meeting: Meeting, talk: Talk, command: KeptCommand | None = None
    ) -> NextQuestion:
        """The most-voted unanswered question, marked taken, for the chair.

        With `command`, the kept `/qa next` is marked applied with the question in the same
        transaction, so a restart gives the chair that same question (or puts it back).
        """
        now = self.clock()

        def transaction(session: Session) -> tuple[Question | None, int] | AmphiError:
            talk_id = talks.talk_id(session, meeting=meeting, talk_key=talk.key)
            return commands.apply_kept(
                session,
                effect=lambda: store.take_next(session, talk_id=talk_id, now=now),
                command=command,
                result=taken_result,
            )

        question, remaining = _raised(await self.db.run(transaction, write=True))
        return NextQuestion(talk=talk, question=question, remaining=remaining)

    async def give_back(self, question: Question, *, taken_at: datetime | None) -> None:
        """The chair never got `question`, taken at `taken_at`: the next `/qa next` offers it
        again (unless another chair has taken it since)."""
        await self.db.run(store.give_back, question_id=question.id, taken_at=taken_at, write=True)


def taken_result(taken: tuple[Question | None, int]) -> dict[str, Any]:
    """What a kept `/qa next` answers after a restart: which question, taken when."""
    question, remaining = taken
    if question is None or question.answered_at is None:
        return {"question": None, "remaining": 0}
    return {
        "question": question.id,
        "remaining": remaining,
        "taken_at": question.answered_at.isoformat(),
    }


def _raised(outcome: T | AmphiError) -> T:
    """The outcome of a kept transaction, its refusal raised once the refusal is committed."""
    if isinstance(outcome, AmphiError):
        raise outcome
    return outcome
