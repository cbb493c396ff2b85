"""Proposals on SQLite and PostgreSQL: the call's dates, limits and numbering, edits by their
proposer, reviews, decisions told once, confirmation, and the proposer as a linked speaker."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from bot.kept.model import KeptCommand
from bot.programme.service import ProgrammeService
from bot.proposals.model import Confirmation, Draft, ProposalStatus
from bot.proposals.refusals import (
    AbstractTooLong,
    AlreadyDecided,
    BadScore,
    CallClosed,
    CallNotOpen,
    NoCall,
    NotAccepted,
    NotYourProposal,
    ProposalWithdrawn,
    TooManyProposals,
    UnknownKind,
    UnknownProposal,
)
from bot.proposals.service import ProposalService
from bot.questions import talks
from bot.store.db import Database
from tests.support.harness import FakeClock

OPENS = datetime(2021, 4, 15, 9, 0, tzinfo=UTC)  # the file's times are UTC here
CLOSES = datetime(2021, 5, 31, 23, 59, tzinfo=UTC)
DURING = datetime(2021, 5, 1, 12, 0, tzinfo=UTC)

MEETING = """
slug = "call-day"
title = "Call day"
date = 2021-06-28
timezone = "UTC"
venue = "Online"
capacity = 10

[call]
opens = 2021-04-15T09:00:00
closes = 2021-05-31T23:59:00
kinds = ["talk", "poster"]
abstract_max_chars = 50
per_member = 2
{extra}
[[sessions]]
title = "Morning"
start = "09:00"
end = "11:00"

  [[sessions.talks]]
  start = "09:00"
  title = "Invited"
  speakers = [{{ name = "Ann Speaker" }}]
{talk}
"""


def write(tmp_path: Path, extra: str = "", talk: str = "") -> Path:
    path = tmp_path / "call-day.toml"
    path.write_text(MEETING.format(extra=extra, talk=talk), encoding="utf-8")
    return path


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(DURING)


@pytest.fixture
def programme(db: Database, clock: FakeClock, tmp_path: Path) -> ProgrammeService:
    service = ProgrammeService(db, clock)
    service.import_files(write(tmp_path))
    return service


@pytest.fixture
def service(db: Database, programme: ProgrammeService, clock: FakeClock) -> ProposalService:
    return ProposalService(db, programme, clock)


def draft(title: str = "My talk", **changes: str) -> Draft:
    values = {"kind": "talk", "abstract": "Short.", "authors": "Ada Lovelace (UCL)"} | changes
    return Draft(title=title, **values)


async def propose(service: ProposalService, user: int = 1, **changes: str):
    return await service.propose(user_id=user, display_name=f"user{user}", draft=draft(**changes))


def test_migrations_match_the_tables(db: Database) -> None:
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert [d for d in diff if "proposal" in repr(d) or "call_json" in repr(d)] == []


async def test_the_call_is_read_from_the_meeting_and_its_dates(service, clock) -> None:
    meeting, open_now = await service.call()
    assert meeting.call is not None and meeting.call.kinds == ("talk", "poster")
    assert meeting.call.closes == CLOSES and open_now
    clock.now = CLOSES
    assert (await service.call())[1] is False


async def test_proposals_are_numbered_per_meeting_and_kept(service) -> None:
    first = await propose(service, 1, title="  First\u200b talk ")
    second = await propose(service, 2, kind="poster")
    assert (first.reference, second.reference) == ("P-1", "P-2")
    assert first.title == "First talk" and first.authors[0].affiliation == "UCL"
    assert second.kind == "poster" and first.status is ProposalStatus.SUBMITTED
    assert await service.get(first.id) == first
    assert (await service.by_reference("p-2")).id == second.id
    with pytest.raises(UnknownProposal):
        await service.by_reference("P-9")


async def test_concurrent_proposals_get_distinct_numbers(service) -> None:
    made = await asyncio.gather(*(propose(service, user) for user in range(1, 9)))
    assert sorted(int(p.reference[2:]) for p in made) == list(range(1, 9))


async def test_the_call_refuses_outside_its_dates(service, clock) -> None:
    clock.now = OPENS - timedelta(seconds=1)
    with pytest.raises(CallNotOpen):
        await propose(service)
    clock.now = CLOSES
    with pytest.raises(CallClosed) as closed:
        await propose(service)
    assert f"<t:{int(CLOSES.timestamp())}:f>" in str(closed.value)


async def test_the_organizers_override_the_dates(service, clock) -> None:
    clock.now = CLOSES + timedelta(days=1)
    await service.set_open(open=True, by=99)
    assert (await service.call())[1] is True
    assert (await propose(service)).reference == "P-1"
    clock.now = DURING
    await service.set_open(open=False, by=99)
    clock.now = DURING + timedelta(hours=1)
    with pytest.raises(CallClosed) as closed:
        await propose(service)
    assert f"<t:{int(DURING.timestamp())}:f>" in str(closed.value)  # when they closed it


async def test_the_calls_limits(service) -> None:
    with pytest.raises(AbstractTooLong):
        await propose(service, abstract="x" * 51)
    with pytest.raises(UnknownKind):
        await propose(service, kind="workshop")
    first = await propose(service, 1, title="One")
    await propose(service, 1, title="Two")
    with pytest.raises(TooManyProposals):
        await propose(service, 1, title="Three")
    await service.withdraw(user_id=1, proposal_id=first.id)  # a withdrawn one frees its place
    assert (await propose(service, 1, title="Three")).reference == "P-3"


async def test_the_same_form_sent_again_is_the_same_proposal(service) -> None:
    first = await propose(service, 1, title="One")
    again = await propose(service, 1, title="One")  # its first sending seemed to fail
    assert again == first
    other = await propose(service, 2, title="One")  # another member's is their own
    assert [first.reference, other.reference] == ["P-1", "P-2"]
    await service.withdraw(user_id=1, proposal_id=first.id)
    assert (await propose(service, 1, title="One")).reference == "P-3"  # withdrawn: a new one


async def test_no_call_no_proposal(db, clock, tmp_path) -> None:
    path = tmp_path / "plain.toml"
    text = MEETING.format(extra="", talk="")
    path.write_text(text.split("[call]")[0] + "[[sessions]]" + text.split("[[sessions]]")[1])
    programme = ProgrammeService(db, clock)
    programme.import_files(path)
    service = ProposalService(db, programme, clock)
    assert (await service.call())[1] is False
    with pytest.raises(NoCall):
        await propose(service)
    with pytest.raises(NoCall):
        await service.set_open(open=True, by=1)


async def test_only_the_proposer_edits_or_withdraws_while_the_call_is_open(service, clock) -> None:
    mine = await propose(service, 1)
    with pytest.raises(NotYourProposal):
        await service.edit(user_id=2, proposal_id=mine.id, draft=draft("Hijacked"))
    edited = await service.edit(user_id=1, proposal_id=mine.id, draft=draft("Better title"))
    assert edited.title == "Better title" and edited.reference == mine.reference
    with pytest.raises(AbstractTooLong):
        await service.edit(user_id=1, proposal_id=mine.id, draft=draft(abstract="x" * 51))
    clock.now = CLOSES
    with pytest.raises(CallClosed):
        await service.edit(user_id=1, proposal_id=mine.id, draft=draft("Late"))
    with pytest.raises(CallClosed):
        await service.withdraw(user_id=1, proposal_id=mine.id)
    assert (await service.get(mine.id)).title == "Better title"


async def test_a_decided_proposal_is_not_edited(service) -> None:
    mine = await propose(service, 1)
    await service.decide(by=99, proposal_id=mine.id, accept=True)
    with pytest.raises(AlreadyDecided):
        await service.withdraw(user_id=1, proposal_id=mine.id)


async def test_mine_lists_a_members_proposals(service) -> None:
    await propose(service, 1, title="One")
    await propose(service, 2, title="Other's")
    await propose(service, 1, title="Two")
    meeting, mine = await service.mine(user_id=1)
    assert meeting.slug == "call-day" and [p.title for p in mine] == ["One", "Two"]


async def test_reviews_one_per_organizer_changeable_and_ranked(service) -> None:
    a, b, c = [await propose(service, user) for user in (1, 2, 3)]
    await service.review(reviewer_id=10, proposal_id=a.id, score=2, comment="weak")
    await service.review(reviewer_id=11, proposal_id=a.id, score=4, comment="")
    reviewed = await service.review(reviewer_id=10, proposal_id=a.id, score=5, comment="on reread")
    assert (reviewed.reviews, reviewed.mean_score) == (2, 4.5)
    await service.review(reviewer_id=10, proposal_id=b.id, score=5, comment="")
    with pytest.raises(BadScore):
        await service.review(reviewer_id=10, proposal_id=c.id, score=6, comment="")
    assert {(r.reviewer_id, r.score) for r in await service.reviews(a.id)} == {(10, 5), (11, 4)}
    assert [p.reference for p in await service.ranked()] == ["P-2", "P-1", "P-3"]
    assert [p.reference for p in await service.ranked(sort="received")] == ["P-1", "P-2", "P-3"]
    await service.decide(by=10, proposal_id=b.id, accept=False)
    declined = await service.ranked(status=ProposalStatus.DECLINED)
    assert [p.reference for p in declined] == ["P-2"]


async def test_decisions_are_recorded_then_told_once(service) -> None:
    a, b = await propose(service, 1), await propose(service, 2)
    await service.decide(by=10, proposal_id=a.id, accept=True)
    await service.decide(by=10, proposal_id=b.id, accept=False)
    preview = await service.notify_preview()
    assert (preview.accepted, preview.declined) == (1, 1)
    assert [p.id for p in await service.decisions_to_tell()] == [a.id, b.id]
    await service.told(proposal_id=a.id)
    assert [p.id for p in await service.decisions_to_tell()] == [b.id]
    # The same decision again is not told again; a changed one is.
    await service.decide(by=11, proposal_id=a.id, accept=True)
    assert [p.id for p in await service.decisions_to_tell()] == [b.id]
    changed = await service.decide(by=11, proposal_id=a.id, accept=False)
    assert changed.status is ProposalStatus.DECLINED and not changed.told
    # Told of a decision that changed meanwhile: the new one still waits.
    await service.told(proposal_id=b.id, status=ProposalStatus.ACCEPTED)
    assert {p.id for p in await service.decisions_to_tell()} == {a.id, b.id}


async def test_accepted_authors_confirm_or_withdraw(service) -> None:
    mine = await propose(service, 1)
    with pytest.raises(NotAccepted):
        await service.confirm(user_id=1, proposal_id=mine.id, confirmed=True)
    await service.decide(by=10, proposal_id=mine.id, accept=True)
    with pytest.raises(NotYourProposal):
        await service.confirm(user_id=2, proposal_id=mine.id, confirmed=True)
    confirmed = await service.confirm(user_id=1, proposal_id=mine.id, confirmed=True)
    assert confirmed.confirmation is Confirmation.CONFIRMED
    gone = await service.confirm(user_id=1, proposal_id=mine.id, confirmed=False)
    assert gone.confirmation is Confirmation.WITHDRAWN
    _meeting, rows = await service.export(accepted_only=True)
    assert rows == []


async def test_a_withdrawn_proposal_is_neither_reviewed_nor_decided(service) -> None:
    mine = await propose(service, 1)
    await service.withdraw(user_id=1, proposal_id=mine.id)
    with pytest.raises(ProposalWithdrawn):
        await service.review(reviewer_id=10, proposal_id=mine.id, score=3, comment="")
    with pytest.raises(ProposalWithdrawn):
        await service.decide(by=10, proposal_id=mine.id, accept=True)
    assert await service.without_card() == []


async def test_cards_are_remembered(service) -> None:
    a, b = await propose(service, 1), await propose(service, 2)
    await service.card_posted(proposal_id=a.id, channel_id=5, message_id=6)
    assert [p.id for p in await service.without_card()] == [b.id]
    assert (await service.get(a.id)).card_message_id == 6


async def test_a_kept_command_is_applied_with_its_proposal_and_its_refusal_kept(
    service, db, clock
) -> None:
    from bot.kept import queries as kept

    def command(interaction: int) -> KeptCommand:
        return KeptCommand(
            interaction_id=interaction,
            application_id=1,
            token="t",
            kind="proposal",
            user_id=1,
            received_at=clock(),
            options={},
        )

    made = await service.propose(
        user_id=1, display_name="Ada", draft=draft(), locale="fr", command=command(100)
    )
    assert made.locale == "fr"
    stored = db.call(kept.get, interaction_id=100)
    assert stored is not None and stored.result == {"proposal": made.id}
    with pytest.raises(UnknownKind):
        await service.propose(
            user_id=1, display_name="Ada", draft=draft(kind="x"), command=command(101)
        )
    refused = db.call(kept.get, interaction_id=101)
    assert refused is not None and refused.result.get("refusal")


async def test_the_proposer_of_a_talk_is_its_linked_speaker(db, clock, tmp_path) -> None:
    programme = ProgrammeService(db, clock)
    programme.import_files(write(tmp_path))
    service = ProposalService(db, programme, clock)
    mine = await propose(service, 42)
    talk = '\n  [[sessions.talks]]\n  start = "10:00"\n  title = "From the call"\n'
    talk += f'  speakers = [{{ name = "Ada Lovelace" }}]\n  proposal = "{mine.reference}"\n'
    programme.import_files(write(tmp_path, talk=talk))
    meeting = (await programme.meetings())[0]
    assert meeting.talk("from-the-call").proposal == "P-1"  # type: ignore[union-attr]

    def accounts() -> list[int]:
        talk_id = db.call(talks.talk_id, meeting=meeting, talk_key="from-the-call")
        return db.call(talks.speaker_accounts, talk_id=talk_id)

    assert accounts() == [42]
    await service.decide(by=1, proposal_id=mine.id, accept=False)
    assert accounts() == []  # declined: not a speaker
    references = service.references([meeting])
    assert references[("call-day", "P-1")].status is ProposalStatus.DECLINED  # type: ignore[union-attr]
