"""The web pages as HTML (Jinja2 templates, every value escaped) and the room screen's state as
JSON for its server-sent events: pure functions of a snapshot and a language."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from typing import Any

import segno
from babel.dates import format_date
from jinja2 import Environment, PackageLoader

from bot.core.i18n import Translator
from bot.programme.model import Meeting, Talk
from bot.web.model import (
    ScreenState,
    Snapshot,
    posts_of_day,
    registration_buckets,
    thread_link,
)


@cache
def _templates() -> Environment:
    return Environment(loader=PackageLoader("bot.web", "templates"), autoescape=True)


def _page(name: str, **values: Any) -> str:
    return _templates().get_template(name).render(**values)


def local_time(meeting: Meeting, instant: datetime) -> str:
    """'10:00' in the meeting's zone."""
    return instant.astimezone(meeting.tz).strftime("%H:%M")


def _when(meeting: Meeting, instant: datetime) -> dict[str, str]:
    """A moment for a template: its ISO form (the viewer's own time is added beside it by
    the page's script) and its time in the meeting's zone."""
    return {"iso": instant.isoformat(), "local": local_time(meeting, instant)}


def _long_date(meeting: Meeting, instant: datetime, language: str) -> str:
    return format_date(meeting.local_day(instant), format="full", locale=language)


def _talk(meeting: Meeting, talk: Talk) -> dict[str, Any]:
    return {
        "key": talk.key,
        "title": talk.title,
        "speakers": [
            f"{p.name} ({p.affiliation})" if p.affiliation else p.name for p in talk.speakers
        ],
        "speaker_names": talk.speaker_names,
        "abstract": talk.abstract,
        "room": talk.room or meeting.session_of(talk).room,
        "start": _when(meeting, talk.start),
        "end": _when(meeting, talk.end),
        "invited": talk.invited,
    }


def registration_state(snapshot: Snapshot, tr: Translator, language: str) -> str:
    """'Open until …' / 'Closed', as the public page and /capacity say it."""
    figures, meeting = snapshot.view.figures, snapshot.meeting
    closes = figures.closes_at
    when = ""
    if closes is not None:
        when = f"{_long_date(meeting, closes, language)} {local_time(meeting, closes)}"
    if figures.is_open:
        return tr.gettext("Open until {time}", time=when) if when else tr.gettext("Open")
    return tr.gettext("Closed since {time}", time=when) if when else tr.gettext("Closed")


def public_counters(
    snapshot: Snapshot, tr: Translator, language: str
) -> list[tuple[str, str, str]]:
    """The public page's live figures: (key, label, value), those of /capacity."""
    figures = snapshot.view.figures
    remote = str(figures.remote)
    if figures.remote_capacity is not None:
        remote += f" / {figures.remote_capacity}"
    return [
        ("members", tr.gettext("Members of the network"), str(figures.members)),
        ("non-members", tr.gettext("Non-members"), str(figures.non_members)),
        ("in-person", tr.gettext("Registered in person"), str(figures.in_person)),
        ("remote", tr.gettext("Registered remote"), remote),
        ("capacity", tr.gettext("Room capacity"), str(figures.capacity)),
        ("seats-left", tr.gettext("Seats left"), str(figures.seats_left)),
        ("waitlist", tr.gettext("Waitlist"), str(figures.waitlist)),
        ("registration", tr.gettext("Registration"), registration_state(snapshot, tr, language)),
    ]


def public_page(snapshot: Snapshot, tr: Translator, *, language: str, links: dict[str, str]) -> str:
    """The meeting's public page: no personal data, every figure a count."""
    meeting, view = snapshot.meeting, snapshot.view
    days = [
        {
            "date": format_date(day, format="full", locale=language),
            "sessions": [
                {
                    "title": s.title,
                    "room": s.room,
                    "start": _when(meeting, s.start),
                    "end": _when(meeting, s.end),
                    "talks": [_talk(meeting, t) for t in s.talks],
                }
                for s in meeting.sessions_on(day)
            ],
        }
        for day in meeting.days
    ]
    counters = public_counters(snapshot, tr, language)
    call = ""
    if meeting.call is not None:
        closes = meeting.call.closes
        when = f"{_long_date(meeting, closes, language)} {local_time(meeting, closes)}"
        if view.call_open:
            call = tr.gettext("Open until {time}: propose with /propose in Discord.", time=when)
        else:
            call = tr.gettext("Closed since {time}.", time=when)
    return _page(
        "public.html",
        t=_labels(tr),
        lang=language,
        meeting=meeting,
        dates=" – ".join(
            dict.fromkeys(format_date(d, format="full", locale=language) for d in meeting.days)
        ),
        times=tr.gettext(
            "Times are in the meeting's time zone ({zone}); yours is beside them.",
            zone=meeting.timezone,
        ),
        organizers=meeting.organizers,
        counters=counters,
        counters_src=f"/m/{meeting.slug}/counters.json?lang={language}",
        call=call,
        days=days,
        links=links,
    )


