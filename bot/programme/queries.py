"""Meetings in the store: saved from their files (their talks by `talk_queries`, which loses
nothing that hangs on them), rebuilt as domain objects, and the organizers' choice among them."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime

from sqlmodel import Session, col, select

from bot.core.errors import UnknownMeeting
from bot.programme.model import (
    Call,
    EventScope,
    EventSettings,
    FollowSettings,
    Meeting,
    Person,
    ProgrammeEdit,
    ReminderSettings,
    Talk,
)
from bot.programme.model import Session as MeetingSession
from bot.programme.talk_queries import UNLISTED, save_talks
from bot.store import state
from bot.store.models import (
    MeetingRow,
    RegistrationControlRow,
    SessionRow,
    SpeakerRow,
    TalkRow,
)

#: Where the organizers' choice of meeting is kept ("" for none: the current or next one).
ACTIVE_MEETING_KEY = "active-meeting"


def meeting_id(session: Session, *, slug: str) -> int:
    """The store's id of a loaded meeting."""
    found = session.exec(select(MeetingRow.id).where(MeetingRow.slug == slug)).one()
    assert found is not None
    return found


def save_meeting(
    session: Session, *, meeting: Meeting, source: str, now: datetime
) -> ProgrammeEdit:
    """Insert or update `meeting`; talks keep their rows (and speakers their links) by the
    source's id, else by key; a linked speaker whose name is gone keeps its row and link.

    A talk gone from the file is deleted only when nothing hangs on it; one with questions, a Q&A
    thread or a linked speaker is kept as removed (out of the programme) until the file brings
    it back by its key. What this did to such data is returned.
    """
    row = _save_meeting_row(session, meeting, source, now)
    assert row.id is not None
    session_rows = _save_sessions(session, row.id, meeting)
    edit = save_talks(
        session, meeting_id=row.id, meeting=meeting, session_rows=session_rows, now=now
    )
    session.flush()
    for extra in session.exec(
        select(SessionRow)
        .where(SessionRow.meeting_id == row.id)
        .where(SessionRow.position >= len(meeting.sessions))
    ):
        session.delete(extra)  # its talks were moved above: the cascade finds none
    return edit


def _save_meeting_row(session: Session, meeting: Meeting, source: str, now: datetime) -> MeetingRow:
    row = session.exec(select(MeetingRow).where(MeetingRow.slug == meeting.slug)).first()
    if row is None:
        row = MeetingRow(
            slug=meeting.slug, title="", day=meeting.day, timezone="", capacity=0, updated_at=now
        )
    row.title = meeting.title
    row.day = meeting.day
    row.timezone = meeting.timezone
    row.venue = meeting.venue
    row.url = meeting.url
    row.capacity = meeting.capacity
    row.remote_capacity = meeting.remote_capacity
    row.registration_closes = meeting.registration_closes
    row.reminders_json = json.dumps(asdict(meeting.reminders))
    row.organizers_json = json.dumps([asdict(p) for p in meeting.organizers], ensure_ascii=False)
    row.events_json = json.dumps(asdict(meeting.events), ensure_ascii=False)
    row.follow_json = json.dumps(asdict(meeting.follow), ensure_ascii=False)
    row.call_json = _call_json(meeting.call)
    row.source = source
    row.updated_at = now
    session.add(row)
    session.flush()
    assert row.id is not None
    if session.get(RegistrationControlRow, row.id) is None:
        session.add(RegistrationControlRow(meeting_id=row.id))
    return row


def _save_sessions(session: Session, meeting_id: int, meeting: Meeting) -> list[SessionRow]:
    existing = {
        s.position: s
        for s in session.exec(select(SessionRow).where(SessionRow.meeting_id == meeting_id))
    }
    rows = []
    for position, meeting_session in enumerate(meeting.sessions):
        session_row = existing.get(position) or SessionRow(
            meeting_id=meeting_id,
            position=position,
            title="",
            start_at=meeting_session.start,
            end_at=meeting_session.end,
        )
        session_row.title = meeting_session.title
        session_row.start_at = meeting_session.start
        session_row.end_at = meeting_session.end
        session_row.room = meeting_session.room
        session_row.uid = meeting_session.uid
        session.add(session_row)
        rows.append(session_row)
    session.flush()
    return rows


