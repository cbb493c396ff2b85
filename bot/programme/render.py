"""The programme for readers: the days by session, one talk, what is on now (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from babel.dates import format_date, format_interval

from bot.core.i18n import Translator
from bot.core.markup import (
    DESCRIPTION_LIMIT,
    TITLE_LIMIT,
    Card,
    escape,
    split_card,
    timestamp,
    truncate,
)
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


def day_label(day: date, tr: Translator) -> str:
    """A meeting day in the reader's language: 'lundi 28 juin', 'Monday 28 June'."""
    return format_date(day, "EEEE d MMMM", locale=tr.language)


def date_range(meeting: Meeting, tr: Translator) -> str:
    """The meeting's local dates in the reader's language: '28 – 30 juin', 'June 28 – 30'."""
    first, last = meeting.days[0], meeting.days[-1]
    if first == last:
        return format_date(first, "d MMMM", locale=tr.language)
    return format_interval(first, last, "MMMMd", locale=tr.language)


def room_of(meeting: Meeting, talk: Talk, session: Session | None = None) -> str:
    """The room a talk's line names: its own when it differs from its session's ("" else)."""
    session = session if session is not None else meeting.session_of(talk)
    return talk.room if talk.room and talk.room != session.room else ""


def speakers_line(talk: Talk) -> str:
    """'Name (Affiliation), Name (Affiliation)'."""
    return ", ".join(
        f"{escape(p.name)} ({escape(p.affiliation)})" if p.affiliation else escape(p.name)
        for p in talk.speakers
    )


def talk_line(meeting: Meeting, talk: Talk, tr: Translator, session: Session | None = None) -> str:
    """One line of the programme: local time, reader's time, title, its room when it is not
    its session's (`session`, found when not given), invited mark, speakers."""
    invited = " · *" + tr.gettext("invited talk") + "*" if talk.invited else ""
    room = room_of(meeting, talk, session) if talk.room else ""
    where = f" · {escape(room)}" if room else ""
    line = f"`{local_time(meeting, talk.start)}` {timestamp(talk.start)} **{escape(talk.title)}**"
    speakers = speakers_line(talk)
    head = f"{line}{where}{invited}"
    return f"{head}\n{speakers}" if speakers else head


def session_heading(meeting: Meeting, session: Session) -> str:
    """'Session 1 · 10:00–12:25', with its room when it has one: 'Session 1 · Amphi A · …'."""
    span = f"{local_time(meeting, session.start)}–{local_time(meeting, session.end)}"
    room = f" · {escape(session.room)}" if session.room else ""
    return f"{escape(session.title)}{room} · {span}"


def timezone_footer(meeting: Meeting, tr: Translator) -> str:
    """Explains the two kinds of times shown."""
    return tr.gettext(
        "Times in grey boxes are {timezone} time; the others are shown in your own timezone.",
        timezone=meeting.timezone,
    )


def event_line(url: str, tr: Translator) -> str:
    """A link to a Discord scheduled event."""
    return tr.gettext("[In the server's Events tab]({url})", url=url)


def programme_summary(meeting: Meeting, tr: Translator) -> list[str]:
    """The heading card's lines: when (the dates of a meeting of several days), where, the
    rooms when it names any, how many talks."""
    if meeting.multi_day:
        days = tr.ngettext("{count} day", "{count} days", len(meeting.days))
        when = f"{date_range(meeting, tr)} · {days} ({meeting.timezone})"
    else:
        when = tr.gettext(
            "{date} · {start}–{end} ({timezone})",
            date=timestamp(meeting.start, "D"),
            start=local_time(meeting, meeting.start),
            end=local_time(meeting, meeting.end),
            timezone=meeting.timezone,
        )
    rooms = ""
    if meeting.rooms:
        names = ", ".join(escape(room) for room in meeting.rooms)
        rooms = tr.ngettext("Room: {rooms}", "Rooms: {rooms}", len(meeting.rooms), rooms=names)
    talks = tr.ngettext("{count} talk", "{count} talks", len(meeting.talks))
    return [truncate(line, 1000) for line in (when, escape(meeting.venue), rooms, talks) if line]


def day_card(meeting: Meeting, day: date, tr: Translator) -> Card:
    """The heading of one day of a meeting of several: its date, its hours, its talks."""
    sessions = meeting.sessions_on(day)
    start = min(s.start for s in sessions)
    end = max(s.end for s in sessions)
    count = sum(len(s.talks) for s in sessions)
    talks = tr.ngettext("{count} talk", "{count} talks", count)
    span = f"`{local_time(meeting, start)}–{local_time(meeting, end)}`"
    return Card(title=truncate(day_label(day, tr), TITLE_LIMIT), description=f"{span} · {talks}")


