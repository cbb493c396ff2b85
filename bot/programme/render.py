"""The programme for readers: the day by session, one talk, what is on now (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from bot.core.i18n import Translator
from bot.core.markup import TITLE_LIMIT, Card, escape, split_card, timestamp, truncate
from bot.programme.model import (
    DayPhase,
    HeldTalk,
    Meeting,
    NowAndNext,
    ProgrammeEdit,
    Session,
    Talk,
)


def local_time(meeting: Meeting, instant: datetime) -> str:
    """`HH:MM` in the meeting's timezone."""
    return instant.astimezone(meeting.tz).strftime("%H:%M")


def speakers_line(talk: Talk) -> str:
    """'Name (Affiliation), Name (Affiliation)'."""
    return ", ".join(
        f"{escape(p.name)} ({escape(p.affiliation)})" if p.affiliation else escape(p.name)
        for p in talk.speakers
    )


def talk_line(meeting: Meeting, talk: Talk, tr: Translator) -> str:
    """One line of the programme: local time, reader's time, title, invited mark, speakers."""
    invited = " · *" + tr.gettext("invited talk") + "*" if talk.invited else ""
    line = f"`{local_time(meeting, talk.start)}` {timestamp(talk.start)} **{escape(talk.title)}**"
    speakers = speakers_line(talk)
    return f"{line}{invited}\n{speakers}" if speakers else f"{line}{invited}"


def session_heading(meeting: Meeting, session: Session) -> str:
    """'Session 1 · 10:00–12:25'."""
    span = f"{local_time(meeting, session.start)}–{local_time(meeting, session.end)}"
    return f"{escape(session.title)} · {span}"


def timezone_footer(meeting: Meeting, tr: Translator) -> str:
    """Explains the two kinds of times shown."""
    return tr.gettext(
        "Times in grey boxes are {timezone} time; the others are shown in your own timezone.",
        timezone=meeting.timezone,
    )


def event_line(url: str, tr: Translator) -> str:
    """A link to a Discord scheduled event."""
    return tr.gettext("[In the server's Events tab]({url})", url=url)


def render_programme(
    meeting: Meeting, tr: Translator, events: Mapping[int, str] | None = None
) -> list[Card]:
    """The whole day, one card per session after a heading card; `events` maps a session's
    number (from 1) to its Discord event's URL."""
    events = events or {}
    heading = Card(
        title=truncate(meeting.title, TITLE_LIMIT),
        url=meeting.url,
        description="\n".join(
            line
            for line in [
                tr.gettext(
                    "{date} · {start}–{end} ({timezone})",
                    date=timestamp(meeting.start, "D"),
                    start=local_time(meeting, meeting.start),
                    end=local_time(meeting, meeting.end),
                    timezone=meeting.timezone,
                ),
                escape(meeting.venue),
                tr.ngettext("{count} talk", "{count} talks", len(meeting.talks)),
            ]
            if line
        ),
    )
    cards = [heading]
    for number, session in enumerate(meeting.sessions, start=1):
        lines = [talk_line(meeting, talk, tr) for talk in session.talks]
        url = events.get(number, "")
        if url:
            lines.insert(0, event_line(url, tr))
        end_label = tr.gettext("end of the session")
        lines.append(f"`{local_time(meeting, session.end)}` {timestamp(session.end)} *{end_label}*")
        title = truncate(session_heading(meeting, session), TITLE_LIMIT)
        cards.extend(split_card(Card(title=title, url=url), lines))
    cards[-1].footer = timezone_footer(meeting, tr)
    return cards


def render_talk(meeting: Meeting, talk: Talk, tr: Translator) -> list[Card]:
    """One talk: when, who, and its abstract when the meeting page gives one."""
    session = meeting.session_of(talk)
    when = tr.gettext(
        "{session}, {start}–{end} ({local_start}–{local_end} {timezone}), {relative}",
        session=escape(session.title),
        start=timestamp(talk.start, "t"),
        end=timestamp(talk.end, "t"),
        local_start=local_time(meeting, talk.start),
        local_end=local_time(meeting, talk.end),
        timezone=meeting.timezone,
        relative=timestamp(talk.start, "R"),
    )
    head = [when]
    if talk.invited:
        head.append("*" + tr.gettext("invited talk") + "*")
    if talk.speakers:
        head.append(speakers_line(talk))
    card = Card(title=truncate(talk.title, TITLE_LIMIT), url=meeting.url)
    if talk.abstract:
        label = "**" + tr.gettext("Abstract") + "**"
        paragraphs = [*head, "", label, *escape(talk.abstract).split("\n")]
    else:
        missing = "*" + tr.gettext("No abstract has been published for this talk.") + "*"
        paragraphs = [*head, "", missing]
    cards = split_card(card, paragraphs)
    cards[-1].footer = timezone_footer(meeting, tr)
    return cards


def render_now(meeting: Meeting, state: NowAndNext, tr: Translator) -> Card:
    """What is on now and what comes next."""
    lines: list[str] = []
    if state.phase is DayPhase.BEFORE:
        lines.append(
            tr.gettext(
                "The meeting starts {relative} ({date}).",
                relative=timestamp(meeting.start, "R"),
                date=timestamp(meeting.start, "f"),
            )
        )
    elif state.phase is DayPhase.AFTER:
        lines.append(tr.gettext("The meeting is over. Thank you for taking part!"))
    elif state.phase is DayPhase.BETWEEN and state.next is not None:
        lines.append(
            tr.gettext(
                "Break: the next session starts {relative}.",
                relative=timestamp(state.next.start, "R"),
            )
        )
    if state.current is not None:
        lines.append(
            tr.gettext(
                "**Now:** {title} — {speakers}, until {end} ({relative}).",
                title=escape(state.current.title),
                speakers=speakers_line(state.current),
                end=timestamp(state.current.end, "t"),
                relative=timestamp(state.current.end, "R"),
            )
        )
    elif state.phase is DayPhase.IN_SESSION:
        lines.append(tr.gettext("No talk is on right now."))
    if state.next is not None:
        lines.append(
            tr.gettext(
                "**Next:** {title} — {speakers}, at {start} ({relative}).",
                title=escape(state.next.title),
                speakers=speakers_line(state.next),
                start=timestamp(state.next.start, "t"),
                relative=timestamp(state.next.start, "R"),
            )
        )
    return Card(title=truncate(meeting.title, TITLE_LIMIT), description="\n".join(lines))


def held_summary(talk: HeldTalk) -> str:
    """'3 question(s), a Q&A thread, 1 linked speaker(s)' (plain text)."""
    parts = [f"{talk.questions} question(s)"] if talk.questions else []
    parts += ["a Q&A thread"] if talk.thread else []
    parts += [f"{talk.linked_speakers} linked speaker(s)"] if talk.linked_speakers else []
    return ", ".join(parts) or "nothing left"


def preview_lines(edit: ProgrammeEdit) -> list[str]:
    """`amphi check`: what loading a meeting file would do to what hangs on its talks."""
    lines = [
        f'{edit.slug}: would keep as removed: "{t.title}" (key {t.key}): {held_summary(t)}'
        for t in edit.kept_removed
    ]
    lines += [
        f'{edit.slug}: would bring back: "{t.title}" (key {t.key}): {held_summary(t)}'
        for t in edit.brought_back
    ]
    lines += [
        f'{edit.slug}: would drop the Discord link of speaker "{link.speaker_name}" '
        f'of "{link.talk_title}" (key {link.talk_key})'
        for link in edit.dropped_links
    ]
    return lines
