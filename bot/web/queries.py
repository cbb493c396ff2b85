"""The web pages' one read of the store: every figure of a meeting, in one transaction, for a
snapshot that every visitor then shares (never one read per visitor)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.posts.queries import timeline
from bot.programme.model import Meeting
from bot.programme.queries import meeting_id
from bot.proposals.model import is_open
from bot.proposals.queries import call_state
from bot.questions.model import QuestionStatus
from bot.registration.model import Mode, Status
from bot.registration.queries import figures
from bot.store.models import (
    DmDeliveryRow,
    QuestionRow,
    QuestionVoteRow,
    RegistrationRow,
    ScheduledEventRow,
    TalkQaRow,
    TalkRow,
)
from bot.web.model import (
    AskedQuestion,
    Deliveries,
    EventLine,
    Joined,
    PostLine,
    StoreView,
    lateness,
)


def store_view(session: Session, *, meeting: Meeting, now: datetime) -> StoreView:
    """Everything the public page, the room screen and the dashboard show of `meeting`."""
    meeting_row = meeting_id(session, slug=meeting.slug)
    call_open = False
    if meeting.call is not None:
        state, _ = call_state(session, slug=meeting.slug)
        call_open = is_open(meeting.call, state, now)
    return StoreView(
        figures=figures(session, meeting=meeting, now=now),
        joined=_joined(session, meeting_row),
        questions=_approved(session, meeting_row),
        question_counts=_question_counts(session, meeting_row),
        threads=_threads(session, meeting_row),
        posts=tuple(
            PostLine(
                kind=r.post.kind.value,
                target=r.post.target,
                due=r.post.due,
                status=r.status,
                late=lateness(r.post.due, r.status, r.done_at, now),
            )
            for r in timeline(session, slug=meeting.slug)
        ),
        broadcasts=_broadcasts(session),
        events=tuple(
            EventLine(key=row.key, name=row.name, status=row.status, start=row.start_at)
            for row in session.exec(
                select(ScheduledEventRow)
                .where(ScheduledEventRow.meeting_id == meeting_row)
                .order_by(col(ScheduledEventRow.start_at), col(ScheduledEventRow.key))
            )
        ),
        call_open=call_open,
    )


def _joined(session: Session, meeting_row: int) -> tuple[Joined, ...]:
    rows = session.exec(
        select(RegistrationRow.registered_at, RegistrationRow.mode, RegistrationRow.status).where(
            RegistrationRow.meeting_id == meeting_row
        )
    )
    return tuple(
        Joined(
            at=at,
            in_person=mode == Mode.IN_PERSON.value and status == Status.CONFIRMED.value,
            waitlisted=status == Status.WAITLISTED.value,
        )
        for at, mode, status in rows
    )


def _approved(session: Session, meeting_row: int) -> tuple[AskedQuestion, ...]:
    """The meeting's approved questions (nothing pending or rejected), most votes first."""
    votes = (
        select(QuestionVoteRow.question_id, func.count().label("votes"))
        .group_by(col(QuestionVoteRow.question_id))
        .subquery()
    )
    count = func.coalesce(votes.c.votes, 0)
    rows = session.exec(
        select(QuestionRow, TalkRow.key, count)
        .join(TalkRow, col(TalkRow.id) == QuestionRow.talk_id)
        .outerjoin(votes, votes.c.question_id == QuestionRow.id)
        .where(QuestionRow.meeting_id == meeting_row)
        .where(QuestionRow.status == QuestionStatus.APPROVED.value)
        .order_by(count.desc(), col(QuestionRow.created_at), col(QuestionRow.id))
    )
    return tuple(
        AskedQuestion(
            id=row.id or 0,
            talk_key=key,
            text=row.text,
            author="" if row.anonymous else row.author_name,
            votes=n,
            taken=row.answered_at is not None,
            created_at=row.created_at,
        )
        for row, key, n in rows
    )


def _question_counts(session: Session, meeting_row: int) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = {}
    rows = session.exec(
        select(TalkRow.key, QuestionRow.status, col(QuestionRow.answered_at).is_not(None))
        .join(TalkRow, col(TalkRow.id) == QuestionRow.talk_id)
        .where(QuestionRow.meeting_id == meeting_row)
    )
    for key, status, answered in rows:
        counter = counts.setdefault(key, Counter())
        counter[status] += 1
        counter["taken"] += bool(answered)
    return counts


def _threads(session: Session, meeting_row: int) -> dict[str, int]:
    rows = session.exec(
        select(TalkRow.key, TalkQaRow.thread_id)
        .join(TalkRow, col(TalkRow.id) == TalkQaRow.talk_id)
        .where(TalkRow.meeting_id == meeting_row)
        .where(col(TalkQaRow.thread_id).is_not(None))
    )
    return {key: thread for key, thread in rows if thread is not None}


def _broadcasts(session: Session) -> tuple[Deliveries, ...]:
    """The DMs of each broadcast by status; a question's answer DMs count as one line."""
    totals: dict[str, Counter[str]] = {}
    rows = session.exec(
        select(DmDeliveryRow.broadcast_key, DmDeliveryRow.status, func.count()).group_by(
            col(DmDeliveryRow.broadcast_key), col(DmDeliveryRow.status)
        )
    )
    for key, status, n in rows:
        name = "question:*" if key.startswith("question:") else key
        totals.setdefault(name, Counter())[status] += n
    return tuple(
        Deliveries(
            key=key,
            sent=c["sent"],
            failed=c["failed"],
            waiting=c["pending"] + c["sending"],
        )
        for key, c in sorted(totals.items())
    )
