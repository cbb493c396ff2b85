"""Audience questions on SQLite and PostgreSQL: rules, windows, quota, races, votes, the chair."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from bot.core.errors import UnknownTalk
from bot.programme.files import load_meeting_file
from bot.programme.service import ProgrammeService
from bot.questions.model import (
    AlreadyDecided,
    EmptyQuestion,
    NoTalkNow,
    NotVotable,
    Publication,
    QaState,
    QuestionNotFound,
    QuestionsClosed,
    QuestionsNotOpenYet,
    QuestionStatus,
    QuestionTooLong,
    SpeakerNeeded,
    TooManyQuestions,
    TooManyQuestionsOverall,
    UnknownSpeaker,
    clean_question,
    default_talk,
)
from bot.questions.service import QuestionService
from bot.store.db import Database
from tests.support.harness import FakeClock
from tests.support.paths import SHIPPED_MEETING

BIAU = "some-theoretical-insights-into-wasserstein-gans"  # 10:00–10:45 Paris, session 1
ACHOUR = "existence-stability-and-scalability-of"  # 10:45–11:05
ZNIYED = "tensor-based-approaches-for-learning-flexible"  # 16:00–16:20, session 2
DURING_BIAU = datetime(2021, 6, 28, 8, 10, tzinfo=UTC)  # 10:10 in Paris
LUNCH = datetime(2021, 6, 28, 11, 0, tzinfo=UTC)  # 13:00 in Paris, between the sessions

TWO_SPEAKERS = """
slug = "small-day"
title = "Small day"
date = 2021-07-01
timezone = "UTC"
venue = "Online"
capacity = 10

[[sessions]]
title = "Morning"
start = "09:00"
end = "11:00"

  [[sessions.talks]]
  start = "09:00"
  end = "09:30"
  title = "Duet"
  speakers = [{ name = "Ann Duo" }, { name = "Bea Duo" }]

  [[sessions.talks]]
  start = "10:00"
  title = "After the gap"
  speakers = [{ name = "Cy Solo" }]
