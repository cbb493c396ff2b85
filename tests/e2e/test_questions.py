"""Audience questions through the real discord.py client and the fake Discord."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.posts.model import PostKind, post_key
from bot.store.models import QuestionRow
from tests.support.harness import eventually, running_amphi, test_settings

BIAU = "some-theoretical-insights-into-wasserstein-gans"  # 10:00–10:45 Paris
BIAU_TITLE = "Some Theoretical Insights into Wasserstein GANs"
ACHOUR = "existence-stability-and-scalability-of"
DURING_BIAU = datetime(2021, 6, 28, 8, 10, tzinfo=UTC)
LUNCH = datetime(2021, 6, 28, 11, 0, tzinfo=UTC)
SLUG = "theorie-du-deep-learning-2021"
SUPPRESS_EMBEDS = 1 << 2
NO_PINGS = {"parse": []}


@pytest.fixture
def talk_time(clock):
    clock.now = DURING_BIAU
    return clock


async def reply_to(fake, command, options=None, *, user, locale="en-US"):
    """Run a command; (result, the visible reply)."""
    result = await fake.invoke(command, options or {}, user=user, locale=locale)
    return result, await result.message()


async def ask(fake, user, text, **options):
    """/ask, and once it is accepted, its card in the moderation channel (posted after it)."""

    def cards() -> int:
        names = {c.name for c in fake.state.channels.values()}
        return len(fake.messages("moderation")) if "moderation" in names else 0

    before = cards()
    result, reply = await reply_to(fake, "ask", {"question": text, **options}, user=user)
    if "waiting for a moderator" in reply.content or "attend un modérateur" in reply.content:
        await eventually(lambda: cards() > before)
    return result, reply


def moderation_card(fake, text: str):
    return next(m for m in fake.messages("moderation") if text in m.content)


def thread_posts(fake):
    """The questions posted in Biau's thread (none while it does not exist)."""
    threads = [c for c in fake.state.channels.values() if c.name == BIAU_TITLE]
    return [m for t in threads for m in fake.messages(t.id) if m.custom_ids()]


def label(message) -> str:
    return message.components[0]["components"][0]["label"]


async def click(fake, message, action: str, user):
    custom_id = next(c for c in message.custom_ids() if c.startswith(f"amphi:q:{action}:"))
    result = await fake.click(message, custom_id, user=user)
    await result.response()
    return result


async def talk_id(services, key: str) -> int:
    return await services.questions.talk_id(*await services.questions.talk(key))


