"""Pure rendering of questions: what each audience sees, escaping, and Discord's limits."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.core.i18n import Translator
from bot.core.markup import DESCRIPTION_LIMIT, pack_cards
from bot.programme.files import load_meeting_file
from bot.questions.model import NextQuestion, Question, QuestionStatus
from bot.questions.render import (
    ask_ack,
    digest,
    discord_length,
    moderation_text,
    next_question_text,
    public_text,
    question_list,
    relay,
    speaker_dm,
    thread_name,
    upvote_label,
)
from tests.support.paths import SHIPPED_MEETING

EN, FR = Translator("en"), Translator("fr")
ASKED = datetime(2021, 6, 28, 8, 10, tzinfo=UTC)


@pytest.fixture(scope="module")
def talk():
    return load_meeting_file(SHIPPED_MEETING).talks[0]


def question(text: str = "Why?", **changes) -> Question:
    base = Question(
        id=7,
        talk_id=3,
        meeting_slug="jds-2021",
        talk_key="biau",
        talk_title="Some Theoretical Insights into Wasserstein GANs",
        author_id=1234,
        author_name="Ada **L**",
        anonymous=False,
        text=text,
        status=QuestionStatus.PENDING,
        created_at=ASKED,
    )
    return replace(base, **changes)


def test_relayed_text_cannot_format_mention_or_ping() -> None:
    shown = relay("**x** <@1> <@&2> <t:1:R> [a](https://e.com) @everyone @here")
    assert shown == (
        r"\*\*x\*\* \<@1\> \<@&2\> \<t:1:R\> \[a\](https://e.com) @"
        "\u200beveryone @\u200bhere"
    )


def test_moderators_see_who_asked_even_anonymously() -> None:
    hidden = question(anonymous=True)
    card = moderation_text(hidden, EN)
    assert "<@1234> (Ada \\*\\*L\\*\\*)" in card and "asked anonymously" in card
    assert "> Why?" in card
    for text in (public_text(hidden, EN), speaker_dm(hidden, EN), ask_ack(hidden, EN)):
        assert "Ada" not in text and "1234" not in text
    assert public_text(hidden, EN).startswith("**Anonymous** asks:")
    assert public_text(hidden, FR).startswith("**Anonyme** demande\u202f:")
    assert public_text(question(), EN).startswith("**Ada \\*\\*L\\*\\*** asks:")


def test_the_decision_is_shown_on_the_card() -> None:
    decided = question(status=QuestionStatus.REJECTED, decided_by=99, decided_at=ASKED)
    assert "❌ Rejected by <@99> <t:1624867800:R>" in moderation_text(decided, EN)
    approved = replace(decided, status=QuestionStatus.APPROVED)
    assert "✅ Approuvée par <@99>" in moderation_text(approved, FR)


@pytest.mark.parametrize(
    "text",
    ["*" * 500, "*\n" * 250, "-\n" * 250, "🎉" * 500, "<@1>" * 125, "a" * 500],
)
def test_the_worst_questions_fit_in_a_message(text, talk) -> None:
    long = question(text[:500], anonymous=False, author_name="n" * 100)
    for rendered in (
        moderation_text(
            replace(long, status=QuestionStatus.APPROVED, decided_by=1, decided_at=ASKED), EN
        ),
        public_text(replace(long, answered_at=ASKED), EN, with_talk=True),
        speaker_dm(long, FR),
        ask_ack(long, EN),
        next_question_text(NextQuestion(talk=talk, question=long, remaining=3), EN),
        digest(talk, [long] * 12, EN).text,
    ):
        assert discord_length(rendered) <= 2000


def test_the_digest_is_one_dm_and_a_file_for_what_does_not_fit(talk) -> None:
    questions = [question(f"Question {i} " + "x" * 480, votes=20 - i) for i in range(10)]
    long = digest(talk, questions, EN)
    assert long.text.startswith("The 10 questions left unanswered after your talk")
    assert "**1.** 20 votes · Ada" in long.text and "Question 3 " not in long.text
    assert long.text.endswith("…and 7 more: all 10 are in the attached file.")
    assert long.file_name == f"questions-{talk.key}.md"
    positions = [long.file_text.index(f"Question {i} ") for i in range(10)]
    assert positions == sorted(positions)
    short = digest(talk, questions[:1], EN)
    assert short.text.startswith("The question left unanswered") and short.file_name is None
    thousand = digest(talk, questions * 100, FR)
    assert discord_length(thousand.text) <= 2000
    assert thousand.file_text.count("Question 9 ") == 100


def test_question_list_marks_answered_and_links(talk) -> None:
    answered = question(
        "First", votes=3, answered_at=ASKED, public_channel_id=5, public_message_id=6
    )
    waiting = question("Second", votes=1, anonymous=True)
    [card] = question_list(talk, [answered, waiting], EN, guild_id=4)
    assert card.title == "Questions for “Some Theoretical Insights into Wasserstein GANs”"
    assert "**1.** 3 votes · Ada \\*\\*L\\*\\* · ✅ taken by the chair" in card.description
    assert "[Upvote it here](https://discord.com/channels/4/5/6)" in card.description
    assert "**2.** 1 vote · Anonymous" in card.description
    assert card.footer == "2 approved questions"
    many = question_list(talk, [question("é" * 500)] * 60, EN)
    assert len(many) > 1 and all(len(c.description) <= DESCRIPTION_LIMIT for c in many)
    assert all(sum(c.size() for c in group) <= 6000 for group in pack_cards(many))


def test_names_and_labels_fit(talk) -> None:
    assert len(thread_name(replace(talk, title="t" * 300))) == 100
    assert upvote_label(12, EN) == "Upvote · 12"
    assert upvote_label(1, FR) == "Voter · 1"
