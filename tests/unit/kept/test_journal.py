"""The journal of kept commands is pruned, on SQLite and PostgreSQL: what is finished leaves it a
day later, in batches, hourly; a refusal told to the member is not kept at all."""

from __future__ import annotations

import itertools
import logging
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from bot.core.errors import AmphiError
from bot.kept import queries as store
from bot.kept.model import (
    FIRST_PRUNE_AFTER,
    PRUNE_AFTER,
    PRUNE_EVERY,
    TOKEN_LIFETIME,
    KeptCommand,
    KeptState,
    forgettable,
    prune_before,
    refusal_of,
    refusal_result,
)
from bot.kept.service import KeptCommands
from bot.registration.model import CHANGE_LIMIT_WINDOW
from bot.store.db import Database
from tests.support.harness import FakeClock

HOUR, DAY, MINUTE = timedelta(hours=1), timedelta(days=1), timedelta(minutes=1)
ids = itertools.count(1)


def command(received_at: datetime, kind: str = "register") -> KeptCommand:
    interaction = next(ids)
    return KeptCommand(
        interaction_id=interaction,
        application_id=1,
        token=f"token-{interaction}",
        kind=kind,
        user_id=7,
        received_at=received_at,
        options={"meeting": "m"},
    )


def received(db: Database, at: datetime) -> int:
    kept = command(at)
    db.call(store.record, commands=[kept], write=True)
    return kept.interaction_id


def applied(db: Database, at: datetime, *, refused: bool = False) -> int:
    kept = command(at)
    db.call(store.record, commands=[kept], write=True)

    def effect() -> str:
        if refused:
            raise AmphiError("Registration is closed.")
        return "done"

    db.call(
        store.apply_kept,
        effect=effect,
        command=kept,
        result=lambda _: {"change": "created"},
        write=True,
    )
    return kept.interaction_id


def answered(db: Database, at: datetime, *, answered_at: datetime | None = None) -> int:
    interaction = applied(db, at)
    db.call(store.mark_answered, interaction_ids=[interaction], now=answered_at or at, write=True)
    return interaction


def state(db: Database, interaction: int) -> KeptState | None:
    kept = db.call(store.get, interaction_id=interaction)
    return None if kept is None else kept.state


def kept_ids(db: Database, *interactions: int) -> set[int]:
    return {i for i in interactions if state(db, i) is not None}


# ----- the rules ---------------------------------------------------------------------------


def test_a_command_stays_long_past_its_token_and_the_change_limits_window() -> None:
    now = datetime.fromisoformat("2021-06-10T12:00:00+00:00")
    assert prune_before(now) == now - PRUNE_AFTER
    assert PRUNE_AFTER > TOKEN_LIFETIME and PRUNE_AFTER > CHANGE_LIMIT_WINDOW
    assert FIRST_PRUNE_AFTER < PRUNE_EVERY <= PRUNE_AFTER


def test_only_a_refusal_or_a_command_never_applied_is_forgettable() -> None:
    base = command(datetime.fromisoformat("2021-06-10T12:00:00+00:00"))
    refusal = refusal_result(AmphiError("Registration is closed."))
    assert forgettable(base)  # received: refused before anything was applied
    assert forgettable(_with(base, KeptState.APPLIED, refusal))
    assert not forgettable(_with(base, KeptState.APPLIED, {"change": "created"}))


def _with(kept: KeptCommand, state: KeptState, result: dict) -> KeptCommand:
    return replace(kept, state=state, result=result)


# ----- the store ---------------------------------------------------------------------------


def test_prune_deletes_what_was_finished_over_a_day_ago_and_keeps_the_rest(
    db: Database, clock: FakeClock
) -> None:
    now = clock()
    old_answered = answered(db, now - 2 * DAY)
    old_applied = applied(db, now - DAY - MINUTE)  # its answer can no longer be given
    young_answered = answered(db, now - DAY + MINUTE)
    late_answered = answered(db, now - 3 * DAY, answered_at=now - HOUR)  # finished an hour ago
    old_received = received(db, now - 3 * DAY)  # a restart still applies it
    fresh_received = received(db, now - TOKEN_LIFETIME + MINUTE)
    fresh_applied = applied(db, now - TOKEN_LIFETIME + MINUTE)
    applied_today = applied(db, now - HOUR)
    everything = (
        old_answered,
        old_applied,
        young_answered,
        late_answered,
        old_received,
        fresh_received,
        fresh_applied,
        applied_today,
    )

    deleted = db.call(store.prune, before=prune_before(now), limit=100, write=True)

    assert deleted == 2
    assert kept_ids(db, *everything) == set(everything) - {old_answered, old_applied}
    assert state(db, old_received) is KeptState.RECEIVED
    unfinished = [c.interaction_id for c in db.call(store.unfinished)]
    assert unfinished == [old_received, applied_today, fresh_received, fresh_applied]