async def test_a_talk_played_end_to_end(amphi, fake, talk_time, caplog) -> None:
    _bot, services = amphi
    organizer = fake.add_member("olga", roles=["Organizer"])
    moderator = fake.add_member("mona", roles=["Moderator"])
    chair = fake.add_member("chris", roles=["Moderator"])
    speaker = fake.add_member("gerard")
    _, linked = await reply_to(
        fake, "speaker link", {"talk": BIAU, "user": speaker}, user=organizer
    )
    assert f"<@{speaker.id}> is now linked as Gérard Biau" in linked.content

    askers = [fake.add_member(f"asker{i:02d}") for i in range(18)]
    askers[4:4] = [fake.add_member("ines-anon"), fake.add_member("jules-anon")]
    anonymous = askers[4:6]
    texts = {}
    for index, member in enumerate(askers):
        talk_time.now = DURING_BIAU + timedelta(seconds=index)  # oldest first on ties
        text = f"Question {index:02d}: what about **case {index}**?"
        result, ack = await ask(fake, member, text, anonymous=member in anonymous)
        assert result.ephemeral and "is waiting for a moderator" in ack.content
        assert ack.flags & SUPPRESS_EMBEDS
        texts[member.id] = text
    assert len(fake.messages("moderation")) == 20
    anon_card = moderation_card(fake, "Question 04")
    assert "ines-anon" in anon_card.content and "asked anonymously" in anon_card.content

    rejected = askers[15:]
    approved = askers[:15]
    for member in askers:
        card = moderation_card(fake, f"Question {askers.index(member):02d}")
        action = "approve" if member in approved else "reject"
        await click(fake, card, action, moderator)
        assert card.components == []  # the buttons are gone
        verb = "Approved" if action == "approve" else "Rejected"
        assert f"{verb} by <@{moderator.id}>" in card.content
    await eventually(lambda: len(thread_posts(fake)) == 15)
    await eventually(lambda: len(fake.dms(speaker)) == 15)
    await eventually(lambda: all(len(fake.dms(m)) == 1 for m in approved))
    assert all(fake.dms(m) == [] for m in rejected)
    assert "was approved: https://discord.com/channels/" in fake.dms(approved[0])[0].content

    # 30 members vote, with a different number of votes per question.
    wanted = [7, 0, 12, 5, 5, 20, 1, 0, 30, 3, 9, 15, 2, 25, 4]
    voters = [fake.add_member(f"voter{i:02d}") for i in range(30)]
    posts = {int(p.custom_ids()[0].split(":")[-1]): p for p in thread_posts(fake)}
    order = sorted(posts)  # question ids in the order they were asked

    async def vote_as(index: int, voter) -> None:
        for position, question_id in enumerate(order):
            if index < wanted[position]:
                result = await click(fake, posts[question_id], "vote", voter)
                assert "Your upvote counts" in (await result.message()).content

    await asyncio.gather(*(vote_as(i, v) for i, v in enumerate(voters)))
    undo = await click(fake, posts[order[0]], "vote", voters[0])
    assert "withdrawn: 6 votes" in (await undo.message()).content
    redo = await click(fake, posts[order[0]], "vote", voters[0])
    assert "counts: 7 votes." in (await redo.message()).content
    for position, question_id in enumerate(order):
        await eventually(
            lambda p=posts[question_id], n=wanted[position]: label(p) == f"Upvote · {n}"
        )

    # The chair takes ten questions, in vote order (ties: asked first).
    ranked = [q for _, q in sorted(zip((-w for w in wanted), order, strict=True))]
    by_question = dict(zip(order, approved, strict=True))
    taken = []
    for _ in range(10):
        result, reply = await reply_to(fake, "qa next", user=chair)
        assert result.ephemeral and reply.flags & SUPPRESS_EMBEDS
        taken.append(next(q for q in order if _escaped(texts[by_question[q].id]) in reply.content))
    assert taken == ranked[:10]
    await eventually(lambda: all("Taken by the chair" in posts[q].content for q in taken))

    _, listing = await reply_to(fake, "questions", user=voters[0])
    [more] = listing.custom_ids()
    rest = await (await fake.click(listing, more, user=voters[0])).message()
    listed = listing.text() + rest.text()
    assert listed.count("taken by the chair") == 10 and "Questions 9–15 of 15" in listed
    assert all(_escaped(texts[m.id]) not in listed for m in rejected)

    # At the talk's end the scheduler sends the digest (once, however often it fires).
    digest_key = post_key(SLUG, PostKind.QA_DIGEST, BIAU)
    talk_time.now = datetime(2021, 6, 28, 8, 45, tzinfo=UTC)
    await services.posts.fire(digest_key)
    await services.posts.fire(digest_key)
    digest = fake.dms(speaker)[15:]
    assert len(digest) == 1 and "The 5 questions left unanswered" in digest[0].content
    remaining = [_escaped(texts[by_question[q].id]) for q in ranked[10:]]
    positions = [digest[0].content.index(text) for text in remaining]
    assert positions == sorted(positions)
    assert all(_escaped(texts[by_question[q].id]) not in digest[0].content for q in taken)
    assert all(_escaped(texts[m.id]) not in digest[0].content for m in rejected)
    speaker_texts = "\n".join(m.content for m in fake.dms(speaker)[:15])
    assert all(_escaped(texts[m.id]) in speaker_texts for m in approved)

    assert_no_pings_and_anonymity(fake, anonymous)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def _escaped(text: str) -> str:
    return text.replace("*", "\\*")


