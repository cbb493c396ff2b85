"""The election: stand by until the lease lapses, take it, keep it, give it up.

The lease has a store connection of its own (`bot.store.db.Database` with a timeout), so a
renewal never queues behind the bot's work, and each of its transactions has a deadline well
inside the lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from sqlmodel import Session

from bot.core.errors import StoreUnavailable
from bot.standby import queries as store
from bot.standby.model import Holder, Instance, LeaseTerms, Role, instance_id
from bot.store.db import Database, sqlite_file_missing

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Instances unheard of for a day are forgotten.
FORGET_AFTER = 86_400.0


def _settle_from_thread(
    loop: asyncio.AbstractEventLoop,
    future: asyncio.Future[T],
    job: Callable[[], T],
    done: threading.Event,
) -> None:
    try:
        result = job()
    except BaseException as error:  # handed to the waiting coroutine
        outcome: tuple[T | None, BaseException | None] = (None, error)
    else:
        outcome = (result, None)
    finally:
        done.set()

    def settle() -> None:
        if future.done():  # given up on: the outcome goes nowhere
            return
        if outcome[1] is not None:
            future.set_exception(outcome[1])
        else:
            future.set_result(outcome[0])  # type: ignore[arg-type]

    with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
        loop.call_soon_threadsafe(settle)


def _boot_clock() -> float:
    """Seconds on a clock that never goes back and, unlike `time.monotonic`, counts the time
    the machine was suspended: a holder woken from a suspend sees its lease gone."""
    return time.clock_gettime(time.CLOCK_BOOTTIME)


def _stamp(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


class Election:
    """This instance's part in the election held in the store."""

    def __init__(
        self,
        db: Database,
        terms: LeaseTerms,
        *,
        host: str | None = None,
        pid: int | None = None,
        monotonic: Callable[[], float] = _boot_clock,
    ) -> None:
        self.db = db
        self.terms = terms
        self.host = host or socket.gethostname()
        self.pid = os.getpid() if pid is None else pid
        self.me = instance_id(self.host, self.pid, secrets.token_hex(3))
        self.monotonic = monotonic
        #: The epoch this instance holds, while it holds the lease.
        self.epoch: int | None = None
        self._valid_until = float("-inf")
        self._renewal_started = float("-inf")
        self._started_at: float | None = None
        self._last_said = float("-inf")
        self._worker_done = threading.Event()  # set: no lease transaction under way
        self._worker_done.set()

    def holds(self) -> bool:
        """Whether this instance may act as the active one now: the bot asks before each call
        to Discord, so that nothing is sent once the lease may have gone to another."""
        return self.epoch is not None and self.monotonic() < self._valid_until

    def fence(self) -> Callable[[Session], None]:
        """The check the store runs first in each writing transaction of this active."""
        assert self.epoch is not None, "only the holder fences its writes"
        return functools.partial(store.check_epoch, epoch=self.epoch)

    async def _run(
        self, fn: Callable[..., T], /, within: float | None = None, write: bool = True, **kwargs
    ) -> T:
        """One lease transaction in a thread of its own, given up after `within` seconds (by default
        the terms' store timeout). A thread hung on a silent network is left behind, its
        connection never reused, and no other starts until it comes back: a partition costs
        one thread, not one a look. One that comes back within the deadline is waited for: a
        renewal given up on ends by the store's own timeout just as the retry is due."""
        loop = asyncio.get_running_loop()
        within = within or self.terms.store_timeout
        deadline = loop.time() + within
        while not self._worker_done.is_set():
            if loop.time() >= deadline:
                raise TimeoutError("the last lease transaction has not come back")
            await asyncio.sleep(0.005)
        future: asyncio.Future[T] = loop.create_future()
        job = functools.partial(self.db.call, fn, write=write, **kwargs)
        done = self._worker_done = threading.Event()
        threading.Thread(
            target=_settle_from_thread,
            args=(loop, future, job, done),
            name="amphi-lease",
            daemon=True,
        ).start()
        return await asyncio.wait_for(future, max(deadline - loop.time(), 0.001))

    async def _say(self, role: Role, *, force: bool = False, within: float | None = None) -> None:
        """Tell the others what this instance does, at most once a renewal period."""
        now = self.monotonic()
        if not force and now - self._last_said < self.terms.renew_every:
            return
        if self._started_at is None:
            self._started_at = await self._run(store.store_now, within=within, write=False)
        started_at = self._started_at
        await self._run(
            store.say,
            within=within,
            me=self.me,
            host=self.host,
            pid=self.pid,
            role=role,
            started_at=started_at,
        )
        self._last_said = now

    async def stand_by(self) -> int:
        """Wait until this instance takes the lease; its epoch. Says once who it waits for."""
        announced = False
        while True:
            try:
                await self._say(Role.STANDBY)
                holder = await self._run(store.read_holder, write=False)
                if holder.holder == self.me:
                    # Claimed by a transaction whose answer came too late: give it back, and
                    # claim it properly at the next look.
                    await self._run(store.release, me=self.me)
                elif holder.lapsed:
                    started = self.monotonic()
                    epoch = await self._run(
                        store.claim,
                        me=self.me,
                        host=self.host,
                        pid=self.pid,
                        seconds=self.terms.seconds,
                    )
                    if epoch is not None:
                        self.epoch = epoch
                        self._renewal_started = started
                        self._valid_until = self.terms.valid_until(started)
                        log.info(
                            "Active: instance %s holds the lease (epoch %d); connecting to Discord",
                            self.me,
                            epoch,
                        )
                        with contextlib.suppress(StoreUnavailable, TimeoutError):
                            await self._say(Role.ACTIVE, force=True)
                        return epoch
                elif not announced:
                    log.info(
                        "Standing by: instance %s waits; the active is %s pid %d (epoch %d) "
                        "since %s, its lease renewed %s",
                        self.me,
                        holder.host,
                        holder.pid,
                        holder.epoch,
                        _stamp(holder.since),
                        _stamp(holder.renewed_at),
                    )
                    announced = True
            except (StoreUnavailable, TimeoutError) as error:
                log.warning("The store did not answer the standby's look at the lease: %s", error)
            await asyncio.sleep(self.terms.poll_every)

    async def hold(self) -> str:
        """Renew the lease until it is lost; why it was lost. Returns at the latest when this
        instance may no longer act on it, even if the store never answers."""
        assert self.epoch is not None
        epoch = self.epoch
        # Counted from the claim: the time taken to open the store and connect is no excuse.
        next_renewal = self._renewal_started + self.terms.renew_every
        while True:
            deadline = self._valid_until
            await asyncio.sleep(max(min(next_renewal, deadline) - self.monotonic(), 0))
            if self.monotonic() >= self._valid_until:
                return self._lose("no renewal reached the store in time")
            started = self.monotonic()
            try:
                renewed = await self._run(
                    store.renew,
                    within=max(min(self.terms.store_timeout, deadline - started), 0.01),
                    me=self.me,
                    epoch=epoch,
                    seconds=self.terms.seconds,
                )
            except (StoreUnavailable, TimeoutError) as error:
                log.warning(
                    "Could not renew the lease (epoch %d): %s", epoch, str(error) or "timeout"
                )
                next_renewal = started + min(1.0, self.terms.renew_every)
                continue
            if not renewed:
                return self._lose("another instance took the lease")
            self._valid_until = self.terms.valid_until(started)
            next_renewal = started + self.terms.renew_every
            # The renewal is what matters: the listing may not delay the next one, and catches
            # up next time.
            with contextlib.suppress(StoreUnavailable, TimeoutError):
                await self._say(Role.ACTIVE, within=self.terms.renew_every / 2)

    def _lose(self, why: str) -> str:
        log.warning("Lost the lease (epoch %s): %s; standing by", self.epoch, why)
        self.epoch = None
        self._valid_until = float("-inf")
        return why

    async def release(self) -> None:
        """Give the lease up at once, for a graceful stop: a standby takes it at its next look.
        Also a lease claimed by a transaction whose answer this instance stopped waiting for."""
        epoch, self.epoch = self.epoch, None
        self._valid_until = float("-inf")
        try:
            if await self._run(store.release, me=self.me):
                if epoch is None:  # claimed by a transaction whose answer came too late
                    log.info("Released the lease")
                else:
                    log.info("Released the lease (epoch %d)", epoch)
        except (StoreUnavailable, TimeoutError) as error:
            log.warning("Could not release the lease; it lapses by itself: %s", error)

    async def leave(self) -> None:
        """Say this instance stopped, and forget the instances gone for a day."""
        try:
            await self._say(Role.STOPPED, force=True)
            await self._run(store.forget_instances, older_than=FORGET_AFTER)
        except (StoreUnavailable, TimeoutError) as error:
            log.warning("Could not say this instance stopped: %s", error)


