"""Pure rendering of scheduled posts: session reminders, "now on", link DMs, the timeline."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.core.errors import N_
from bot.core.i18n import Translator
from bot.core.markup import TITLE_LIMIT, Card, escape, split_card, timestamp, truncate
from bot.events.model import event_title
from bot.posts.model import PlannedPost, PostKind, PostRecord, session_at
from bot.programme.model import Meeting, Session, Talk
from bot.programme.render import day_label, event_line, local_time, speakers_line, talk_line
from bot.registration.model import Registration


def session_reminder(
    meeting: Meeting,
    session: Session,
    lead: float,
    tr: Translator,
    *,
    has_link: bool,
    event_url: str = "",
) -> tuple[str, Card]:
    """The reminder's text (after the role pings), naming the session's room when it has one,
    and the session's card, whose title links to the session's Discord event when there is one."""
    names = {"session": escape(session.title), "meeting": escape(meeting.title)}
    if session.room:
        names["room"] = escape(session.room)
    if lead > 0:
        names |= {"relative": timestamp(session.start, "R"), "time": timestamp(session.start, "t")}
        if session.room:
            text = tr.gettext(
                "**{session}** of {meeting} starts {relative} ({time}) in {room}.", **names
            )
        else:
            text = tr.gettext("**{session}** of {meeting} starts {relative} ({time}).", **names)
    elif session.room:
        text = tr.gettext("**{session}** of {meeting} starts now in {room}.", **names)
    else:
        text = tr.gettext("**{session}** of {meeting} starts now.", **names)
    if has_link:
        text += "\n" + tr.gettext(
            "Following remotely? Press the button below to get the video link."
        )
    lines = [talk_line(meeting, talk, tr, session) for talk in session.talks]
    if event_url:  # first: the card is cut to one
        lines.insert(0, event_line(event_url, tr))
    heading = f"{session.title} · {session.room}" if session.room else session.title
    title = truncate(escape(heading), TITLE_LIMIT)
    [card] = split_card(Card(title=title, url=event_url), lines)[:1]
    return text, card


def talk_start(talk: Talk, tr: Translator) -> str:
    """The "now on" post, naming the talk's room when it has one."""
    values = {
        "title": escape(talk.title),
        "speakers": speakers_line(talk),
        "end": timestamp(talk.end, "t"),
    }
    if talk.room:
        return tr.gettext(
            "Now on in {room}: **{title}** — {speakers}, until {end}.",
            room=escape(talk.room),
            **values,
        )
    return tr.gettext("Now on: **{title}** — {speakers}, until {end}.", **values)


def link_dm(meeting: Meeting, session: Session, link: str, tr: Translator) -> str:
    """The DM that carries the video link."""
    return tr.gettext(
        "The video link for {session} of {meeting} (starts {relative}): {link}\n"
        "Please do not share it.",
        session=escape(session.title),
        meeting=escape(meeting.title),
        relative=timestamp(session.start, "R"),
        link=link,
    )


def link_answer(registration: Registration | None, link: str | None, tr: Translator) -> str:
    """The video link for someone who follows remotely; a polite refusal otherwise."""
    if link is None:
        return tr.gettext(
            "The organizers have not shared a video link yet. Please ask them, or try again later."
        )
    if registration is None:
        return tr.gettext(
            "The video link is for registered remote attendees. Register first with "
            "/register (mode: remote), then press the button again."
        )
    if not registration.follows_remotely:
        return tr.gettext(
            "You have a seat in the room, so the video link is not for you. If you need to "
            "follow remotely, switch with /register (mode: remote)."
        )
    return tr.gettext("The video link: {link}\nPlease do not share it.", link=link)


STATUS_LABELS = {
    "pending": N_("pending"),
    "sending": N_("sending"),
    "sent": N_("sent"),
    "late": N_("sent late"),
    "skipped": N_("skipped"),
    "cancelled": N_("cancelled"),
    "failed": N_("failed"),
}


