"""Kept commands: state-changing commands are written down before they are acknowledged.

Writes group themselves: every command that arrives while one write is under way goes into the
next, so a burst of 1,000 `/register` costs a few transactions, and a command waits for at most
one write before its "thinking…". The rules of what a restart does are in
`bot.kept.model`; the effect's own transaction marks its command applied
(`bot.kept.queries.apply_kept`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.core.clock import Clock
from bot.kept import queries as store
from bot.kept.model import (
    FIRST_PRUNE_AFTER,
    PRUNE_EVERY,
    KeptCommand,
    KeptState,
    prune_before,
)
from bot.store.db import Database

log = logging.getLogger(__name__)

SWEEP_SECONDS = 30.0
FLUSH_GAP = 0.005
MAX_ATTEMPTS = 5  # a command that fails this often waits for the next restart
PRUNE_BATCH = 5_000  # commands deleted per transaction: none holds the store long

#: Finishes one command after a restart: applies it if it was not, then answers it.
Finish = Callable[[KeptCommand], Awaitable[None]]


class KeptCommands:
    """Keeps acknowledged commands until they are answered, and finishes them after a restart."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._waiting: list[tuple[KeptCommand, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._answered: list[int] = []
        self._marker: asyncio.Task[None] | None = None
        self._finishers: dict[str, Finish] = {}
        # Commands this run is still handling: the sweep leaves them alone. Those written down
        # (acknowledged with "thinking…") are also in `_kept`.
        self._in_flight: set[int] = set()
        self._kept: set[int] = set()
        self._finishing: set[int] = set()  # answered; the mark not written yet
        self._told_refused: set[int] = set()  # of those, the ones told their refusal
        self._failures: dict[int, int] = {}
        self._last_write = float("-inf")
        self._next_prune: datetime | None = None

    def track(self, interaction_id: int) -> None:
        """This run handles the command: a sweep must not finish it meanwhile (its effect may
        write it down as applied before it is answered)."""
        self._in_flight.add(interaction_id)

    async def keep(self, command: KeptCommand) -> None:
        """Return once `command` is in the store: from then on it may be acknowledged."""
        future = asyncio.get_running_loop().create_future()
        self._in_flight.add(command.interaction_id)
        self._kept.add(command.interaction_id)
        self._waiting.append((command, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="amphi-kept-commands-write")
        await future

    async def _write(self) -> None:
        loop = asyncio.get_running_loop()
        while self._waiting:
            # At most one write per FLUSH_GAP: in a burst, fewer and larger transactions leave
            # the interpreter to the event loop; a lone command is written at once.
            await asyncio.sleep(max(self._last_write + FLUSH_GAP - loop.time(), 0))
            self._last_write = loop.time()
            batch, self._waiting = self._waiting, []
            try:
                await self.db.run(store.record, commands=[c for c, _ in batch], write=True)
            except Exception as error:
                for command, future in batch:
                    self._kept.discard(command.interaction_id)
                    if not future.done():
                        future.set_exception(error)
            else:
                for _, future in batch:
                    if not future.done():
                        future.set_result(None)

    def answered(self, interaction_id: int) -> None:
        """The member has the answer: nothing is left to do (written soon, grouped; the sweep
        leaves the command alone until it is written)."""
        self._kept.discard(interaction_id)
        self._failures.pop(interaction_id, None)
        self._finishing.add(interaction_id)
        self._answered.append(interaction_id)
        if self._marker is None or self._marker.done():
            self._marker = asyncio.create_task(self._mark(), name="amphi-command-answered")

    async def _mark(self) -> None:
        while self._answered:
            batch, self._answered = self._answered, []
            refused = self._told_refused.intersection(batch)
            self._told_refused.difference_update(refused)
            try:
                await self.db.run(
                    store.mark_answered,
                    interaction_ids=batch,
                    now=self.clock(),
                    told_refused=refused,
                    write=True,
                )
                self._in_flight.difference_update(batch)
                self._finishing.difference_update(batch)
            except Exception:
                # Harmless: a restart answers these again with the same words.
                log.warning(
                    "Could not mark %d answered commands; a restart re-answers them",
                    len(batch),
                    exc_info=True,
                )

    async def flush(self) -> None:
        """Wait for the writes under way (before the bot closes)."""
        for task in (self._writer, self._marker):
            if task is not None:
                await asyncio.gather(task, return_exceptions=True)

    def holds(self, interaction_id: int) -> bool:
        """Whether this run wrote the command down and has not finished it."""
        return interaction_id in self._kept

    def after_error(self, interaction_id: int, *, told: bool) -> None:
        """A command of this run ended in an error: answered when its refusal was `told` (and
        forgotten, as nothing is left for a restart), else left for the next sweep to finish.
        Commands this run does not handle are ignored."""
        if interaction_id not in self._in_flight or interaction_id in self._finishing:
            return
        if told:
            self._told_refused.add(interaction_id)
            self.answered(interaction_id)
        else:
            self._in_flight.discard(interaction_id)
            self._kept.discard(interaction_id)

    def finish_with(self, kind: str, finisher: Finish) -> None:
        """After a restart, commands of `kind` are finished by `finisher`."""
        self._finishers[kind] = finisher

    async def finish_unfinished(self) -> int:
        """Finish every kept command that no handler of this run is working on; how many.

        At start these are the commands a previous run acknowledged but did not answer; later,
        those whose handling failed (the database was unreachable, say). They run together, in
        the order they came, so the registration desk batches them as it would have.
        """
        commands = [
            c
            for c in await self.db.run(store.unfinished)
            if c.interaction_id not in self._in_flight
            and self._failures.get(c.interaction_id, 0) < MAX_ATTEMPTS
        ]
        results = await asyncio.gather(*(self._finish(c) for c in commands))
        finished = sum(results)
        if commands:
            log.info("Finished %d of %d kept command(s)", finished, len(commands))
        return finished

    async def _finish(self, command: KeptCommand) -> bool:
        finisher = self._finishers.get(command.kind)
        if finisher is None:
            log.error("No finisher for kept command %s (%s)", command.interaction_id, command.kind)
            self._failures[command.interaction_id] = MAX_ATTEMPTS
            return False
        self._in_flight.add(command.interaction_id)
        try:
            await finisher(command)
        except Exception:
            self._in_flight.discard(command.interaction_id)
            self._kept.discard(command.interaction_id)
            self._failures[command.interaction_id] = (
                self._failures.get(command.interaction_id, 0) + 1
            )
            log.exception(
                "Could not finish command %s (%s) of user %s",
                command.interaction_id,
                command.kind,
                command.user_id,
            )
            return False
        self.answered(command.interaction_id)
        return True

    async def keep_finishing(self, interval: float = SWEEP_SECONDS) -> None:
        """Finish what the last run left, then sweep for failed commands every `interval`,
        pruning the journal when it is time."""
        while True:
            try:
                await self.finish_unfinished()
            except Exception:
                log.exception("Could not read the kept commands; trying again in %g s", interval)
            await self.prune_when_due()
            await asyncio.sleep(interval)

    async def prune_when_due(self) -> int:
        """Prune the journal once every PRUNE_EVERY by the clock, the first time
        FIRST_PRUNE_AFTER after the first call (once the start's work is done); how many
        commands were deleted. A failure is logged and waits for the next time."""
        now = self.clock()
        if self._next_prune is None:
            self._next_prune = now + FIRST_PRUNE_AFTER
        if now < self._next_prune:
            return 0
        self._next_prune = now + PRUNE_EVERY
        try:
            return await self.prune(now)
        except Exception:
            log.warning("Could not prune the kept commands; trying again later", exc_info=True)
            return 0

    async def prune(self, now: datetime, *, batch: int = PRUNE_BATCH) -> int:
        """Delete the commands finished before `prune_before(now)`, `batch` per transaction so
        that none holds the store long; how many."""
        before = prune_before(now)
        deleted = 0
        while True:
            count = await self.db.run(store.prune, before=before, limit=batch, write=True)
            deleted += count
            if count < batch:
                break
        if deleted:
            log.info("Pruned %d kept command(s) finished before %s", deleted, before.isoformat())
        return deleted

    async def state_of(self, interaction_id: int) -> KeptState | None:
        """Where a kept command stands (None when it was never kept)."""
        command = await self.db.run(store.get, interaction_id=interaction_id)
        return None if command is None else command.state
