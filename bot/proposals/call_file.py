"""The `[call]` table of a meeting file: the call for contributions, read with every problem
reported like the rest of the file, its times checked once the meeting's are known."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.programme.model import Call
from bot.programme.toml_reader import Kind, Reader, Table, described

_TEXT = Kind("a non-empty string", {"string"}, lambda v: v.strip(), str.strip)
_FLAG = Kind("true or false", {"boolean"})
_MOMENT = Kind(
    "a TOML date-time such as 2021-06-27T23:59:00+02:00 (no quotes)",
    {"offset date-time", "local date-time"},
)
#: Longer than a page of abstract is more than the seed's call asks for (and than a modal takes).
ABSTRACT_MAX_CHARS = 4000
_ABSTRACT_LIMIT = Kind(
    f"an integer from 1 to {ABSTRACT_MAX_CHARS}",
    {"integer"},
    lambda v: 1 <= v <= ABSTRACT_MAX_CHARS,
)
_PER_MEMBER = Kind("an integer ≥ 1", {"integer"}, lambda v: v >= 1)


def read_call(top: Table) -> dict[str, Any] | None:
    """The `[call]` table as read (times still as the file gives them); None without one."""
    key, data = top.key("call"), top.data.get("call")
    if data is None:
        return None
    if not isinstance(data, dict):
        top.r.problem(key, f"expected a table [call], got {described(data)}")
        return None
    table = Table(top.r, key, data)
    values = {
        "opens": table.get("opens", _MOMENT),
        "closes": table.get("closes", _MOMENT, required=True),
        "abstract_max_chars": table.get("abstract_max_chars", _ABSTRACT_LIMIT),
        "per_member": table.get("per_member", _PER_MEMBER),
        "anonymous_review": table.get("anonymous_review", _FLAG),
    }
    kinds_key, raw = table.key("kinds"), data.get("kinds", ["talk"])
    if not isinstance(raw, list) or not raw:
        expected = 'expected a non-empty array of kinds such as ["talk", "poster"]'
        top.r.problem(kinds_key, f"{expected}, got {described(raw)}")
    else:
        kinds = [top.r.value(f"{kinds_key}[{i}]", _TEXT, v) for i, v in enumerate(raw)]
        values["kinds"] = tuple(dict.fromkeys(k for k in kinds if k))
    table.done()
    return {name: value for name, value in values.items() if value is not None}


def build_call(r: Reader, raw: dict[str, Any], tz: ZoneInfo, start: datetime) -> Call:
    """The call with its times made UTC, checked against each other and the meeting's start."""
    opens, closes = (
        (moment if moment.tzinfo else moment.replace(tzinfo=tz)).astimezone(UTC) if moment else None
        for moment in (raw.pop("opens", None), raw.pop("closes"))
    )
    assert closes is not None  # a missing `closes` is a problem reported before

    def local(moment: datetime) -> str:
        return f"{moment.astimezone(tz):%Y-%m-%d %H:%M}"

    if opens and closes <= opens:
        expected = f"a date-time after call.opens ({local(opens)})"
        r.problem("call.closes", f"expected {expected}, got {local(closes)}")
    if closes > start:
        expected = f"a date-time before the meeting starts ({local(start)})"
        r.problem("call.closes", f"expected {expected}, got {local(closes)}")
    return Call(closes=closes, opens=opens, **raw)
