"""Audience questions: asking, moderation, votes, the chair's next question, speakers' accounts.

Every rule that must hold under concurrency (one decision per question, one vote per member,
one chair per question, the asking quota) is enforced by a single transaction in
`bot.questions.queries`: an approval is `decide`, one conditional UPDATE whose row count picks
the first moderator. The Q&A window and the text rules are `bot.questions.model`. This service
picks the talk, cleans the input and reads the clock.

A talk option names a talk of the active meeting; from the moment a question exists, all that
follows it (its approval, its post, the thread, the DMs, the digest) goes by the talk's id, so
it stays in the talk's own meeting whichever meeting becomes active.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlmodel import Session

from bot.core.clock import Clock
from bot.core.errors import AmphiError, UnknownTalk
from bot.dms import queries as deliveries
from bot.kept import queries as commands
from bot.kept.model import KeptCommand
from bot.programme.model import Meeting, Person, Talk
from bot.programme.service import ProgrammeService
from bot.questions import queries as store
from bot.questions import talks
from bot.questions.model import (
    MEMBER_LIMIT_COUNT,
    MEMBER_LIMIT_WINDOW,
    RATE_LIMIT_COUNT,
    RATE_LIMIT_WINDOW,
    NextQuestion,
    QaState,
    QaWindow,
    Question,
    QuestionNotFound,
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

T = TypeVar("T")

#: The DM broadcast that tells an approved question's asker and speakers (see `published`).
DM_PREFIX = "question:"


def dm_key(question_id: int) -> str:
    """The broadcast key of an approved question's DMs: each recipient gets it once."""
    return f"{DM_PREFIX}{question_id}"


class QuestionService:
    """The Q&A of the meetings: talk options name the active meeting's talks."""

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
        self.db = db
        self.programme = programme
        self.clock = clock
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.member_limit = member_limit
        self.member_window = member_window

    # ----- which talk ----------------------------------------------------------------------
    async def talk(self, query: str | None = None) -> tuple[Meeting, Talk]:
        """The talk a `talk` option names; without one, the talk on now (or next in session)."""
        if query and query.strip():
            return await self.programme.find_talk(query)
        meeting = await self.programme.active_meeting()
        return meeting, default_talk(meeting, self.clock())

    async def talk_in(self, meeting_slug: str, talk_key: str) -> tuple[Meeting, Talk]:
        """A talk of a given meeting, by key (kept commands, the scheduler)."""
        meeting = await self.programme.meeting(meeting_slug)
        found = meeting.talk(talk_key)
        if found is None:
            raise UnknownTalk(talk_key)
        return meeting, found

    async def talk_of(self, talk_id: int) -> tuple[Meeting, Talk]:
        """The talk with this store id, in its own meeting."""
        slug, key = await self.db.run(talks.talk_ref, talk_id=talk_id)
        try:
            return await self.talk_in(slug, key)
        except UnknownTalk as gone:
            raise QuestionNotFound() from gone

    async def talk_id(self, meeting: Meeting, talk: Talk) -> int:
        """The store's id of `talk`."""
        return await self.db.run(talks.talk_id, meeting=meeting, talk_key=talk.key)

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
        talk_id = await self.talk_id(meeting, talk)
        values: dict[str, Any] = {
            "talk_id": talk_id,
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
            return commands.apply_kept(
                session,
                effect=lambda: store.ask(session, **values),
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

    async def unpublished(self, *, decided_before: datetime) -> list[Question]:
        """Approved questions not known to be posted, approved by `decided_before`."""
        return await self.db.run(store.unpublished, decided_before=decided_before)

    async def published(self, question: Question, *, channel_id: int, message_id: int) -> None:
        """The approved question is posted: remember where, and, in the same transaction, owe
        its DMs (the asker, the talk's linked speakers) so a restart still sends them."""

        def transaction(session: Session) -> None:
            store.set_public_message(
                session, question_id=question.id, channel_id=channel_id, message_id=message_id
            )
            speakers = talks.speaker_accounts(session, talk_id=question.talk_id)
            recipients = [question.author_id, *speakers]
            deliveries.add_recipients(session, key=dm_key(question.id), user_ids=recipients)

        await self.db.run(transaction, write=True)

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
        talk_id = await self.talk_id(meeting, found)
        return found, await self.db.run(store.approved_questions, talk_id=talk_id)

    async def approved_of(self, talk_id: int) -> tuple[Talk, list[Question]]:
        """The approved questions of the talk with this id (the pages after the first)."""
        _meeting, found = await self.talk_of(talk_id)
        return found, await self.db.run(store.approved_questions, talk_id=talk_id)

    async def unanswered(self, talk_id: int) -> tuple[Talk, list[Question]]:
        """The talk's approved questions no chair has taken yet, most votes first (the digest)."""
        _meeting, found = await self.talk_of(talk_id)
        questions = await self.db.run(
            store.approved_questions, talk_id=talk_id, unanswered_only=True
        )
        return found, questions

    async def next_question(
        self, *, meeting: Meeting, talk: Talk, command: KeptCommand | None = None
    ) -> NextQuestion:
        """The most-voted unanswered question, marked taken, for the chair.

        With `command`, the kept `/qa next` is marked applied with the question in the same
        transaction, so a restart gives the chair that same question (or puts it back).
        """
        talk_id = await self.talk_id(meeting, talk)
        now = self.clock()

        def transaction(session: Session) -> tuple[Question | None, int] | AmphiError:
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

    # ----- a talk's Q&A ------------------------------------------------------------------------
    async def window(self, talk: str | None = None) -> tuple[Talk, QaWindow]:
        """When the talk takes questions, with the moderators' override."""
        meeting, found = await self.talk(talk)
        talk_id = await self.talk_id(meeting, found)
        state = await self.db.run(talks.qa_state, talk_id=talk_id)
        return found, qa_window(meeting, found, state)

    async def set_state(self, talk: str, state: QaState) -> tuple[Talk, QaWindow]:
        """Open or close the talk's questions (a moderator's decision)."""
        meeting, found = await self.talk(talk)
        talk_id = await self.talk_id(meeting, found)
        await self.db.run(talks.set_qa_state, talk_id=talk_id, state=state, write=True)
        return found, qa_window(meeting, found, state)

    async def thread_id(self, talk_id: int) -> int | None:
        """The talk's Q&A thread, once created."""
        return await self.db.run(talks.thread_id, talk_id=talk_id)

    async def set_thread_id(self, talk_id: int, thread_id: int | None) -> None:
        """Remember the talk's Q&A thread (None: it was deleted)."""
        await self.db.run(talks.set_thread_id, talk_id=talk_id, thread_id=thread_id, write=True)

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
        talk_id = await self.talk_id(meeting, found)
        await self.db.run(
            talks.link_speaker,
            talk_id=talk_id,
            speaker_name=chosen.name,
            user_id=user_id,
            write=True,
        )
        return found, chosen

    async def speaker_accounts(self, talk_id: int) -> list[int]:
        """The Discord accounts of the talk's linked speakers."""
        return await self.db.run(talks.speaker_accounts, talk_id=talk_id)


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
