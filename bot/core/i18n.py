"""The one translation layer: gettext catalogues (read with Babel), chosen per reader.

Catalogues live in `bot/locales/<lang>/LC_MESSAGES/amphi.po` and are read as they are, so
there is no compile step to forget. Message ids are the English text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from gettext import c2py
from pathlib import Path

from babel.messages.pofile import read_po

from bot.core.languages import DEFAULT_LANGUAGE, LANGUAGES

LOCALES_DIR = Path(__file__).parents[1] / "locales"
DOMAIN = "amphi"

Key = str | tuple[str, str]


@cache
def _plural_rule(language: str) -> Callable[[int], int]:
    path = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        return lambda n: int(n != 1)
    with path.open("rb") as handle:
        return c2py(read_po(handle, locale=language).plural_expr)


@cache
def _catalogue(language: str) -> dict[Key, str | tuple[str, ...]]:
    path = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    entries: dict[Key, str | tuple[str, ...]] = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        msgid: Key = message.id if isinstance(message.id, str) else (message.id[0], message.id[1])
        if message.string and any(message.string):
            entries[msgid] = (
                message.string if isinstance(message.string, str) else tuple(message.string)
            )
    return entries


@dataclass(frozen=True)
class Translator:
    """Translates Amphi's messages into one language."""

    language: str = DEFAULT_LANGUAGE

    def gettext(self, message: str, /, **values: object) -> str:
        """`message` in this language, with `{name}` placeholders filled from `values`."""
        translated = _catalogue(self.language).get(message, message)
        assert isinstance(translated, str)
        return translated.format(**values) if values else translated

    def ngettext(self, singular: str, plural: str, count: int, /, **values: object) -> str:
        """The singular or plural form for `count`; `{count}` is filled in too."""
        forms = _catalogue(self.language).get((singular, plural))
        if isinstance(forms, tuple):
            index = _plural_rule(self.language)(count)
            text = forms[min(index, len(forms) - 1)]
        else:
            text = singular if count == 1 else plural
        return text.format(count=count, **values)

    def lookup(self, message: str) -> str | None:
        """The translation of `message` if the catalogue has one (for command names and texts)."""
        found = _catalogue(self.language).get(message)
        return found if isinstance(found, str) else None


def language_of(locale: str | None) -> str | None:
    """Amphi's language for a Discord locale ("fr", "en-US", …), None when it has none."""
    if not locale:
        return None
    language = str(locale).split("-")[0].lower()
    return language if language in LANGUAGES else None


def translator_for(user_locale: str | None, guild_locale: str | None = None) -> Translator:
    """The reader's language, else the server's, else English."""
    return Translator(language_of(user_locale) or language_of(guild_locale) or DEFAULT_LANGUAGE)
