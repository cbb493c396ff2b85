"""Meetings in the store: saved from their files without losing what hangs on unchanged talks."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime

from sqlmodel import Session, col, select

from bot.programme.model import Meeting, Person, ReminderSettings, Talk
from bot.programme.model import Session as MeetingSession
from bot.store.models import (
    MeetingRow,
    RegistrationControlRow,
    SessionRow,
    SpeakerRow,
    TalkRow,
)


def meeting_id(session: Session, *, slug: str) -> int:
    """The store's id of a loaded meeting."""
    found = session.exec(select(MeetingRow.id).where(MeetingRow.slug == slug)).one()
    assert found is not None
    return found


def save_meeting(session: Session, *, meeting: Meeting, source: str, now: datetime) -> int:
    """Insert or update `meeting`; talks keep their rows (and speakers their links) by key."""
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
    row.source = source
    row.updated_at = now
    session.add(row)
    session.flush()
    assert row.id is not None
    if session.get(RegistrationControlRow, row.id) is None:
        session.add(RegistrationControlRow(meeting_id=row.id))

    session_rows = _save_sessions(session, row.id, meeting)
    old_talks = {
        t.key: t for t in session.exec(select(TalkRow).where(TalkRow.meeting_id == row.id))
    }
    wanted_keys = {talk.key for talk in meeting.talks}
    # A talk whose title was corrected keeps its row (and its questions) if its time did not move.
    renamed = {t.start_at: t for key, t in old_talks.items() if key not in wanted_keys}
    position = 0
    for session_row, meeting_session in zip(session_rows, meeting.sessions, strict=True):
        for talk in meeting_session.talks:
            talk_row = old_talks.pop(talk.key, None)
            if talk_row is None and talk.start in renamed:
                talk_row = renamed.pop(talk.start)
                old_talks.pop(talk_row.key, None)
                talk_row.key = talk.key
            talk_row = talk_row or TalkRow(
                meeting_id=row.id,
                session_id=0,
                key=talk.key,
                position=0,
                title="",
                start_at=talk.start,
                end_at=talk.end,
            )
            assert session_row.id is not None  # flushed by _save_sessions
            talk_row.session_id = session_row.id
            talk_row.position = position
            talk_row.title = talk.title
            talk_row.start_at = talk.start
            talk_row.end_at = talk.end
            talk_row.invited = talk.invited
            talk_row.abstract = talk.abstract
            session.add(talk_row)
            session.flush()
            assert talk_row.id is not None
            _save_speakers(session, talk_row.id, talk)
            position += 1
    for gone in old_talks.values():
        session.delete(gone)
    session.flush()
    for extra in session.exec(
        select(SessionRow)
        .where(SessionRow.meeting_id == row.id)
        .where(SessionRow.position >= len(meeting.sessions))
    ):
        session.delete(extra)
    return row.id


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
        session.add(session_row)
        rows.append(session_row)
    session.flush()
    return rows


def _save_speakers(session: Session, talk_id: int, talk: Talk) -> None:
    existing = {
        s.name: s for s in session.exec(select(SpeakerRow).where(SpeakerRow.talk_id == talk_id))
    }
    for position, person in enumerate(talk.speakers):
        speaker = existing.pop(person.name, None) or SpeakerRow(
            talk_id=talk_id, position=0, name=person.name
        )
        speaker.position = position
        speaker.affiliation = person.affiliation
        session.add(speaker)
    for gone in existing.values():
        session.delete(gone)


def load_meetings(session: Session) -> list[Meeting]:
    """Every stored meeting, rebuilt as domain objects."""
    meetings = []
    for row in session.exec(select(MeetingRow).order_by(col(MeetingRow.day))):
        meetings.append(_rebuild(session, row))
    return meetings


def _rebuild(session: Session, row: MeetingRow) -> Meeting:
    talks_by_session: dict[int | None, list[Talk]] = {}
    talks = session.exec(
        select(TalkRow).where(TalkRow.meeting_id == row.id).order_by(col(TalkRow.position))
    ).all()
    speakers: dict[int | None, list[Person]] = {}
    talk_ids = [t.id for t in talks]
    for speaker in session.exec(
        select(SpeakerRow)
        .where(col(SpeakerRow.talk_id).in_(talk_ids))
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
        sessions=tuple(
            MeetingSession(
                title=s.title,
                start=s.start_at,
                end=s.end_at,
                talks=tuple(talks_by_session.get(s.id, [])),
            )
            for s in sessions
        ),
    )


def _reminders(raw: str) -> ReminderSettings:
    values = json.loads(raw)
    if "session_leads_minutes" in values:
        values["session_leads_minutes"] = tuple(values["session_leads_minutes"])
    return ReminderSettings(**values)