"""


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(DURING_BIAU)


@pytest.fixture
def service(db: Database, clock: FakeClock) -> QuestionService:
    programme = ProgrammeService(db, clock)
    programme.import_files(SHIPPED_MEETING)
    return QuestionService(db, programme, clock)


async def ask(
    service: QuestionService, user: int, text: str = "Why?", talk: str | None = None, **options
):
    meeting, found = await service.talk(talk)
    return await service.ask(
        user_id=user, display_name=f"user{user}", text=text, meeting=meeting, talk=found, **options
    )


async def take(service: QuestionService, talk: str):
    meeting, found = await service.talk(talk)
    return await service.next_question(meeting=meeting, talk=found)


async def talk_id(service: QuestionService, talk: str) -> int:
    meeting, found = await service.talk(talk)
    return await service.talk_id(meeting, found)


def test_migrations_match_the_tables(db: Database) -> None:
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    ours = [d for d in diff if "question" in repr(d) or "talk_qa" in repr(d)]
    assert ours == []


def test_cleaning_keeps_the_text_but_not_invisible_characters() -> None:
    assert clean_question("  What about\u200b GANs?\u202e\u2066 \n") == "What about GANs?"
    assert clean_question("a\x00b\x07c\u00adD") == "abcD"
    assert clean_question("👩\u200d🔬 *bold* <@1> @everyone") == "👩\u200d🔬 *bold* <@1> @everyone"
    assert clean_question("x\u200dy") == "xy"
    assert clean_question("line one\r\nline two") == "line one\nline two"


async def test_ask_defaults_to_the_talk_on_now_and_cleans(service) -> None:
    question = await ask(service, 1, "  Is the \u202ediscriminator\u200b Lipschitz?  ")
    assert question.talk_key == BIAU
    assert question.text == "Is the discriminator Lipschitz?"
    assert question.status is QuestionStatus.PENDING
    assert (question.author_name, question.anonymous) == ("user1", False)
    hidden = await ask(service, 2, "Anonymous one", anonymous=True, talk=ACHOUR)
    assert hidden.anonymous and hidden.talk_key == ACHOUR


@pytest.mark.parametrize(
    ("text", "error"),
    [("", EmptyQuestion), (" \u200b\n\t ", EmptyQuestion), ("x" * 501, QuestionTooLong)],
)
async def test_bad_questions_are_refused(service, text, error) -> None:
    with pytest.raises(error):
        await ask(service, 1, text)


async def test_five_hundred_characters_is_the_edge(service) -> None:
    question = await ask(service, 1, " " + "é" * 500 + " ")
    assert len(question.text) == 500
    with pytest.raises(QuestionTooLong) as refused:
        await ask(service, 2, "é" * 501)
    assert "501 characters" in str(refused.value) and "500" in str(refused.value)


async def test_between_sessions_a_talk_must_be_named(service, clock) -> None:
    clock.now = LUNCH
    with pytest.raises(NoTalkNow):
        await ask(service, 1)
    with pytest.raises(UnknownTalk):
        await ask(service, 1, talk="no such talk at all")
    # Session 1's last talk ended at 12:25, so its questions stay open until 12:55 only.
    with pytest.raises(QuestionsClosed) as closed:
        await ask(service, 1, talk="heavy-tailed")
    assert "<t:1624877700:t>" in str(closed.value)  # 12:55 in Paris
    with pytest.raises(QuestionsNotOpenYet) as early:
        await ask(service, 1, talk=ZNIYED)
    assert "<t:1624888800:t>" in str(early.value)  # 16:00 in Paris


async def test_window_opens_at_the_session_start_and_closes_30_minutes_after(
    service, clock
) -> None:
    session_start = datetime(2021, 6, 28, 8, 0, tzinfo=UTC)
    clock.now = session_start - timedelta(seconds=1)
    with pytest.raises(QuestionsNotOpenYet):
        await ask(service, 1, talk=ACHOUR)
    clock.now = session_start  # a later talk of the session takes questions already
    assert (await ask(service, 1, talk=ACHOUR)).talk_key == ACHOUR
    achour_end = datetime(2021, 6, 28, 9, 5, tzinfo=UTC)
    clock.now = achour_end + timedelta(minutes=29, seconds=59)
    assert (await ask(service, 2, talk=ACHOUR)).talk_key == ACHOUR
    clock.now = achour_end + timedelta(minutes=30)
    with pytest.raises(QuestionsClosed):
        await ask(service, 3, talk=ACHOUR)
    _talk, window = await service.window(ACHOUR)
    assert window.closes_at == achour_end + timedelta(minutes=30)
    assert not window.is_open(clock.now)


async def test_moderators_open_and_close_whatever_the_window(service, clock) -> None:
    await service.set_state(BIAU, QaState.CLOSED)
    with pytest.raises(QuestionsClosed) as closed:
        await ask(service, 1)
    assert "moderators have closed" in str(closed.value)
    clock.now = LUNCH
    await service.set_state(ZNIYED, QaState.OPEN)
    assert (await ask(service, 1, talk=ZNIYED)).talk_key == ZNIYED
    _talk, window = await service.window(ZNIYED)
    assert window.state is QaState.OPEN


async def test_three_questions_per_talk_in_five_minutes(service, clock) -> None:
    start = clock.now
    for minute in range(3):
        clock.now = start + timedelta(minutes=minute)
        await ask(service, 1, f"Question {minute}")
    with pytest.raises(TooManyQuestions) as refused:
        await ask(service, 1, "One too many")
    retry_at = start + timedelta(minutes=5)
    assert f"<t:{int(retry_at.timestamp())}:t>" in str(refused.value)
    assert (await ask(service, 1, "Another talk", talk=ACHOUR)).talk_key == ACHOUR
    assert (await ask(service, 2, "Someone else")).author_id == 2
    clock.now = retry_at - timedelta(seconds=1)
    with pytest.raises(TooManyQuestions):
        await ask(service, 1, "Still too early")
    clock.now = retry_at
    assert (await ask(service, 1, "Now it is fine")).text == "Now it is fine"


async def test_the_quota_holds_under_concurrency(service) -> None:
    results = await asyncio.gather(
        *(ask(service, 7, f"Burst {i}") for i in range(8)), return_exceptions=True
    )
    accepted = [r for r in results if not isinstance(r, BaseException)]
    assert len(accepted) == 3
    assert all(isinstance(r, TooManyQuestions) for r in results if r not in accepted)


async def test_two_moderators_approving_at_once_make_one_decision(service) -> None:
    question = await ask(service, 1)
    results = await asyncio.gather(
        service.approve(question_id=question.id, by=100),
        service.approve(question_id=question.id, by=200),
        return_exceptions=True,
    )
    winners = [r.question for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, AlreadyDecided)]
    assert len(winners) == 1 and len(losers) == 1
    assert winners[0].status is QuestionStatus.APPROVED
    assert f"<@{winners[0].decided_by}>" in str(losers[0])
    stored = await service.get(question_id=question.id)
    assert stored.decided_by == winners[0].decided_by


async def test_approve_and_reject_race_leaves_one_status(service) -> None:
    questions = [await ask(service, 10 + i, f"Q{i}") for i in range(3)]
    for question in questions:
        results = await asyncio.gather(
            service.reject(question_id=question.id, by=1),
            service.approve(question_id=question.id, by=2),
            return_exceptions=True,
        )
        decided = [r for r in results if not isinstance(r, BaseException)]
        assert len(decided) == 1
        [status] = [r.question.status if isinstance(r, Publication) else r.status for r in decided]
        assert (await service.get(question_id=question.id)).status is status
    with pytest.raises(QuestionNotFound):
        await service.approve(question_id=999_999, by=1)


async def test_votes_toggle_one_per_member(service) -> None:
    question = await ask(service, 1)
    with pytest.raises(NotVotable):
        await service.toggle_vote(question_id=question.id, user_id=5)
    await service.approve(question_id=question.id, by=9)
    first = await service.toggle_vote(question_id=question.id, user_id=5)
    assert (first.voted, first.votes) == (True, 1)
    second = await service.toggle_vote(question_id=question.id, user_id=6)
    assert (second.voted, second.votes) == (True, 2)
    undone = await service.toggle_vote(question_id=question.id, user_id=5)
    assert (undone.voted, undone.votes) == (False, 1)
    assert await service.vote_count(question_id=question.id) == 1


async def test_many_votes_at_once_all_count(service) -> None:
    question = await ask(service, 1)
    await service.approve(question_id=question.id, by=9)
    outcomes = await asyncio.gather(
        *(service.toggle_vote(question_id=question.id, user_id=u) for u in range(100, 150))
    )
    assert all(o.voted and 1 <= o.votes <= 50 for o in outcomes)
    assert await service.vote_count(question_id=question.id) == 50


async def approved_with_votes(service, clock, votes: list[int]) -> list[int]:
    """Questions asked a minute apart, approved, each with its number of votes; their ids."""
    ids = []
    for index, count in enumerate(votes):
        clock.now = DURING_BIAU + timedelta(minutes=index)
        question = await ask(service, 1000 + index, f"Question {index}")
        await service.approve(question_id=question.id, by=9)
        for voter in range(count):
            await service.toggle_vote(question_id=question.id, user_id=voter)
        ids.append(question.id)
    return ids


async def test_questions_list_most_votes_first_ties_oldest_first(service, clock) -> None:
    ids = await approved_with_votes(service, clock, [1, 3, 0, 3, 2])
    rejected = await ask(service, 1, "Rejected one")
    await service.reject(question_id=rejected.id, by=9)
    await ask(service, 2, "Still pending")
    talk, listed = await service.approved(BIAU)
    assert talk.key == BIAU
    assert [q.id for q in listed] == [ids[1], ids[3], ids[4], ids[0], ids[2]]
    assert [q.votes for q in listed] == [3, 3, 2, 1, 0]


async def test_qa_next_follows_the_votes_and_marks_answered(service, clock) -> None:
    ids = await approved_with_votes(service, clock, [0, 2, 1])
    first = await take(service, BIAU)
    assert first.question is not None and first.question.id == ids[1]
    assert first.question.answered and first.remaining == 2
    second = await take(service, BIAU)
    assert second.question is not None and second.question.id == ids[2]
    _talk, unanswered = await service.unanswered(await talk_id(service, BIAU))
    assert [q.id for q in unanswered] == [ids[0]]
    _talk, listed = await service.approved(BIAU)
    assert [q.answered for q in listed] == [True, True, False]
    third = await take(service, BIAU)
    assert third.question is not None and third.remaining == 0
    empty = await take(service, BIAU)
    assert empty.question is None and empty.remaining == 0


async def test_two_chairs_never_get_the_same_question(service, clock) -> None:
    ids = await approved_with_votes(service, clock, [5, 4, 3, 2, 1, 0, 0, 0])
    results = await asyncio.gather(*(take(service, BIAU) for _ in range(10)))
    taken = [r.question.id for r in results if r.question is not None]
    assert sorted(taken) == sorted(ids)
    assert sum(r.question is None for r in results) == 2


async def test_speaker_link_and_accounts(service) -> None:
    talk, person = await service.link_speaker(talk=BIAU, user_id=4242)
    assert (talk.key, person.name) == (BIAU, "Gérard Biau")
    assert await service.speaker_accounts(await talk_id(service, BIAU)) == [4242]
    assert await service.speaker_accounts(await talk_id(service, ACHOUR)) == []
    with pytest.raises(UnknownSpeaker):
        await service.link_speaker(talk=BIAU, user_id=1, speaker="Someone Else")


async def test_threads_are_remembered(service) -> None:
    assert await service.thread_id(await talk_id(service, BIAU)) is None
    await service.set_thread_id(await talk_id(service, BIAU), 123456789012345678)
    assert await service.thread_id(await talk_id(service, BIAU)) == 123456789012345678
    assert await service.thread_id(await talk_id(service, ACHOUR)) is None


@pytest.fixture
def small_day(db: Database, tmp_path: Path) -> tuple[QuestionService, FakeClock]:
    path = tmp_path / "small-day.toml"
    path.write_text(TWO_SPEAKERS, encoding="utf-8")
    clock = FakeClock(datetime(2021, 7, 1, 9, 40, tzinfo=UTC))
    programme = ProgrammeService(db, clock)
    programme.import_files(path)
    return QuestionService(db, programme, clock), clock


async def test_a_talk_with_several_speakers_needs_a_name(small_day) -> None:
    service, _clock = small_day
    with pytest.raises(SpeakerNeeded) as refused:
        await service.link_speaker(talk="duet", user_id=1)
    assert "Ann Duo, Bea Duo" in str(refused.value)
    _talk, person = await service.link_speaker(talk="duet", user_id=2, speaker="bea duo")
    assert person.name == "Bea Duo"
    await service.link_speaker(talk="duet", user_id=1, speaker="Ann Duo")
    assert await service.speaker_accounts(await talk_id(service, "duet")) == [1, 2]


async def test_in_a_gap_the_next_talk_of_the_session_is_the_default(small_day) -> None:
    service, clock = small_day
    question = await ask(service, 1)  # 09:40: the duet is over, the next talk is at 10:00
    assert question.talk_key == "after-the-gap"
    clock.now = datetime(2021, 7, 1, 11, 30, tzinfo=UTC)
    with pytest.raises(NoTalkNow):
        await ask(service, 1)


def test_default_talk_is_pure() -> None:
    meeting = load_meeting_file(SHIPPED_MEETING)
    assert default_talk(meeting, DURING_BIAU).key == BIAU
    assert default_talk(meeting, datetime(2021, 6, 28, 8, 45, tzinfo=UTC)).key == ACHOUR
    for instant in (LUNCH, datetime(2021, 6, 27, tzinfo=UTC), datetime(2021, 6, 29, tzinfo=UTC)):
        with pytest.raises(NoTalkNow):
            default_talk(meeting, instant)


async def test_a_member_asks_at_most_eight_questions_in_half_an_hour_across_talks(
    service, clock
) -> None:
    talks = [BIAU, ACHOUR, "a-neural-tangent-kernel-perspective-of-gans"]
    for talk in talks:
        await service.set_state(talk, QaState.OPEN)
    for index in range(8):
        clock.now = DURING_BIAU + timedelta(seconds=index)
        await ask(service, 1, f"Question {index}", talk=talks[index // 3])
    with pytest.raises(TooManyQuestionsOverall) as refused:
        await ask(service, 1, "The ninth", talk=talks[2])
    assert "8 questions in the last 30 minutes" in str(refused.value)
    await ask(service, 2, "Someone else's", talk=talks[2])  # the limit is the member's
    clock.now = DURING_BIAU + timedelta(minutes=30, seconds=1)
    assert (await ask(service, 1, "Later", talk=talks[2])).text == "Later"


async def test_the_same_question_again_is_the_question_already_asked(service, clock) -> None:
    first = await ask(service, 1, "Why the critic?")
    again = await ask(service, 1, "Why the critic?")  # "did not respond", so asked again
    assert again.id == first.id
    other = await ask(service, 2, "Why the critic?")  # someone else's is their own
    assert other.id != first.id
    clock.now = DURING_BIAU + timedelta(minutes=6)
    later = await ask(service, 1, "Why the critic?")  # asked again, on purpose, later on
    assert later.id != first.id