def assert_no_pings_and_anonymity(fake, anonymous) -> None:
    moderation = fake.channel_id("moderation")
    for message in fake.all_messages():
        assert message.allowed_mentions == NO_PINGS, message.content
        if message.channel_id == moderation:
            continue
        seen = [message.content, message.text(), *(v["content"] for v in message.versions)]
        for member in anonymous:
            assert not any(member.name in s or str(member.id) in s for s in seen), message.text()


async def test_two_moderators_approving_at_once_post_it_once(amphi, fake, talk_time) -> None:
    first = fake.add_member("mona", roles=["Moderator"])
    second = fake.add_member("max", roles=["Organizer"])
    ada = fake.add_member("ada")
    await ask(fake, ada, "Which Lipschitz constant?")
    [card] = fake.messages("moderation")
    custom_id = card.custom_ids()[0]
    clicks = await asyncio.gather(
        fake.click(card, custom_id, user=first), fake.click(card, custom_id, user=second)
    )
    responses = [await c.response() for c in clicks]
    refused = [r for r in responses if r is not card]
    assert len(refused) == 1 and refused[0].ephemeral
    assert "already approved by <@" in refused[0].content
    # The loser was refused before posting anything; the winner posts once.
    await eventually(lambda: len(thread_posts(fake)) == 1 and len(fake.dms(ada)) == 1)
    assert card.content.count("Approved by") == 1


async def test_refusals_are_polite_and_keep_nothing(amphi, fake, talk_time) -> None:
    ada = fake.add_member("ada")
    cases = [
        ({"question": "x" * 501}, "501 characters"),
        ({"question": "   \u200b  "}, "Your question is empty"),
        ({"question": "Hello?", "talk": "no such talk whatsoever"}, "No talk matches"),
        ({"question": "Hello?", "talk": "y" * 1900}, "No talk matches “" + "y" * 100 + "”"),
        ({"question": "Hello?", "talk": "heavy-tailed"}, None),  # allowed: its session is on
    ]
    for options, expected in cases:
        result, reply = await reply_to(fake, "ask", options, user=ada)
        assert result.ephemeral
        if expected is None:
            assert "waiting for a moderator" in reply.content
        else:
            assert expected in reply.content
    for index in range(3):
        await ask(fake, ada, f"More {index}")
    _, limited = await ask(fake, ada, "One too many")
    assert "You have asked 3 questions about this talk in the last 5 minutes" in limited.content
    assert "<t:1624868100:t>" in limited.content  # again at 10:15 Paris
    await eventually(lambda: len(fake.messages("moderation")) == 4)  # 1 Simsekli, 3 Biau

    talk_time.now = LUNCH
    _, between = await ask(fake, ada, "Anyone there?")
    assert "No talk is on right now" in between.content
    _, closed = await ask(fake, ada, "Too late?", talk=BIAU)
    assert "closed at <t:" in closed.content and "30 minutes after the talk" in closed.content
    assert len(fake.messages("moderation")) == 4


async def test_privileged_commands_and_buttons_check_the_role(amphi, fake, talk_time) -> None:
    attendee = fake.add_member("ada")
    moderator = fake.add_member("mona", roles=["Moderator"])
    await ask(fake, attendee, "Is this moderated?")
    [card] = fake.messages("moderation")
    for action in ("approve", "reject"):
        result = await click(fake, card, action, attendee)
        reply = await result.message()
        assert reply.ephemeral and "Only moderators and organizers can do this." in reply.content
    assert card.custom_ids() and thread_posts(fake) == []
    _, refused = await reply_to(fake, "qa next", user=attendee)
    assert "Only moderators and organizers can do this." in refused.content
    _, refused = await reply_to(fake, "qa close", {"talk": BIAU}, user=attendee)
    assert "Only moderators and organizers" in refused.content
    _, refused = await reply_to(
        fake, "speaker link", {"talk": BIAU, "user": attendee}, user=moderator
    )
    assert "Only organizers can do this." in refused.content
    qa = next(c for c in fake.commands if c["name"] == "qa")
    assert int(qa["default_member_permissions"]) == 1 << 13  # Manage Messages
    speaker = next(c for c in fake.commands if c["name"] == "speaker")
    assert int(speaker["default_member_permissions"]) == 1 << 33  # Manage Events


