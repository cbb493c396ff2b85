"""Refusals a user may see: what they typed comes back escaped and cut to a sensible length."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.errors import UnknownMeeting, UnknownTalk
from bot.core.i18n import Translator
from bot.questions.model import AlreadyDecided, QuestionStatus


def test_an_unknown_talk_echoes_the_query_literally() -> None:
    text = UnknownTalk("**bold** <@&123> `x`").user_message(Translator("en"))
    assert r"\*\*bold\*\* \<@&123\> \`x\`" in text
    assert "**bold**" not in text


def test_an_unknown_meeting_echoes_at_most_100_characters_escaped() -> None:
    text = UnknownMeeting("_" * 500).user_message(Translator("fr"))
    assert r"\_" * 100 in text and r"\_" * 101 not in text


def test_already_decided_names_the_moderator_and_when_as_discord_markup() -> None:
    at = datetime(2021, 6, 28, 10, 0, tzinfo=UTC)
    text = AlreadyDecided(QuestionStatus.APPROVED, 42, at).user_message(Translator("en"))
    assert "<@42>" in text and f"<t:{int(at.timestamp())}:R>" in text
    unknown = AlreadyDecided(QuestionStatus.REJECTED, None, None).user_message(Translator("en"))
    assert "rejected by ?" in unknown
