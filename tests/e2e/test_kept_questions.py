"""Questions never vanish, are never doubled: a run stopped at each step of a question's way
(stored, carded, approved, posted, told) leaves the rest to the next run, which makes each post
and each DM once, and answers the asker and the chair in their original responses."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.kept.model import KeptState
from bot.posts.model import PostKind, post_key
from bot.questions.model import QuestionStatus
from tests.e2e.test_questions import BIAU, BIAU_TITLE, DURING_BIAU, ask, click, thread_posts
from tests.support.harness import (
    answer_later,
    defer_always,
    eventually,
    running_amphi,
    test_settings,
)
from tests.support.paths import SHIPPED_MEETING


def hang(*_args, **_kwargs):
    """Stands in for a step the first run never finishes (the process is about to die)."""
    return asyncio.Event().wait()


@pytest.fixture
def talk_time(clock):
    clock.now = DURING_BIAU
    return clock


@pytest.fixture
def people(fake):
    """The asker, a moderator, an organizer, and Biau's speaker account."""
    return (
        fake.add_member("ada"),
        fake.add_member("mona", roles=["Moderator"]),
        fake.add_member("olga", roles=["Organizer"]),
        fake.add_member("gerard"),
    )


async def link_speaker(fake, organizer, speaker) -> None:
    linked = await fake.invoke("speaker link", {"talk": BIAU, "user": speaker}, user=organizer)
    await linked.message()


async def questions_of(services):
    talk_id = await services.questions.talk_id(*await services.questions.talk(BIAU))
    _talk, approved = await services.questions.approved(BIAU)
    return talk_id, approved


def cards(fake):
    return fake.messages("moderation")


async def test_a_question_stored_but_not_carded_is_carded_once(
    amphi_factory, fake, talk_time, people, monkeypatch
) -> None:
    ada, _mona, _olga, _gerard = people
    async with amphi_factory() as (bot, services):
        monkeypatch.setattr(bot.get_cog("QuestionsCog").relay, "post_card", hang)
        asked = await fake.invoke("ask", {"question": "Is the critic Lipschitz?"}, user=ada)
        assert "waiting for a moderator" in (await asked.message()).content
        await eventually(lambda: _state(services, asked.id, KeptState.ANSWERED))
    monkeypatch.undo()
    assert cards(fake) == []

    async with amphi_factory() as (_bot, services):
        await eventually(lambda: len(cards(fake)) == 1)
        [card] = cards(fake)
        assert "Is the critic Lipschitz?" in card.content and card.custom_ids()
        await eventually(lambda: _no_card_missing(services))
    assert len(cards(fake)) == 1


async def test_a_question_acknowledged_but_not_stored_is_stored_once_and_answered(
    amphi_factory, fake, talk_time, people, monkeypatch
) -> None:
    ada, _mona, _olga, _gerard = people
    async with amphi_factory() as (_bot, services):
        monkeypatch.setattr(services.questions, "ask", hang)  # the store never answers
        asked = await fake.invoke("ask", {"question": "Is the critic Lipschitz?"}, user=ada)
        await asked.response()
        assert asked.thinking
        assert await services.kept.state_of(asked.id) is KeptState.RECEIVED
    monkeypatch.undo()

    async with amphi_factory() as (_bot, services):
        reply = await asked.message(timeout=10)
        assert "waiting for a moderator" in reply.content
        await eventually(lambda: len(cards(fake)) == 1)
        await eventually(lambda: _state(services, asked.id, KeptState.ANSWERED))
    assert len(cards(fake)) == 1


@pytest.mark.parametrize("restart", ["within Discord's nonce window", "after it"])
async def test_a_card_posted_but_not_kept_is_found_not_posted_again(
    amphi_factory, fake, talk_time, people, monkeypatch, restart
) -> None:
    ada, mona, _olga, _gerard = people
    async with amphi_factory() as (_bot, services):
        monkeypatch.setattr(services.questions, "set_moderation_message", hang)
        asked = await fake.invoke("ask", {"question": "Why Wasserstein?"}, user=ada)
        await eventually(lambda: len(cards(fake)) == 1)
    monkeypatch.undo()
    if restart == "after it":
        fake.nonces.clear()  # Discord no longer remembers the nonce: the history finds the card
    else:  # the history cannot be read: the nonce alone keeps the card single
        fake.fail_next("GET", r"^/channels/\d+/messages$", 403, {"message": "no", "code": 50001})

    async with amphi_factory() as (_bot, services):
        reply = await asked.message(timeout=10)
        assert "waiting for a moderator" in reply.content
        await eventually(lambda: _no_card_missing(services))
        [card] = cards(fake)
        approved = await click(fake, card, "approve", mona)
        assert "Approved by" in (await approved.message()).content
        await eventually(lambda: len(thread_posts(fake)) == 1)
    assert len(cards(fake)) == 1


