"""`amphi run` killed hard while the audience asks and moderators approve: every acknowledged
`/ask` is answered, every question has one card, every approved question one post and one DM to
its asker and to its speaker, whatever the moment of the kill."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from bot.core.config import load_settings
from bot.questions.model import QuestionStatus
from bot.services import prepare
from bot.store.models import QuestionRow
from tests.support.harness import eventually
from tests.support.processes import kill, meeting_file, run_env, store_seeds

ASKERS = 80


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


@pytest.mark.parametrize(("database_url", "seed"), store_seeds(), indirect=["database_url"])
async def test_a_hard_kill_among_questions_keeps_every_promise(
    fake, tmp_path: Path, database_url: str, runs, seed: int
) -> None:
    now = datetime.now(UTC)
    start = (now - timedelta(minutes=2)).replace(second=0, microsecond=0)  # the talk is on
    meetings = meeting_file(tmp_path, start, start - timedelta(minutes=5), start)
    env = run_env(fake, meetings, database_url)
    moderator = fake.add_member(f"mod{seed}", roles=["Moderator"])
    organizer = fake.add_member(f"org{seed}", roles=["Organizer"])
    speaker = fake.add_member(f"ada{seed}")
    askers = [fake.add_member(f"q{seed}-{i}") for i in range(ASKERS)]
    text = {m.id: f"Question {i} of seed {seed}?" for i, m in enumerate(askers)}

    first = await runs.start(fake, env)
    linked = await fake.invoke("speaker link", {"talk": "a-talk", "user": speaker}, user=organizer)
    assert "is now linked" in (await linked.message(timeout=10)).content
    clicked: set[int] = set()
    approving = asyncio.ensure_future(approve_as_they_come(fake, moderator, clicked))
    asks = [
        asyncio.ensure_future(fake.invoke("ask", {"question": text[m.id]}, user=m)) for m in askers
    ]
    await eventually(lambda: any(t.done() and t.result().acknowledged for t in asks))
    await asyncio.sleep(random.Random(seed).uniform(0, 1.0))
    await kill(first)
    approving.cancel()
    results = await asyncio.gather(*asks)
    promised = [(m, r) for m, r in zip(askers, results, strict=True) if r.acknowledged]

    second = await runs.start(fake, env)
    try:
        await eventually(lambda: all(r.answer for _, r in promised), timeout=60)
        # The others saw "did not respond"; they ask again, and their question is there once.
        for member, result in zip(askers, results, strict=True):
            if not result.acknowledged:
                retry = await fake.invoke("ask", {"question": text[member.id]}, user=member)
                assert "waiting for a moderator" in (await retry.message(timeout=10)).content
        clicked.clear()  # the second run's moderator approves what is still pending
        approving = asyncio.ensure_future(approve_as_they_come(fake, moderator, clicked))
        services = prepare(load_settings(env), clock=lambda: now)
        try:

            async def published() -> bool:
                return all_published(await _questions(services))

            await eventually(published, timeout=60, interval=0.25)
            stored = await _questions(services)

        finally:
            services.close()

        # Every DM owed arrives, if need be with the next catch-up pass (every minute).
        def all_told() -> bool:
            return texts_in(fake.dms(speaker), "") >= len(stored) and all(
                fake.dms(q.author_id) for q in stored
            )

        await eventually(all_told, timeout=90, interval=0.1)
        await asyncio.sleep(1.0)  # time for anything extra to arrive
        approving.cancel()
    finally:
        await kill(second)

    by_author = {q.author_id: q for q in stored}
    assert len(by_author) == len(stored) == ASKERS  # each member's question, once
    for _member, result in promised:  # every acknowledged ask answered as the store says
        assert "waiting for a moderator" in result.answer, result.answer
    [thread] = [c for c in fake.state.channels.values() if c.is_thread]
    for question in stored:
        asked = text[question.author_id]
        assert texts_in(fake.messages("moderation"), asked) == 1, asked  # one card
        assert texts_in(fake.messages(thread.id), asked) == 1, asked  # one public post
        assert texts_in(fake.dms(question.author_id), asked) == 1, asked  # one DM to the asker
        assert texts_in(fake.dms(speaker), asked) == 1, asked  # and one to the speaker
    print(
        f"seed {seed}: {len(promised)} of {ASKERS} asks acknowledged, {len(stored)} questions, "
        f"all carded, published and told once"
    )


def all_published(stored) -> bool:
    return bool(stored) and all(
        q.status == QuestionStatus.APPROVED.value and q.public_message_id for q in stored
    )


async def _questions(services):
    """Every stored question, whatever its status (the rows: one cheap query)."""

    def every_question(session):
        return list(session.exec(select(QuestionRow).order_by(col(QuestionRow.id))))

    return await services.db.run(every_question)