def _labels(tr: Translator) -> dict[str, str]:
    """The pages' fixed texts in the reader's language."""
    return {
        "programme": tr.gettext("Programme"),
        "organizers": tr.gettext("Organizers"),
        "figures": tr.gettext("Registrations"),
        "venue": tr.gettext("Venue"),
        "calendar": tr.gettext("Add the programme to your calendar (.ics)"),
        "discord": tr.gettext("Join the meeting's Discord server to register: /register"),
        "site": tr.gettext("The meeting's web site"),
        "your_time": tr.gettext("your time"),
        "abstract": tr.gettext("Abstract"),
        "invited": tr.gettext("Invited talk"),
        "call": tr.gettext("Call for contributions"),
        "now": tr.gettext("Now"),
        "next": tr.gettext("Next"),
        "nothing": tr.gettext("No talk under way."),
        "ask": tr.gettext("Ask your question: scan the code"),
        "no_questions": tr.gettext("No approved question yet."),
        "anonymous": tr.gettext("Anonymous"),
        "votes": tr.gettext("votes"),
        "taken": tr.gettext("taken"),
        "dashboard": tr.gettext("Organizers' dashboard"),
        "over_time": tr.gettext("Registrations over time"),
        "in_person": tr.gettext("In person"),
        "remote": tr.gettext("Remote"),
        "waitlist": tr.gettext("Waitlist"),
        "capacity": tr.gettext("Room capacity"),
        "posts": tr.gettext("Planned posts of the day"),
        "due": tr.gettext("Due"),
        "status": tr.gettext("Status"),
        "late": tr.gettext("Late by"),
        "broadcasts": tr.gettext("Broadcasts"),
        "sent": tr.gettext("Sent"),
        "failed": tr.gettext("Failed"),
        "waiting": tr.gettext("Waiting"),
        "questions": tr.gettext("Questions per talk"),
        "talk": tr.gettext("Talk"),
        "pending": tr.gettext("Pending"),
        "approved": tr.gettext("Approved"),
        "rejected": tr.gettext("Rejected"),
        "events": tr.gettext("Scheduled events"),
        "none": tr.gettext("None yet."),
        "counts_only": tr.gettext("Counts only: no member's name or id is shown here."),
    }


def screen_payload(
    snapshot: Snapshot, state: ScreenState, tr: Translator, *, guild_id: int
) -> dict[str, Any]:
    """The room screen's state: what its page draws, first in HTML, then at each event."""
    meeting = snapshot.meeting
    talk = state.current or state.next
    link = thread_link(guild_id, state.thread_id) if state.thread_id else ""
    return {
        "mode": "talk" if state.current else ("next" if state.next else "none"),
        "title": talk.title if talk else "",
        "speakers": talk.speaker_names if talk else "",
        "time": f"{local_time(meeting, talk.start)}–{local_time(meeting, talk.end)}"
        if talk
        else "",
        "next": (
            {
                "title": state.next.title,
                "speakers": state.next.speaker_names,
                "time": local_time(meeting, state.next.start),
            }
            if state.current and state.next
            else None
        ),
        "questions": [
            {
                "id": q.id,
                "text": q.text,
                "author": q.author or tr.gettext("Anonymous"),
                "anonymous": not q.author,
                "votes": q.votes,
                "taken": q.taken,
            }
            for q in state.questions
        ],
        "link": link,
        "qr": qr_data_uri(link) if link else "",
    }


def qr_data_uri(link: str) -> str:
    """A QR code of `link` as an SVG data address (an <img> needs no inline style or script)."""
    qr = segno.make(link, error="m")
    return qr.svg_data_uri(scale=10, border=2, dark="#000", light="#fff", encode_minimal=False)


def screen_page(
    snapshot: Snapshot, payload: dict[str, Any], tr: Translator, *, language: str, stream: str
) -> str:
    """The room screen for a projector; `stream` is its events' address."""
    return _page(
        "screen.html",
        t=_labels(tr),
        lang=language,
        meeting=snapshot.meeting,
        state=payload,
        stream=stream,
    )


def dashboard_page(snapshot: Snapshot, tr: Translator, *, language: str) -> str:
    """The organizers' dashboard: counts only."""
    meeting, view = snapshot.meeting, snapshot.view
    buckets = registration_buckets(view.joined)
    capacity = view.figures.capacity
    chart = {
        "labels": [b.start.astimezone(meeting.tz).strftime("%Y-%m-%d %H:%M") for b in buckets],
        "series": [
            {"label": tr.gettext("In person"), "data": [b.in_person for b in buckets]},
            {"label": tr.gettext("Remote"), "data": [b.remote for b in buckets]},
            {"label": tr.gettext("Waitlist"), "data": [b.waitlist for b in buckets]},
            {"label": tr.gettext("Room capacity"), "data": [capacity for _ in buckets]},
        ],
    }
    talks: list[dict[str, Any]] = [
        {"title": t.title, "counts": view.question_counts.get(t.key, {})} for t in meeting.talks
    ]
    posts = [
        {
            "kind": p.kind,
            "target": p.target,
            "due": _when(meeting, p.due),
            "status": p.status,
            "late": _minutes(p.late.total_seconds()) if p.late else "",
        }
        for p in posts_of_day(view.posts, meeting, snapshot.taken_at)
    ]
    figures = view.figures
    return _page(
        "dashboard.html",
        t=_labels(tr),
        lang=language,
        meeting=meeting,
        figures=figures,
        state=registration_state(snapshot, tr, language),
        chart=json.dumps(chart),
        points=len(buckets),
        posts=posts,
        broadcasts=view.broadcasts,
        talks=talks,
        events=[
            {"name": e.name or e.key, "status": e.status, "start": _when(meeting, e.start)}
            for e in view.events
        ],
        tr=tr,
    )


def _minutes(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def error_page(status: int, message: str, tr: Translator, *, language: str) -> str:
    """A polite refusal as a page."""
    return _page("error.html", t=_labels(tr), lang=language, status=status, message=message)
