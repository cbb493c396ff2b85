"""The election's edges: which of several outcomes counts, the first renewal counted from the
claim, a lease this instance holds without knowing it, one SQLite writer lock per file, and the
bot failed by its store as it starts."""

from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace
from typing import Any

import pytest

from bot import app
from bot.core.errors import StoreUnavailable
from bot.standby import queries as store
from bot.standby.model import LeaseTerms
from bot.standby.service import Election, lease_store
from bot.store.db import Database

TERMS = LeaseTerms(3.0)  # renewed every second; valid 2.25 s after a renewal starts


# --- _first ---------------------------------------------------------------------------------


async def _value(value: int) -> int:
    return value


async def _failing(message: str) -> int:
    raise RuntimeError(message)


async def test_of_outcomes_finished_together_the_first_given_counts() -> None:
    # Several pairs: whatever order a set of finished tasks iterates in, the first given wins.
    for _ in range(10):
        assert await app._first(_value(1), _value(2)) == 1
        assert await app._first(_value(2), _value(1)) == 2
        with pytest.raises(RuntimeError, match="first"):
            await app._first(_failing("first"), _value(2))
        assert await app._first(_value(1), _failing("second")) == 1


async def test_first_cancels_what_has_not_finished() -> None:
    never = asyncio.get_running_loop().create_future()
    assert await app._first(_value(3), never) == 3
    assert never.cancelled()


# --- the election ---------------------------------------------------------------------------


@pytest.fixture
async def election(database_url: str):
    chosen = Election(lease_store(database_url, TERMS), TERMS)
    yield chosen
    chosen.db.abandon()


async def test_the_first_renewal_is_due_a_renewal_period_after_the_claim(
    election: Election, db: Database
) -> None:
    """Opening the store and connecting took longer than a renewal period: hold() renews at
    once, before the lease taken at the claim runs out."""
    assert await election.stand_by() == 1
    claimed = db.call(store.read_holder)
    await asyncio.sleep(TERMS.renew_every + 0.5)  # 1.5 s of the 2.25 s the claim is good for
    holding = asyncio.ensure_future(election.hold())
    try:
        await asyncio.sleep(1.5)  # past the claim's validity
        assert not holding.done(), holding.result()
        assert election.holds()
        renewed = db.call(store.read_holder)
        assert (renewed.epoch, renewed.holder) == (1, election.me)
        assert renewed.renewed_at is not None and claimed.renewed_at is not None
        assert renewed.renewed_at > claimed.renewed_at
    finally:
        holding.cancel()
        await asyncio.gather(holding, return_exceptions=True)


async def test_release_gives_back_a_lease_claimed_without_an_epoch_known(
    election: Election, db: Database
) -> None:
    """The claim's answer never came back (its epoch unknown to the instance): released all the
    same, so a standby need not wait for it to lapse."""
    assert db.call(store.claim, me=election.me, host="h", pid=1, seconds=60, write=True) == 1
    assert election.epoch is None
    await election.release()
    holder = db.call(store.read_holder)
    assert holder.holder is None and holder.lapsed
    assert db.call(store.claim, me="other", host="h", pid=2, seconds=60, write=True) == 2


async def test_a_standby_that_holds_the_lease_unknowingly_gives_it_back_and_claims_it_anew(
    election: Election, db: Database
) -> None:
    """A claim given up on that reached the store: the lease names this instance, which waits
    for no one — it gives the lease back and takes it properly, with a higher epoch."""
    assert db.call(store.claim, me=election.me, host="h", pid=1, seconds=60, write=True) == 1
    assert election.epoch is None
    epoch = await asyncio.wait_for(election.stand_by(), 10)
    assert epoch == 2 and election.epoch == 2 and election.holds()
    holder = db.call(store.read_holder)
    assert (holder.epoch, holder.holder, holder.lapsed) == (2, election.me, False)


def test_databases_on_one_sqlite_file_share_one_writer_lock(
    migrated_sqlite_url: str, tmp_path
) -> None:
    bot_store = Database(migrated_sqlite_url)
    lease = lease_store(migrated_sqlite_url, TERMS)
    relative = Database("sqlite:///" + str(tmp_path / "." / "amphi.sqlite3"))
    elsewhere = Database(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    try:
        assert bot_store._sqlite_writer is not None
        assert lease._sqlite_writer is bot_store._sqlite_writer
        assert relative._sqlite_writer is bot_store._sqlite_writer
        assert elsewhere._sqlite_writer is not bot_store._sqlite_writer
        # The lease's write queues behind the bot's writer instead of racing it into SQLite.
        claimed: list[int | None] = []
        with bot_store._sqlite_writer:
            claimer = threading.Thread(
                target=lambda: claimed.append(
                    lease.call(store.claim, me="a", host="h", pid=1, seconds=10, write=True)
                )
            )
            claimer.start()
            claimer.join(0.3)
            assert claimer.is_alive() and claimed == []
        claimer.join(10)
        assert claimed == [1]
    finally:
        for database in (bot_store, lease, relative, elsewhere):
            database.close()


# --- the bot failed by its store as it starts -----------------------------------------------


class FailingBot:
    """A bot whose start fails on the store (its command sync, say)."""

    def __init__(self) -> None:
        self.may_send: Any = None
        self.stepped_down: list[float] = []
        self.handed_over: list[float] = []

    async def __aenter__(self) -> FailingBot:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def start(self, token: str) -> None:
        await asyncio.sleep(0.05)
        raise StoreUnavailable("could not reach the store")

    async def step_down(self, within: float) -> None:
        self.stepped_down.append(within)

    async def hand_over(self, within: float) -> None:
        self.handed_over.append(within)


class HeldLease:
    """An election whose lease holds for as long as it is asked."""

    terms = TERMS

    def __init__(self) -> None:
        self.released = False

    def holds(self) -> bool:
        return True

    async def hold(self) -> str:
        await asyncio.sleep(3600)
        return "never"

    async def release(self) -> None:
        self.released = True


async def test_a_store_failing_the_bot_as_it_starts_is_a_lost_lease_not_a_crash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bot = FailingBot()
    monkeypatch.setattr(app, "create_bot", lambda services: bot)
    services = SimpleNamespace(settings=SimpleNamespace(discord_token=SimpleNamespace(reveal=str)))
    election = HeldLease()
    outcome = await asyncio.wait_for(
        app._run_active(services, election, asyncio.Event()),  # type: ignore[arg-type]
        5,
    )
    assert outcome != app.STOPPED
    assert "the store failed as the bot started" in outcome
    assert "could not reach the store" in outcome
    assert bot.stepped_down == [TERMS.margin]  # off Discord before standing by again
    assert bot.handed_over == [] and not election.released
