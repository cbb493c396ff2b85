"""Pure rendering of scheduled posts: session reminders, "now on", link DMs, the timeline."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.core.errors import N_
from bot.core.i18n import Translator
from bot.core.markup import TITLE_LIMIT, Card, escape, split_card, timestamp, truncate
from bot.events.model import event_title
from bot.posts.planner import PlannedPost, PostKind, PostRecord, session_index
from bot.programme.model import Meeting, Session, Talk
from bot.programme.render import event_line, local_time, speakers_line, talk_line
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
    """The reminder's text (after the role pings) and the session's card, whose title links
    to the session's Discord event when there is one."""
    if lead > 0:
        text = tr.gettext(
            "**{session}** of {meeting} starts {relative} ({time}).",
            session=escape(session.title),
            meeting=escape(meeting.title),
            relative=timestamp(session.start, "R"),
            time=timestamp(session.start, "t"),
        )
    else:
        text = tr.gettext(
            "**{session}** of {meeting} starts now.",
            session=escape(session.title),
            meeting=escape(meeting.title),
        )
    if has_link:
        text += "\n" + tr.gettext(
            "Following remotely? Press the button below to get the video link."
        )
    lines = [talk_line(meeting, talk, tr) for talk in session.talks]
    if event_url:  # first: the card is cut to one
        lines.insert(0, event_line(event_url, tr))
    title = truncate(escape(session.title), TITLE_LIMIT)
    [card] = split_card(Card(title=title, url=event_url), lines)[:1]
    return text, card


def talk_start(talk: Talk, tr: Translator) -> str:
    """The "now on" post."""
    return tr.gettext(
        "Now on: **{title}** — {speakers}, until {end}.",
        title=escape(talk.title),
        speakers=speakers_line(talk),
        end=timestamp(talk.end, "t"),
    )


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
    """'Session 1: reminder, 15 min before' and the like."""
    shown = escape if markdown else str
    if post.kind is PostKind.TALK_START:
        talk = meeting.talk(post.target)
        return tr.gettext("now on: {title}", title=shown(talk.title if talk else post.target))
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
    index = session_index(post.target)
    title = meeting.sessions[index].title if index < len(meeting.sessions) else post.target
    lead = f"{post.lead_minutes:g}"
    if post.kind is PostKind.LINK_DMS:
        return tr.gettext(
            "{session}: video link by DM, {lead} min before", session=shown(title), lead=lead
        )
    if not post.lead_minutes:
        return tr.gettext("{session}: reminder at its start", session=shown(title))
    return tr.gettext("{session}: reminder, {lead} min before", session=shown(title), lead=lead)


def render_timeline(meeting: Meeting, records: list[PostRecord], tr: Translator) -> list[Card]:
    """`/reminders`: every post with its time and status."""
    lines = []
    for record in records:
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
    """`amphi plan`: one line per post, in the meeting's time zone."""
    tz = ZoneInfo(meeting.timezone)
    english = Translator("en")
    return [
        f"{post.due.astimezone(tz):%Y-%m-%d %H:%M} {meeting.timezone}  "
        f"{post.kind.value:<17} {describe_post(meeting, post, english, markdown=False)}"
        for post in posts
    ]