def load_meetings(session: Session) -> list[Meeting]:
    """Every stored meeting, rebuilt as domain objects."""
    meetings = []
    for row in session.exec(select(MeetingRow).order_by(col(MeetingRow.day))):
        meetings.append(_rebuild(session, row))
    return meetings


def load_programme(session: Session) -> tuple[list[Meeting], str]:
    """Every stored meeting, and the organizers' choice among them ("" for none)."""
    return load_meetings(session), state.get_state(session, key=ACTIVE_MEETING_KEY) or ""


def choose_meeting(session: Session, *, slug: str | None) -> list[Meeting]:
    """Keep `slug` as the organizers' choice (None: none, the current or next one is active);
    every stored meeting. A slug no stored meeting has is refused."""
    meetings = load_meetings(session)
    if slug is not None and slug not in {m.slug for m in meetings}:
        raise UnknownMeeting(slug)
    state.set_state(session, key=ACTIVE_MEETING_KEY, value=slug or "")
    return meetings


def _rebuild(session: Session, row: MeetingRow) -> Meeting:
    talks_by_session: dict[int | None, list[Talk]] = {}
    talks = session.exec(
        select(TalkRow)
        .where(TalkRow.meeting_id == row.id)
        .where(col(TalkRow.removed_at).is_(None))
        .order_by(col(TalkRow.position))
    ).all()
    speakers: dict[int | None, list[Person]] = {}
    talk_ids = [t.id for t in talks]
    for speaker in session.exec(
        select(SpeakerRow)
        .where(col(SpeakerRow.talk_id).in_(talk_ids))
        .where(SpeakerRow.position > UNLISTED)
        .order_by(col(SpeakerRow.position))
    ):
        speakers.setdefault(speaker.talk_id, []).append(Person(speaker.name, speaker.affiliation))
    for t in talks:
        talks_by_session.setdefault(t.session_id, []).append(
            Talk(
                key=t.key,
                title=t.title,
                start=t.start_at,
                end=t.end_at,
                speakers=tuple(speakers.get(t.id, [])),
                invited=t.invited,
                abstract=t.abstract,
                room=t.room,
                uid=t.uid,
                proposal=t.proposal,
            )
        )
    sessions = session.exec(
        select(SessionRow).where(SessionRow.meeting_id == row.id).order_by(col(SessionRow.position))
    ).all()
    return Meeting(
        slug=row.slug,
        title=row.title,
        day=row.day,
        timezone=row.timezone,
        venue=row.venue,
        url=row.url,
        capacity=row.capacity,
        remote_capacity=row.remote_capacity,
        registration_closes=row.registration_closes,
        reminders=_reminders(row.reminders_json),
        organizers=tuple(Person(**p) for p in json.loads(row.organizers_json)),
        events=_events(row.events_json),
        follow=FollowSettings(**json.loads(row.follow_json or "{}")),
        call=_call(row.call_json),
        sessions=tuple(
            MeetingSession(
                title=s.title,
                start=s.start_at,
                end=s.end_at,
                talks=tuple(talks_by_session.get(s.id, [])),
                room=s.room,
                uid=s.uid,
            )
            for s in sessions
        ),
    )


def _events(raw: str) -> EventSettings:
    values = json.loads(raw)
    if "scope" in values:
        values["scope"] = EventScope(values["scope"])
    return EventSettings(**values)


def _reminders(raw: str) -> ReminderSettings:
    values = json.loads(raw)
    if "session_leads_minutes" in values:
        values["session_leads_minutes"] = tuple(values["session_leads_minutes"])
    return ReminderSettings(**values)


def _call_json(call: Call | None) -> str:
    if call is None:
        return ""
    values = asdict(call)
    values["closes"] = call.closes.isoformat()
    values["opens"] = call.opens.isoformat() if call.opens else None
    return json.dumps(values, ensure_ascii=False)


def _call(raw: str) -> Call | None:
    if not raw:
        return None
    values = json.loads(raw)
    values["closes"] = datetime.fromisoformat(values["closes"])
    values["opens"] = values["opens"] and datetime.fromisoformat(values["opens"])
    values["kinds"] = tuple(values["kinds"])
    return Call(**values)


def meeting_call(session: Session, *, meeting_id: int) -> Call | None:
    """The stored meeting's call for contributions (None when it has none)."""
    raw = session.exec(select(MeetingRow.call_json).where(MeetingRow.id == meeting_id)).one()
    return _call(raw)
