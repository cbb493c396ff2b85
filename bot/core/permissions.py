"""Who may do what: administrators are organizers, organizers are moderators."""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum

from bot.core.config import Settings


class Standing(IntEnum):
    """A member's standing for privileged commands and buttons, in increasing order."""

    ATTENDEE = 0
    MODERATOR = 1
    ORGANIZER = 2


def standing(
    settings: Settings, *, administrator: bool, roles: Iterable[tuple[int, str]]
) -> Standing:
    """The standing of a member with these roles (id, name) and administrator permission."""
    roles = list(roles)
    if administrator or any(settings.organizer_role.matches(i, n) for i, n in roles):
        return Standing.ORGANIZER
    if any(settings.moderator_role.matches(i, n) for i, n in roles):
        return Standing.MODERATOR
    return Standing.ATTENDEE
