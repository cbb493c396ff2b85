"""Audience questions: asking, moderation, votes, the chair's next question, speakers' accounts.

Every rule that must hold under concurrency (one decision per question, one vote per member,
one chair per question, the asking quota) is enforced by a single transaction in
`bot.questions.queries`: an approval is `decide`, one conditional UPDATE whose row count picks
the first moderator. The Q&A window and the text rules are `bot.questions.model`. This service
picks the talk, cleans the input and reads the clock.
"""

from __future__ import annotations

from datetime import timedelta

from bot.core.clock import Clock
from bot.programme.model import Meeting, Person, Talk
from bot.programme.service import ProgrammeService
from bot.questions import queries as store
from bot.questions.model import (
    RATE_LIMIT_COUNT,
    RATE_LIMIT_WINDOW,
    NextQuestion,
    QaState,
    QaWindow,
    Question,
    QuestionStatus,
    SpeakerNeeded,
    UnknownSpeaker,
    VoteOutcome,
    check_question,
    default_talk,
    qa_window,
)
from bot.registration.model import DISPLAY_NAME_LIMIT, clean_text
from bot.store.db import Database


class QuestionService:
    """The Q&A of the active meeting."""

    def __init__(
        self,
        db: Database,
        programme: ProgrammeService,
        clock: Clock,
        *,
        rate_limit: int = RATE_LIMIT_COUNT,
        rate_window: timedelta = RATE_LIMIT_WINDOW,
    ) -> None:
        self.db = db
        self.programme = programme
        self.clock = clock
        self.rate_limit = rate_limit
        self.rate_window = rate_window

    async def talk(self, query: str | None = None) -> tuple[Meeting, Talk]:
        """The talk a `talk` option names; without one, the talk on now (or next in session)."""
        if query and query.strip():
            return await self.programme.find_talk(query)
        meeting = await self.programme.active_meeting()
        return meeting, default_talk(meeting, self.clock())

    async def talk_by_key(self, talk_key: str) -> tuple[Meeting, Talk]:
        """The talk with this key in the active meeting (for the scheduler's calls)."""
        return await self.programme.find_talk(talk_key)

    async def ask(
        self,
        *,
        user_id: int,
        display_name: str,
        text: str,
        talk: str | None = None,
        anonymous: bool = False,
        locale: str = "",
    ) -> Question:
        """Queue a question for the moderators; refusals say what to do instead."""
        cleaned = check_question(text)
        meeting, found = await self.talk(talk)
        return await self.db.run(
            store.ask,
            meeting=meeting,
            talk_key=found.key,
            window=qa_window(meeting, found),
            author_id=user_id,
            author_name=clean_text(display_name, DISPLAY_NAME_LIMIT) or str(user_id),
            anonymous=anonymous,
            text=cleaned,
            locale=locale[:10],
            now=self.clock(),
            limit=self.rate_limit,
            per=self.rate_window,
            write=True,
        )

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

    async def approve(self, *, question_id: int, by: int) -> Question:
        """Approve a pending question (AlreadyDecided if someone was first)."""
        return await self._decide(question_id, QuestionStatus.APPROVED, by)

    async def reject(self, *, question_id: int, by: int) -> Question:
        """Reject a pending question (AlreadyDecided if someone was first)."""
        return await self._decide(question_id, QuestionStatus.REJECTED, by)

    async def _decide(self, question_id: int, status: QuestionStatus, by: int) -> Question:
        return await self.db.run(
            store.decide,
            question_id=question_id,
            status=status,
            by=by,
            now=self.clock(),
            write=True,
        )

    async def set_public_message(
        self, *, question_id: int, channel_id: int, message_id: int
    ) -> None:
        """Remember where the approved question was posted."""
        await self.db.run(
            store.set_public_message,
            question_id=question_id,
            channel_id=channel_id,
            message_id=message_id,
            write=True,
        )

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
        questions = await self.db.run(store.approved_questions, meeting=meeting, talk_key=found.key)
        return found, questions

    async def unanswered(self, talk_key: str) -> tuple[Talk, list[Question]]:
        """The talk's approved questions no chair has taken yet, most votes first (the digest)."""
        meeting, found = await self.talk_by_key(talk_key)
        questions = await self.db.run(
            store.approved_questions, meeting=meeting, talk_key=found.key, unanswered_only=True
        )
        return found, questions

    async def next_question(self, talk: str | None = None) -> NextQuestion:
        """The most-voted unanswered question, marked answered, for the chair."""
        meeting, found = await self.talk(talk)
        question, remaining = await self.db.run(
            store.take_next, meeting=meeting, talk_key=found.key, now=self.clock(), write=True
        )
        return NextQuestion(talk=found, question=question, remaining=remaining)

    async def window(self, talk: str | None = None) -> tuple[Talk, QaWindow]:
        """When the talk takes questions, with the moderators' override."""
        meeting, found = await self.talk(talk)
        state = await self.db.run(store.qa_state, meeting=meeting, talk_key=found.key)
        return found, qa_window(meeting, found, state)

    async def set_state(self, talk: str, state: QaState) -> tuple[Talk, QaWindow]:
        """Open or close the talk's questions (a moderator's decision)."""
        meeting, found = await self.talk(talk)
        await self.db.run(
            store.set_qa_state, meeting=meeting, talk_key=found.key, state=state, write=True
        )
        return found, qa_window(meeting, found, state)

    async def thread_id(self, talk_key: str) -> int | None:
        """The talk's Q&A thread, once created."""
        meeting, found = await self.talk_by_key(talk_key)
        return await self.db.run(store.thread_id, meeting=meeting, talk_key=found.key)

    async def set_thread_id(self, talk_key: str, thread_id: int | None) -> None:
        """Remember the talk's Q&A thread (None: it was deleted)."""
        meeting, found = await self.talk_by_key(talk_key)
        await self.db.run(
            store.set_thread_id,
            meeting=meeting,
            talk_key=found.key,
            thread_id=thread_id,
            write=True,
        )

    async def link_speaker(
        self, *, talk: str, user_id: int, speaker: str | None = None
    ) -> tuple[Talk, Person]:
        """Link a speaker of the talk (the only one, or the one named) to a Discord account."""
        meeting, found = await self.talk(talk)
        names = [p.name for p in found.speakers]
        if speaker and speaker.strip():
            wanted = speaker.strip().casefold()
            chosen = next((p for p in found.speakers if p.name.casefold() == wanted), None)
            if chosen is None:
                raise UnknownSpeaker(speaker, found.title, names)
        elif len(found.speakers) == 1:
            chosen = found.speakers[0]
        elif not found.speakers:
            raise UnknownSpeaker(speaker or "", found.title, names)
        else:
            raise SpeakerNeeded(found.title, names)
        await self.db.run(
            store.link_speaker,
            meeting=meeting,
            talk_key=found.key,
            speaker_name=chosen.name,
            user_id=user_id,
            write=True,
        )
        return found, chosen

    async def speaker_accounts(self, talk_key: str) -> list[int]:
        """The Discord accounts of the talk's linked speakers."""
        meeting, found = await self.talk_by_key(talk_key)
        return await self.db.run(store.speaker_accounts, meeting=meeting, talk_key=found.key)
