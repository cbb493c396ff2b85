"""A meeting's talks in the store, saved from its file without losing what hangs on them.

Each talk of the file keeps its stored row (its questions, its Q&A thread, its speakers' links):
the one with the source's id, else the one with its key, else the one left at its start and room.
A talk gone from the file is deleted only when nothing hangs on it, else kept out of the programme
until the file brings it back; a speaker's name gone keeps its row while it holds a link.
`queries.save_meeting` saves the meeting and its sessions, then the talks here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.programme.model import HeldTalk, Meeting, ProgrammeEdit, Talk, UnmatchedLink
from bot.store.models import QuestionRow, SessionRow, SpeakerRow, TalkQaRow, TalkRow

#: The position of a linked speaker whose name left the talk: kept for its link, not listed.
UNLISTED = -1


def save_talks(
    session: Session,
    *,
    meeting_id: int,
    meeting: Meeting,
    session_rows: list[SessionRow],
    now: datetime,
) -> ProgrammeEdit:
    """Save the meeting's talks, in order, into its sessions' rows (`session_rows`, flushed, one
    per session of `meeting`); what this did to what hangs on them is returned."""
    old_rows = list(session.exec(select(TalkRow).where(TalkRow.meeting_id == meeting_id)))
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
                meeting_id=meeting_id,
                session_id=0,
                key=talk.key,
                position=0,
                title="",
                start_at=talk.start,
                end_at=talk.end,
            )
            assert session_row.id is not None  # flushed by the caller
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
    return ProgrammeEdit(
        meeting_id=meeting_id,
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