async def _no_card_missing(services) -> bool:
    return await services.questions.without_card() == []


async def _state(services, interaction_id: int, state: KeptState) -> bool:
    return await services.kept.state_of(interaction_id) is state


async def test_an_approval_cut_short_is_published_once_with_its_dms(
    amphi_factory, fake, talk_time, people, monkeypatch
) -> None:
    ada, mona, olga, gerard = people
    async with amphi_factory() as (bot, services):
        await link_speaker(fake, olga, gerard)
        await ask(fake, ada, "And the generator?")
        monkeypatch.setattr(bot.get_cog("QuestionsCog").relay, "_post", hang)
        await click(fake, cards(fake)[0], "approve", mona)
        await eventually(lambda: cards(fake)[0].custom_ids() == [])  # the card shows the decision
    monkeypatch.undo()
    assert thread_posts(fake) == []

    async with amphi_factory() as (_bot, services):
        await eventually(lambda: len(thread_posts(fake)) == 1)
        [post] = thread_posts(fake)
        assert "And the generator?" in post.content
        await eventually(lambda: len(fake.dms(ada)) == 1 and len(fake.dms(gerard)) == 1)
        assert "was approved" in fake.dms(ada)[0].content
        assert "New question for your talk" in fake.dms(gerard)[0].content
        _talk_id, [question] = await questions_of(services)
        assert question.public_message_id == post.id
    assert (len(thread_posts(fake)), len(fake.dms(ada)), len(fake.dms(gerard))) == (1, 1, 1)


@pytest.mark.parametrize("restart", ["within Discord's nonce window", "after it"])
async def test_a_post_made_but_not_kept_is_found_and_its_dms_sent_once(
    amphi_factory, fake, talk_time, people, monkeypatch, restart
) -> None:
    ada, mona, olga, gerard = people
    async with amphi_factory() as (_bot, services):
        await link_speaker(fake, olga, gerard)
        await ask(fake, ada, "Any bound?")
        monkeypatch.setattr(services.questions, "published", hang)
        await click(fake, cards(fake)[0], "approve", mona)
        await eventually(lambda: len(thread_posts(fake)) == 1)
    monkeypatch.undo()
    if restart == "after it":
        fake.nonces.clear()
    else:
        fake.fail_next("GET", r"^/channels/\d+/messages$", 403, {"message": "no", "code": 50001}, 2)

    async with amphi_factory() as (_bot, services):
        await eventually(lambda: len(fake.dms(ada)) == 1 and len(fake.dms(gerard)) == 1)
        _talk_id, [question] = await questions_of(services)
        assert question.public_message_id == thread_posts(fake)[0].id
    assert (len(thread_posts(fake)), len(fake.dms(ada)), len(fake.dms(gerard))) == (1, 1, 1)


async def test_dms_cut_short_are_finished_once(
    amphi_factory, fake, talk_time, people, monkeypatch
) -> None:
    ada, mona, olga, gerard = people
    async with amphi_factory() as (bot, services):
        await link_speaker(fake, olga, gerard)
        await ask(fake, ada, "Convergence?")
        monkeypatch.setattr(bot.get_cog("QuestionsCog").dms.dms, "send", hang)
        await click(fake, cards(fake)[0], "approve", mona)
        await eventually(lambda: len(thread_posts(fake)) == 1)
        await eventually(lambda: _owed(services))
    monkeypatch.undo()
    assert fake.dms(ada) == [] and fake.dms(gerard) == []

    async with amphi_factory() as (_bot, services):
        await eventually(lambda: len(fake.dms(ada)) == 1 and len(fake.dms(gerard)) == 1)
        await eventually(lambda: _nothing_owed(services))
    assert (len(fake.dms(ada)), len(fake.dms(gerard)), len(thread_posts(fake))) == (1, 1, 1)


async def _owed(services) -> bool:
    return bool(await services.questions.owed_dms())


async def _nothing_owed(services) -> bool:
    return await services.questions.owed_dms() == []


