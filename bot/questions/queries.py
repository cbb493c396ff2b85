"""Question transactions. Each decision is one conditional write, so concurrent moderators,
voters and chairs never double anything: the database, not a read in an earlier await, decides."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from bot.programme.model import Meeting
from bot.questions.model import (
    AlreadyDecided,
    NotVotable,
    QaState,
    QaWindow,
    Question,
    QuestionNotFound,
    QuestionsClosed,
    QuestionsNotOpenYet,
    QuestionStatus,
    TooManyQuestions,
    VoteOutcome,
)
from bot.store.db import insert_or_ignore, rows_changed
from bot.store.models import (
    MeetingRow,
    QuestionRow,
    QuestionVoteRow,
    SpeakerRow,
    TalkQaRow,
    TalkRow,
)


def _talk(session: Session, meeting: Meeting, talk_key: str) -> TalkRow:
    return session.exec(
        select(TalkRow)
        .join(MeetingRow, col(MeetingRow.id) == TalkRow.meeting_id)
        .where(MeetingRow.slug == meeting.slug)
        .where(TalkRow.key == talk_key)
    ).one()


def _qa_row(session: Session, talk_id: int, *, lock: bool = False) -> TalkQaRow:
    """The talk's Q&A row, created on first use; `lock` holds it until the transaction ends."""
    values = {"talk_id": talk_id, "state": QaState.AUTO.value}
    session.execute(insert_or_ignore(session, TalkQaRow).values(**values))
    query = select(TalkQaRow).where(TalkQaRow.talk_id == talk_id)
    return session.exec(query.with_for_update() if lock else query).one()


def _votes():
    return (
        select(QuestionVoteRow.question_id, func.count().label("votes"))
        .group_by(col(QuestionVoteRow.question_id))
        .subquery()
    )


def _questions_query():
    votes = _votes()
    return (
        select(QuestionRow, TalkRow.key, TalkRow.title, func.coalesce(votes.c.votes, 0))
        .join(TalkRow, col(TalkRow.id) == QuestionRow.talk_id)
        .outerjoin(votes, votes.c.question_id == QuestionRow.id)
    ), votes


def _view(row: QuestionRow, talk_key: str, talk_title: str, votes: int = 0) -> Question:
    assert row.id is not None
    return Question(
        id=row.id,
        talk_key=talk_key,
        talk_title=talk_title,
        author_id=row.author_id,
        author_name=row.author_name,
        anonymous=row.anonymous,
        text=row.text,
        status=QuestionStatus(row.status),
        created_at=row.created_at,
        votes=votes,
        locale=row.locale,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        answered_at=row.answered_at,
        moderation_channel_id=row.moderation_channel_id,
        moderation_message_id=row.moderation_message_id,
        public_channel_id=row.public_channel_id,
        public_message_id=row.public_message_id,
    )


def get_question(session: Session, *, question_id: int) -> Question:
    """One question with its vote count, or QuestionNotFound."""
    query, _ = _questions_query()
    found = session.exec(query.where(QuestionRow.id == question_id)).first()
    if found is None:
        raise QuestionNotFound()
    row, key, title, votes = found
    return _view(row, key, title, votes)