def test_prune_deletes_at_most_its_limit(db: Database, clock: FakeClock) -> None:
    now = clock()
    old = [answered(db, now - 2 * DAY) for _ in range(7)]
    before = prune_before(now)
    counts = [db.call(store.prune, before=before, limit=3, write=True) for _ in range(4)]
    assert counts == [3, 3, 1, 0]
    assert kept_ids(db, *old) == set()


def test_marking_answered_forgets_the_refusals_told_and_nothing_else(
    db: Database, clock: FakeClock
) -> None:
    now = clock()
    refused = applied(db, now, refused=True)
    refused_before_applying = received(db, now)
    changed = applied(db, now)  # told a refusal after its change was applied: it counts
    refused_elsewhere = applied(db, now, refused=True)  # answered by a sweep, say
    batch = [refused, refused_before_applying, changed, refused_elsewhere]

    db.call(
        store.mark_answered,
        interaction_ids=batch,
        now=now,
        told_refused={refused, refused_before_applying, changed},
        write=True,
    )

    assert state(db, refused) is None and state(db, refused_before_applying) is None
    assert state(db, changed) is KeptState.ANSWERED
    assert state(db, refused_elsewhere) is KeptState.ANSWERED


# ----- the running bot ---------------------------------------------------------------------


async def test_the_bot_prunes_in_batches_one_transaction_each(
    db: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    now = clock()
    old = [answered(db, now - 2 * DAY) for _ in range(12)]
    young = answered(db, now - HOUR)
    batches: list[int] = []
    prune = store.prune

    def counted(session, *, before, limit):
        batches.append(prune(session, before=before, limit=limit))
        return batches[-1]

    monkeypatch.setattr(store, "prune", counted)
    caplog.set_level(logging.INFO, logger="bot.kept.service")

    assert await KeptCommands(db, clock).prune(now, batch=5) == 12

    assert batches == [5, 5, 2]
    assert kept_ids(db, *old, young) == {young}
    assert "Pruned 12 kept command(s)" in caplog.text


async def test_the_bot_prunes_hourly_by_its_clock(db: Database, clock: FakeClock, caplog) -> None:
    kept = KeptCommands(db, clock)
    caplog.set_level(logging.INFO, logger="bot.kept.service")
    first = answered(db, clock() - 2 * DAY)

    assert await kept.prune_when_due() == 0  # the start's work first
    clock.now += FIRST_PRUNE_AFTER - timedelta(seconds=1)
    assert await kept.prune_when_due() == 0
    assert state(db, first) is KeptState.ANSWERED
    assert "Pruned" not in caplog.text

    clock.now += timedelta(seconds=1)
    assert await kept.prune_when_due() == 1
    assert state(db, first) is None
    assert "Pruned 1 kept command(s)" in caplog.text

    second = answered(db, clock() - 2 * DAY)
    clock.now += PRUNE_EVERY - timedelta(seconds=1)
    assert await kept.prune_when_due() == 0
    assert state(db, second) is KeptState.ANSWERED
    clock.now += timedelta(seconds=1)
    assert await kept.prune_when_due() == 1
    assert state(db, second) is None
    clock.now += PRUNE_EVERY
    caplog.clear()
    assert await kept.prune_when_due() == 0  # nothing left: nothing logged
    assert "Pruned" not in caplog.text


async def test_a_refusal_told_to_the_member_leaves_no_command(
    db: Database, clock: FakeClock
) -> None:
    kept = KeptCommands(db, clock)
    interaction = applied(db, clock(), refused=True)
    assert state(db, interaction) is KeptState.APPLIED  # its refusal was kept with it
    kept.track(interaction)

    kept.after_error(interaction, told=True)
    await kept.flush()

    assert state(db, interaction) is None
    assert await kept.finish_unfinished() == 0  # nothing for a sweep, or a restart


async def test_a_refusal_not_told_stays_and_a_restart_tells_it(
    db: Database, clock: FakeClock
) -> None:
    first_run = KeptCommands(db, clock)
    interaction = applied(db, clock(), refused=True)
    first_run.track(interaction)
    first_run.after_error(interaction, told=False)  # Discord did not take the message
    await first_run.flush()
    assert state(db, interaction) is KeptState.APPLIED

    restart = KeptCommands(db, clock)
    told: list[AmphiError | None] = []

    async def finish(kept: KeptCommand) -> None:
        told.append(refusal_of(kept.result))

    restart.finish_with("register", finish)
    assert await restart.finish_unfinished() == 1
    await restart.flush()

    assert [r.message if r else None for r in told] == ["Registration is closed."]
    assert state(db, interaction) is KeptState.ANSWERED  # told by the restart: pruned later
