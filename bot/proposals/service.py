"""The call for contributions: members propose, organizers review and decide, proposers are told.

Each public method is one store transaction, on the active meeting unless a proposal id says
otherwise. The call's rules hold in the transaction that writes: a proposal is numbered, and
held to the call's dates and limits, under the lock of its meeting's call row.
"""

from __future__ import annotations

from typing import TypeVar

from sqlmodel import Session

from bot.core.clock import Clock
from bot.core.errors import AmphiError
from bot.kept import queries as commands
from bot.kept.model import KeptCommand
from bot.programme.model import Meeting
from bot.programme.service import ProgrammeService
from bot.proposals import queries as store
from bot.proposals import review_queries as reviewing
from bot.proposals.model import (
    CallState,
    Draft,
    NotifyPreview,
    Proposal,
    ProposalStatus,
    Review,
    is_open,
    notify_preview,
    parse_reference,
    ranked,
)
from bot.proposals.refusals import NoCall, UnknownProposal
from bot.store.db import Database

T = TypeVar("T")


class ProposalService:
    """Proposals to the active meeting's call, their reviews and decisions."""

    def __init__(self, db: Database, programme: ProgrammeService, clock: Clock) -> None:
        self.db = db
        self.programme = programme
        self.clock = clock

    async def _meeting(self) -> Meeting:
        return await self.programme.active_meeting()

    async def call(self) -> tuple[Meeting, bool]:
        """The active meeting and whether its call is open now (its dates, or the override)."""
        meeting = await self._meeting()
        if meeting.call is None:
            return meeting, False
        state, _ = await self.db.run(store.call_state, slug=meeting.slug)
        return meeting, is_open(meeting.call, state, self.clock())

    async def propose(
        self,
        *,
        user_id: int,
        display_name: str,
        draft: Draft,
        locale: str = "",
        command: KeptCommand | None = None,
    ) -> Proposal:
        """Keep a member's proposal to the active meeting's call; `command` is the kept command
        it fulfils (kind "proposal"), marked applied in the same transaction; `locale` the language
        of the proposer's DMs."""
        meeting, now = await self._meeting(), self.clock()

        def transaction(session: Session) -> Proposal | AmphiError:
            return commands.apply_kept(
                session,
                effect=lambda: store.propose(
                    session,
                    slug=meeting.slug,
                    user_id=user_id,
                    display_name=display_name,
                    draft=draft,
                    now=now,
                    locale=locale,
                ),
                command=command,
                result=lambda proposal: {"proposal": proposal.id},
            )

        return _raised(await self.db.run(transaction, write=True))

    async def edit(self, *, user_id: int, proposal_id: int, draft: Draft) -> Proposal:
        """Change a proposal: its proposer, while the call is open and nothing is decided."""
        return await self.db.run(
            store.edit,
            user_id=user_id,
            proposal_id=proposal_id,
            draft=draft,
            now=self.clock(),
            write=True,
        )

    async def withdraw(self, *, user_id: int, proposal_id: int) -> Proposal:
        """Withdraw a proposal: its proposer, while the call is open and nothing is decided."""
        return await self.db.run(
            store.withdraw, user_id=user_id, proposal_id=proposal_id, now=self.clock(), write=True
        )

    async def mine(self, *, user_id: int) -> tuple[Meeting, list[Proposal]]:
        """The active meeting and a member's proposals to it, in order of arrival."""
        meeting = await self._meeting()
        found = await self.db.run(store.of_meeting, slug=meeting.slug, user_id=user_id)
        return meeting, found

    async def get(self, proposal_id: int) -> Proposal:
        """One proposal (UnknownProposal when there is none)."""
        return await self.db.run(store.get, proposal_id=proposal_id)

    async def by_reference(self, text: str) -> Proposal:
        """The active meeting's proposal "P-12" (UnknownProposal when there is none)."""
        meeting, number = await self._meeting(), parse_reference(text)
        found = None
        if number is not None:
            found = await self.db.run(store.by_reference, slug=meeting.slug, number=number)
        if found is None:
            raise UnknownProposal(text)
        return found

    async def review(
        self, *, reviewer_id: int, proposal_id: int, score: int, comment: str
    ) -> Proposal:
        """An organizer's score (1–5) and comment; their earlier review of it is replaced."""
        return await self.db.run(
            reviewing.review,
            reviewer_id=reviewer_id,
            proposal_id=proposal_id,
            score=score,
            comment=comment,
            now=self.clock(),
            write=True,
        )

    async def reviews(self, proposal_id: int) -> list[Review]:
        """A proposal's reviews."""
        return await self.db.run(reviewing.reviews, proposal_id=proposal_id)

    async def decide(self, *, by: int, proposal_id: int, accept: bool) -> Proposal:
        """Record the organizers' decision (telling the proposer is `decisions_to_tell`'s)."""
        return await self.db.run(
            reviewing.decide,
            by=by,
            proposal_id=proposal_id,
            accept=accept,
            now=self.clock(),
            write=True,
        )

    async def ranked(
        self, *, sort: str = "score", status: ProposalStatus | None = None
    ) -> list[Proposal]:
        """The active meeting's proposals, best mean score first ("score") or as received."""
        meeting = await self._meeting()
        found = await self.db.run(store.of_meeting, slug=meeting.slug, status=status)
        return ranked(found, sort)

    async def set_open(self, *, open: bool, by: int) -> Meeting:
        """The organizers open or close the active meeting's call, whatever its dates say."""
        meeting = await self._meeting()
        if meeting.call is None:
            raise NoCall()
        state = CallState.OPEN if open else CallState.CLOSED
        await self.db.run(
            store.set_call_state,
            slug=meeting.slug,
            state=state,
            by=by,
            now=self.clock(),
            write=True,
        )
        return meeting

    async def card_posted(self, *, proposal_id: int, channel_id: int, message_id: int) -> None:
        """Remember the proposal's card in the reviewers' channel."""
        await self.db.run(
            reviewing.set_card,
            proposal_id=proposal_id,
            channel_id=channel_id,
            message_id=message_id,
            write=True,
        )

    async def without_card(self) -> list[Proposal]:
        """The active meeting's proposals whose card is still to be posted (the catch-up)."""
        meeting = await self._meeting()
        return await self.db.run(reviewing.without_card, slug=meeting.slug)

    async def notify_preview(self) -> NotifyPreview:
        """What `/proposals notify` would send now."""
        return notify_preview(await self.decisions_to_tell())

    async def decisions_to_tell(self) -> list[Proposal]:
        """The active meeting's decided proposals whose proposer is not told yet."""
        meeting = await self._meeting()
        return await self.db.run(reviewing.untold, slug=meeting.slug)

    async def told(self, *, proposal_id: int, status: ProposalStatus | None = None) -> None:
        """The proposer was told its decision (`status`: only if the decision is still this)."""
        await self.db.run(reviewing.mark_told, proposal_id=proposal_id, status=status, write=True)

    async def confirm(self, *, user_id: int, proposal_id: int, confirmed: bool) -> Proposal:
        """An accepted author confirms they will give it, or withdraws."""
        return await self.db.run(
            store.confirm,
            user_id=user_id,
            proposal_id=proposal_id,
            confirmed=confirmed,
            now=self.clock(),
            write=True,
        )

    async def export(
        self, *, accepted_only: bool
    ) -> tuple[Meeting, list[tuple[Proposal, list[Review]]]]:
        """The active meeting and its proposals with their reviews (or the accepted ones)."""
        meeting = await self._meeting()
        rows = await self.db.run(
            reviewing.with_reviews, slug=meeting.slug, accepted_only=accepted_only
        )
        return meeting, rows

    def references(self, meetings: list[Meeting]) -> dict[tuple[str, str], Proposal | None]:
        """The proposal each talk of `meetings` names, by (slug, reference), None when unknown
        (blocking: for `amphi check`)."""
        return self.db.call(store.named_by_talks, meetings=meetings)


def _raised(outcome: T | AmphiError) -> T:
    """The outcome of a kept transaction, its refusal raised once the refusal is committed."""
    if isinstance(outcome, AmphiError):
        raise outcome
    return outcome
