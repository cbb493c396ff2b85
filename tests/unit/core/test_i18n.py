"""Every user-facing string has its French translation; locales choose the language."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir
from discord import app_commands

from bot.core.i18n import Translator, _catalogue, language_of, translator_for
from cogs.announcements import AnnouncementCog
from cogs.changes import ChangesCog
from cogs.events import EventsCog
from cogs.posts import PostsCog
from cogs.programme import ProgrammeCog
from cogs.questions.cog import QuestionsCog
from cogs.registration.cog import RegistrationCog
from tests.support.paths import ROOT

KEYWORDS = {"gettext": None, "ngettext": (1, 2), "N_": None}
DISCORD_NAME = re.compile(r"^[-_\w]{1,32}$")


def code_messages() -> set[str | tuple[str, str]]:
    found: set[str | tuple[str, str]] = set()
    for folder in ("bot", "cogs"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            Path(ROOT / folder), keywords=KEYWORDS
        ):
            found.add(message if isinstance(message, str) else tuple(message[:2]))
    return found


def bare(cog: type) -> Any:
    """A cog built with nothing behind it: enough to read its commands' strings."""
    names = list(inspect.signature(cog).parameters)
    return cog(**dict.fromkeys(names))


def all_cogs() -> list:
    cogs = (ProgrammeCog, RegistrationCog, PostsCog, AnnouncementCog, QuestionsCog, EventsCog)
    return [bare(cog) for cog in (*cogs, ChangesCog)]


def command_strings() -> tuple[set[str], set[str]]:
    """Names (Discord's naming rules apply) and texts (descriptions, choice names)."""
    names: set[str] = set()
    texts: set[str] = set()
    for cog in all_cogs():
        for command in cog.walk_app_commands():
            names.add(command.name)
            texts.add(command.description)
            if isinstance(command, app_commands.Command):
                for parameter in command.parameters:
                    names.add(parameter.name)
                    texts.add(parameter.description)
                    texts.update(choice.name for choice in parameter.choices)
    return names, texts


def test_the_code_has_messages_to_check() -> None:
    assert len(code_messages()) >= 20


def test_every_message_of_the_code_is_in_french() -> None:
    french = _catalogue("fr")
    missing = sorted(str(m) for m in code_messages() if m not in french)
    assert missing == []


def test_every_command_string_is_in_french() -> None:
    french = _catalogue("fr")
    names, texts = command_strings()
    assert "programme" in names
    missing = sorted(s for s in names | texts if s not in french)
    assert missing == []
    for name in names:
        localized = french[name]
        assert isinstance(localized, str)
        assert DISCORD_NAME.match(localized) and localized == localized.lower(), localized


def test_placeholders_survive_translation() -> None:
    for msgid, msgstr in _catalogue("fr").items():
        source = msgid if isinstance(msgid, str) else msgid[1]
        targets = [msgstr] if isinstance(msgstr, str) else list(msgstr)
        for target in targets:
            assert set(re.findall(r"\{\w+\}", target)) <= set(re.findall(r"\{\w+\}", source)), msgid


@pytest.mark.parametrize(
    ("user", "guild", "language"),
    [
        ("fr", None, "fr"),
        ("en-US", "fr", "en"),
        ("de", "fr", "fr"),
        ("ja", "pt-BR", "en"),
        (None, None, "en"),
    ],
)
def test_language_choice(user, guild, language) -> None:
    assert translator_for(user, guild).language == language


def test_plurals() -> None:
    assert Translator("fr").ngettext("{count} talk", "{count} talks", 1) == "1 exposé"
    assert Translator("fr").ngettext("{count} talk", "{count} talks", 11) == "11 exposés"
    assert Translator("en").ngettext("{count} talk", "{count} talks", 0) == "0 talks"
    assert language_of("EN-gb") == "en"
