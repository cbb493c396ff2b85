"""Registration on SQLite and PostgreSQL: seats, waitlist, promotion, closing, concurrency."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.programme.service import ProgrammeService
from bot.registration.model import (
    AffiliationTooLong,
    Change,
    InvalidCapacity,
    Mode,
    NotRegistered,
    RegistrationClosed,
    Status,
    clean_affiliation,
)
from bot.registration.service import RegistrationService
from bot.store.db import Database
from tests.support.harness import BEFORE_MEETING as BEFORE
from tests.support.harness import FakeClock, register
from tests.support.paths import SHIPPED_MEETING


@pytest.fixture
def service(db: Database, clock: FakeClock) -> RegistrationService:
    programme = ProgrammeService(db, clock)
    programme.import_files(SHIPPED_MEETING)
    return RegistrationService(db, programme, clock)


async def test_first_registration_is_confirmed_and_repeat_is_harmless(service) -> None:
    first = await register(service, 1, affiliation="  I2M  ", dm=True)
    assert first.change is Change.CREATED
    assert first.registration.status is Status.CONFIRMED
    assert first.registration.affiliation == "I2M"
    again = await register(service, 1, affiliation="I2M", dm=True)
    assert again.change is Change.UNCHANGED
    figures = await service.figures()
    assert (figures.in_person, figures.remote, figures.seats_left) == (1, 0, 599)


async def test_full_room_waitlists_in_order_and_promotes_first_come(service) -> None:
    await service.set_capacity(seats=2, by=99)
    for user in (1, 2, 3, 4):
        await register(service, user)
    assert (await service.mine(user_id=3))[0].position == 1
    assert (await service.mine(user_id=4))[0].position == 2
    cancellation = await service.unregister(user_id=1)
    assert [p.user_id for p in cancellation.promoted] == [3]
    registration, notice = await service.mine(user_id=3)
    assert registration.status is Status.CONFIRMED and notice is True
    assert (await service.mine(user_id=3))[1] is False  # told once
    assert (await service.mine(user_id=4))[0].position == 1


async def test_mode_change_frees_and_takes_a_seat(service) -> None:
    await service.set_capacity(seats=1, by=99)
    await register(service, 1)
    waiting = await register(service, 2)
    assert waiting.registration.status is Status.WAITLISTED
    moved = await register(service, 1, mode=Mode.REMOTE)
    assert moved.change is Change.UPDATED
    assert moved.registration.mode is Mode.REMOTE
    assert [p.user_id for p in moved.promoted] == [2]
    back = await register(service, 1, mode=Mode.IN_PERSON)
    assert back.registration.status is Status.WAITLISTED and back.registration.position == 1


async def test_raising_capacity_promotes_at_once(service) -> None:
    await service.set_capacity(seats=1, by=99)
    for user in (1, 2, 3):
        await register(service, user)
    figures, promoted = await service.set_capacity(seats=3, by=99)
    assert [p.user_id for p in promoted] == [2, 3]
    assert (figures.in_person, figures.waitlist) == (3, 0)


async def test_lowering_capacity_bumps_nobody(service) -> None:
    for user in (1, 2, 3):
        await register(service, user)
    figures, promoted = await service.set_capacity(seats=1, by=99)
    assert promoted == ()
    assert (figures.in_person, figures.seats_left) == (3, 0)
    assert (await register(service, 4)).registration.status is Status.WAITLISTED


async def test_closed_registration_refuses_register_but_not_unregister(service, clock) -> None:
    await register(service, 1)
    clock.now = datetime(2021, 6, 28, 8, 0, tzinfo=UTC)  # the first session's start
    with pytest.raises(RegistrationClosed) as closed:
        await register(service, 2)
    assert "<t:1624867200:f>" in str(closed.value)
    cancellation = await service.unregister(user_id=1)
    assert cancellation.cancelled.user_id == 1
    assert not (await service.figures()).is_open


async def test_organizers_open_and_close(service, clock) -> None:
    figures = await service.set_state(is_open=False, by=7)
    assert not figures.is_open
    with pytest.raises(RegistrationClosed):
        await register(service, 1)
    clock.now = BEFORE + timedelta(days=60)
    figures = await service.set_state(is_open=True, by=7)
    assert figures.is_open and figures.closes_at is None
    assert (await register(service, 1)).change is Change.CREATED


async def test_unregister_deletes_the_details(service) -> None:
    await register(service, 1, affiliation="Secret Lab")
    await service.unregister(user_id=1)
    with pytest.raises(NotRegistered):
        await service.mine(user_id=1)
    with pytest.raises(NotRegistered):
        await service.unregister(user_id=1)
    assert await service.all_registrations() == []


async def test_bad_input_is_refused_and_loses_nothing(service) -> None:
    await register(service, 1, affiliation="Lab A")
    with pytest.raises(AffiliationTooLong):
        await register(service, 1, affiliation="x" * 201)
    assert (await service.mine(user_id=1))[0].affiliation == "Lab A"
    with pytest.raises(InvalidCapacity):
        await service.set_capacity(seats=-1, by=1)


def test_affiliation_is_cleaned() -> None:
    assert clean_affiliation(" Univ\u200b  Lorraine\n\tCRAN ") == "Univ Lorraine CRAN"
    assert clean_affiliation("\u202eevil") == "evil"
    assert clean_affiliation(None) == ""
    assert clean_affiliation("é" * 200) == "é" * 200


async def test_a_thousand_at_once_never_overbook(service) -> None:
    users = range(1, 1001)
    outcomes = await asyncio.gather(*(register(service, u) for u in users))
    statuses = [o.registration.status for o in outcomes]
    assert statuses.count(Status.CONFIRMED) == 600
    assert statuses.count(Status.WAITLISTED) == 400
    positions = sorted(o.registration.position for o in outcomes if o.registration.position)
    assert positions == list(range(1, 401))
    everyone = await service.all_registrations()
    assert len(everyone) == 1000 and len({r.user_id for r in everyone}) == 1000
    waiting = [r for r in everyone if r.status is Status.WAITLISTED]

    leaving = [r.user_id for r in everyone if r.status is Status.CONFIRMED][:50]
    cancellations = await asyncio.gather(*(service.unregister(user_id=u) for u in leaving))
    promoted = [p.user_id for c in cancellations for p in c.promoted]
    assert sorted(promoted) == sorted(r.user_id for r in waiting[:50])
    assert len(promoted) == len(set(promoted)) == 50
    figures = await service.figures()
    assert (figures.in_person, figures.waitlist, figures.seats_left) == (600, 350, 0)
    assert figures.members + figures.non_members == 950


async def test_remote_places_can_run_out(db: Database, clock: FakeClock) -> None:
    from dataclasses import replace

    from bot.programme import queries as programme_store
    from bot.registration.model import RemoteFull

    programme = ProgrammeService(db, clock)
    [meeting] = programme.import_files(SHIPPED_MEETING)
    small = replace(meeting, remote_capacity=1)
    db.call(programme_store.save_meeting, meeting=small, source="test", now=BEFORE, write=True)
    programme._meetings = None
    service = RegistrationService(db, programme, clock)
    await register(service, 1, Mode.REMOTE)
    with pytest.raises(RemoteFull) as full:
        await register(service, 2, Mode.REMOTE)
    assert "register in person" in str(full.value)
    assert (await register(service, 2, Mode.IN_PERSON)).registration.status is Status.CONFIRMED
    figures = await service.figures()
    assert (figures.remote, figures.remote_capacity) == (1, 1)
