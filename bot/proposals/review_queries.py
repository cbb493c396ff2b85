"""The organizers' side of proposals in the store: reviews, one per organizer and replaced when
they review again; decisions recorded, a changed one told (and asked) again, and told once; the
review cards in the reviewers' channel; the export with every review. Proposals are read and
locked through `queries`.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from bot.proposals.model import (
    COMMENT_MAX_CHARS,
    Confirmation,
    Proposal,
    ProposalStatus,
    Review,
    check_score,
    clean_text,
)
from bot.proposals.queries import as_proposal, as_proposals, of_meeting, proposal_row
from bot.proposals.refusals import ProposalWithdrawn
from bot.store.models import MeetingRow, ProposalReviewRow, ProposalRow


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
    return as_proposals(session, rows=rows)


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
    return as_proposals(session, rows=rows)


def review(
    session: Session, *, reviewer_id: int, proposal_id: int, score: int, comment: str, now: datetime
) -> Proposal:
    """Keep an organizer's review of a proposal, replacing their earlier one."""
    check_score(score)
    row = proposal_row(session, proposal_id=proposal_id)
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
    return as_proposal(session, row=row)


def decide(session: Session, *, by: int, proposal_id: int, accept: bool, now: datetime) -> Proposal:
    """Record the organizers' decision; a changed decision is told again (and asked again)."""
    row = proposal_row(session, proposal_id=proposal_id, lock=True)
    if row.status == ProposalStatus.WITHDRAWN.value:
        raise ProposalWithdrawn()
    status = ProposalStatus.ACCEPTED if accept else ProposalStatus.DECLINED
    if row.status != status.value:
        row.status, row.told = status.value, False
        row.confirmation = Confirmation.PENDING.value
    row.decided_by, row.decided_at, row.updated_at = by, now, now
    session.add(row)
    return as_proposal(session, row=row)


def mark_told(session: Session, *, proposal_id: int, status: ProposalStatus | None = None) -> None:
    """The proposer was told the decision (`status`: only if it is still this one)."""
    row = proposal_row(session, proposal_id=proposal_id, lock=True)
    if status is None or row.status == status.value:
        row.told = True
        session.add(row)


def set_card(session: Session, *, proposal_id: int, channel_id: int, message_id: int) -> None:
    """Remember the proposal's card in the reviewers' channel."""
    row = proposal_row(session, proposal_id=proposal_id)
    row.card_channel_id, row.card_message_id = channel_id, message_id
    session.add(row)
