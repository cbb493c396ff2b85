"""The registration desk on SQLite and PostgreSQL: bursts share transactions, in arrival order,
and one request's refusal or failure stays its own."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from bot.core.errors import is_unavailable
from bot.programme import queries as programme_store
from bot.programme.service import ProgrammeService
from bot.registration.model import (
    Change,
    Mode,
    RegistrationClosed,
    RegistrationRequest,
    RemoteFull,
    Status,
)
from bot.registration.seating import Job, Seating
from bot.registration.service import RegistrationService
from bot.store.db import Database
from tests.support.harness import BEFORE_MEETING as BEFORE
from tests.support.harness import FakeClock, register
from tests.support.paths import SHIPPED_MEETING


@pytest.fixture
async def service(db: Database) -> RegistrationService:
    clock = FakeClock(BEFORE)
    programme = ProgrammeService(db, clock)
    [meeting] = programme.import_files(SHIPPED_MEETING)
    small = replace(meeting, capacity=100, remote_capacity=1)
    db.call(programme_store.save_meeting, meeting=small, source="test", now=BEFORE, write=True)
    programme._meetings = None
    await programme.active_meeting()  # read once, so a burst reaches the desk in one go
    return RegistrationService(db, programme, clock)


def request(user: int, mode: Mode = Mode.IN_PERSON) -> RegistrationRequest:
    return RegistrationRequest(
        user_id=user,
        display_name=f"user{user}",
        mode=mode,
        member=True,
        affiliation=None,
        dm=None,
        locale="fr",
        at=BEFORE,
    )


async def test_a_burst_shares_transactions_and_keeps_arrival_order(service) -> None:
    outcomes = await asyncio.gather(*(register(service, u) for u in range(1, 301)))
    assert service.desk.batches < 30  # 300 requests, a handful of transactions
    seated = [o.registration.user_id for o in outcomes if o.registration.status is Status.CONFIRMED]
    assert seated == list(range(1, 101))
    waiting = [(o.registration.user_id, o.registration.position) for o in outcomes[100:]]
    assert waiting == [(u, u - 100) for u in range(101, 301)]
    everyone = await service.all_registrations()
    assert [r.user_id for r in everyone if r.status is Status.WAITLISTED] == list(range(101, 301))


async def test_a_refusal_is_its_requests_alone(service) -> None:
    first, refused, third = await asyncio.gather(
        register(service, 1, Mode.REMOTE),
        register(service, 2, Mode.REMOTE),
        register(service, 3, Mode.IN_PERSON),
        return_exceptions=True,
    )
    assert first.registration.mode is Mode.REMOTE
    assert isinstance(refused, RemoteFull)
    assert third.registration.status is Status.CONFIRMED
    assert service.desk.batches == 1
    figures = await service.figures()
    assert (figures.remote, figures.in_person) == (1, 1)


async def test_a_failing_job_is_retried_alone_and_writes_nothing(service) -> None:
    meeting = await service.programme.active_meeting()

    def half_written(seating: Seating):
        seating.register(request(99))
        seating.session.flush()
        raise RuntimeError("fails after writing")

    results = await asyncio.gather(
        register(service, 1),
        service.desk.submit(meeting, Job(half_written, user_id=99)),
        register(service, 2),
        return_exceptions=True,
    )
    assert isinstance(results[1], RuntimeError)
    assert [r.registration.status for r in (results[0], results[2])] == [Status.CONFIRMED] * 2
    everyone = await service.all_registrations()
    assert sorted(r.user_id for r in everyone) == [1, 2]  # nothing of user 99 was kept


async def test_an_unreachable_database_fails_the_batch_at_once(service) -> None:
    working = service.desk.db
    unreachable = Database("postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    service.desk.db = unreachable
    try:
        results = await asyncio.gather(
            *(register(service, u) for u in (1, 2, 3)), return_exceptions=True
        )
    finally:
        service.desk.db = working
        unreachable.close()
    assert all(is_unavailable(r) for r in results), results
    assert service.desk.batches == 1  # not retried one by one against a database that is down
    assert await service.all_registrations() == []
    assert (await register(service, 1)).registration.status is Status.CONFIRMED


async def test_the_desk_settles_before_it_writes(service) -> None:
    desk = service.desk
    go = asyncio.Event()

    async def settle() -> None:
        await go.wait()

    desk.settle = settle
    registering = asyncio.ensure_future(
        service.register(user_id=1, display_name="ada", mode=Mode.IN_PERSON, member=True)
    )
    await asyncio.sleep(0.05)
    assert not registering.done() and desk.batches == 0
    go.set()
    outcome = await asyncio.wait_for(registering, 5)
    assert outcome.registration.user_id == 1 and desk.batches == 1


async def test_one_batch_may_register_cancel_and_close_in_turn(service) -> None:
    results = await asyncio.gather(
        register(service, 1),
        register(service, 1, affiliation="Lab"),  # the same person twice
        service.unregister(user_id=1),  # registered earlier in this batch
        register(service, 2),
        service.set_state(is_open=False, by=9),
        register(service, 3),
        return_exceptions=True,
    )
    first, again, cancelled, second, figures, refused = results
    assert (first.change, again.change) == (Change.CREATED, Change.UPDATED)
    assert cancelled.cancelled.affiliation == "Lab"
    assert second.registration.status is Status.CONFIRMED
    assert not figures.is_open and figures.in_person == 1
    assert isinstance(refused, RegistrationClosed)
    assert service.desk.batches == 1  # none of it sent the batch through again one by one
    assert [r.user_id for r in await service.all_registrations()] == [2]


async def test_a_stopped_desk_leaves_nobody_waiting(service) -> None:
    service.desk.settle = asyncio.Event().wait  # never settles
    registering = asyncio.ensure_future(register(service, 1))
    await asyncio.sleep(0.05)
    service.desk._worker.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(registering, 5)
