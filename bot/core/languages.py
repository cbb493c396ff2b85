"""The languages Amphi speaks, and the one a browser prefers among them: no dependency, so the
web pages' front can tell a page's language without loading the translations."""

from __future__ import annotations

DEFAULT_LANGUAGE = "en"
LANGUAGES = ("en", "fr")


def preferred_language(accept: str) -> str:
    """The first language of an Accept-Language header that Amphi speaks, else English."""
    for part in accept.split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.split("-")[0] in LANGUAGES:
            return tag.split("-")[0]
    return DEFAULT_LANGUAGE
