"""The registration desk: the writes that take or free seats queue here and commit together.

When 1,000 people register in the same second, one transaction each would mean 1,000 commits in
a row (and 1,000 disk flushes on PostgreSQL) behind the meeting's lock. The desk instead runs
everything queued so far in one transaction, in arrival order, so seats still go first come,
first served; when it is quiet a batch is one request and costs what a lone transaction did.

A refusal (registration closed, remote places full) is its request's alone. If a batch fails
as a whole, nothing of it was written: an unreachable database fails every request in it, with
the error the user is told about; any other error sends its requests through again one by one,
so that one request's problem never becomes another's.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.core.errors import is_unavailable
from bot.programme.model import Meeting
from bot.registration import seating
from bot.store.db import Database

log = logging.getLogger(__name__)

MAX_BATCH = 100
#: Requests told their result per turn of the event loop: each goes on to answer its member, and
#: a whole batch's answers in one turn would hold up everything else (gateway events, pings).
RESUME_AT_ONCE = 16


@dataclass(eq=False)
class _Pending:
    meeting: Meeting
    job: seating.Job
    future: asyncio.Future[Any] = field(repr=False)


class RegistrationDesk:
    """Queues seat-changing jobs and runs them in shared transactions, in order."""

    def __init__(self, db: Database, max_batch: int = MAX_BATCH) -> None:
        self.db = db
        self.max_batch = max_batch
        # Awaited when a run of the queue starts, which then drains it (None: at once). The
        # requests that arrive meanwhile share the run's first transaction.
        self.settle: Callable[[], Awaitable[None]] | None = None
        self.batches = 0  # transactions run so far
        self._queue: deque[_Pending] = deque()
        self._worker: asyncio.Task[None] | None = None

    async def submit(self, meeting: Meeting, job: seating.Job) -> Any:
        """Apply `job` in the next batch (its kept command marked applied in the same
        transaction); its result, or its refusal raised."""
        future = asyncio.get_running_loop().create_future()
        self._queue.append(_Pending(meeting, job, future))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._work(), name="amphi-registration-desk")
        return await future

    async def _work(self) -> None:
        batch: list[_Pending] = []
        try:
            if self.settle is not None:
                await self.settle()
            while self._queue:
                batch = self._next_batch()
                results = await self._results(batch)
                for index, (pending, result) in enumerate(zip(batch, results, strict=True)):
                    if index and index % RESUME_AT_ONCE == 0:
                        await asyncio.sleep(0)
                    if pending.future.done():  # the waiting command was cancelled
                        continue
                    if isinstance(result, BaseException):
                        pending.future.set_exception(result)
                    else:
                        pending.future.set_result(result)
        except BaseException as error:
            # Stopped (the bot is closing) or broken: nobody may wait for ever.
            for pending in [*batch, *self._queue]:
                if pending.future.done():
                    continue
                if isinstance(error, Exception):
                    pending.future.set_exception(error)
                else:
                    pending.future.cancel()
            self._queue.clear()
            raise

    async def _results(self, batch: list[_Pending]) -> list[Any]:
        try:
            return await self._run(batch)
        except Exception as error:
            if len(batch) == 1 or is_unavailable(error):
                return [error] * len(batch)
            log.warning(
                "A batch of %d registrations failed; retrying each alone: %r", len(batch), error
            )
            return [await self._run_alone(pending) for pending in batch]

    def _next_batch(self) -> list[_Pending]:
        """The oldest requests, up to `max_batch`, all for the same meeting."""
        first = self._queue.popleft()
        batch = [first]
        while self._queue and len(batch) < self.max_batch:
            if self._queue[0].meeting.slug != first.meeting.slug:
                break
            batch.append(self._queue.popleft())
        return batch

    async def _run(self, batch: list[_Pending]) -> list[Any]:
        self.batches += 1
        return await self.db.run(
            seating.run_batch,
            meeting=batch[0].meeting,
            jobs=[p.job for p in batch],
            write=True,
        )

    async def _run_alone(self, pending: _Pending) -> Any:
        try:
            [result] = await self._run([pending])
        except Exception as error:
            return error
        return result