async def test_moderators_close_and_reopen_a_talk(amphi, fake, talk_time) -> None:
    moderator = fake.add_member("mona", roles=["Moderator"])
    ada = fake.add_member("ada")
    _, closed = await reply_to(fake, "qa close", {"talk": BIAU}, user=moderator)
    assert "are closed until a moderator opens them" in closed.content
    _, refused = await ask(fake, ada, "Still open?")
    assert "The moderators have closed questions" in refused.content
    talk_time.now = LUNCH
    _, opened = await reply_to(fake, "qa open", {"talk": BIAU}, user=moderator)
    assert "are open until a moderator closes them" in opened.content
    _, accepted = await ask(fake, ada, "Late but welcome?", talk=BIAU)
    assert "waiting for a moderator" in accepted.content


async def test_buttons_still_work_after_a_restart(fake, clock, sqlite_url) -> None:
    clock.now = DURING_BIAU
    settings = test_settings(fake, sqlite_url)
    moderator = fake.add_member("mona", roles=["Moderator"])
    ada = fake.add_member("ada")
    async with running_amphi(fake, settings, clock):
        await ask(fake, ada, "Asked before the restart")
        await ask(fake, ada, "Approved before the restart")
        first, second = fake.messages("moderation")
        await click(fake, second, "approve", moderator)
        await eventually(lambda: len(thread_posts(fake)) == 1)
    async with running_amphi(fake, settings, clock):
        await click(fake, first, "approve", moderator)
        await eventually(lambda: len(thread_posts(fake)) == 2)
        assert "Approved by" in first.content and first.components == []
        old_post = thread_posts(fake)[0]
        voted = await click(fake, old_post, "vote", ada)
        assert "Your upvote counts: 1 vote." in (await voted.message()).content
        await eventually(lambda: label(old_post) == "Upvote · 1")
    assert len(fake.state.channels) == 5  # four channels and one thread for the talk


async def test_the_scheduler_opens_the_thread_and_approval_reuses_it(
    amphi, fake, talk_time
) -> None:
    bot, services = amphi
    talk_time.now = datetime(2021, 6, 28, 8, 0, tzinfo=UTC)  # the talk's start
    await services.posts.fire(post_key(SLUG, PostKind.QA_THREAD, BIAU))
    thread_id = fake.channel_id(BIAU_TITLE)
    cog = bot.get_cog("QuestionsCog")
    assert await cog.relay.open_thread(await talk_id(services, BIAU)) == thread_id
    [intro] = fake.messages(BIAU_TITLE)
    assert "Ask yours with /ask" in intro.content and "Gérard Biau" in intro.content
    await ask(fake, fake.add_member("ada"), "In the thread?")
    await click(
        fake, fake.messages("moderation")[0], "approve", fake.add_member("m", ["Moderator"])
    )
    await eventually(lambda: len(thread_posts(fake)) == 1)
    assert [c.name for c in fake.state.channels.values() if c.is_thread] == [BIAU_TITLE]


async def test_a_deleted_thread_is_replaced(amphi, fake, talk_time) -> None:
    moderator = fake.add_member("mona", roles=["Moderator"])
    ada = fake.add_member("ada")
    await ask(fake, ada, "First")
    await click(fake, fake.messages("moderation")[0], "approve", moderator)
    await eventually(lambda: len(thread_posts(fake)) == 1)
    fake.remove_channel(BIAU_TITLE)
    await ask(fake, ada, "Second")
    await click(fake, fake.messages("moderation")[1], "approve", moderator)
    await eventually(lambda: len(thread_posts(fake)) == 1)  # the new thread's post
    assert "Second" in thread_posts(fake)[0].content


