"""An acknowledged command is a promise: what is kept of one so a restart can finish it.

Amphi writes a state-changing command down before it acknowledges it ("thinking…"). Its effect
is applied in the same transaction that marks it applied, and its answer edits the original
response, which can be done again without harm. So a restart finds each command in one of
three states and knows what is left to do: apply it and answer, answer it, or nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.core.errors import AmphiError

#: How long Discord accepts edits of an interaction's original response.
TOKEN_LIFETIME = timedelta(minutes=15)

#: How long a finished command stays in the journal: long past its token's life, and past the
#: registration change limit's window, the longest that reads the journal back (10 minutes).
PRUNE_AFTER = timedelta(days=1)
#: How often the running bot prunes the journal; the first pass waits for the start to settle.
PRUNE_EVERY = timedelta(hours=1)
FIRST_PRUNE_AFTER = timedelta(minutes=1)


class KeptState(StrEnum):
    """Where a kept command stands."""

    RECEIVED = "received"  # written down (and then acknowledged); not applied yet
    APPLIED = "applied"  # its effect (or its refusal) is in the store
    ANSWERED = "answered"  # the member read the answer, or can no longer be told


@dataclass(frozen=True)
class KeptCommand:
    """One state-changing command as it was received."""

    interaction_id: int
    application_id: int
    token: str
    kind: str
    user_id: int
    received_at: datetime
    options: dict[str, Any] = field(default_factory=dict)
    locale: str = ""
    guild_locale: str = ""
    state: KeptState = KeptState.RECEIVED
    result: dict[str, Any] = field(default_factory=dict)

    def can_be_answered(self, now: datetime) -> bool:
        """Whether its original response may still be edited."""
        return now - self.received_at < TOKEN_LIFETIME


def prune_before(now: datetime) -> datetime:
    """Commands finished before this instant leave the journal: those answered then, and those
    applied but received then, whose answer can no longer be given (their token expired long
    ago). A command received but not applied stays whatever its age: a restart still applies it.
    """
    return now - PRUNE_AFTER


def forgettable(command: KeptCommand) -> bool:
    """Whether nothing need be kept of `command` once the member was told it was refused: its
    refusal is its result, or it was refused before anything was applied. (A command applied
    with an effect stays, answered: the change limit counts it.)"""
    return command.state is KeptState.RECEIVED or refusal_of(command.result) is not None


def refusal_result(refusal: AmphiError) -> dict[str, Any]:
    """A refusal as kept with its command, to be told again in the reader's language."""
    values = {k: v if isinstance(v, int | float) else str(v) for k, v in refusal.values.items()}
    return {"refusal": refusal.message, "values": values}


def refusal_of(result: dict[str, Any]) -> AmphiError | None:
    """The refusal kept in `result`, if the command was refused."""
    if "refusal" not in result:
        return None
    return AmphiError(result["refusal"], **result.get("values", {}))


def dumps(value: dict[str, Any]) -> str:
    """Options and results as stored: compact JSON, any text kept as is."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
