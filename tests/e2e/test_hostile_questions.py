"""Hostile questions through /ask, moderation, the thread, votes and DMs: nothing crashes,
pings, unfurls or exceeds Discord's limits. 100 of them in `make test`; `make long` (or
AMPHI_FUZZ_QUESTIONS=1000) asks 1,000."""

from __future__ import annotations

import asyncio
import logging
import os
import random
from datetime import UTC, datetime, timedelta

from bot.questions.model import clean_question
from tests.support.harness import eventually

BIAU = "some-theoretical-insights-into-wasserstein-gans"
SESSION_START = datetime(2021, 6, 28, 8, 0, tzinfo=UTC)  # 10:00 in Paris: Biau's talk starts
SUPPRESS_EMBEDS = 1 << 2
ROUNDS = 4  # 4 questions each, one per 5-minute window
QUESTIONS = int(os.environ.get("AMPHI_FUZZ_QUESTIONS", "100"))
MEMBERS = QUESTIONS // ROUNDS

PIECES = [
    "<@1>",
    "<@!1>",
    "<@&2>",
    "<#3>",
    "@everyone",
    "@here",
    "[x](https://e.com)",
    "[click](<https://evil.example/?q=1>)",
    "https://example.com/a_b?c=d&e=*f*",
    "www.example.org",
    "```py\nprint('hi')\n```",
    "`code`",
    "**bold**",
    "__under__",
    "~~gone~~",
    "||spoiler||",
    "> quoted",
    "# Heading",
    "-# small",
    "1. item",
    "<t:1624867200:R>",
    "<:blob:123>",
    "</ask:123>",
    "\\",
    "\u200b",
    "\u200d",
    "\u202e",
    "\u2066",
    "\ufeff",
    "\x00",
    "\x1b[31m",
    "👩\u200d🔬",
    "🎉",
    "é",
    "\n",
    "  ",
]


def hostile_question(rng: random.Random, index: int) -> str:
    """A question made of pieces meant to ping, format, unfurl or overflow; some at the edges."""
    text = f"Q{index} " + "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 40)))
    edge = index % 10
    if edge == 1:  # exactly 500 characters once cleaned
        text = (clean_question(text)[:400] + "x" * 500)[:500] + "\u200b "
    elif edge == 2:  # one too many
        text = (clean_question(text)[:400] + "y" * 501)[:501]
    elif edge == 3:
        text = text[:30] + "🎉" * 470  # 500 code points, 1,000 UTF-16 units
    return text


def discord_length(text: str) -> int:
    """Discord counts UTF-16 code units; at least as strict as counting code points."""
    return len(text.encode("utf-16-le")) // 2


def assert_within_limits(message) -> None:
    assert discord_length(message.content) <= 2000, len(message.content)
    assert len(message.embeds) <= 10
    total = 0
    for embed in message.embeds:
        title, description = embed.get("title") or "", embed.get("description") or ""
        footer = (embed.get("footer") or {}).get("text") or ""
        assert len(title) <= 256 and len(description) <= 4096 and len(footer) <= 2048
        total += len(title) + len(description) + len(footer)
        for field in embed.get("fields") or []:
            total += len(field["name"]) + len(field["value"])
    assert total <= 6000
    for row in message.components:
        for button in row.get("components", []):
            assert len(button.get("label") or "") <= 80
            assert len(button.get("custom_id") or "") <= 100


async def test_hostile_questions(amphi, fake, clock, caplog) -> None:
    bot, services = amphi
    fake.interaction_deadline = 60  # the fake shares the bot's loop; latency is not tested here
    rng = random.Random(20210628)
    moderator = fake.add_member("mona", roles=["Moderator"])
    speaker = fake.add_member("gerard")
    organizer = fake.add_member("olga", roles=["Organizer"])
    await (
        await fake.invoke("speaker link", {"talk": BIAU, "user": speaker}, user=organizer)
    ).message()
    members = [fake.add_member(f"m{i:03d}") for i in range(MEMBERS)]

    replies = []
    for round_number in range(ROUNDS):
        clock.now = SESSION_START + timedelta(minutes=5 * round_number)
        results = await asyncio.gather(
            *(
                fake.invoke(
                    "ask",
                    {
                        "question": hostile_question(rng, round_number * MEMBERS + i),
                        "anonymous": i % 7 == 0,
                    },
                    user=member,
                )
                for i, member in enumerate(members)
            )
        )
        replies += [await r.message(timeout=60) for r in results]
    total = MEMBERS * ROUNDS
    assert len(replies) == total
    accepted = [r for r in replies if "waiting for a moderator" in r.content]
    too_long = [r for r in replies if "501 characters" in r.content]
    empty = [r for r in replies if "Your question is empty" in r.content]
    assert len(accepted) + len(too_long) + len(empty) == total
    assert len(too_long) == total // 10 and len(accepted) >= total * 89 // 100
    # Each card follows its answer.
    await eventually(lambda: len(fake.messages("moderation")) == len(accepted), timeout=60)
    cards = fake.messages("moderation")

    # Approve a tenth of them, vote on some, take a few, and send the digest.
    for card in cards[::10]:
        approve = await fake.click(card, card.custom_ids()[0], user=moderator)
        await approve.response(timeout=30)
    thread = fake.channel_id("Some Theoretical Insights into Wasserstein GANs")
    await eventually(lambda: len(fake.messages(thread)) == 1 + len(cards[::10]), timeout=30)
    posts = fake.messages(thread)[1:]
    votes = [
        fake.click(post, post.custom_ids()[0], user=members[j])
        for i, post in enumerate(posts[:20])
        for j in range(i % 5)
    ]
    for vote in await asyncio.gather(*votes):
        await vote.message(timeout=30)
    for _ in range(5):
        await (await fake.invoke("qa next", user=moderator)).message()
    await (await fake.invoke("questions", user=members[0])).message()
    talk_id = await services.questions.talk_id(*await services.questions.talk(BIAU))
    report = await bot.get_cog("QuestionsCog").send_digest(talk_id)
    assert (report.delivered, report.failed) == (1, 0) and report.questions == len(posts) - 5
    await eventually(lambda: len(fake.dms(speaker)) > len(posts), timeout=30)

    relayed_channels = {fake.channel_id("moderation"), thread}
    relayed_channels |= {dm.id for dm in fake.state.dm_channels.values()}
    for message in fake.all_messages():
        assert "Sorry, something went wrong" not in message.text()
        assert message.allowed_mentions == {"parse": []}
        assert_within_limits(message)
        if message.channel_id in relayed_channels and not message.ephemeral:
            assert message.flags & SUPPRESS_EMBEDS, message.content[:80]
    for reply in accepted:
        assert reply.flags & SUPPRESS_EMBEDS
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    everything = "\n".join(m.text() for m in fake.all_messages())
    assert "@everyone" not in everything.replace("@\u200beveryone", "")
    assert "\u202e" not in everything and "\x00" not in everything
