"""The change limit on SQLite and PostgreSQL: at most 5 registration changes per member in 10
minutes, counted from the kept commands in the store, refusals and no-op `/register` left out."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.kept import queries as commands
from bot.kept.model import KeptCommand, refusal_of
from bot.programme.service import ProgrammeService
from bot.registration.model import (
    CHANGE_LIMIT_COUNT,
    CHANGE_LIMIT_WINDOW,
    REGISTER,
    UNREGISTER,
    Change,
    Mode,
    NotRegistered,
    TooManyChanges,
)
from bot.registration.queries import recent_changes
from bot.registration.service import RegistrationService
from bot.store.db import Database
from tests.support.harness import BEFORE_MEETING as BEFORE
from tests.support.harness import FakeClock, register
from tests.support.paths import SHIPPED_MEETING

MINUTE = timedelta(minutes=1)


class Member:
    """One member's kept commands, written down as the cog does before each is applied."""

    interactions = itertools.count(1_000)

    def __init__(self, service: RegistrationService, clock: FakeClock, user: int) -> None:
        self.service, self.clock, self.user = service, clock, user
        self.last_command = 0

    async def keep(self, kind: str) -> KeptCommand:
        """Write a command of `kind` down, received now."""
        meeting = await self.service.programme.active_meeting()
        self.last_command = next(self.interactions)
        command = KeptCommand(
            interaction_id=self.last_command,
            application_id=1,
            token=f"token-{self.last_command}",
            kind=kind,
            user_id=self.user,
            received_at=self.clock(),
            options={"meeting": meeting.slug},
        )
        await self.service.db.run(commands.record, commands=[command], write=True)
        return command

    async def register(self, **kw):
        """A kept `/register` (in person unless told otherwise)."""
        return await register(self.service, self.user, command=await self.keep(REGISTER), **kw)

    async def unregister(self):
        """A kept `/unregister`."""
        command = await self.keep(UNREGISTER)
        return await self.service.unregister(user_id=self.user, command=command)

    async def kept_result(self) -> dict:
        """What the store kept as the last command's answer."""
        command = await self.service.db.run(commands.get, interaction_id=self.last_command)
        assert command is not None
        return command.result


@pytest.fixture
def service(db: Database, clock: FakeClock) -> RegistrationService:
    programme = ProgrammeService(db, clock)
    programme.import_files(SHIPPED_MEETING)
    return RegistrationService(db, programme, clock)


async def five_changes(member: Member, clock: FakeClock) -> None:
    """Five changes one minute apart (created, updated twice, cancelled, created), from BEFORE;
    the clock is left one minute after the last."""
    steps = [
        member.register(),
        member.register(mode=Mode.REMOTE),
        member.register(mode=Mode.REMOTE, affiliation="I2M"),
        member.unregister(),
        member.register(affiliation="LIS"),
    ]
    assert len(steps) == CHANGE_LIMIT_COUNT
    for step in steps:
        await step
        clock.now += MINUTE


async def test_the_sixth_change_in_the_window_is_refused_and_changes_nothing(
    service, clock
) -> None:
    ada = Member(service, clock, 1)
    await five_changes(ada, clock)
    before = await service.lookup(user_id=1)
    with pytest.raises(TooManyChanges) as refused:
        await ada.register(mode=Mode.REMOTE, affiliation="CNRS")
    retry_at = BEFORE + CHANGE_LIMIT_WINDOW  # when the first of the five leaves the window
    assert "5 times in the last 10 minutes" in str(refused.value)
    assert f"<t:{int(retry_at.timestamp())}:t> (<t:{int(retry_at.timestamp())}:R>)" in str(
        refused.value
    )
    assert "/my-registration" in str(refused.value)
    # Kept with its command: a restart tells the same words.
    kept = refusal_of(await ada.kept_result())
    assert kept is not None and str(kept) == str(refused.value)
    with pytest.raises(TooManyChanges):
        await ada.unregister()
    after = await service.lookup(user_id=1)
    assert after == before and after is not None
    assert (after.mode, after.affiliation) == (Mode.IN_PERSON, "LIS")
    figures = await service.figures()
    assert (figures.in_person, figures.remote) == (1, 0)


async def test_a_change_is_accepted_once_the_window_has_passed(service, clock) -> None:
    ada = Member(service, clock, 1)
    await five_changes(ada, clock)
    clock.now = BEFORE + CHANGE_LIMIT_WINDOW - timedelta(seconds=1)
    with pytest.raises(TooManyChanges):
        await ada.register(mode=Mode.REMOTE)
    clock.now = BEFORE + CHANGE_LIMIT_WINDOW
    moved = await ada.register(mode=Mode.REMOTE)
    assert moved.change is Change.UPDATED and moved.registration.mode is Mode.REMOTE
    with pytest.raises(TooManyChanges):  # that change was the fifth in the window again
        await ada.register()


