"""Question transactions. Each decision is one conditional write, so concurrent moderators,
voters and chairs never double anything: the database, not a read in an earlier await, decides."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

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
    TooManyQuestionsOverall,
    VoteOutcome,
    publication_failed,
)
from bot.questions.talks import qa_row, thread_id
from bot.store.db import insert_or_ignore, rows_changed
from bot.store.models import MeetingRow, QuestionRow, QuestionVoteRow, TalkRow


def _votes():
    return (
        select(QuestionVoteRow.question_id, func.count().label("votes"))
        .group_by(col(QuestionVoteRow.question_id))
        .subquery()
    )


def _questions_query():
    votes = _votes()
    return (
        select(QuestionRow, TalkRow, MeetingRow.slug, func.coalesce(votes.c.votes, 0))
        .join(TalkRow, col(TalkRow.id) == QuestionRow.talk_id)
        .join(MeetingRow, col(MeetingRow.id) == QuestionRow.meeting_id)
        .outerjoin(votes, votes.c.question_id == QuestionRow.id)
    ), votes


def _view(row: QuestionRow, talk: TalkRow, slug: str, votes: int) -> Question:
    assert row.id is not None
    return Question(
        id=row.id,
        talk_id=row.talk_id,
        meeting_slug=slug,
        talk_key=talk.key,
        talk_title=talk.title,
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
        publication_failed_at=row.publication_failed_at,
    )


def get_question(session: Session, *, question_id: int) -> Question:
    """One question with its vote count, or QuestionNotFound."""
    query, _ = _questions_query()
    found = session.exec(query.where(QuestionRow.id == question_id)).first()
    if found is None:
        raise QuestionNotFound()
    return _view(*found)


def ask(
    session: Session,
    *,
    talk_id: int,
    window: QaWindow,
    author_id: int,
    author_name: str,
    anonymous: bool,
    text: str,
    locale: str,
    now: datetime,
    limit: int,
    per: timedelta,
    member_limit: int,
    member_per: timedelta,
) -> Question:
    """Queue a question for moderation if the talk takes questions and the asker is in quota."""
    talk = session.get(TalkRow, talk_id)
    if talk is None:
        raise QuestionNotFound()
    # The lock serialises the quota check and the insert of everyone asking about this talk.
    qa = qa_row(session, talk_id=talk_id, lock=True)
    # The same question again (a member who saw "did not respond", or a double submit) is the
    # question already asked, not a second one.
    again = session.exec(
        select(QuestionRow.id)
        .where(QuestionRow.talk_id == talk_id)
        .where(QuestionRow.author_id == author_id)
        .where(QuestionRow.text == text)
        .where(col(QuestionRow.created_at) > now - per)
    ).first()
    if again is not None:
        return get_question(session, question_id=again)
    window = QaWindow(window.opens_at, window.closes_at, QaState(qa.state))
    if not window.is_open(now):
        if window.state is QaState.CLOSED or now >= window.closes_at:
            closed_by_moderators = window.state is QaState.CLOSED
            raise QuestionsClosed(talk.title, window.closes_at, by_moderators=closed_by_moderators)
        raise QuestionsNotOpenYet(talk.title, window.opens_at)
    recent = session.exec(
        select(QuestionRow.created_at)
        .where(QuestionRow.talk_id == talk_id)
        .where(QuestionRow.author_id == author_id)
        .where(col(QuestionRow.created_at) > now - per)
        .order_by(col(QuestionRow.created_at))
    ).all()
    if len(recent) >= limit:
        raise TooManyQuestions(recent[len(recent) - limit] + per)
    overall = session.exec(
        select(QuestionRow.created_at)
        .where(QuestionRow.meeting_id == talk.meeting_id)
        .where(QuestionRow.author_id == author_id)
        .where(col(QuestionRow.created_at) > now - member_per)
        .order_by(col(QuestionRow.created_at))
    ).all()
    if len(overall) >= member_limit:
        raise TooManyQuestionsOverall(overall[len(overall) - member_limit] + member_per)
    row = QuestionRow(
        meeting_id=talk.meeting_id,
        talk_id=talk_id,
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
    assert row.id is not None
    return get_question(session, question_id=row.id)


def set_moderation_message(
    session: Session, *, question_id: int, channel_id: int, message_id: int
) -> None:
    """Remember where the moderators see the question."""
    session.execute(
        update(QuestionRow)
        .where(col(QuestionRow.id) == question_id)
        .values(moderation_channel_id=channel_id, moderation_message_id=message_id)
    )


def without_card(session: Session) -> list[Question]:
    """Pending questions with no known moderation card, oldest first."""
    query, _ = _questions_query()
    rows = session.exec(
        query.where(QuestionRow.status == QuestionStatus.PENDING.value)
        .where(col(QuestionRow.moderation_message_id).is_(None))
        .where(col(TalkRow.removed_at).is_(None))  # a talk taken off the programme waits
        .order_by(col(QuestionRow.id))
    ).all()
    return [_view(*found) for found in rows]


def unpublished(session: Session, *, decided_before: datetime) -> list[tuple[Question, int | None]]:
    """Approved questions with no known public post, approved by `decided_before`, each with
    its talk's Q&A thread."""
    query, _ = _questions_query()
    rows = session.exec(
        query.where(QuestionRow.status == QuestionStatus.APPROVED.value)
        .where(col(QuestionRow.public_message_id).is_(None))
        .where(col(QuestionRow.decided_at) <= decided_before)
        .where(col(TalkRow.removed_at).is_(None))
        .order_by(col(QuestionRow.id))
    ).all()
    questions = [_view(*found) for found in rows]
    threads = {q.talk_id: thread_id(session, talk_id=q.talk_id) for q in questions}
    return [(question, threads[question.talk_id]) for question in questions]


