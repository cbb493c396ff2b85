"""One active instance, any number of standbys: the lease's terms, and what the store says.

Every `amphi run` on one store takes part in an election held in the store. The active holds a
lease with an epoch and renews it; a standby takes the lease once it has lapsed, with the next
epoch. Times of the lease are the store's clock (seconds since 1970), so machines whose clocks
differ agree; each instance measures its own deadlines on its monotonic clock.

What the design assumes, and why it holds:
- The active stops sending to Discord at `valid_until`: the start of its last successful renewal
  plus the lease, less `margin`. The store's expiry is that renewal's commit plus the lease,
  later in real time, so `margin` separates the active's last send from the standby's first.
- Pauses of the active's process (a stopped VM, a swapped-out process) stay shorter than `margin`:
  a process paused between its check and its send cannot know its lease ran out meanwhile.
- Clocks run at the same rate (an NTP slew changes them by far less than `margin` over a lease).
- A renewal gets a third of the lease. On SQLite it waits for the store's one writer: a writer
  holding the store longer than that makes the active step down (safe, not wanted).
- The store's writes are fenced: each writing transaction of the active reads the lease's epoch
  locked for sharing, and taking the lease locks it for update, so a takeover waits for the
  writes under way and every later write of the last holder is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What an instance said it is doing, last time it said."""

    STANDBY = "standby"
    ACTIVE = "active"
    STOPPED = "stopped"


@dataclass(frozen=True)
class LeaseTerms:
    """How long a lease runs, and the deadlines that follow from it."""

    seconds: float = 10.0

    @property
    def renew_every(self) -> float:
        """The active renews three times a lease: one failed renewal is no loss."""
        return self.seconds / 3

    @property
    def margin(self) -> float:
        """The active stops at least this long before the store's expiry."""
        return self.seconds / 4

    @property
    def poll_every(self) -> float:
        """How often a standby looks at the lease: a released one is taken within this."""
        return min(0.5, self.seconds / 6)

    @property
    def store_timeout(self) -> float:
        """The longest a lease transaction may take (a renewal waiting on a busy store)."""
        return self.renew_every

    @property
    def gone_after(self) -> float:
        """An instance unheard of for this long is no longer listed."""
        return self.seconds * 3

    def valid_until(self, renewal_started: float) -> float:
        """Until when (same clock as `renewal_started`) a holder may act on this renewal."""
        return renewal_started + self.seconds - self.margin


@dataclass(frozen=True)
class Holder:
    """The lease as read from the store, with the store's clock at that moment."""

    epoch: int
    holder: str | None
    host: str
    pid: int
    since: float | None
    renewed_at: float | None
    expires_at: float | None
    now: float

    @property
    def lapsed(self) -> bool:
        """Whether a standby may take the lease: released, or not renewed in time."""
        return self.holder is None or self.expires_at is None or self.expires_at <= self.now


@dataclass(frozen=True)
class Instance:
    """One `amphi run`, as it last said."""

    id: str
    host: str
    pid: int
    role: Role
    started_at: float
    seen_at: float


def instance_id(host: str, pid: int, token: str) -> str:
    """A name unique to one run of one process: its host, its pid and a random token."""
    return f"{host[:150]}:{pid}:{token}"