def describe_post(
    meeting: Meeting, post: PlannedPost, tr: Translator, *, markdown: bool = True
) -> str:
    """'Session 1: reminder, 15 min before' and the like; a session or talk with a room is
    named with it: 'Session 1 (Amphi A): …'."""
    shown = escape if markdown else str
    if post.kind is PostKind.TALK_START:
        talk = meeting.talk(post.target)
        label = (f"{talk.title} ({talk.room})" if talk.room else talk.title) if talk else ""
        return tr.gettext("now on: {title}", title=shown(label or post.target))
    if post.kind is PostKind.ANNOUNCEMENT:
        return tr.gettext("announcement #{id}", id=post.target)
    if post.kind in (PostKind.QA_THREAD, PostKind.QA_DIGEST):
        talk = meeting.talk(post.target)
        title = shown(talk.title if talk else post.target)
        if post.kind is PostKind.QA_THREAD:
            return tr.gettext("Q&A thread opens: {title}", title=title)
        return tr.gettext("questions digest to the speakers: {title}", title=title)
    if post.kind in (PostKind.EVENT_START, PostKind.EVENT_END):
        title = event_title(meeting, post.target)
        if post.kind is PostKind.EVENT_START:
            return tr.gettext("{session}: the Discord event starts", session=shown(title))
        return tr.gettext("{session}: the Discord event ends", session=shown(title))
    if post.kind is PostKind.PROGRAMME_CHANGES:
        return tr.gettext("change notice: what changed in the programme")
    if post.kind is PostKind.CORRECTION:
        return tr.gettext("correction of a post whose time moved")
    if post.kind is PostKind.CALL_REMINDER and meeting.call is not None:
        days = round((meeting.call.closes - post.due).total_seconds() / 86400)
        return tr.ngettext(
            "call for contributions: reminder, {count} day before it closes",
            "call for contributions: reminder, {count} days before it closes",
            days,
        )
    session = session_at(meeting, post.target)
    title = post.target
    if session is not None:
        title = f"{session.title} ({session.room})" if session.room else session.title
    lead = f"{post.lead_minutes:g}"
    if post.kind is PostKind.LINK_DMS:
        return tr.gettext(
            "{session}: video link by DM, {lead} min before", session=shown(title), lead=lead
        )
    if not post.lead_minutes:
        return tr.gettext("{session}: reminder at its start", session=shown(title))
    return tr.gettext("{session}: reminder, {lead} min before", session=shown(title), lead=lead)


def render_timeline(meeting: Meeting, records: list[PostRecord], tr: Translator) -> list[Card]:
    """`/reminders`: every post with its time and status; for a meeting of several days,
    each day's posts under its date."""
    lines = []
    shown_day = None
    for record in records:
        day = meeting.local_day(record.post.due)
        if meeting.multi_day and day != shown_day:
            lines.append(f"**{day_label(day, tr)}**")
            shown_day = day
        status = tr.gettext(STATUS_LABELS.get(record.status, record.status))
        lines.append(
            f"`{local_time(meeting, record.post.due)}` {timestamp(record.post.due, 'f')} · "
            f"{describe_post(meeting, record.post, tr)} — **{status}**"
        )
    if not lines:
        lines = [tr.gettext("Nothing is planned.")]
    title = tr.gettext("Planned posts of {title}", title=escape(meeting.title))
    return split_card(Card(title=title), lines)


def plan_lines(meeting: Meeting, posts: list[PlannedPost]) -> list[str]:
    """`amphi plan`: one line per post with its date and time in the meeting's time zone."""
    tz = ZoneInfo(meeting.timezone)
    english = Translator("en")
    return [
        f"{post.due.astimezone(tz):%Y-%m-%d %H:%M} {meeting.timezone}  "
        f"{post.kind.value:<17} {describe_post(meeting, post, english, markdown=False)}"
        for post in posts
    ]
