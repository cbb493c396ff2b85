"""A talk's Q&A: which talk a command names, when it takes questions (with the moderators'
override), its thread, and its speakers' Discord accounts.

A talk option names a talk of the active meeting, or, left out, the talk on now; a talk the store
names by its id is found in its own meeting, whichever meeting is active. `QuestionService`
builds on this service for the questions themselves; each public method is one transaction.
"""

from __future__ import annotations

from sqlmodel import Session

from bot.core.clock import Clock
from bot.core.errors import UnknownTalk
from bot.programme.model import Meeting, Person, Talk
from bot.programme.service import ProgrammeService
from bot.questions import talks
from bot.questions.model import (
    QaState,
    QaWindow,
    QuestionNotFound,
    SpeakerNeeded,
    UnknownSpeaker,
    default_talk,
    qa_window,
)
from bot.store.db import Database


class TalkQaService:
    """The talks of the meetings' Q&A: talk options name the active meeting's talks."""

    def __init__(self, db: Database, programme: ProgrammeService, clock: Clock) -> None:
        self.db = db
        self.programme = programme
        self.clock = clock

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
        return await self._known_talk(slug, key)

    async def _known_talk(self, meeting_slug: str, talk_key: str) -> tuple[Meeting, Talk]:
        """A talk named by the store, in its meeting (QuestionNotFound once it is gone)."""
        try:
            return await self.talk_in(meeting_slug, talk_key)
        except UnknownTalk as gone:
            raise QuestionNotFound() from gone

    async def talk_id(self, meeting: Meeting, talk: Talk) -> int:
        """The store's id of `talk`."""
        return await self.db.run(talks.talk_id, meeting=meeting, talk_key=talk.key)

    # ----- a talk's Q&A ------------------------------------------------------------------------
    async def window(self, talk: str | None = None) -> tuple[Talk, QaWindow]:
        """When the talk takes questions, with the moderators' override."""
        meeting, found = await self.talk(talk)

        def transaction(session: Session) -> QaState:
            talk_id = talks.talk_id(session, meeting=meeting, talk_key=found.key)
            return talks.qa_state(session, talk_id=talk_id)

        return found, qa_window(meeting, found, await self.db.run(transaction))

    async def set_state(self, talk: str, state: QaState) -> tuple[Talk, QaWindow]:
        """Open or close the talk's questions (a moderator's decision)."""
        meeting, found = await self.talk(talk)

        def transaction(session: Session) -> None:
            talk_id = talks.talk_id(session, meeting=meeting, talk_key=found.key)
            talks.set_qa_state(session, talk_id=talk_id, state=state)

        await self.db.run(transaction, write=True)
        return found, qa_window(meeting, found, state)

    async def thread_id(self, talk_id: int) -> int | None:
        """The talk's Q&A thread, once created."""
        return await self.db.run(talks.thread_id, talk_id=talk_id)

    async def set_thread_id(self, talk_id: int, thread_id: int | None) -> None:
        """Remember the talk's Q&A thread (None: it was deleted)."""
        await self.db.run(talks.set_thread_id, talk_id=talk_id, thread_id=thread_id, write=True)

    async def forget_thread(self, talk_id: int, thread_id: int) -> None:
        """The talk's Q&A thread `thread_id` was deleted (unless another replaced it already)."""
        await self.db.run(talks.forget_thread, talk_id=talk_id, thread_id=thread_id, write=True)

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

        def transaction(session: Session) -> None:
            talk_id = talks.talk_id(session, meeting=meeting, talk_key=found.key)
            talks.link_speaker(session, talk_id=talk_id, speaker_name=chosen.name, user_id=user_id)

        await self.db.run(transaction, write=True)
        return found, chosen

    async def speaker_accounts(self, talk_id: int) -> list[int]:
        """The Discord accounts of the talk's linked speakers."""
        return await self.db.run(talks.speaker_accounts, talk_id=talk_id)
