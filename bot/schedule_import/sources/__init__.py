"""Schedule exports read into one neutral form: Indico JSON, frab XML and c3voc JSON.

`parse_schedule` turns an export's bytes into a `SourceSchedule`; `fetch_source` brings the
bytes from a path or a URL. Nothing here touches Discord or the database.
"""

from __future__ import annotations

from bot.schedule_import.sources.c3voc import parse_c3voc
from bot.schedule_import.sources.detect import detect_format
from bot.schedule_import.sources.fetch import fetch_source
from bot.schedule_import.sources.frab import parse_frab
from bot.schedule_import.sources.indico import parse_indico
from bot.schedule_import.sources.schedule import FORMATS, SourceError, SourceSchedule, SourceTalk

__all__ = [
    "FORMATS",
    "SourceError",
    "SourceSchedule",
    "SourceTalk",
    "detect_format",
    "fetch_source",
    "parse_schedule",
]

_PARSERS = {"indico": parse_indico, "frab": parse_frab, "c3voc": parse_c3voc}
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
    """
    if format is None:
        chosen = detect_format(data)
    else:
        chosen = format.strip().lower()
        if chosen not in _PARSERS:
            raise SourceError(
                f"“{format}” is not a schedule format Amphi reads; the formats are "
                + ", ".join(FORMATS)
                + "."
            )
    if timezone is not None and not timezone.strip():
        timezone = None
    try:
        return _PARSERS[chosen](data, timezone)
    except SourceError as error:
        if format is None:
            raise
        try:
            seen = detect_format(data)
        except SourceError:
            raise error from None
        if seen == chosen:
            raise
        raise SourceError(
            f"{error} It looks like {_NAMES[seen]}, though: leave the format out, or give “{seen}”."
        ) from None
