"""What a DM broadcast reports, and the refusals a DM may meet (pure: no store, no Discord)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


class DmClosed(Exception):
    """The recipient does not accept DMs from the bot (Discord error 50007)."""


class DmThrottled(Exception):
    """Discord asked to slow down (a 429, or 40003 'opening DMs too fast')."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"retry after {retry_after:.1f} s")
        self.retry_after = retry_after


@dataclass
class DeliveryReport:
    """Where a broadcast stands."""

    total: int = 0
    sent: int = 0
    failures: Counter[str] = field(default_factory=Counter)

    @property
    def failed(self) -> int:
        """DMs that could not be delivered."""
        return sum(self.failures.values())

    @property
    def done(self) -> int:
        """DMs sent or given up."""
        return self.sent + self.failed
