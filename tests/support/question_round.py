"""A round of audience questions cut short by a kill, as the crash and takeover tests play it:
moderators approving cards as they come, then everything owed checked once the bot is back."""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlmodel import col, select

from bot.core.config import load_settings
from bot.questions.model import QuestionStatus
from bot.services import prepare
from bot.store.models import QuestionRow
from tests.support.harness import eventually


def texts_in(messages, text: str) -> int:
    return sum(1 for m in messages if text in m.content)


async def approve_as_they_come(fake, moderator, clicked: set[int]) -> None:
    """A moderator pressing Approve on every card that has its buttons, as cards appear."""
    clicks: set[asyncio.Task] = set()
    while True:
        for card in fake.messages("moderation"):
            approve = [c for c in card.custom_ids() if c.startswith("amphi:q:approve:")]
            if approve and card.id not in clicked:
                clicked.add(card.id)
                click = asyncio.ensure_future(fake.click(card, approve[0], user=moderator))
                clicks.add(click)
                click.add_done_callback(clicks.discard)
        await asyncio.sleep(0.02)


def all_published(stored) -> bool:
    return bool(stored) and all(
        q.status == QuestionStatus.APPROVED.value and q.public_message_id for q in stored
    )


async def stored_questions(services) -> list[QuestionRow]:
    """Every stored question, whatever its status (the rows: one cheap query)."""

    def every_question(session):
        return list(session.exec(select(QuestionRow).order_by(col(QuestionRow.id))))

    return await services.db.run(every_question)


async def finish_the_round(
    fake, env: dict[str, str], now: datetime, askers, results, text: dict[int, str], speaker
) -> list[QuestionRow]:
    """Once a bot is back (moderators approving): every acknowledged ask is answered without
    being asked again; the others saw "did not respond" and ask again; every question is
    published and every DM owed arrives. The stored questions."""
    promised = [r for r in results if r.acknowledged]
    await eventually(lambda: all(r.answer for r in promised), timeout=60)
    for member, result in zip(askers, results, strict=True):
        if not result.acknowledged:
            retry = await fake.invoke("ask", {"question": text[member.id]}, user=member)
            assert "waiting for a moderator" in (await retry.message(timeout=10)).content
    services = prepare(load_settings(env), clock=lambda: now)
    try:

        async def published() -> bool:
            return all_published(await stored_questions(services))

        await eventually(published, timeout=60, interval=0.25)
        stored = await stored_questions(services)
    finally:
        services.close()

    # Every DM owed arrives, if need be with the next catch-up pass (every minute).
    def all_told() -> bool:
        return texts_in(fake.dms(speaker), "") >= len(stored) and all(
            fake.dms(q.author_id) for q in stored
        )

    await eventually(all_told, timeout=90, interval=0.1)
    await asyncio.sleep(1.0)  # time for anything extra to arrive
    return stored


def assert_each_question_once(fake, stored, askers, results, text: dict[int, str], speaker) -> None:
    """Each member's question stored once, every acknowledged ask answered as the store says,
    and each question one card, one public post, one DM to its asker and one to the speaker."""
    by_author = {q.author_id: q for q in stored}
    assert len(by_author) == len(stored) == len(askers)
    for result in results:
        if result.acknowledged:
            assert "waiting for a moderator" in result.answer, result.answer
    [thread] = [c for c in fake.state.channels.values() if c.is_thread]
    for question in stored:
        asked = text[question.author_id]
        assert texts_in(fake.messages("moderation"), asked) == 1, asked  # one card
        assert texts_in(fake.messages(thread.id), asked) == 1, asked  # one public post
        assert texts_in(fake.dms(question.author_id), asked) == 1, asked  # one DM to the asker
        assert texts_in(fake.dms(speaker), asked) == 1, asked  # and one to the speaker
