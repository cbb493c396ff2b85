"""A talk's Q&A in the store: its id from its meeting and key, its moderators' override, its
thread and its speakers' accounts. Everything that follows a question is keyed by the talk's
id, so it stays with the talk's own meeting whichever meeting is active."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.programme.model import Meeting
from bot.proposals.model import parse_reference
from bot.proposals.queries import standing
from bot.questions.model import QaState, QuestionNotFound
from bot.store.db import insert_or_ignore
from bot.store.models import MeetingRow, ProposalRow, SpeakerRow, TalkQaRow, TalkRow


def talk_row(session: Session, *, meeting: Meeting, talk_key: str) -> TalkRow:
    """The stored talk with `talk_key` in `meeting`."""
    return session.exec(
        select(TalkRow)
        .join(MeetingRow, col(MeetingRow.id) == TalkRow.meeting_id)
        .where(MeetingRow.slug == meeting.slug)
        .where(TalkRow.key == talk_key)
    ).one()


def talk_id(session: Session, *, meeting: Meeting, talk_key: str) -> int:
    """The store's id of a talk of `meeting`."""
    found = talk_row(session, meeting=meeting, talk_key=talk_key).id
    assert found is not None
    return found


def talk_ref(session: Session, *, talk_id: int) -> tuple[str, str]:
    """The slug of the talk's meeting and the talk's key (QuestionNotFound once it is gone)."""
    found = session.exec(
        select(MeetingRow.slug, TalkRow.key)
        .join(MeetingRow, col(MeetingRow.id) == TalkRow.meeting_id)
        .where(TalkRow.id == talk_id)
    ).first()
    if found is None:
        raise QuestionNotFound()
    return found[0], found[1]


def qa_row(session: Session, *, talk_id: int, lock: bool = False) -> TalkQaRow:
    """The talk's Q&A row, created on first use; `lock` holds it until the transaction ends."""
    values = {"talk_id": talk_id, "state": QaState.AUTO.value}
    session.execute(insert_or_ignore(session, TalkQaRow).values(**values))
    query = select(TalkQaRow).where(TalkQaRow.talk_id == talk_id)
    return session.exec(query.with_for_update() if lock else query).one()


def qa_state(session: Session, *, talk_id: int) -> QaState:
    """The moderators' override for the talk (auto when they made none)."""
    state = session.exec(select(TalkQaRow.state).where(TalkQaRow.talk_id == talk_id)).first()
    return QaState(state or QaState.AUTO.value)


def set_qa_state(session: Session, *, talk_id: int, state: QaState) -> None:
    """Open or close the talk's questions, whatever its window says."""
    row = qa_row(session, talk_id=talk_id, lock=True)
    row.state = state.value
    session.add(row)


def thread_id(session: Session, *, talk_id: int) -> int | None:
    """The talk's Q&A thread, once created."""
    return session.exec(select(TalkQaRow.thread_id).where(TalkQaRow.talk_id == talk_id)).first()


def set_thread_id(session: Session, *, talk_id: int, thread_id: int | None) -> None:
    """Remember the talk's Q&A thread (None: it was deleted)."""
    row = qa_row(session, talk_id=talk_id, lock=True)
    row.thread_id = thread_id
    session.add(row)


def forget_thread(session: Session, *, talk_id: int, thread_id: int) -> None:
    """The talk's Q&A thread `thread_id` was deleted (unless another replaced it already)."""
    session.execute(
        update(TalkQaRow)
        .where(col(TalkQaRow.talk_id) == talk_id)
        .where(col(TalkQaRow.thread_id) == thread_id)
        .values(thread_id=None)
    )


def link_speaker(session: Session, *, talk_id: int, speaker_name: str, user_id: int) -> None:
    """Link a speaker of the talk to a Discord account."""
    speaker = session.exec(
        select(SpeakerRow)
        .where(SpeakerRow.talk_id == talk_id)
        .where(SpeakerRow.name == speaker_name)
    ).one()
    speaker.discord_user_id = user_id
    session.add(speaker)


def speaker_accounts(session: Session, *, talk_id: int) -> list[int]:
    """The Discord accounts linked to the talk's speakers, in programme order, then its
    proposer's when the talk names the proposal it came from (unless withdrawn or declined)."""
    accounts = [
        user_id
        for user_id in session.exec(
            select(SpeakerRow.discord_user_id)
            .where(SpeakerRow.talk_id == talk_id)
            .order_by(col(SpeakerRow.position))
        )
        if user_id is not None
    ]
    proposer = _proposer(session, talk_id)
    return accounts + ([proposer] if proposer is not None and proposer not in accounts else [])


def _proposer(session: Session, talk_id: int) -> int | None:
    """The account of whoever proposed the talk, read through its `proposal` reference: the
    proposal is the link, so nothing is copied that could go stale."""
    talk = session.get(TalkRow, talk_id)
    number = parse_reference(talk.proposal) if talk is not None and talk.proposal else None
    if talk is None or number is None:
        return None
    found = session.exec(
        select(ProposalRow)
        .where(ProposalRow.meeting_id == talk.meeting_id)
        .where(ProposalRow.number == number)
    ).first()
    return found.user_id if found is not None and standing(found) else None