async def _approved_question(fake, people, text: str) -> None:
    ada, mona, _olga, _gerard = people
    await ask(fake, ada, text)
    await click(fake, cards(fake)[-1], "approve", mona)
    await eventually(lambda: any(text in p.content for p in thread_posts(fake)))


async def test_a_qa_next_taken_but_not_told_gives_the_chair_that_question(
    amphi_factory, fake, talk_time, people, monkeypatch
) -> None:
    _ada, mona, _olga, _gerard = people
    async with amphi_factory() as (bot, services):
        await _approved_question(fake, people, "Which metric?")
        answer_later(bot, monkeypatch)  # "thinking…", then an answer that never comes
        taken = await fake.invoke("qa next", {"talk": BIAU}, user=mona)
        await eventually(lambda: _state(services, taken.id, KeptState.APPLIED))
    monkeypatch.undo()
    assert taken.answer is None

    async with amphi_factory() as (_bot, services):
        reply = await taken.message(timeout=10)
        assert "Next question for" in reply.content and "Which metric?" in reply.content
        _talk_id, [question] = await questions_of(services)
        assert question.answered
        await eventually(lambda: "✅" in thread_posts(fake)[0].content)


async def test_a_qa_next_the_chair_can_no_longer_read_is_offered_again(
    amphi_factory, fake, talk_time, people, monkeypatch
) -> None:
    _ada, mona, _olga, _gerard = people
    async with amphi_factory() as (bot, services):
        await _approved_question(fake, people, "Which metric?")
        answer_later(bot, monkeypatch)  # "thinking…", then an answer that never comes
        taken = await fake.invoke("qa next", {"talk": BIAU}, user=mona)
        await eventually(lambda: _state(services, taken.id, KeptState.APPLIED))
    monkeypatch.undo()
    talk_time.now += timedelta(minutes=16)  # the chair's token has expired

    async with amphi_factory() as (_bot, services):
        await eventually(lambda: _state(services, taken.id, KeptState.ANSWERED))
        _talk_id, [question] = await questions_of(services)
        assert not question.answered  # back in the queue
        again = await fake.invoke("qa next", {"talk": BIAU}, user=mona)
        assert "Which metric?" in (await again.message()).content
    assert taken.answer is None


@pytest.mark.parametrize("answered", ["in the first response", "after thinking…"])
async def test_a_qa_next_whose_reply_fails_puts_the_question_back(
    amphi, fake, talk_time, people, answered
) -> None:
    bot, services = amphi
    _ada, mona, _olga, _gerard = people
    await _approved_question(fake, people, "Which metric?")
    if answered == "after thinking…":
        defer_always(bot)
        fake.fail_next("PATCH", r"webhooks/\d+/[^/]+/messages/@original", 400)
    else:
        fake.fail_next("POST", r"^/interactions/\d+/[^/]+/callback$", 400)
    failed = await fake.invoke("qa next", {"talk": BIAU}, user=mona)
    assert "something went wrong" in (await failed.message()).content
    _talk_id, [question] = await questions_of(services)
    assert not question.answered
    again = await fake.invoke("qa next", {"talk": BIAU}, user=mona)
    assert "Which metric?" in (await again.message()).content


async def test_questions_are_never_doubled_whatever_the_clicks(amphi, fake, talk_time, people):
    """Approve pressed by two moderators while the catch-up pass runs: one post, one DM each."""
    bot, services = amphi
    ada, mona, olga, gerard = people
    await link_speaker(fake, olga, gerard)
    await ask(fake, ada, "One post?")
    cog = bot.get_cog("QuestionsCog")
    otto = fake.add_member("otto", roles=["Moderator"])
    await asyncio.gather(
        click(fake, cards(fake)[0], "approve", mona),
        click(fake, cards(fake)[0], "approve", otto),
        cog.catch_up.run(),
        cog.catch_up.run(),
    )
    await eventually(lambda: len(fake.dms(gerard)) == 1 and len(fake.dms(ada)) == 1)
    await cog.catch_up.run()
    [question] = (await services.questions.approved(BIAU))[1]
    assert question.status is QuestionStatus.APPROVED
    assert (len(thread_posts(fake)), len(fake.dms(ada)), len(fake.dms(gerard))) == (1, 1, 1)
    assert [c.name for c in fake.state.channels.values() if c.is_thread] == [BIAU_TITLE]


