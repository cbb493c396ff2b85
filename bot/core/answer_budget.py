"""How long a command may wait for its effect before saying "thinking…".

Answering in the interaction's first response saves a whole round trip: the member reads the
answer when a bare bot would show "thinking…". Waiting costs nothing while it is shorter than
the round trip a deferral would add, so the budget follows the round trips Amphi sees (a moving
average of its first responses' durations), within bounds: a small floor where Discord is near,
and a ceiling that keeps Discord's 3-second deadline far away.
"""

from __future__ import annotations

from dataclasses import dataclass

FLOOR_SECONDS = 0.002
CEILING_SECONDS = 0.4
SHARE_OF_ROUND_TRIP = 0.75
SMOOTHING = 0.1


@dataclass
class AnswerBudget:
    """The wait for an effect before deferring, from the round trips seen so far."""

    floor: float = FLOOR_SECONDS
    ceiling: float = CEILING_SECONDS
    share: float = SHARE_OF_ROUND_TRIP
    round_trip: float | None = None  # the moving average, once one was seen

    def seconds(self) -> float:
        """How long to wait now."""
        if self.round_trip is None:
            return self.floor
        return min(max(self.share * self.round_trip, self.floor), self.ceiling)

    def observe(self, round_trip: float) -> None:
        """A first response took `round_trip` seconds."""
        if self.round_trip is None:
            self.round_trip = round_trip
        else:
            self.round_trip += SMOOTHING * (round_trip - self.round_trip)
