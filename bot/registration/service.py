"""Registration: seats in the room, the waitlist, remote attendance, opening and closing.

A user's action is one call here and one transaction. Every change of seats goes through the
registration desk, which runs the requests queued together in one transaction that first locks
the meeting's control row, so the room is never overbooked whatever the concurrency
(`bot.registration.seating`); the same transaction marks each kept command applied. Who gets a
seat, who waits and who is promoted is the seat rule, `bot.registration.model.Room`.
"""

from __future__ import annotations

import functools
from typing import Any

from bot.core.clock import Clock
from bot.kept.model import KeptCommand
from bot.programme.model import Meeting
from bot.programme.service import ProgrammeService
from bot.registration import queries as store
from bot.registration.desk import RegistrationDesk
from bot.registration.model import (
    DISPLAY_NAME_LIMIT,
    Cancellation,
    CapacityFigures,
    InvalidCapacity,
    Mode,
    NotRegistered,
    Registration,
    RegistrationOutcome,
    RegistrationRequest,
    clean_affiliation,
    clean_text,
    wants_link_now,
)
from bot.registration.seating import Job, Seating
from bot.store.db import Database


class RegistrationService:
    """Registration for the active meeting."""

    def __init__(self, db: Database, programme: ProgrammeService, clock: Clock) -> None:
        self.db = db
        self.programme = programme
        self.clock = clock
        self.desk = RegistrationDesk(db)

    async def _meeting(self) -> Meeting:
        return await self.programme.active_meeting()

    async def _submit(self, job: Job, meeting: Meeting | None) -> Any:
        """Apply `job` at the desk for `meeting` (the active one by default)."""
        return await self.desk.submit(meeting or await self._meeting(), job)

    async def register(
        self,
        *,
        user_id: int,
        display_name: str,
        mode: Mode,
        member: bool,
        affiliation: str | None = None,
        dm: bool | None = None,
        locale: str = "",
        command: KeptCommand | None = None,
        meeting: Meeting | None = None,
    ) -> RegistrationOutcome:
        """Register, or change the details of a registration.

        `command` is the kept command this fulfils (marked applied with the registration): a
        member's own command, held to the change limit (`bot.registration.model.check_changes`);
        `meeting` the one it was given for (the active one by default).
        """
        request = RegistrationRequest(
            user_id=user_id,
            display_name=clean_text(display_name, DISPLAY_NAME_LIMIT) or str(user_id),
            mode=Mode(mode),
            member=member,
            affiliation=None if affiliation is None else clean_affiliation(affiliation),
            dm=dm,
            locale=locale[:10],
            at=self.clock(),
        )
        job = Job(
            functools.partial(Seating.register, request=request, limited=command is not None),
            user_id=user_id,
            command=command,
            result=registered_result,
        )
        return await self._submit(job, meeting)

    async def unregister(
        self, *, user_id: int, command: KeptCommand | None = None, meeting: Meeting | None = None
    ) -> Cancellation:
        """Cancel a registration (its details are deleted); the first in line gets the seat.

        With `command`, a member's own kept command, held to the change limit like `register`.
        """
        job = Job(
            functools.partial(
                Seating.unregister, user_id=user_id, now=self.clock(), limited=command is not None
            ),
            user_id=user_id,
            command=command,
            result=cancelled_result,
        )
        return await self._submit(job, meeting)

    async def mine(self, *, user_id: int) -> tuple[Registration, bool]:
        """A person's registration, and whether they are told now of an earlier promotion."""
        meeting = await self._meeting()
        found = await self.db.run(store.mine, meeting=meeting, user_id=user_id, write=True)
        if found is None:
            raise NotRegistered()
        return found

    async def figures(self, meeting: Meeting | None = None) -> CapacityFigures:
        """The capacity figures of `meeting` (the active one by default)."""
        meeting = meeting or await self._meeting()
        return await self.db.run(store.figures, meeting=meeting, now=self.clock())

    async def set_state(
        self,
        *,
        is_open: bool,
        by: int,
        command: KeptCommand | None = None,
        meeting: Meeting | None = None,
    ) -> CapacityFigures:
        """Open or close registration by an organizer's decision."""
        state = "open" if is_open else "closed"
        apply = functools.partial(Seating.set_state, state=state, by=by, now=self.clock())
        return await self._submit(Job(apply, command=command), meeting)

    async def set_capacity(
        self,
        *,
        seats: int,
        by: int,
        command: KeptCommand | None = None,
        meeting: Meeting | None = None,
    ) -> tuple[CapacityFigures, tuple[Registration, ...]]:
        """Change the room's capacity; raising it promotes from the waitlist at once."""
        if not 0 <= seats <= 100_000:
            raise InvalidCapacity(seats)
        apply = functools.partial(Seating.set_capacity, seats=seats, by=by, now=self.clock())
        return await self._submit(Job(apply, command=command, result=capacity_result), meeting)

    async def all_registrations(self, meeting: Meeting | None = None) -> list[Registration]:
        """Every registration (of the active meeting by default): confirmed, waitlist, remote."""
        meeting = meeting or await self._meeting()
        return await self.db.run(store.all_registrations, meeting=meeting)

    async def lookup(self, *, user_id: int, meeting: Meeting | None = None) -> Registration | None:
        """A person's registration for `meeting` (the active one by default), read only."""
        meeting = meeting or await self._meeting()
        return await self.db.run(store.lookup, meeting=meeting, user_id=user_id)

    async def mark_told(self, *, user_id: int) -> None:
        """A promoted person was told by DM."""
        meeting = await self._meeting()
        await self.db.run(store.mark_told, meeting=meeting, user_id=user_id, write=True)

    async def note_role_problem(self, *, user_id: int, problem: str) -> None:
        """Keep, for the organizers, why a member's role could not be changed ('' clears it)."""
        meeting = await self._meeting()
        await self.db.run(
            store.note_role_problem,
            meeting=meeting,
            user_id=user_id,
            problem=problem[:200],
            write=True,
        )

    async def panel(self) -> tuple[int | None, int | None]:
        """The channel and message of the live capacity panel, if one was posted."""
        meeting = await self._meeting()
        return await self.db.run(store.get_panel, meeting=meeting)

    async def set_panel(self, *, channel_id: int, message_id: int) -> None:
        """Remember the live capacity panel."""
        meeting = await self._meeting()
        await self.db.run(
            store.set_panel,
            meeting=meeting,
            channel_id=channel_id,
            message_id=message_id,
            write=True,
        )


def registered_result(outcome: RegistrationOutcome) -> dict[str, Any]:
    """What a finished `/register` answers after a restart (the rest is read from the store)."""
    return {
        "change": outcome.change.value,
        "notice": outcome.notice,
        "promoted": [r.user_id for r in outcome.promoted],
        "link": wants_link_now(outcome),  # the video link is still to be DMed
    }


def capacity_result(result: tuple[CapacityFigures, tuple[Registration, ...]]) -> dict[str, Any]:
    """What a finished capacity change answers after a restart: the figures are read anew."""
    return {"promoted": [r.user_id for r in result[1]]}


def cancelled_result(cancellation: Cancellation) -> dict[str, Any]:
    """What a finished `/unregister` answers after a restart."""
    return {"cancelled": True, "promoted": [r.user_id for r in cancellation.promoted]}
