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
from cogs.proposals.cog import ProposalsCog
from cogs.questions.cog import QuestionsCog
from cogs.registration.cog import RegistrationCog
from cogs.web import WebCog
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
    return [bare(cog) for cog in (*cogs, ChangesCog, ProposalsCog, WebCog)]


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


# French typography: a no-break space (narrow, U+202F, as the catalogue writes it; U+00A0 is
# also right) before : ; ! ? and inside « », so that a line never starts with the mark.
NO_BREAK = "\u202f\u00a0"
#: A mark followed by a letter, a digit or a slash is not punctuation: 10:00, https://, mode:remote.
PUNCTUATION = re.compile(r"[:;!?](?![\w/])")
#: A command as a text names it: "/inscription", "/annonces liste"; not a path or an address.
COMMAND = re.compile(r"(?<![\w/.:])/([\w-]+)(?: ([\w-]+))?")


def french_texts() -> list[tuple[str, str]]:
    """(msgid, msgstr) of every French text: each plural form is a text of its own."""
    texts = []
    for msgid, msgstr in _catalogue("fr").items():
        source = msgid if isinstance(msgid, str) else msgid[1]
        for target in [msgstr] if isinstance(msgstr, str) else msgstr:
            texts.append((source, target))
    return texts


def typography_faults(text: str) -> list[tuple[str, str]]:
    """(mark, the text up to it) for each mark without its no-break space."""
    faults = []
    for index, char in enumerate(text):
        if char == "«":
            spaced = text[index + 1 : index + 2] in tuple(NO_BREAK)
        elif char == "»" or PUNCTUATION.match(text, index):
            spaced = index > 0 and text[index - 1] in NO_BREAK
        else:
            continue
        if not spaced:
            faults.append((char, text[max(index - 12, 0) : index + 1]))
    return faults


def test_the_typography_check_tells_punctuation_from_times_and_addresses() -> None:
    assert typography_faults("Salle\u202f: {room}, à 10:00, https://x.org, mode:remote") == []
    assert typography_faults("«\u202fAmphi\u202f»\u202f!") == []
    faults = typography_faults("« Amphi » ; la salle: 600 ?")
    assert [mark for mark, _ in faults] == ["«", "»", ";", ":", "?"]


def test_every_french_text_puts_a_no_break_space_before_double_punctuation() -> None:
    faults = {target: typography_faults(target) for _source, target in french_texts()}
    assert {text: found for text, found in faults.items() if found} == {}


def french_commands() -> dict[str, str]:
    """Each command's English name → its French one, groups and subcommands alike."""
    french = _catalogue("fr")
    names: dict[str, str] = {}
    for cog in all_cogs():
        for command in cog.walk_app_commands():
            english = command.qualified_name
            names[english] = " ".join(str(french.get(part, part)) for part in english.split())
    return names


def commands_named(text: str, known: set[str]) -> list[str]:
    """The commands `text` names, with their subcommand when it names one."""
    named = []
    for match in COMMAND.finditer(text):
        whole = f"{match[1]} {match[2]}"
        named.append(whole if match[2] and whole in known else match[1])
    return named


def test_french_texts_name_the_commands_by_their_french_names() -> None:
    commands = french_commands()
    assert commands["register"] == "inscription"
    assert commands["announcements cancel"] == "annonces annuler"
    wrong = {}
    for source, target in french_texts():
        wanted = sorted(commands.get(c, c) for c in commands_named(source, set(commands)))
        named = sorted(commands_named(target, set(commands.values())))
        if named != wanted:
            wrong[target] = wanted
    assert wrong == {}