async def test_closed_dms_are_skipped(amphi, fake, talk_time) -> None:
    bot, services = amphi
    organizer = fake.add_member("olga", roles=["Organizer"])
    shy_speaker = fake.add_member("gerard", dms_open=False)
    shy_asker = fake.add_member("ada", dms_open=False)
    await reply_to(fake, "speaker link", {"talk": BIAU, "user": shy_speaker}, user=organizer)
    await ask(fake, shy_asker, "Can you hear me?")
    await click(fake, fake.messages("moderation")[0], "approve", organizer)
    await eventually(lambda: len(thread_posts(fake)) == 1)
    report = await bot.get_cog("QuestionsCog").send_digest(await talk_id(services, BIAU))
    assert (report.questions, report.delivered, report.failed) == (1, 0, 1)
    assert report.failures == {"DMs closed": 1}
    assert not any("Sorry" in m.content for m in fake.all_messages())


async def test_french_readers_and_speaker_autocomplete(amphi, fake, talk_time) -> None:
    anne = fake.add_member("anne")
    result = await fake.invoke("ask", {"question": "Pourquoi ?"}, user=anne, locale="fr")
    ack = await result.message()
    assert "attend un modérateur" in ack.content
    _, refused = await reply_to(fake, "ask", {"question": " "}, user=anne, locale="fr")
    assert "Votre question est vide" in refused.content
    organizer = fake.add_member("olga", roles=["Organizer"])
    choices = await fake.autocomplete(
        "speaker link", {"talk": BIAU, "speaker": "gé"}, focused="speaker", user=organizer
    )
    assert [c["value"] for c in choices] == ["Gérard Biau"]
    talks = await fake.autocomplete("ask", {"talk": "wasser"}, user=anne)
    assert [c["value"] for c in talks] == [BIAU]
    _, empty = await reply_to(fake, "questions", {"talk": ACHOUR}, user=anne)
    assert "No approved question yet" in empty.text()


async def test_missing_channels_are_explained(amphi, fake, talk_time) -> None:
    bot, services = amphi
    guild = bot.get_guild(fake.guild_id)
    moderator = fake.add_member("mona", roles=["Moderator"])
    ada = fake.add_member("ada")
    await ask(fake, ada, "Before the Q&A channel went away")
    fake.remove_channel("questions")
    await eventually(lambda: all(c.name != "questions" for c in guild.text_channels))
    result = await click(fake, fake.messages("moderation")[0], "approve", moderator)
    refusal = await result.wait_followups(1)
    assert "could not be posted: the Q&A channel is missing" in refusal[0].content
    card = fake.messages("moderation")[0]
    await eventually(lambda: bool(card.custom_ids()))  # its buttons are back, to try again
    fake.add_channel("questions")
    await eventually(lambda: any(c.name == "questions" for c in guild.text_channels))
    await (await click(fake, card, "approve", moderator)).message()
    await eventually(lambda: len(thread_posts(fake)) == 1)
    assert "Before the Q&A channel went away" in thread_posts(fake)[0].content
    assert card.custom_ids() == []
    fake.remove_channel("moderation")
    await eventually(lambda: all(c.name != "moderation" for c in guild.text_channels))
    _, refused = await ask(fake, ada, "Anyone moderating?")
    assert "your question was not kept" in refused.content
    stored = services.db.call(lambda s: [q.text for q in s.exec(select(QuestionRow))])
    assert stored == ["Before the Q&A channel went away"]


