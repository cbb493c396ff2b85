"""An approved question's way to its public post: the decision and what the post needs in one
transaction, the post and the DMs it owes in another, and when a failed publication lets a
moderator's next Approve publish it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.programme.service import ProgrammeService
from bot.questions.model import (
    PUBLICATION_TIMEOUT,
    AlreadyDecided,
    Question,
    QuestionStatus,
    publication_failed,
)
from bot.questions.service import QuestionService
from bot.store.db import Database
from tests.support.harness import FakeClock
from tests.support.paths import SHIPPED_MEETING

BIAU = "some-theoretical-insights-into-wasserstein-gans"
DURING_BIAU = datetime(2021, 6, 28, 8, 10, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(DURING_BIAU)


@pytest.fixture
def service(db: Database, clock: FakeClock) -> QuestionService:
    programme = ProgrammeService(db, clock)
    programme.import_files(SHIPPED_MEETING)
    return QuestionService(db, programme, clock)


async def asked(service: QuestionService, user: int = 1) -> Question:
    meeting, talk = await service.talk(BIAU)
    return await service.ask(
        user_id=user, display_name=f"user{user}", text="Why?", meeting=meeting, talk=talk
    )


def approved(**changes) -> Question:
    base = Question(
        id=1,
        talk_id=1,
        meeting_slug="m",
        talk_key="t",
        talk_title="T",
        author_id=1,
        author_name="a",
        anonymous=False,
        text="Why?",
        status=QuestionStatus.APPROVED,
        created_at=DURING_BIAU,
        decided_by=9,
        decided_at=DURING_BIAU,
    )
    return replace(base, **changes)


def test_a_publication_fails_when_recorded_so_or_when_it_is_overdue() -> None:
    soon = DURING_BIAU + PUBLICATION_TIMEOUT
    assert not publication_failed(approved(), soon)  # still under way
    assert publication_failed(approved(), soon + timedelta(seconds=1))  # its run was cut short
    assert publication_failed(approved(publication_failed_at=DURING_BIAU), DURING_BIAU)
    posted = approved(publication_failed_at=DURING_BIAU, public_message_id=5)
    assert not publication_failed(posted, soon + timedelta(days=1))
    for status in (QuestionStatus.PENDING, QuestionStatus.REJECTED):
        assert not publication_failed(approved(status=status), soon + timedelta(days=1))


async def test_approve_hands_over_what_the_post_needs(service) -> None:
    question = await asked(service)
    talk_id = question.talk_id
    await service.set_thread_id(talk_id, 4242)
    publication = await service.approve(question_id=question.id, by=9)
    assert publication.question.status is QuestionStatus.APPROVED
    assert publication.question.decided_by == 9
    assert publication.thread_id == 4242
    assert publication.talk is not None and publication.talk.key == BIAU


async def test_published_records_the_post_and_owes_the_dms(service) -> None:
    await service.link_speaker(talk=BIAU, user_id=77)
    publication = await service.approve(question_id=(await asked(service, 5)).id, by=9)
    question = publication.question
    assert await service.owed_dms() == []
    posted = await service.published(question, channel_id=11, message_id=12)
    assert (posted.public_channel_id, posted.public_message_id) == (11, 12)
    assert await service.owed_dms() == [question.id]
    assert await service.unpublished() == []


async def test_a_failed_publication_is_published_by_the_next_approve(service, clock) -> None:
    question = await asked(service)
    await service.approve(question_id=question.id, by=9)
    with pytest.raises(AlreadyDecided):  # its publication is under way
        await service.approve(question_id=question.id, by=8)
    await service.publication_failed(question_id=question.id)
    again = await service.approve(question_id=question.id, by=8)
    assert again.question.id == question.id and again.question.decided_by == 9
    [waiting] = await service.unpublished()
    assert waiting.question.id == question.id
    await service.published(again.question, channel_id=11, message_id=12)
    with pytest.raises(AlreadyDecided):  # it is out
        await service.approve(question_id=question.id, by=8)


async def test_an_overdue_publication_is_published_by_the_next_approve(service, clock) -> None:
    question = await asked(service)
    await service.approve(question_id=question.id, by=9)
    clock.now = DURING_BIAU + PUBLICATION_TIMEOUT
    with pytest.raises(AlreadyDecided):
        await service.approve(question_id=question.id, by=8)
    clock.now += timedelta(seconds=1)  # no run published it in time: it was interrupted
    assert (await service.approve(question_id=question.id, by=8)).question.id == question.id


async def test_a_rejected_question_is_never_published(service, clock) -> None:
    question = await asked(service)
    await service.reject(question_id=question.id, by=9)
    clock.now = DURING_BIAU + timedelta(hours=1)
    with pytest.raises(AlreadyDecided):
        await service.approve(question_id=question.id, by=8)
    assert await service.unpublished() == []
