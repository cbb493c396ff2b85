"""What a JSON export's parts must be (an object, a list of objects), told as a SourceError
naming the part, so a malformed export is refused with a sentence and never half read."""

from __future__ import annotations

from typing import Any

from bot.schedule_import.sources.schedule import SourceError, clean


def kind_of(value: Any) -> str:
    """'a string (“Keynote”)', 'a number', 'a list'... as a sentence says what was found."""
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, str):
        text = clean(value)
        return f"a string (“{text[:40]}{'…' if len(text) > 40 else ''}”)"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "null"


def _refused(where: str, expected: str, value: Any) -> SourceError:
    return SourceError(
        f"In the export, {where} is {kind_of(value)}, where {expected} is expected. "
        "Check that the export downloaded completely and was not edited."
    )


def an_object(value: Any, where: str) -> dict[str, Any]:
    """`value`, an object (an absent one is empty)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _refused(where, "an object", value)
    return value


def objects(value: Any, where: str) -> list[dict[str, Any]]:
    """`value`, a list of objects (an absent one is empty)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise _refused(where, "a list", value)
    for number, item in enumerate(value, start=1):
        if not isinstance(item, dict):
            raise _refused(f"entry {number} of {where}", "an object", item)
    return value


def a_list(value: Any, where: str) -> list[Any]:
    """`value`, a list of anything (an absent one is empty)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise _refused(where, "a list", value)
    return value