async def _approved(services, count: int, text: str = "Question {index}") -> list[int]:
    """`count` questions about Biau's talk, asked by different members and approved."""
    meeting, talk = await services.questions.talk(BIAU)
    ids = []
    for index in range(count):
        question = await services.questions.ask(
            user_id=5000 + index,
            display_name=f"member {index}",
            text=text.format(index=index),
            meeting=meeting,
            talk=talk,
        )
        await services.questions.approve(question_id=question.id, by=1)
        ids.append(question.id)
    return ids


async def test_questions_come_a_page_at_a_time(amphi, fake, talk_time) -> None:
    _bot, services = amphi
    await _approved(services, 20)
    ada = fake.add_member("ada")
    first = await (await fake.invoke("questions", user=ada)).message()
    footers = [e.get("footer", {}).get("text") for e in first.embeds]
    assert footers[-1] == "Questions 1–8 of 20"
    shown = "\n".join(e.get("description", "") for e in first.embeds)
    assert "**1.**" in shown and "**8.**" in shown and "**9.**" not in shown
    [more] = first.custom_ids()
    second = await (await fake.click(first, more, user=ada)).message()
    assert second.embeds[-1]["footer"]["text"] == "Questions 9–16 of 20"
    third = await (await fake.click(second, second.custom_ids()[0], user=ada)).message()
    assert third.embeds[-1]["footer"]["text"] == "Questions 17–20 of 20"
    assert third.custom_ids() == []  # the last page has no More


async def test_long_questions_cost_a_reply_or_two_per_page(amphi, fake, talk_time) -> None:
    _bot, services = amphi
    await _approved(services, 60, "é" * 480 + " {index}")
    before = len(fake.all_messages())
    reply = await (await fake.invoke("questions", user=fake.add_member("ada"))).message()
    assert len(fake.all_messages()) - before <= 2  # not one message per 3 questions
    last = fake.all_messages()[-1]
    assert last.embeds[-1]["footer"]["text"] == "Questions 1–8 of 60"
    assert [c.split(":")[2] for c in last.custom_ids()] == ["more"]
    assert reply.embeds


async def test_forty_upvote_clicks_make_a_few_edits(amphi, fake, talk_time) -> None:
    bot, _services = amphi
    moderator = fake.add_member("mona", roles=["Moderator"])
    ada, bob = fake.add_member("ada"), fake.add_member("bob")
    await ask(fake, ada, "Clicked a lot?")
    await click(fake, fake.messages("moderation")[0], "approve", moderator)
    await eventually(lambda: len(thread_posts(fake)) == 1)
    [post] = thread_posts(fake)
    for _ in range(40):
        await (await click(fake, post, "vote", bob)).message()
    await click(fake, post, "vote", ada)
    await bot.get_cog("QuestionsCog").relay.settle_labels()
    assert label(post) == "Upvote · 1"  # bob's 40 clicks cancel out; ada's counts
    assert 1 <= len(post.edits) <= 10  # one edit per second of clicking, not one per click


async def test_a_long_digest_is_one_dm_with_a_file(amphi, fake, talk_time) -> None:
    bot, services = amphi
    speaker = fake.add_member("gerard")
    await reply_to(
        fake,
        "speaker link",
        {"talk": BIAU, "user": speaker},
        user=fake.add_member("o", ["Organizer"]),
    )
    await _approved(services, 30, "x" * 400 + " {index}")
    report = await bot.get_cog("QuestionsCog").send_digest(await talk_id(services, BIAU))
    assert (report.questions, report.delivered) == (30, 1)
    digests = [m for m in fake.dms(speaker) if "left unanswered" in m.content]
    [dm] = digests
    assert "all 30 are in the attached file" in dm.content
    [(name, data, _type)] = dm.attachments
    assert name == f"questions-{BIAU}.md"
    assert data.decode().count("x" * 400) == 30
    again = await bot.get_cog("QuestionsCog").send_digest(await talk_id(services, BIAU))
    assert again.delivered == 1  # already delivered: not sent twice
    assert len([m for m in fake.dms(speaker) if "left unanswered" in m.content]) == 1
