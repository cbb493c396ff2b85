"""What the simulated members type: commands by the names their Discord client shows."""

from __future__ import annotations

from bot.core.i18n import Translator
from bot.rehearsal.script import typed


def test_a_french_member_types_the_french_names() -> None:
    options = {"mode": "in_person", "dm": True}
    assert typed("register", options, Translator("fr")) == "/inscription mode:in_person mp:True"
    assert typed("speaker link", None, Translator("fr")) == "/orateur lier"
    assert typed("register", options, Translator("en")) == "/register mode:in_person dm:True"
