"""Schedule exports read into one neutral form: Indico JSON, frab XML and c3voc JSON.

`parse_schedule` turns an export's bytes into a `SourceSchedule`; `fetch_source` brings the
bytes from a path or a URL, and `shown_source` is how a message names that source. Nothing here
touches Discord or the database.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from bot.schedule_import.sources.c3voc import read_c3voc
from bot.schedule_import.sources.detect import detect_format, format_of, load_document
from bot.schedule_import.sources.fetch import fetch_source, shown_source
from bot.schedule_import.sources.frab import read_frab
from bot.schedule_import.sources.indico import read_indico
from bot.schedule_import.sources.schedule import FORMATS, SourceError, SourceSchedule, SourceTalk

__all__ = [
    "FORMATS",
    "SourceError",
    "SourceSchedule",
    "SourceTalk",
    "detect_format",
    "fetch_source",
    "parse_schedule",
    "shown_source",
]

_READERS = {"indico": read_indico, "frab": read_frab, "c3voc": read_c3voc}
_NAMES = {
    "indico": "an Indico export",
    "frab": "a frab schedule (XML)",
    "c3voc": "a c3voc/pretalx schedule (JSON)",
}


def parse_schedule(
    data: bytes, *, format: str | None = None, timezone: str | None = None
) -> SourceSchedule:
    """The schedule in `data`: of the given `format`, else of the one its content shows.

    `timezone` (an IANA name) is the zone of times that carry none and whose source names none.
    The document is read once, and its format told from what was read.
    """
    chosen = None if format is None else format.strip().lower()
    if chosen is not None and chosen not in _READERS:
        raise SourceError(
            f"“{format}” is not a schedule format Amphi reads; the formats are "
            + ", ".join(FORMATS)
            + "."
        )
    document = load_document(data)
    if timezone is not None and not timezone.strip():
        timezone = None
    if chosen is None:
        return _READERS[format_of(document)](document, timezone)
    try:
        if (chosen == "frab") != isinstance(document, ET.Element):
            found, wanted = ("XML", "JSON") if chosen != "frab" else ("JSON", "XML")
            raise SourceError(f"This is {found}, not {wanted}, so it is not {_NAMES[chosen]}.")
        return _READERS[chosen](document, timezone)
    except SourceError as error:
        try:
            seen = format_of(document)
        except SourceError:
            raise error from None
        if seen == chosen:
            raise
        raise SourceError(
            f"{error} It looks like {_NAMES[seen]}, though: leave the format out, or give “{seen}”."
        ) from None
