"""The active's renewals against a store that is slow once: the lease survives it."""

from __future__ import annotations

import asyncio
import time

from bot.core.errors import StoreUnavailable
from bot.standby import queries as store
from bot.standby.model import Holder, LeaseTerms
from bot.standby.service import Election

TERMS = LeaseTerms(3.0)  # renewed every second, each renewal given up after a second


class SlowOnce:
    """A store whose first renewal hangs a little longer than the lease's store timeout, then
    fails, as SQLite's busy timeout does behind another writer; everything else is at once."""

    def __init__(self, hang: float) -> None:
        self.hang = hang
        self.renewals = 0

    def call(self, fn, /, *args, write: bool = False, **kwargs):
        if fn is store.renew:
            self.renewals += 1
            if self.renewals == 1:
                time.sleep(self.hang)
                raise StoreUnavailable("database is locked")
            return True
        if fn is store.read_holder:
            return Holder(1, None, "h", 1, None, None, None, now=0.0)
        if fn is store.claim:
            return 2
        return 0.0  # store_now, say


async def test_a_renewal_given_up_on_does_not_spoil_the_next() -> None:
    db = SlowOnce(hang=TERMS.store_timeout + 0.05)
    election = Election(db, TERMS)  # type: ignore[arg-type]
    assert await election.stand_by() == 2
    holding = asyncio.ensure_future(election.hold())
    try:
        # The first renewal (at 1 s) is given up on at 2 s; its thread comes back at 2.05 s.
        # The retry, due at 2 s, waits for it and renews before the lease runs out (2.25 s).
        await asyncio.sleep(3.2)
        assert not holding.done(), holding.result()
        assert election.holds()
        assert db.renewals >= 3
    finally:
        holding.cancel()