async def test_refused_commands_do_not_count(service, clock) -> None:
    ada = Member(service, clock, 1)
    await five_changes(ada, clock)  # changes at BEFORE + 0, 1, 2, 3 and 4 minutes
    for _ in range(3):
        with pytest.raises(TooManyChanges):
            await ada.register(mode=Mode.REMOTE)
    clock.now = BEFORE + CHANGE_LIMIT_WINDOW  # the first change left the window; four remain
    assert (await ada.register(mode=Mode.REMOTE)).change is Change.UPDATED

    ben = Member(service, clock, 2)
    for _ in range(CHANGE_LIMIT_COUNT + 1):  # refused as not registered: no change
        with pytest.raises(NotRegistered):
            await ben.unregister()
    assert "refusal" in await ben.kept_result()
    for mode in (Mode.IN_PERSON, Mode.REMOTE, Mode.IN_PERSON, Mode.REMOTE, Mode.IN_PERSON):
        await ben.register(mode=mode)
    with pytest.raises(TooManyChanges):
        await ben.register(mode=Mode.REMOTE)


async def test_another_member_is_unaffected_even_in_the_same_batch(service, clock) -> None:
    ada, ben = Member(service, clock, 1), Member(service, clock, 2)
    await five_changes(ada, clock)
    await ben.register()
    meeting = await service.programme.active_meeting()
    kept = [await ada.keep(REGISTER), await ben.keep(REGISTER)]
    go = asyncio.Event()
    service.desk.settle = go.wait
    batches = service.desk.batches
    attempts = asyncio.gather(
        register(service, 1, Mode.REMOTE, command=kept[0], meeting=meeting),
        register(service, 2, Mode.REMOTE, command=kept[1], meeting=meeting),
        register(service, 3, meeting=meeting),
        return_exceptions=True,
    )
    await asyncio.sleep(0.05)
    go.set()
    refused, moved, created = await attempts
    assert service.desk.batches == batches + 1
    assert isinstance(refused, TooManyChanges)
    assert moved.change is Change.UPDATED and moved.registration.mode is Mode.REMOTE
    assert created.change is Change.CREATED


async def test_changes_in_one_batch_count_as_they_land(service, clock) -> None:
    ada = Member(service, clock, 1)
    meeting = await service.programme.active_meeting()
    kinds = [REGISTER, REGISTER, REGISTER, UNREGISTER, REGISTER, REGISTER]
    kept = [await ada.keep(kind) for kind in kinds]
    go = asyncio.Event()
    service.desk.settle = go.wait
    attempts = asyncio.gather(
        register(service, 1, command=kept[0], meeting=meeting),
        register(service, 1, Mode.REMOTE, command=kept[1], meeting=meeting),
        register(service, 1, command=kept[2], meeting=meeting),
        service.unregister(user_id=1, command=kept[3], meeting=meeting),
        register(service, 1, affiliation="LIS", command=kept[4], meeting=meeting),
        register(service, 1, Mode.REMOTE, command=kept[5], meeting=meeting),
        return_exceptions=True,
    )
    await asyncio.sleep(0.05)
    go.set()
    results = await attempts
    assert service.desk.batches == 1
    assert [type(r).__name__ for r in results[:5]] == [
        "RegistrationOutcome",
        "RegistrationOutcome",
        "RegistrationOutcome",
        "Cancellation",
        "RegistrationOutcome",
    ]
    assert isinstance(results[5], TooManyChanges)
    mine = await service.lookup(user_id=1)
    assert mine is not None and (mine.mode, mine.affiliation) == (Mode.IN_PERSON, "LIS")
    clock.now += MINUTE  # the next batch reads the same five from the store
    with pytest.raises(TooManyChanges):
        await ada.register(mode=Mode.REMOTE)


async def test_an_identical_register_does_not_count_and_is_never_refused(service, clock) -> None:
    ada = Member(service, clock, 1)
    await ada.register(affiliation="LIS")
    for _ in range(CHANGE_LIMIT_COUNT + 2):
        again = await ada.register(affiliation="LIS")
        assert again.change is Change.UNCHANGED
    for mode in (Mode.REMOTE, Mode.IN_PERSON, Mode.REMOTE, Mode.IN_PERSON):
        assert (await ada.register(mode=mode, affiliation="LIS")).change is Change.UPDATED
    # Five changes now: one more is refused, the same registration again is not.
    with pytest.raises(TooManyChanges):
        await ada.register(mode=Mode.REMOTE, affiliation="LIS")
    assert (await ada.register(affiliation="LIS")).change is Change.UNCHANGED


async def test_changes_without_a_kept_command_are_neither_limited_nor_counted(
    service, clock
) -> None:
    for mode in (Mode.IN_PERSON, Mode.REMOTE) * CHANGE_LIMIT_COUNT:
        assert (await register(service, 1, mode)).change in (Change.CREATED, Change.UPDATED)
    ada = Member(service, clock, 1)
    assert (await ada.register()).change is Change.UPDATED


async def test_changes_count_for_their_own_meeting_only(service, db, clock) -> None:
    ada = Member(service, clock, 1)
    await five_changes(ada, clock)
    meeting = await service.programme.active_meeting()
    since = BEFORE - MINUTE
    here = db.call(recent_changes, meeting=meeting, user_ids=[1, 2], since=since)
    assert here == {1: [BEFORE + n * MINUTE for n in range(CHANGE_LIMIT_COUNT)], 2: []}
    elsewhere = replace(meeting, slug="another-meeting")
    assert db.call(recent_changes, meeting=elsewhere, user_ids=[1], since=since) == {1: []}
    later = db.call(recent_changes, meeting=meeting, user_ids=[1], since=BEFORE + 2 * MINUTE)
    assert later == {1: [BEFORE + 3 * MINUTE, BEFORE + 4 * MINUTE]}