def instances(db: Database, terms: LeaseTerms) -> tuple[Holder, list[Instance]]:
    """The lease and the instances heard of lately (for `amphi status`, `health`, `doctor`;
    blocking)."""
    return db.call(store.instances, within=terms.gone_after)


def look(url: str, terms: LeaseTerms, *, within: float) -> tuple[Holder, list[Instance]]:
    """`instances` read on a connection of its own within `within` seconds, or not at all: for
    `amphi health` and `amphi doctor`, which must answer even when the store does not.

    Raises StoreUnavailable when the store is not there (a SQLite file is never created), holds
    no election yet (never migrated), cannot be reached or did not answer in time; a transaction
    hung on a silent network is left behind in a daemon thread, which the process's exit ends.
    """
    answer: list[tuple[Holder, list[Instance]]] = []
    failure: list[str] = []

    def read() -> None:
        try:
            if sqlite_file_missing(url):
                raise StoreUnavailable("no store there yet")
            db = Database(url, workers=1, timeout=within)
            try:
                answer.append(instances(db, terms))
            finally:
                db.close()
        except Exception as error:  # whatever it is, the operator reads one line of it
            failure.append(_one_line(error))

    reader = threading.Thread(target=read, name="amphi-look", daemon=True)
    reader.start()
    reader.join(within)
    if answer:
        return answer[0]
    if failure:
        raise StoreUnavailable(failure[0])
    raise StoreUnavailable(f"no answer within {within:g} s")


def _one_line(error: Exception) -> str:
    """The driver's message on one line, without SQLAlchemy's "(psycopg.OperationalError) "."""
    text = str(error).strip()
    if not text:
        return type(error).__name__
    return re.sub(r"^\([\w.]+\) ", "", text.splitlines()[0])


def lease_store(url: str, terms: LeaseTerms) -> Database:
    """The lease's own connection to the store, every transaction bounded by the terms."""
    return Database(url, workers=1, timeout=terms.store_timeout)