def render_programme(
    meeting: Meeting, tr: Translator, events: Mapping[int, str] | None = None
) -> list[Card]:
    """The whole meeting, one card per session after a heading card (and, for a meeting of
    several days, a card heading each day); `events` maps a session's number (from 1) to its
    Discord event's URL."""
    events = events or {}
    heading = Card(
        title=truncate(meeting.title, TITLE_LIMIT),
        url=meeting.url,
        description="\n".join(programme_summary(meeting, tr)),
    )
    cards = [heading]
    shown_day: date | None = None
    for number, session in enumerate(meeting.sessions, start=1):
        day = meeting.local_day(session.start)
        if meeting.multi_day and day != shown_day:
            cards.append(day_card(meeting, day, tr))
            shown_day = day
        lines = [talk_line(meeting, talk, tr, session) for talk in session.talks]
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
    """One talk: when (its date too, for a meeting of several days), where, who, and its
    abstract when the meeting page gives one."""
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
    if meeting.multi_day:
        when = f"{day_label(meeting.local_day(talk.start), tr)}, {when}"
    head = [when]
    if talk.room:
        head.append(tr.gettext("Room: {room}", room=escape(talk.room)))
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
    """What is on now and what comes next: with several rooms, every talk on now and every
    talk starting next, each with its room."""
    lines: list[str] = []
    # A talk of another day shows its date, not only its time.
    next_style = "f" if meeting.multi_day else "t"
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
    if len(meeting.rooms) > 1:
        lines += _now_by_room(meeting, state, tr, next_style)
        return Card(title=truncate(meeting.title, TITLE_LIMIT), description=fit(lines, tr))
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
                start=timestamp(state.next.start, next_style),
                relative=timestamp(state.next.start, "R"),
            )
        )
    return Card(title=truncate(meeting.title, TITLE_LIMIT), description="\n".join(lines))


def _by_room(meeting: Meeting, talks: Sequence[Talk]) -> list[Talk]:
    """`talks` in the programme's order of rooms."""
    order = {room: index for index, room in enumerate(meeting.rooms)}
    return sorted(talks, key=lambda t: (order.get(t.room, len(order)), t.start))


def _room_item(talk: Talk, text: str, tr: Translator) -> str:
    """'- **Amphi A:** text' (without the room when the talk has none)."""
    label = tr.gettext("**{room}:**", room=escape(talk.room)) + " " if talk.room else ""
    return f"- {label}{text}"


def _talk_text(talk: Talk) -> str:
    """'Title — Speakers'."""
    speakers = speakers_line(talk)
    return f"{escape(talk.title)} — {speakers}" if speakers else escape(talk.title)


def _now_by_room(meeting: Meeting, state: NowAndNext, tr: Translator, next_style: str) -> list[str]:
    """/now's lines for a meeting of several rooms: every talk on now, then every talk next."""
    lines: list[str] = []
    current = state.all_current or ((state.current,) if state.current else ())
    coming = state.all_next or ((state.next,) if state.next else ())
    if current:
        lines.append(tr.gettext("**Now:**"))
        for talk in _by_room(meeting, current):
            text = tr.gettext(
                "{talk}, until {end} ({relative}).",
                talk=_talk_text(talk),
                end=timestamp(talk.end, "t"),
                relative=timestamp(talk.end, "R"),
            )
            lines.append(_room_item(talk, text, tr))
    elif state.phase is DayPhase.IN_SESSION:
        lines.append(tr.gettext("No talk is on right now."))
    if coming:
        start = coming[0].start
        lines.append(
            tr.gettext(
                "**Next**, at {start} ({relative}):",
                start=timestamp(start, next_style),
                relative=timestamp(start, "R"),
            )
        )
        lines += [_room_item(talk, _talk_text(talk), tr) for talk in _by_room(meeting, coming)]
    return lines


def fit(lines: list[str], tr: Translator, limit: int = DESCRIPTION_LIMIT) -> str:
    """As many whole lines as fit in `limit` characters, then how many talks ('- ' lines)
    did not."""
    text = "\n".join(lines)
    if len(text) <= limit:
        return text
    kept: list[str] = []
    for index, line in enumerate(lines):
        left = sum(rest.startswith("- ") for rest in lines[index:])
        more = tr.gettext("… and {count} more", count=left)
        if len("\n".join([*kept, line, more])) > limit:
            return "\n".join([*kept, more])
        kept.append(line)
    return "\n".join(kept)


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
        f'{edit.slug}: would unlist speaker "{link.speaker_name}" of "{link.talk_title}" '
        f"(key {link.talk_key}), keeping their Discord link until the name comes back"
        for link in edit.unmatched_links
    ]
    return lines
