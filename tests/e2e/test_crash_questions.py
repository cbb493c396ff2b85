"""`amphi run` killed hard while the audience asks and moderators approve: every acknowledged
`/ask` is answered, every question has one card, every approved question one post and one DM to
its asker and to its speaker, whatever the moment of the kill."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.harness import eventually
from tests.support.processes import kill, meeting_file, run_env, store_seeds
from tests.support.question_round import (
    approve_as_they_come,
    assert_each_question_once,
    finish_the_round,
)

ASKERS = 80


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
        clicked.clear()  # the second run's moderator approves what is still pending
        approving = asyncio.ensure_future(approve_as_they_come(fake, moderator, clicked))
        stored = await finish_the_round(fake, env, now, askers, results, text, speaker)
        approving.cancel()
    finally:
        await kill(second)

    assert_each_question_once(fake, stored, askers, results, text, speaker)
    print(
        f"seed {seed}: {len(promised)} of {ASKERS} asks acknowledged, {len(stored)} questions, "
        f"all carded, published and told once"
    )
