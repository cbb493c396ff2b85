"""Which kind of schedule export a document is, from its content alone; and the document read
once, as JSON or as XML, for the parser of its format."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from bot.schedule_import.sources.schedule import SourceError

_XML_PROLOGUE = re.compile(rb"\s*(<\?[^>]*\?>\s*|<!--.*?-->\s*|<!DOCTYPE[^>]*>\s*)*", re.DOTALL)
_XML_ROOT = re.compile(rb"<([A-Za-z_][\w.:-]*)")
_INDICO_TYPES = {"conference", "meeting", "lecture", "simple_event"}
_DAY_KEY = re.compile(r"^\d{8}$")
_BOM_AND_BLANKS = b"\xef\xbb\xbf \t\r\n"


def load_json(data: bytes, what: str = "file") -> Any:
    """The JSON document in `data`, or a SourceError saying where it breaks."""
    try:
        return json.loads(data)
    except json.JSONDecodeError as error:
        raise SourceError(
            f"The {what} is not valid JSON: {error.msg} at line {error.lineno}, column "
            f"{error.colno}. Check that the export downloaded completely and was not edited."
        ) from None
    except UnicodeDecodeError:
        raise SourceError(
            f"The {what} is not text in UTF-8. Download the export again, as JSON."
        ) from None
    except RecursionError:  # the decoder nests as deep as the document does
        raise SourceError(
            f"The {what} nests its lists and objects too deeply to be a schedule export; "
            "check that it is the right file."
        ) from None
    except ValueError as error:  # a number of thousands of digits, which Python will not read
        raise SourceError(
            f"The {what} holds a value Amphi cannot read ({error}); "
            "check that it is the right file."
        ) from None


def load_xml(data: bytes, what: str = "file") -> ET.Element:
    """The root of the XML document in `data`, namespaces dropped from its tags, or a
    SourceError saying where it breaks. Entities are refused: a few declared ones can expand
    to gigabytes, or read the files of the machine that imports."""
    body = data.lstrip(_BOM_AND_BLANKS)  # before <?xml …?>, even a blank is an error
    try:
        root = SafeET.fromstring(body)
    except ET.ParseError as error:
        line, column = error.position
        line += data[: len(data) - len(body)].count(b"\n")
        reason = str(error).split(":")[0]
        raise SourceError(
            f"The {what} is not well-formed XML: {reason} at line {line}, column {column + 1}. "
            "Check that the export downloaded completely and was not edited."
        ) from None
    except LookupError:  # <?xml encoding="…"?> names one Python does not know
        raise SourceError(
            f"The {what} declares a text encoding Amphi does not know; export it again, in UTF-8."
        ) from None
    except DefusedXmlException:
        raise SourceError(
            f"The {what} declares XML entities (a <!DOCTYPE> with <!ENTITY …>), which no "
            "schedule export needs and which Amphi does not expand; export the schedule again."
        ) from None
    for element in root.iter():  # a namespace, when one is declared, changes no meaning
        if isinstance(element.tag, str) and "}" in element.tag:
            element.tag = element.tag.split("}", 1)[1]
    return root


def load_document(data: bytes) -> Any:
    """The export in `data`, read once: a JSON value, or the root element of an XML document;
    a SourceError when it is neither, or is a web page or a calendar."""
    head = data.lstrip(_BOM_AND_BLANKS)
    if not head:
        raise SourceError("The schedule file is empty. Download the export again.")
    if head[:1] == b"<":
        return load_xml(data, _xml_what(head))
    if head[:1] in (b"{", b"["):
        return load_json(data)
    if head[:15].upper().startswith(b"BEGIN:VCALENDAR"):
        raise SourceError(
            "This is an iCalendar file, which has no rooms, speakers or sessions for Amphi to "
            "read. Export the schedule as Indico JSON, frab XML or c3voc/pretalx JSON instead."
        )
    raise SourceError(
        "This file is neither XML nor JSON, so it is no schedule export Amphi reads. "
        "Export the schedule as Indico JSON, frab XML (schedule.xml) or c3voc/pretalx JSON."
    )


def _xml_what(head: bytes) -> str:
    """What an XML document is called in its errors, from its root's name: a web page is told
    as such before it is parsed (HTML is seldom well-formed XML)."""
    prologue = _XML_PROLOGUE.match(head)
    found = _XML_ROOT.match(head, prologue.end() if prologue else 0)
    root = found.group(1).decode("ascii", "replace").split(":")[-1] if found else ""
    if root.lower() == "html" or head[:20].lower().startswith(b"<!doctype html"):
        raise SourceError(
            "This is a web page (HTML), not a schedule export. Give the address of the export "
            "itself, e.g. …/schedule.xml, …/schedule.json or Indico's /export/event/ID.json."
        )
    return "frab schedule" if root == "schedule" else "file"


def detect_format(data: bytes) -> str:
    """The format of `data`, one of FORMATS, or a SourceError saying what it looked like."""
    return format_of(load_document(data))


def format_of(document: Any) -> str:
    """The format of a document `load_document` read, or a SourceError naming what it looked
    like."""
    if isinstance(document, ET.Element):
        return _xml_format(document)
    return json_format(document)


def _xml_format(root: ET.Element) -> str:
    tag = root.tag if isinstance(root.tag, str) else ""
    if tag == "schedule":
        return "frab"
    if tag in ("httpapiresult", "xml", "results") or "indico" in tag.lower():
        raise SourceError(
            "This looks like an Indico XML export, which Amphi does not read. "
            "Use the JSON export instead: /export/event/ID.json?detail=contributions."
        )
    raise SourceError(
        f"This XML document's root element is <{tag or '?'}>, not <schedule>, so it is no "
        "frab or Pentabarf schedule. Export the programme as schedule.xml."
    )


def json_format(document: Any) -> str:
    """The format of a parsed JSON document, or a SourceError naming what it looked like."""
    if not isinstance(document, dict):
        kind = "a list" if isinstance(document, list) else "a single value"
        raise SourceError(
            f"This JSON is {kind}, not an object, so it is no schedule export Amphi reads. "
            "Export the schedule as Indico JSON or c3voc/pretalx schedule.json."
        )
    schedule = document.get("schedule")
    if isinstance(schedule, dict) and isinstance(schedule.get("conference"), dict):
        return "c3voc"
    results = document.get("results")
    if isinstance(results, list) and any(_indico_event(e) for e in results):
        return "indico"
    if isinstance(results, dict) and any(_indico_days(v) for v in results.values()):
        return "indico"
    if isinstance(results, list | dict) and not results:
        raise SourceError(
            "This Indico export has empty “results”: the event was not found, or is not public. "
            "Check the event id, or add an API key that may read it."
        )
    keys = ", ".join(f"“{k}”" for k in list(document)[:6]) or "none"
    raise SourceError(
        f"This JSON (top-level keys: {keys}) is neither an Indico export (“results” of events "
        "or of dated timetable entries) nor a c3voc/pretalx schedule (“schedule.conference”)."
    )


def _indico_event(event: Any) -> bool:
    if not isinstance(event, dict):
        return False
    kinds = {str(event.get("_type", "")).lower(), str(event.get("type", "")).lower()}
    return bool(kinds & _INDICO_TYPES) or "contributions" in event or "sessions" in event


def _indico_days(days: Any) -> bool:
    return isinstance(days, dict) and any(_DAY_KEY.match(str(k)) for k in days)
