"""Proposals in the store: numbered per meeting, held to the call's rules in the transaction
that writes them, read back with their reviews counted; their authors' edits, withdrawals and
confirmations. The organizers' side (reviews, decisions, telling, cards) is `review_queries`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.programme.model import Meeting
from bot.programme.queries import meeting_call, meeting_id
from bot.proposals.model import (
    Author,
    CallState,
    Confirmation,
    Draft,
    Proposal,
    ProposalStatus,
    check_open,
    clean_draft,
    clean_text,
    mean_score,
    parse_reference,
    reference,
)
from bot.proposals.refusals import (
    AlreadyDecided,
    NotAccepted,
    NotYourProposal,
    ProposalWithdrawn,
    TooManyProposals,
    UnknownProposal,
)
from bot.store.db import insert_or_ignore
from bot.store.models import (
    MeetingRow,
    ProposalCallRow,
    ProposalReviewRow,
    ProposalRow,
)

DISPLAY_NAME_MAX_CHARS = 100


# ----- the call ---------------------------------------------------------------------------------
def _control(session: Session, meeting: int, *, lock: bool = False) -> ProposalCallRow:
    """The meeting's call row, created on first use; `lock` holds it to the transaction's end."""
    session.execute(insert_or_ignore(session, ProposalCallRow).values(meeting_id=meeting))
    query = select(ProposalCallRow).where(ProposalCallRow.meeting_id == meeting)
    return session.exec(query.with_for_update() if lock else query).one()


def call_state(session: Session, *, slug: str) -> tuple[CallState, datetime | None]:
    """The organizers' override of the call (auto when they made none) and when they made it."""
    row = session.exec(
        select(ProposalCallRow)
        .join(MeetingRow, col(MeetingRow.id) == ProposalCallRow.meeting_id)
        .where(MeetingRow.slug == slug)
    ).first()
    return (CallState.AUTO, None) if row is None else (CallState(row.state), row.changed_at)


def set_call_state(
    session: Session, *, slug: str, state: CallState, by: int, now: datetime
) -> None:
    """Open or close the call, whatever its dates say (auto: back to its dates)."""
    row = _control(session, meeting_id(session, slug=slug), lock=True)
    row.state, row.changed_by, row.changed_at = state.value, by, now
    session.add(row)


def _check_open(session: Session, meeting: int, now: datetime) -> ProposalCallRow:
    """The call row, locked, after checking that the call is open (or the refusal why not)."""
    row = _control(session, meeting, lock=True)
    check_open(
        meeting_call(session, meeting_id=meeting),
        CallState(row.state),
        now,
        closed_at=row.changed_at,
    )
    return row


# ----- reading ----------------------------------------------------------------------------------
def as_proposals(session: Session, *, rows: Sequence[ProposalRow]) -> list[Proposal]:
    """The rows as domain objects, with their reviews counted and averaged."""
    ids = [row.id for row in rows]
    scores: dict[int, list[int]] = {}
    if ids:
        for proposal_id, score in session.exec(
            select(ProposalReviewRow.proposal_id, ProposalReviewRow.score).where(
                col(ProposalReviewRow.proposal_id).in_(ids)
            )
        ):
            scores.setdefault(proposal_id, []).append(score)
    slugs = dict(session.exec(select(MeetingRow.id, MeetingRow.slug)).all())
    return [_proposal(row, slugs[row.meeting_id], scores.get(row.id or 0, [])) for row in rows]


def _proposal(row: ProposalRow, slug: str, scores: list[int]) -> Proposal:
    assert row.id is not None
    return Proposal(
        id=row.id,
        reference=reference(row.number),
        meeting_slug=slug,
        user_id=row.user_id,
        display_name=row.display_name,
        kind=row.kind,
        title=row.title,
        abstract=row.abstract,
        authors=tuple(Author(**a) for a in json.loads(row.authors_json)),
        note=row.note,
        status=ProposalStatus(row.status),
        confirmation=Confirmation(row.confirmation),
        told=row.told,
        reviews=len(scores),
        mean_score=mean_score(scores),
        card_channel_id=row.card_channel_id,
        card_message_id=row.card_message_id,
        submitted_at=row.submitted_at,
        updated_at=row.updated_at,
        locale=row.locale,
    )


def as_proposal(session: Session, *, row: ProposalRow) -> Proposal:
    """One row as a domain object, with its reviews counted and averaged."""
    return as_proposals(session, rows=[row])[0]


def proposal_row(session: Session, *, proposal_id: int, lock: bool = False) -> ProposalRow:
    """The proposal's row (UnknownProposal when there is none); `lock` holds it to the
    transaction's end."""
    query = select(ProposalRow).where(ProposalRow.id == proposal_id)
    row = session.exec(query.with_for_update() if lock else query).first()
    if row is None:
        raise UnknownProposal(str(proposal_id))
    return row


def get(session: Session, *, proposal_id: int) -> Proposal:
    """One proposal (UnknownProposal when there is none with this id)."""
    return as_proposal(session, row=proposal_row(session, proposal_id=proposal_id))


def by_reference(session: Session, *, slug: str, number: int) -> Proposal | None:
    """The meeting's proposal P-<number>, if there is one."""
    row = session.exec(
        select(ProposalRow)
        .join(MeetingRow, col(MeetingRow.id) == ProposalRow.meeting_id)
        .where(MeetingRow.slug == slug)
        .where(ProposalRow.number == number)
    ).first()
    return None if row is None else as_proposal(session, row=row)