def ask(
    session: Session,
    *,
    meeting: Meeting,
    talk_key: str,
    window: QaWindow,
    author_id: int,
    author_name: str,
    anonymous: bool,
    text: str,
    locale: str,
    now: datetime,
    limit: int,
    per: timedelta,
) -> Question:
    """Queue a question for moderation if the talk takes questions and the asker is in quota."""
    talk = _talk(session, meeting, talk_key)
    assert talk.id is not None
    # The lock serialises the quota check and the insert of everyone asking about this talk.
    qa = _qa_row(session, talk.id, lock=True)
    window = QaWindow(window.opens_at, window.closes_at, QaState(qa.state))
    if not window.is_open(now):
        if window.state is QaState.CLOSED or now >= window.closes_at:
            closed_by_moderators = window.state is QaState.CLOSED
            raise QuestionsClosed(talk.title, window.closes_at, by_moderators=closed_by_moderators)
        raise QuestionsNotOpenYet(talk.title, window.opens_at)
    recent = session.exec(
        select(QuestionRow.created_at)
        .where(QuestionRow.talk_id == talk.id)
        .where(QuestionRow.author_id == author_id)
        .where(col(QuestionRow.created_at) > now - per)
        .order_by(col(QuestionRow.created_at))
    ).all()
    if len(recent) >= limit:
        raise TooManyQuestions(recent[len(recent) - limit] + per)
    row = QuestionRow(
        meeting_id=talk.meeting_id,
        talk_id=talk.id,
        author_id=author_id,
        author_name=author_name,
        anonymous=anonymous,
        text=text,
        locale=locale,
        status=QuestionStatus.PENDING.value,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return _view(row, talk.key, talk.title)


def set_moderation_message(
    session: Session, *, question_id: int, channel_id: int, message_id: int
) -> None:
    """Remember where the moderators see the question."""
    session.execute(
        update(QuestionRow)
        .where(col(QuestionRow.id) == question_id)
        .values(moderation_channel_id=channel_id, moderation_message_id=message_id)
    )


def withdraw(session: Session, *, question_id: int) -> None:
    """Forget a question that could not reach the moderators."""
    session.execute(delete(QuestionRow).where(col(QuestionRow.id) == question_id))


def decide(
    session: Session, *, question_id: int, status: QuestionStatus, by: int, now: datetime
) -> Question:
    """Approve or reject a pending question; the one conditional UPDATE picks a single winner."""
    changed = rows_changed(
        session.execute(
            update(QuestionRow)
            .where(col(QuestionRow.id) == question_id)
            .where(col(QuestionRow.status) == QuestionStatus.PENDING.value)
            .values(status=status.value, decided_by=by, decided_at=now)
            .execution_options(synchronize_session=False)
        )
    )
    question = get_question(session, question_id=question_id)
    if changed != 1:
        raise AlreadyDecided(question.status, question.decided_by, question.decided_at)
    return question


def set_public_message(
    session: Session, *, question_id: int, channel_id: int, message_id: int
) -> None:
    """Remember where the approved question was posted."""
    session.execute(
        update(QuestionRow)
        .where(col(QuestionRow.id) == question_id)
        .values(public_channel_id=channel_id, public_message_id=message_id)
    )


def vote_count(session: Session, *, question_id: int) -> int:
    """How many members upvoted the question."""
    return session.exec(
        select(func.count())
        .select_from(QuestionVoteRow)
        .where(QuestionVoteRow.question_id == question_id)
    ).one()


def toggle_vote(session: Session, *, question_id: int, user_id: int) -> VoteOutcome:
    """Add the member's upvote, or take it back if they had given it."""
    status = session.exec(select(QuestionRow.status).where(QuestionRow.id == question_id)).first()
    if status is None:
        raise QuestionNotFound()
    if status != QuestionStatus.APPROVED.value:
        raise NotVotable()
    removed = rows_changed(
        session.execute(
            delete(QuestionVoteRow)
            .where(col(QuestionVoteRow.question_id) == question_id)
            .where(col(QuestionVoteRow.user_id) == user_id)
        )
    )
    if not removed:
        # A concurrent double click of the same member: the second insert does nothing.
        session.execute(
            insert_or_ignore(session, QuestionVoteRow).values(
                question_id=question_id, user_id=user_id
            )
        )
    return VoteOutcome(
        question_id=question_id,
        voted=not removed,
        votes=vote_count(session, question_id=question_id),
    )


def approved_questions(
    session: Session, *, meeting: Meeting, talk_key: str, unanswered_only: bool = False
) -> list[Question]:
    """The talk's approved questions, most votes first, then oldest first."""
    talk = _talk(session, meeting, talk_key)
    query, votes = _questions_query()
    query = query.where(QuestionRow.talk_id == talk.id).where(
        QuestionRow.status == QuestionStatus.APPROVED.value
    )
    if unanswered_only:
        query = query.where(col(QuestionRow.answered_at).is_(None))
    rows = session.exec(
        query.order_by(
            func.coalesce(votes.c.votes, 0).desc(),
            col(QuestionRow.created_at),
            col(QuestionRow.id),
        )
    ).all()
    return [_view(row, key, title, n) for row, key, title, n in rows]


def take_next(
    session: Session, *, meeting: Meeting, talk_key: str, now: datetime
) -> tuple[Question | None, int]:
    """The most-voted unanswered question, marked answered; and how many are left after it.

    The conditional UPDATE makes two chairs asking at once get different questions: the loser
    of a race finds the row already answered and takes the next one.
    """
    while True:
        waiting = approved_questions(
            session, meeting=meeting, talk_key=talk_key, unanswered_only=True
        )
        if not waiting:
            return None, 0
        first = waiting[0]
        taken = rows_changed(
            session.execute(
                update(QuestionRow)
                .where(col(QuestionRow.id) == first.id)
                .where(col(QuestionRow.answered_at).is_(None))
                .values(answered_at=now)
                .execution_options(synchronize_session=False)
            )
        )
        if taken == 1:
            return get_question(session, question_id=first.id), len(waiting) - 1


def qa_state(session: Session, *, meeting: Meeting, talk_key: str) -> QaState:
    """The moderators' override for the talk (auto when they made none)."""
    talk = _talk(session, meeting, talk_key)
    state = session.exec(select(TalkQaRow.state).where(TalkQaRow.talk_id == talk.id)).first()
    return QaState(state or QaState.AUTO.value)


def set_qa_state(session: Session, *, meeting: Meeting, talk_key: str, state: QaState) -> None:
    """Open or close the talk's questions, whatever its window says."""
    talk = _talk(session, meeting, talk_key)
    assert talk.id is not None
    row = _qa_row(session, talk.id, lock=True)
    row.state = state.value
    session.add(row)


def thread_id(session: Session, *, meeting: Meeting, talk_key: str) -> int | None:
    """The talk's Q&A thread, once created."""
    talk = _talk(session, meeting, talk_key)
    return session.exec(select(TalkQaRow.thread_id).where(TalkQaRow.talk_id == talk.id)).first()


def set_thread_id(
    session: Session, *, meeting: Meeting, talk_key: str, thread_id: int | None
) -> None:
    """Remember the talk's Q&A thread (None: it was deleted)."""
    talk = _talk(session, meeting, talk_key)
    assert talk.id is not None
    row = _qa_row(session, talk.id, lock=True)
    row.thread_id = thread_id
    session.add(row)


def link_speaker(
    session: Session, *, meeting: Meeting, talk_key: str, speaker_name: str, user_id: int
) -> None:
    """Link a speaker of the talk to a Discord account."""
    talk = _talk(session, meeting, talk_key)
    speaker = session.exec(
        select(SpeakerRow)
        .where(SpeakerRow.talk_id == talk.id)
        .where(SpeakerRow.name == speaker_name)
    ).one()
    speaker.discord_user_id = user_id
    session.add(speaker)


def speaker_accounts(session: Session, *, meeting: Meeting, talk_key: str) -> list[int]:
    """The Discord accounts linked to the talk's speakers, in programme order."""
    talk = _talk(session, meeting, talk_key)
    return [
        user_id
        for user_id in session.exec(
            select(SpeakerRow.discord_user_id)
            .where(SpeakerRow.talk_id == talk.id)
            .order_by(col(SpeakerRow.position))
        )
        if user_id is not None
    ]
