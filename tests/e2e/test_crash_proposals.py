"""`amphi run` killed hard while members send their proposals, then while the decisions go out
by DM: every acknowledged proposal is answered and stored once with one card, and every proposer
is told their decision exactly once, whatever the moments of the kills."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.config import load_settings
from bot.proposals.model import Draft
from bot.services import prepare
from tests.support.harness import eventually
from tests.support.processes import kill, run_env, store_seeds

PROPOSERS = 30


def meeting_file(folder: Path, now: datetime) -> Path:
    """A meeting in a month whose call closes in ten days (UTC)."""
    day = now + timedelta(days=30)
    closes = now + timedelta(days=10)
    path = folder / "call.toml"
    path.write_text(
        f"""
slug = "call-crash"
title = "Call crash test"
date = {day:%Y-%m-%d}
timezone = "UTC"
venue = "Here"
capacity = 100

[call]
closes = {closes:%Y-%m-%dT%H:%M:%S}

[[sessions]]
title = "Session 1"
start = "10:00"
end = "11:00"

  [[sessions.talks]]
  start = "10:00"
  title = "A talk"
  speakers = [{{ name = "Ada Lovelace" }}]
""",
        encoding="utf-8",
    )
    return path


def form(title: str) -> dict[str, str]:
    return {"title": title, "abstract": f"The abstract of {title}.", "authors": "Ada (Here)"}


async def submit_all(fake, members, title) -> tuple[dict, list]:
    """Each member's form shown, then all of them sent at once; (the forms, the sends)."""
    shown = {}
    for member in members:
        shown[member.id] = await fake.invoke("propose", user=member)
        await shown[member.id].response(timeout=10)
        assert shown[member.id].modal is not None
    sent = [
        asyncio.ensure_future(fake.submit_modal(shown[m.id], form(title[m.id]), user=m))
        for m in members
    ]
    return shown, sent


@pytest.mark.parametrize(("database_url", "seed"), store_seeds(), indirect=["database_url"])
async def test_a_hard_kill_among_proposals_keeps_every_promise(
    fake, tmp_path: Path, database_url: str, runs, seed: int
) -> None:
    now = datetime.now(UTC)
    fake.add_channel("proposals")
    env = run_env(fake, meeting_file(tmp_path, now), database_url)
    members = [fake.add_member(f"p{seed}-{i}") for i in range(PROPOSERS)]
    title = {m.id: f"Talk {i} of seed {seed}" for i, m in enumerate(members)}

    first = await runs.start(fake, env)
    shown, sent = await submit_all(fake, members, title)
    await eventually(lambda: any(t.done() and t.result().acknowledged for t in sent))
    await asyncio.sleep(random.Random(seed).uniform(0, 0.5))
    await kill(first)
    results = await asyncio.gather(*sent)
    promised = [(m, r) for m, r in zip(members, results, strict=True) if r.acknowledged]

    second = await runs.start(fake, env)
    try:
        await eventually(lambda: all(r.answer for _, r in promised), timeout=60)
        for member, result in zip(members, results, strict=True):
            if not result.acknowledged:  # they saw it fail: the same form, sent again
                again = await fake.submit_modal(shown[member.id], form(title[member.id]))
                assert "P-" in (await again.message(timeout=10)).content
        services = prepare(load_settings(env), clock=lambda: now)
        try:
            stored = await services.proposals.ranked(sort="received")
        finally:
            services.close()
        await eventually(lambda: len(fake.messages("proposals")) >= len(stored), timeout=90)
        await asyncio.sleep(1.0)  # time for anything extra to arrive
    finally:
        await kill(second)

    for _member, result in promised:  # every acknowledged proposal answered with its reference
        assert "P-" in result.answer, result.answer
    for member in members:
        mine = [p for p in stored if p.user_id == member.id]
        # An acknowledged proposal is stored once; so is a form whose sending the member saw
        # fail and sent again, even when the first was stored before the bot died.
        assert len(mine) == 1, [p.reference for p in mine]
    for member in members:  # one card per proposal
        cards = [c for c in fake.messages("proposals") if title[member.id] in c.text()]
        mine = [p for p in stored if p.user_id == member.id]
        assert len(cards) == len(mine), title[member.id]
    print(f"seed {seed}: {len(promised)} of {PROPOSERS} acknowledged, {len(stored)} stored")


@pytest.mark.parametrize(("database_url", "seed"), store_seeds(), indirect=["database_url"])
async def test_a_hard_kill_while_decisions_go_out_tells_each_proposer_once(
    fake, tmp_path: Path, database_url: str, runs, seed: int
) -> None:
    now = datetime.now(UTC)
    fake.add_channel("proposals")
    env = run_env(fake, meeting_file(tmp_path, now), database_url, DM_RATE="20")
    organizer = fake.add_member(f"org{seed}", roles=["Organizer"])
    members = [fake.add_member(f"p{seed}-{i}") for i in range(PROPOSERS)]
    title = {m.id: f"Talk {i} of seed {seed}" for i, m in enumerate(members)}
    services = prepare(load_settings(env), clock=lambda: now)
    try:  # the proposals are in and decided before the bot starts
        for index, member in enumerate(members):
            draft = Draft(kind="talk", **form(title[member.id]))
            made = await services.proposals.propose(
                user_id=member.id, display_name=member.name, draft=draft
            )
            accept = index % 3 != 0
            await services.proposals.decide(by=organizer.id, proposal_id=made.id, accept=accept)
    finally:
        services.close()

    async def notify() -> None:
        preview = await (await fake.invoke("proposals notify", user=organizer)).message(timeout=10)
        send = [c for c in preview.custom_ids() if c.startswith("amphi:pp:send:")]
        if send:
            await (await fake.click(preview, send[0], user=organizer)).response(timeout=10)

    first = await runs.start(fake, env)
    await notify()
    await eventually(lambda: any(fake.dms(m) for m in members), timeout=30)
    await asyncio.sleep(random.Random(seed).uniform(0, 1.2))  # 30 DMs at 20 a second
    await kill(first)

    second = await runs.start(fake, env)
    try:
        await notify()
        await eventually(lambda: all(fake.dms(m) for m in members), timeout=60)
        await asyncio.sleep(1.0)  # time for anything extra to arrive
    finally:
        await kill(second)
    told = [len(fake.dms(m)) for m in members]
    assert told == [1] * PROPOSERS, told
    for index, member in enumerate(members):  # the acceptances with their buttons
        buttons = fake.dms(member)[0].custom_ids()
        assert bool(buttons) == (index % 3 != 0), buttons
    print(f"seed {seed}: {PROPOSERS} decisions, each told once")
