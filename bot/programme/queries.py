"""Meetings in the store: saved from their files without losing what hangs on their talks."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, replace
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.core.errors import UnknownMeeting
from bot.programme.model import (
    Call,
    EventScope,
    EventSettings,
    FollowSettings,
    HeldTalk,
    Meeting,
    Person,
    ProgrammeEdit,
    ReminderSettings,
    Talk,
    UnmatchedLink,
)
from bot.programme.model import Session as MeetingSession
from bot.store import state
from bot.store.models import (
    MeetingRow,
    QuestionRow,
    RegistrationControlRow,
    SessionRow,
    SpeakerRow,
    TalkQaRow,
    TalkRow,
)

#: Where the organizers' choice of meeting is kept ("" for none: the current or next one).
ACTIVE_MEETING_KEY = "active-meeting"
#: The position of a linked speaker whose name left the talk: kept for its link, not listed.
UNLISTED = -1


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
    old_rows = list(session.exec(select(TalkRow).where(TalkRow.meeting_id == row.id)))
    matched = _match(old_rows, meeting.talks)
    _make_room_for_keys(session, old_rows, matched, {talk.key for talk in meeting.talks})
    old_talks = {t.key: t for t in old_rows if t.id not in {m.id for m in matched.values()}}
    brought_back: list[HeldTalk] = []
    unmatched: list[UnmatchedLink] = []
    position = 0
    for session_row, meeting_session in zip(session_rows, meeting.sessions, strict=True):
        for talk in meeting_session.talks:
            talk_row = matched.get(talk.key)
            if talk_row is not None:
                talk_row.key = talk.key
            if talk_row is not None and talk_row.removed_at is not None:
                brought_back.append(replace(_held(session, talk_row), title=talk.title))
                talk_row.removed_at = None
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
            talk_row.room = talk.room
            talk_row.uid = talk.uid
            talk_row.proposal = talk.proposal
            session.add(talk_row)
            session.flush()
            assert talk_row.id is not None
            unmatched += _save_speakers(session, talk_row.id, talk)
            position += 1
    kept, still = _keep_or_delete(session, old_talks.values(), session_rows[0], position, now)
    session.flush()
    for extra in session.exec(
        select(SessionRow)
        .where(SessionRow.meeting_id == row.id)
        .where(SessionRow.position >= len(meeting.sessions))
    ):
        session.delete(extra)  # its talks were moved above: the cascade finds none
    return ProgrammeEdit(
        meeting_id=row.id,
        slug=meeting.slug,
        kept_removed=tuple(kept),
        still_removed=tuple(still),
        brought_back=tuple(brought_back),
        unmatched_links=tuple(unmatched),
    )


def _match(rows: list[TalkRow], talks: tuple[Talk, ...]) -> dict[str, TalkRow]:
    """The stored row each talk (by key) keeps: the one with the source's id; else the one
    with its key (unless the source says they are different talks); else a live row at the
    same start, as when a title is corrected."""
    matched: dict[str, TalkRow] = {}
    taken: set[int | None] = set()

    def take(talk: Talk, row: TalkRow | None) -> None:
        if row is None or row.id in taken or talk.key in matched:
            return
        if not (talk.uid and row.uid and talk.uid != row.uid):
            matched[talk.key] = row
            taken.add(row.id)

    by_uid = {r.uid: r for r in rows if r.uid}
    for talk in talks:
        if talk.uid:
            take(talk, by_uid.get(talk.uid))
    by_key = {r.key: r for r in rows}
    for talk in talks:
        take(talk, by_key.get(talk.key))
    # A title corrected: the one live row left at the talk's start and room, if the talk is
    # the one left there too (parallel rooms and poster sessions share starts).
    wanted = {talk.key for talk in talks}
    slots: dict[tuple[datetime, str], list[TalkRow]] = {}
    for r in rows:
        if r.removed_at is None and r.key not in wanted and r.id not in taken:
            slots.setdefault((r.start_at, r.room), []).append(r)
    left = [talk for talk in talks if talk.key not in matched]
    for talk in left:
        found = slots.get((talk.start, talk.room), [])
        rivals = [t for t in left if (t.start, t.room) == (talk.start, talk.room)]
        if len(found) == 1 and len(rivals) == 1:
            take(talk, found[0])
    return matched


def _make_room_for_keys(
    session: Session, rows: list[TalkRow], matched: dict[str, TalkRow], wanted: set[str]
) -> None:
    """Park the rows whose key is about to change, or is wanted by another talk, on a key of
    their own, so that giving out the new keys never collides with the unique constraint.
    A row no talk keeps takes back its key if no talk wants it."""
    kept = {row.id for row in matched.values()}
    moving = {row.id for key, row in matched.items() if row.key != key}
    parked = [r for r in rows if r.id in moving or (r.key in wanted and r.id not in kept)]
    for row in parked:
        row.key = f"~{row.id}"
        session.add(row)
    if parked:
        session.flush()


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


def _keep_or_delete(
    session: Session,
    gone: Iterable[TalkRow],
    first_session: SessionRow,
    position: int,
    now: datetime,
) -> tuple[list[HeldTalk], list[HeldTalk]]:
    """Delete the talks gone from the file that hold nothing; keep the others as removed.

    Kept ones move to the meeting's first session (which every file has), after the live talks,
    so deleting the sessions the file no longer has cannot cascade to them.
    """
    kept, still = [], []
    for talk_row in gone:
        held = _held(session, talk_row)
        if not (held.questions or held.thread or held.linked_speakers):
            session.delete(talk_row)
            continue
        if talk_row.removed_at is None:
            talk_row.removed_at = now
            kept.append(held)
        else:
            still.append(held)
        assert first_session.id is not None
        talk_row.session_id = first_session.id
        talk_row.position = position
        position += 1
        session.add(talk_row)
    return kept, still


def _held(session: Session, talk_row: TalkRow) -> HeldTalk:
    """What hangs on a stored talk: its questions, its Q&A thread, its linked speakers."""
    questions = session.exec(
        select(func.count()).select_from(QuestionRow).where(QuestionRow.talk_id == talk_row.id)
    ).one()
    thread = session.exec(
        select(TalkQaRow.thread_id).where(TalkQaRow.talk_id == talk_row.id)
    ).first()
    linked = session.exec(
        select(func.count())
        .select_from(SpeakerRow)
        .where(SpeakerRow.talk_id == talk_row.id)
        .where(col(SpeakerRow.discord_user_id).is_not(None))
    ).one()
    return HeldTalk(
        key=talk_row.key,
        title=talk_row.title,
        questions=questions,
        thread=thread is not None,
        linked_speakers=linked,
    )


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


def _save_speakers(session: Session, talk_id: int, talk: Talk) -> list[UnmatchedLink]:
    """Save the talk's speakers by name. A name gone loses its row, unless it is linked to a
    Discord account: that row is kept off the programme (`UNLISTED`), its link still the
    talk's, until its name comes back (a source that spelled it differently for one refresh)
    or its account is linked to a listed speaker of the talk. Each link newly unlisted is
    reported, for the organizers to see."""
    existing = {
        s.name: s for s in session.exec(select(SpeakerRow).where(SpeakerRow.talk_id == talk_id))
    }
    listed_accounts = set()
    for position, person in enumerate(talk.speakers):
        speaker = existing.pop(person.name, None) or SpeakerRow(
            talk_id=talk_id, position=0, name=person.name
        )
        speaker.position = position
        speaker.affiliation = person.affiliation
        session.add(speaker)
        listed_accounts.add(speaker.discord_user_id)
    unmatched = []
    for gone in existing.values():
        if gone.discord_user_id is None or gone.discord_user_id in listed_accounts:
            session.delete(gone)  # nothing hangs on it, or its link is a listed speaker's
            continue
        if gone.position > UNLISTED:
            unmatched.append(UnmatchedLink(talk.key, talk.title, gone.name, gone.discord_user_id))
        gone.position = UNLISTED
        session.add(gone)
    return unmatched


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