def of_meeting(
    session: Session,
    *,
    slug: str,
    user_id: int | None = None,
    status: ProposalStatus | None = None,
) -> list[Proposal]:
    """The meeting's proposals in order of arrival: all, or one member's, or one status's."""
    query = (
        select(ProposalRow)
        .join(MeetingRow, col(MeetingRow.id) == ProposalRow.meeting_id)
        .where(MeetingRow.slug == slug)
        .order_by(col(ProposalRow.number))
    )
    if user_id is not None:
        query = query.where(ProposalRow.user_id == user_id)
    if status is not None:
        query = query.where(ProposalRow.status == status.value)
    return as_proposals(session, rows=session.exec(query).all())


# ----- a member's proposals ---------------------------------------------------------------------
def propose(
    session: Session,
    *,
    slug: str,
    user_id: int,
    display_name: str,
    draft: Draft,
    now: datetime,
    locale: str = "",
) -> Proposal:
    """Keep a new proposal, numbered next in its meeting, if the call is open and takes it."""
    meeting = meeting_id(session, slug=slug)
    control = _check_open(session, meeting, now)  # locked: numbers and limits hold in a race
    call = meeting_call(session, meeting_id=meeting)
    assert call is not None  # checked open above
    clean = clean_draft(draft, call)
    # The same form sent again (its first sending seemed to fail, and was kept after all) is
    # the same proposal, as a question asked again is the same question.
    same = session.exec(
        select(ProposalRow)
        .where(ProposalRow.meeting_id == meeting)
        .where(ProposalRow.user_id == user_id)
        .where(ProposalRow.status != ProposalStatus.WITHDRAWN.value)
        .where(ProposalRow.title == clean.title)
        .where(ProposalRow.abstract == clean.abstract)
    ).first()
    if same is not None:
        return as_proposal(session, row=same)
    if call.per_member is not None:
        standing = session.exec(
            select(func.count())
            .select_from(ProposalRow)
            .where(ProposalRow.meeting_id == meeting)
            .where(ProposalRow.user_id == user_id)
            .where(ProposalRow.status != ProposalStatus.WITHDRAWN.value)
        ).one()
        if standing >= call.per_member:
            raise TooManyProposals(call.per_member)
    control.last_number += 1
    session.add(control)
    row = ProposalRow(
        meeting_id=meeting,
        number=control.last_number,
        user_id=user_id,
        display_name=clean_text(display_name, lines=False)[:DISPLAY_NAME_MAX_CHARS] or str(user_id),
        locale=locale[:10],
        kind=clean.kind,
        title=clean.title,
        abstract=clean.abstract,
        authors_json=_authors_json(clean.authors),
        note=clean.note,
        submitted_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return as_proposal(session, row=row)


def _authors_json(authors: Sequence[Author]) -> str:
    return json.dumps(
        [{"name": a.name, "affiliation": a.affiliation} for a in authors], ensure_ascii=False
    )


def _own_while_open(session: Session, user_id: int, proposal_id: int, now: datetime) -> ProposalRow:
    """The member's own proposal, still submitted, while its call is open; or the refusal."""
    row = proposal_row(session, proposal_id=proposal_id, lock=True)
    if row.user_id != user_id:
        raise NotYourProposal()
    if row.status == ProposalStatus.WITHDRAWN.value:
        raise ProposalWithdrawn()
    if row.status != ProposalStatus.SUBMITTED.value:
        raise AlreadyDecided()
    _check_open(session, row.meeting_id, now)
    return row


def edit(
    session: Session, *, user_id: int, proposal_id: int, draft: Draft, now: datetime
) -> Proposal:
    """Change a proposal: its proposer only, while the call is open and nothing is decided."""
    row = _own_while_open(session, user_id, proposal_id, now)
    call = meeting_call(session, meeting_id=row.meeting_id)
    assert call is not None  # checked open above
    clean = clean_draft(draft, call)
    row.kind, row.title, row.abstract = clean.kind, clean.title, clean.abstract
    row.authors_json, row.note, row.updated_at = _authors_json(clean.authors), clean.note, now
    session.add(row)
    return as_proposal(session, row=row)


def withdraw(session: Session, *, user_id: int, proposal_id: int, now: datetime) -> Proposal:
    """Withdraw a proposal: its proposer only, while the call is open and nothing is decided."""
    row = _own_while_open(session, user_id, proposal_id, now)
    row.status, row.updated_at = ProposalStatus.WITHDRAWN.value, now
    session.add(row)
    return as_proposal(session, row=row)


def confirm(
    session: Session, *, user_id: int, proposal_id: int, confirmed: bool, now: datetime
) -> Proposal:
    """An accepted author confirms they will give it, or withdraws (and may change their mind)."""
    row = proposal_row(session, proposal_id=proposal_id, lock=True)
    if row.user_id != user_id:
        raise NotYourProposal()
    if row.status != ProposalStatus.ACCEPTED.value:
        raise NotAccepted()
    answer = Confirmation.CONFIRMED if confirmed else Confirmation.WITHDRAWN
    row.confirmation, row.updated_at = answer.value, now
    session.add(row)
    return as_proposal(session, row=row)


def named_by_talks(
    session: Session, *, meetings: Sequence[Meeting]
) -> dict[tuple[str, str], Proposal | None]:
    """The proposal each talk names, by (slug, reference); None when the meeting has none such."""
    found: dict[tuple[str, str], Proposal | None] = {}
    for meeting in meetings:
        for talk in meeting.talks:
            number = parse_reference(talk.proposal) if talk.proposal else None
            if number is not None:
                proposal = by_reference(session, slug=meeting.slug, number=number)
                found[(meeting.slug, talk.proposal)] = proposal
    return found


def standing(row: ProposalRow) -> bool:
    """Whether a stored proposal may still be on the programme (not withdrawn or declined)."""
    gone = (ProposalStatus.WITHDRAWN.value, ProposalStatus.DECLINED.value)
    return row.status not in gone and row.confirmation != Confirmation.WITHDRAWN.value
