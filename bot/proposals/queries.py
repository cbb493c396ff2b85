"""Proposals in the store: numbered per meeting, held to the call's rules in the transaction
that writes them; reviews one per organizer; decisions recorded, then told once."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.programme.model import Meeting
from bot.programme.queries import meeting_call, meeting_id
from bot.proposals.model import (
    COMMENT_MAX_CHARS,
    Author,
    CallState,
    Confirmation,
    Draft,
    Proposal,
    ProposalStatus,
    Review,
    check_open,
    check_score,
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
def _proposals(session: Session, rows: Sequence[ProposalRow]) -> list[Proposal]:
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


def _one(session: Session, row: ProposalRow) -> Proposal:
    return _proposals(session, [row])[0]


def _row(session: Session, proposal_id: int, *, lock: bool = False) -> ProposalRow:
    query = select(ProposalRow).where(ProposalRow.id == proposal_id)
    row = session.exec(query.with_for_update() if lock else query).first()
    if row is None:
        raise UnknownProposal(str(proposal_id))
    return row


def get(session: Session, *, proposal_id: int) -> Proposal:
    """One proposal (UnknownProposal when there is none with this id)."""
    return _one(session, _row(session, proposal_id))


def by_reference(session: Session, *, slug: str, number: int) -> Proposal | None:
    """The meeting's proposal P-<number>, if there is one."""
    row = session.exec(
        select(ProposalRow)
        .join(MeetingRow, col(MeetingRow.id) == ProposalRow.meeting_id)
        .where(MeetingRow.slug == slug)
        .where(ProposalRow.number == number)
    ).first()
    return None if row is None else _one(session, row)


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
    return _proposals(session, session.exec(query).all())


def reviews(session: Session, *, proposal_id: int) -> list[Review]:
    """A proposal's reviews, in the order they were last changed."""
    rows = session.exec(
        select(ProposalReviewRow)
        .where(ProposalReviewRow.proposal_id == proposal_id)
        .order_by(col(ProposalReviewRow.updated_at), col(ProposalReviewRow.reviewer_id))
    )
    return [Review(r.proposal_id, r.reviewer_id, r.score, r.comment) for r in rows]


def with_reviews(
    session: Session, *, slug: str, accepted_only: bool
) -> list[tuple[Proposal, list[Review]]]:
    """The export: every proposal of the meeting with its reviews; or the accepted ones only,
    without those their authors withdrew."""
    found = of_meeting(
        session, slug=slug, status=ProposalStatus.ACCEPTED if accepted_only else None
    )
    if accepted_only:
        found = [p for p in found if p.confirmation is not Confirmation.WITHDRAWN]
    return [(p, reviews(session, proposal_id=p.id)) for p in found]


def untold(session: Session, *, slug: str) -> list[Proposal]:
    """The decided proposals whose proposer has not been told yet."""
    decided = (ProposalStatus.ACCEPTED.value, ProposalStatus.DECLINED.value)
    rows = session.exec(
        select(ProposalRow)
        .join(MeetingRow, col(MeetingRow.id) == ProposalRow.meeting_id)
        .where(MeetingRow.slug == slug)
        .where(col(ProposalRow.status).in_(decided))
        .where(col(ProposalRow.told).is_(False))
        .order_by(col(ProposalRow.number))
    ).all()
    return _proposals(session, rows)


def without_card(session: Session, *, slug: str) -> list[Proposal]:
    """The proposals still to be shown to the reviewers (a withdrawn one needs no card)."""
    rows = session.exec(
        select(ProposalRow)
        .join(MeetingRow, col(MeetingRow.id) == ProposalRow.meeting_id)
        .where(MeetingRow.slug == slug)
        .where(col(ProposalRow.card_message_id).is_(None))
        .where(ProposalRow.status != ProposalStatus.WITHDRAWN.value)
        .order_by(col(ProposalRow.number))
    ).all()
    return _proposals(session, rows)


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
        return _one(session, same)
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
    return _one(session, row)


def _authors_json(authors: Sequence[Author]) -> str:
    return json.dumps(
        [{"name": a.name, "affiliation": a.affiliation} for a in authors], ensure_ascii=False
    )


def _own_while_open(session: Session, user_id: int, proposal_id: int, now: datetime) -> ProposalRow:
    """The member's own proposal, still submitted, while its call is open; or the refusal."""
    row = _row(session, proposal_id, lock=True)
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
    return _one(session, row)


def withdraw(session: Session, *, user_id: int, proposal_id: int, now: datetime) -> Proposal:
    """Withdraw a proposal: its proposer only, while the call is open and nothing is decided."""
    row = _own_while_open(session, user_id, proposal_id, now)
    row.status, row.updated_at = ProposalStatus.WITHDRAWN.value, now
    session.add(row)
    return _one(session, row)


def confirm(
    session: Session, *, user_id: int, proposal_id: int, confirmed: bool, now: datetime
) -> Proposal:
    """An accepted author confirms they will give it, or withdraws (and may change their mind)."""
    row = _row(session, proposal_id, lock=True)
    if row.user_id != user_id:
        raise NotYourProposal()
    if row.status != ProposalStatus.ACCEPTED.value:
        raise NotAccepted()
    answer = Confirmation.CONFIRMED if confirmed else Confirmation.WITHDRAWN
    row.confirmation, row.updated_at = answer.value, now
    session.add(row)
    return _one(session, row)


# ----- the organizers' side ---------------------------------------------------------------------
def review(
    session: Session, *, reviewer_id: int, proposal_id: int, score: int, comment: str, now: datetime
) -> Proposal:
    """Keep an organizer's review of a proposal, replacing their earlier one."""
    check_score(score)
    row = _row(session, proposal_id)
    if row.status == ProposalStatus.WITHDRAWN.value:
        raise ProposalWithdrawn()
    text = clean_text(comment, lines=True)[:COMMENT_MAX_CHARS]
    found = session.get(ProposalReviewRow, (proposal_id, reviewer_id))
    if found is None:
        found = ProposalReviewRow(
            proposal_id=proposal_id, reviewer_id=reviewer_id, score=score, updated_at=now
        )
    found.score, found.comment, found.updated_at = score, text, now
    session.add(found)
    session.flush()
    return _one(session, row)


def decide(session: Session, *, by: int, proposal_id: int, accept: bool, now: datetime) -> Proposal:
    """Record the organizers' decision; a changed decision is told again (and asked again)."""
    row = _row(session, proposal_id, lock=True)
    if row.status == ProposalStatus.WITHDRAWN.value:
        raise ProposalWithdrawn()
    status = ProposalStatus.ACCEPTED if accept else ProposalStatus.DECLINED
    if row.status != status.value:
        row.status, row.told = status.value, False
        row.confirmation = Confirmation.PENDING.value
    row.decided_by, row.decided_at, row.updated_at = by, now, now
    session.add(row)
    return _one(session, row)


def mark_told(session: Session, *, proposal_id: int, status: ProposalStatus | None = None) -> None:
    """The proposer was told the decision (`status`: only if it is still this one)."""
    row = _row(session, proposal_id, lock=True)
    if status is None or row.status == status.value:
        row.told = True
        session.add(row)


def set_card(session: Session, *, proposal_id: int, channel_id: int, message_id: int) -> None:
    """Remember the proposal's card in the reviewers' channel."""
    row = _row(session, proposal_id)
    row.card_channel_id, row.card_message_id = channel_id, message_id
    session.add(row)


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