def withdraw(session: Session, *, question_id: int) -> None:
    """Forget a question that could not reach the moderators."""
    session.execute(delete(QuestionRow).where(col(QuestionRow.id) == question_id))


def decide(
    session: Session, *, question_id: int, status: QuestionStatus, by: int, now: datetime
) -> Question:
    """Approve or reject a pending question; the one conditional UPDATE picks a single winner."""
    question, won = _decided(session, question_id=question_id, status=status, by=by, now=now)
    if not won:
        raise AlreadyDecided(question.status, question.decided_by, question.decided_at)
    return question


def approve(
    session: Session, *, question_id: int, by: int, now: datetime
) -> tuple[Question, int | None]:
    """Approve a pending question (the first moderator wins), or let this Approve publish an
    approved question whose publication failed; the question and its talk's Q&A thread."""
    question, won = _decided(
        session, question_id=question_id, status=QuestionStatus.APPROVED, by=by, now=now
    )
    if not won and not publication_failed(question, now):
        raise AlreadyDecided(question.status, question.decided_by, question.decided_at)
    return question, thread_id(session, talk_id=question.talk_id)


def _decided(
    session: Session, *, question_id: int, status: QuestionStatus, by: int, now: datetime
) -> tuple[Question, bool]:
    """The question after the conditional UPDATE of a decision, and whether this one made it."""
    changed = rows_changed(
        session.execute(
            update(QuestionRow)
            .where(col(QuestionRow.id) == question_id)
            .where(col(QuestionRow.status) == QuestionStatus.PENDING.value)
            .values(status=status.value, decided_by=by, decided_at=now)
            .execution_options(synchronize_session=False)
        )
    )
    return get_question(session, question_id=question_id), changed == 1


def set_public_message(
    session: Session, *, question_id: int, channel_id: int, message_id: int
) -> None:
    """Remember where the approved question was posted."""
    session.execute(
        update(QuestionRow)
        .where(col(QuestionRow.id) == question_id)
        .values(public_channel_id=channel_id, public_message_id=message_id)
    )


def record_failed_publication(session: Session, *, question_id: int, now: datetime) -> None:
    """Remember that publishing the approved question failed at `now`."""
    session.execute(
        update(QuestionRow)
        .where(col(QuestionRow.id) == question_id)
        .where(col(QuestionRow.public_message_id).is_(None))
        .values(publication_failed_at=now)
    )


def tally(session: Session) -> dict[str, int]:
    """How many questions stand in each status, and how many the chair took ("answered")."""
    rows = session.exec(
        select(QuestionRow.status, func.count()).group_by(col(QuestionRow.status))
    ).all()
    counts = {status: count for status, count in rows}
    counts["answered"] = session.exec(
        select(func.count()).where(col(QuestionRow.answered_at).is_not(None))
    ).one()
    return counts


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
    session: Session, *, talk_id: int, unanswered_only: bool = False
) -> list[Question]:
    """The talk's approved questions, most votes first, then oldest first."""
    query, votes = _questions_query()
    query = query.where(QuestionRow.talk_id == talk_id).where(
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
    return [_view(*found) for found in rows]


def take_next(session: Session, *, talk_id: int, now: datetime) -> tuple[Question | None, int]:
    """The most-voted unanswered question, marked answered; and how many are left after it.

    The conditional UPDATE makes two chairs asking at once get different questions: the loser
    of a race finds the row already answered and takes the next one.
    """
    while True:
        waiting = approved_questions(session, talk_id=talk_id, unanswered_only=True)
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


def give_back(session: Session, *, question_id: int, taken_at: datetime | None) -> None:
    """Untake a question the chair never got (unless a later /qa next took it again)."""
    session.execute(
        update(QuestionRow)
        .where(col(QuestionRow.id) == question_id)
        .where(col(QuestionRow.answered_at) == taken_at)
        .values(answered_at=None)
    )