LAST_TALK = "spherical-perspective-on-learning-with-batch"
LAST_TITLE = "Spherical Perspective on Learning with Batch Normalization"
NEXT_MEETING = f"""
slug = "next-meeting"
title = "The next meeting"
date = 2021-06-29
timezone = "Europe/Paris"
venue = "Here"
capacity = 50

[[sessions]]
title = "Encore"
start = "09:00"
end = "10:00"

  [[sessions.talks]]
  start = "09:00"
  title = "{LAST_TITLE}"
  speakers = [{{ name = "Bea Other" }}]
"""


@pytest.fixture
def two_meetings(tmp_path, fake, database_url, clock):
    """The shipped meeting and the next one, whose only talk bears the same title."""
    folder = tmp_path / "meetings"
    folder.mkdir()
    (folder / SHIPPED_MEETING.name).write_text(SHIPPED_MEETING.read_text(), encoding="utf-8")
    (folder / "next.toml").write_text(NEXT_MEETING, encoding="utf-8")
    settings = test_settings(fake, database_url, AMPHI_MEETINGS=str(folder))
    return lambda: running_amphi(fake, settings, clock)


async def test_a_question_stays_with_its_talks_meeting_when_the_next_becomes_active(
    two_meetings, fake, clock, people
) -> None:
    ada, mona, olga, gerard = people
    bea = fake.add_member("bea")
    clock.now = datetime(2021, 6, 28, 15, 50, tzinfo=UTC)  # 17:50 in Paris: the last talk
    async with two_meetings() as (_bot, services):
        await link_speaker_of(fake, olga, LAST_TALK, gerard)
        _asked, reply = await ask(fake, ada, "Scale invariance?")  # and its card
        assert "waiting for a moderator" in reply.content
        clock.now = datetime(2021, 6, 28, 16, 7, tzinfo=UTC)  # the day is over, Q&A is not
        assert (await services.programme.active_meeting()).slug == "next-meeting"
        await link_speaker_of(fake, olga, LAST_TALK, bea)  # the next meeting's talk
        await click(fake, cards(fake)[0], "approve", mona)
        await eventually(lambda: len(fake.dms(gerard)) == 1 and len(fake.dms(ada)) == 1)
        [question] = await services.questions.without_card() or [None]
        assert question is None
        shipped = await services.programme.meeting("theorie-du-deep-learning-2021")
        talk = shipped.talk(LAST_TALK)
        assert talk is not None
        talk_id = await services.questions.talk_id(shipped, talk)
        thread_id = await services.questions.thread_id(talk_id)
        [post] = [m for m in fake.messages(thread_id) if m.custom_ids()]
        assert "Scale invariance?" in post.content
        await services.posts.fire(
            post_key("theorie-du-deep-learning-2021", PostKind.QA_DIGEST, LAST_TALK)
        )
        await eventually(lambda: len(fake.dms(gerard)) == 2)
        assert "left unanswered after your talk" in fake.dms(gerard)[1].content
        assert fake.dms(bea) == []
        question_id = int(post.custom_ids()[0].split(":")[-1])
        published = await services.questions.get(question_id=question_id)
        assert published.publication_failed_at is None  # published at once, nothing failed


async def link_speaker_of(fake, organizer, talk: str, speaker) -> None:
    linked = await fake.invoke("speaker link", {"talk": talk, "user": speaker}, user=organizer)
    assert "is now linked" in (await linked.message()).content


async def test_an_ask_written_down_but_never_acknowledged_is_not_applied(
    amphi_factory, fake, talk_time, people, monkeypatch
) -> None:
    ada, _mona, _olga, _gerard = people
    async with amphi_factory() as (_bot, services):
        monkeypatch.setattr(services.questions, "ask", hang)  # slow: it will defer
        monkeypatch.setattr("discord.InteractionResponse.defer", hang)  # and never does
        asked = await fake.invoke("ask", {"question": "Lost in transit?"}, user=ada)
        await eventually(lambda: _state(services, asked.id, KeptState.RECEIVED))
    monkeypatch.undo()
    assert not asked.acknowledged  # the member saw "The application did not respond"

    async with amphi_factory() as (_bot, services):
        await eventually(lambda: _state(services, asked.id, KeptState.ANSWERED))
        assert await services.questions.without_card() == []
        again = await fake.invoke("ask", {"question": "Lost in transit?"}, user=ada)
        assert "waiting for a moderator" in (await again.message()).content
        await eventually(lambda: len(cards(fake)) == 1)  # one question: the second ask
