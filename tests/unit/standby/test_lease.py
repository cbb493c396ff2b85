"""The lease on SQLite and PostgreSQL: claims, renewals, the fence, the store's clock, and the
election's deadlines when the store does not answer."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from functools import partial

import pytest
from sqlalchemy import update
from sqlmodel import Session

from bot.core.errors import Deposed, StoreUnavailable
from bot.standby import queries as store
from bot.standby.model import LeaseTerms
from bot.standby.service import Election, lease_store
from bot.store import state
from bot.store.db import Database
from bot.store.standby_models import LeaseRenewalRow, LeaseRow


@pytest.fixture
def other(database_url: str) -> Iterator[Database]:
    """A second connection to the same store: another instance."""
    database = Database(database_url)
    yield database
    database.close()


def claim(db: Database, me: str, seconds: float = 10.0) -> int | None:
    return db.call(store.claim, me=me, host="host", pid=1, seconds=seconds, write=True)


def lapse(db: Database) -> None:
    """The holder's lease ran out (its expiry put in the past, on the store's clock)."""

    def expire(session: Session) -> None:
        now = store.store_now(session)
        session.execute(
            update(LeaseRenewalRow).where(LeaseRenewalRow.id == 1).values(expires_at=now - 1)
        )

    db.call(expire, write=True)


def lease_row(db: Database) -> tuple[int, str | None, float | None]:
    def read(session: Session) -> tuple[int, str | None, float | None]:
        row = session.get_one(LeaseRow, 1)
        return row.epoch, row.holder, row.since

    return db.call(read)


# --- claim, renew, release ------------------------------------------------------------------


def test_a_fresh_store_gives_epoch_1_and_refuses_a_second_claimer(
    db: Database, other: Database
) -> None:
    assert db.call(store.read_holder).lapsed
    assert claim(db, "a") == 1
    assert claim(other, "b") is None
    holder = other.call(store.read_holder)
    assert (holder.epoch, holder.holder, holder.lapsed) == (1, "a", False)


def test_an_expired_lease_goes_to_the_next_claimer_and_the_deposed_cannot_renew(
    db: Database, other: Database
) -> None:
    assert claim(db, "a", seconds=0.3) == 1
    assert db.call(store.renew, me="a", epoch=1, seconds=0.3, write=True)
    time.sleep(0.5)
    assert other.call(store.read_holder).lapsed
    assert claim(other, "b") == 2
    assert not db.call(store.renew, me="a", epoch=1, seconds=10, write=True)
    assert not db.call(store.release, me="a", write=True)
    holder = db.call(store.read_holder)
    assert (holder.epoch, holder.holder, holder.lapsed) == (2, "b", False)


def test_a_released_lease_is_taken_at_once(db: Database, other: Database) -> None:
    assert claim(db, "a") == 1
    assert claim(other, "b") is None
    assert db.call(store.release, me="a", write=True)
    assert claim(other, "b") == 2


def test_racing_claimers_one_wins_each_round_and_epochs_rise(database_url: str) -> None:
    claimers = [Database(database_url) for _ in range(3)]
    try:
        epochs: list[int] = []
        for round_ in range(6):
            barrier = threading.Barrier(len(claimers))
            won: list[tuple[str, int | None]] = []

            def race(
                db: Database,
                me: str,
                barrier: threading.Barrier = barrier,
                won: list[tuple[str, int | None]] = won,
            ) -> None:
                barrier.wait()
                won.append((me, claim(db, me)))

            threads = [
                threading.Thread(target=race, args=(db, f"c{i}-{round_}"))
                for i, db in enumerate(claimers)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=30)
            winners = [(me, epoch) for me, epoch in won if epoch is not None]
            assert len(won) == len(claimers)
            assert len(winners) == 1, won
            me, epoch = winners[0]
            assert epoch is not None
            epochs.append(epoch)
            holder = claimers[0].call(store.read_holder)
            assert (holder.holder, holder.epoch) == (me, epoch)
            lapse(claimers[0])
        assert epochs == sorted(set(epochs)) and epochs[0] == 1
    finally:
        for db in claimers:
            db.close()


# --- the fence ------------------------------------------------------------------------------


def test_the_fence_refuses_the_writes_of_a_deposed_holder(
    database_url: str, other: Database
) -> None:
    fenced = Database(database_url)
    try:
        assert claim(other, "a", seconds=0.2) == 1
        fenced.fence = partial(store.check_epoch, epoch=1)
        fenced.call(state.set_state, key="before", value="1", write=True)
        time.sleep(0.3)
        assert claim(other, "b") == 2
        with pytest.raises(Deposed, match="epoch 2"):
            fenced.call(state.set_state, key="after", value="1", write=True)
        assert isinstance(Deposed("x"), StoreUnavailable)
        # Reads are not fenced; what the deposed holder tried is not there.
        assert fenced.call(state.get_state, key="before") == "1"
        assert fenced.call(state.get_state, key="after") is None
        assert other.call(state.get_state, key="after") is None
    finally:
        fenced.close()


@pytest.mark.postgres
def test_a_claim_waits_for_a_fenced_write_under_way(postgres_url: str) -> None:
    """The write began before the takeover: it lands, and the new epoch starts after it."""
    plain = Database(postgres_url)
    fenced = Database(postgres_url)
    taker = Database(postgres_url)
    try:
        assert claim(plain, "a", seconds=0.3) == 1
        fenced.fence = partial(store.check_epoch, epoch=1)
        fence_ran, go_on = threading.Event(), threading.Event()
        committed_at: list[float] = []

        def slow_write(session: Session) -> None:
            fence_ran.set()
            assert go_on.wait(timeout=30)
            state.set_state(session, key="slow", value="landed")
            committed_at.append(store.store_now(session))  # the commit follows at once

        writer = threading.Thread(target=fenced.call, args=(slow_write,), kwargs={"write": True})
        writer.start()
        assert fence_ran.wait(timeout=10)
        time.sleep(0.4)  # the lease ran out meanwhile
        claimed: list[int | None] = []
        claimer = threading.Thread(target=lambda: claimed.append(claim(taker, "b")))
        claimer.start()
        claimer.join(timeout=0.8)
        assert claimer.is_alive() and claimed == []  # held up by the write's shared lock
        go_on.set()
        writer.join(timeout=10)
        claimer.join(timeout=10)
        assert claimed == [2]
        assert plain.call(state.get_state, key="slow") == "landed"
        epoch, holder, since = lease_row(plain)
        assert (epoch, holder) == (2, "b")
        assert since is not None and since >= committed_at[0]
    finally:
        for db in (plain, fenced, taker):
            db.close()


@pytest.mark.postgres
def test_a_claim_blocked_past_its_lock_timeout_fails_instead_of_hanging(
    postgres_url: str,
) -> None:
    terms = LeaseTerms(3)
    plain = Database(postgres_url)
    fenced = Database(postgres_url)
    taker = lease_store(postgres_url, terms)
    go_on = threading.Event()
    try:
        assert claim(plain, "a", seconds=0.2) == 1
        fenced.fence = partial(store.check_epoch, epoch=1)
        fence_ran = threading.Event()

        def slow_write(session: Session) -> None:
            fence_ran.set()
            go_on.wait(timeout=30)

        writer = threading.Thread(target=fenced.call, args=(slow_write,), kwargs={"write": True})
        writer.start()
        assert fence_ran.wait(timeout=10)
        time.sleep(0.3)
        started = time.monotonic()
        with pytest.raises(StoreUnavailable):
            claim(taker, "b")
        assert time.monotonic() - started < terms.seconds
        go_on.set()
        writer.join(timeout=10)
        assert lease_row(plain)[:2] == (1, "a")  # the failed claim changed nothing
        assert claim(taker, "b") == 2
    finally:
        go_on.set()
        for db in (plain, fenced, taker):
            db.close()


@pytest.mark.postgres
def test_a_renewal_left_open_by_a_silent_holder_does_not_block_the_takeover(
    postgres_url: str,
) -> None:
    """A holder cut off after its renewal's UPDATE and before its COMMIT keeps the renewal row
    locked; the store ends its transaction, so a standby can still take the lease."""
    terms = LeaseTerms(3)
    holder_store = lease_store(postgres_url, terms)
    taker = lease_store(postgres_url, terms)
    go_on = threading.Event()
    try:
        assert claim(holder_store, "a", seconds=0.5) == 1
        renewed = threading.Event()
        outcome: list[object] = []

        def renew_then_fall_silent(session: Session) -> None:
            assert store.renew(session, me="a", epoch=1, seconds=0.5)
            renewed.set()
            go_on.wait(timeout=30)

        def holder() -> None:
            try:
                holder_store.call(renew_then_fall_silent, write=True)
                outcome.append("committed")
            except StoreUnavailable as error:
                outcome.append(error)

        thread = threading.Thread(target=holder)
        thread.start()
        assert renewed.wait(timeout=10)
        deadline = time.monotonic() + 4 * terms.seconds
        epoch = None
        while epoch is None and time.monotonic() < deadline:
            with contextlib.suppress(StoreUnavailable):  # the lock is held: tried again
                epoch = claim(taker, "b", seconds=10)
            if epoch is None:
                time.sleep(terms.poll_every)
        assert epoch == 2
        go_on.set()
        thread.join(timeout=10)
        assert len(outcome) == 1 and isinstance(outcome[0], StoreUnavailable)
        holder_now = taker.call(store.read_holder)
        assert (holder_now.epoch, holder_now.holder) == (2, "b")
    finally:
        go_on.set()
        holder_store.close()
        taker.close()


# --- the store's clock ----------------------------------------------------------------------


def test_the_store_clock_is_the_one_used(
    db: Database, other: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert abs(db.call(store.store_now) - time.time()) < 5
    assert claim(db, "a", seconds=60) == 1
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 3600)
    holder = other.call(store.read_holder)
    assert not holder.lapsed
    assert holder.expires_at is not None and holder.expires_at - holder.now > 50
    assert claim(other, "b") is None


# --- the election ---------------------------------------------------------------------------


def test_lease_terms() -> None:
    terms = LeaseTerms(12)
    assert terms.renew_every == 4
    assert terms.margin == 3
    assert terms.poll_every == 0.5
    assert terms.store_timeout == 4
    assert terms.gone_after == 36
    assert terms.valid_until(100.0) == 109.0
    assert LeaseTerms(3).poll_every == 0.5
    assert LeaseTerms(1.2).poll_every == pytest.approx(0.2)
    # The holder stops before the store's expiry: valid_until precedes start + seconds.
    assert LeaseTerms(3).valid_until(0) < 3


async def test_hold_returns_by_valid_until_when_the_store_never_answers(
    migrated_sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    terms = LeaseTerms(3)
    election = Election(lease_store(migrated_sqlite_url, terms), terms)
    silent = threading.Event()
    try:
        assert await election.stand_by() == 1
        assert election.holds()
        real_call = election.db.call

        def never_answers(*args, **kwargs):
            silent.wait(timeout=60)
            return real_call(*args, **kwargs)

        monkeypatch.setattr(election.db, "call", never_answers)
        started = time.monotonic()
        valid_until = election._valid_until
        why = await asyncio.wait_for(election.hold(), terms.seconds + 1)
        assert why == "no renewal reached the store in time"
        assert time.monotonic() <= valid_until + 0.5
        assert time.monotonic() - started < terms.seconds
        assert not election.holds() and election.epoch is None
        await asyncio.sleep(0.1)
        assert not election.holds()
    finally:
        silent.set()
        election.db.abandon()


async def test_stand_by_polls_through_an_outage_and_takes_the_lease_when_it_comes_back(
    migrated_sqlite_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    terms = LeaseTerms(3)
    election = Election(lease_store(migrated_sqlite_url, terms), terms)
    real_call = election.db.call
    tries = 0

    def down(*args, **kwargs):
        nonlocal tries
        tries += 1
        raise StoreUnavailable("connection refused")

    monkeypatch.setattr(election.db, "call", down)
    try:
        standing_by = asyncio.create_task(election.stand_by())
        await asyncio.sleep(4 * terms.poll_every)
        assert not standing_by.done()
        assert tries >= 2
        assert "did not answer the standby's look" in caplog.text
        monkeypatch.setattr(election.db, "call", real_call)
        assert await asyncio.wait_for(standing_by, 10) == 1
        assert election.holds()
    finally:
        election.db.abandon()


@pytest.mark.postgres
def test_a_silent_line_fails_the_store_s_connections_instead_of_hanging_them(
    postgres_url: str,
) -> None:
    """libpq is told to give up on a line that stops acknowledging or answering TCP's probes,
    for the lease's engine (within the lease) and the bot's (within the connect timeout).
    A partition cannot be played on this machine's loopback, whose kernel acknowledges all:
    what is checked is what each connection was told."""
    terms = LeaseTerms(6)
    for database, expected_ms in (
        (lease_store(postgres_url, terms), str(max(1000, int(terms.store_timeout * 1000)))),
        (Database(postgres_url), "10000"),
    ):
        try:
            with database.engine.connect() as connection:
                told = connection.connection.dbapi_connection.info.get_parameters()
        finally:
            database.close()
        assert told["keepalives"] == "1"
        assert told["keepalives_count"] == "3"
        assert told["tcp_user_timeout"] == expected_ms
