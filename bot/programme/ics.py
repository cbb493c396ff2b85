"""The programme as an iCalendar file (RFC 5545), for any calendar app."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from icalendar import Alarm, Calendar, Event

from bot.programme.model import Meeting

ALARM_LEAD = timedelta(minutes=10)


def calendar_filename(meeting: Meeting) -> str:
    """The attachment's file name."""
    return f"{meeting.slug}.ics"


def talk_location(venue: str, room: str) -> str:
    """'Venue — Room', or whichever of the two there is."""
    return " — ".join(part for part in (venue, room) if part)


def build_calendar(
    meeting: Meeting, *, generated_at: datetime, events: Mapping[int, str] | None = None
) -> bytes:
    """One event per talk, in UTC, each with a display alarm before it starts and its room in
    its location; `events` maps a session's number (from 1) to its Discord event's URL, which
    its talks name."""
    events = events or {}
    calendar = Calendar()
    calendar.add("prodid", "-//Amphi//meeting programme//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", meeting.title)
    calendar.add("x-wr-timezone", meeting.timezone)
    for number, session in enumerate(meeting.sessions, start=1):
        for talk in session.talks:
            event = Event()
            event.add("uid", f"{talk.key}@{meeting.slug}.amphi")
            event.add("dtstamp", generated_at)
            event.add("dtstart", talk.start)
            event.add("dtend", talk.end)
            event.add("summary", talk.title)
            details = [
                ", ".join(
                    f"{p.name} ({p.affiliation})" if p.affiliation else p.name
                    for p in talk.speakers
                ),
                f"{meeting.title} — {session.title}",
            ]
            if number in events:
                details.append(f"Discord: {events[number]}")
            if talk.abstract:
                details += ["", talk.abstract]
            event.add("description", "\n".join(details))
            event.add("categories", [session.title])
            location = talk_location(meeting.venue, talk.room or session.room)
            if location:
                event.add("location", location)
            if meeting.url or number in events:
                event.add("url", meeting.url or events[number])
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", talk.title)
            alarm.add("trigger", -ALARM_LEAD)
            event.add_component(alarm)
            calendar.add_component(event)
    return calendar.to_ical()
