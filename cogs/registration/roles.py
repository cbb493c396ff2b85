"""Attendance roles as desired state: the role a member should hold is read from the store when
the change runs, one change at a time per member, and a pass brings everyone back in line."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

import discord

from bot.client import AmphiBot
from bot.core.config import Settings
from bot.core.i18n import translator_for
from bot.dms.model import DmClosed, DmThrottled
from bot.registration.model import Mode, Registration
from bot.registration.render import promotion_notice
from bot.registration.service import RegistrationService
from cogs.common import find_role
from cogs.dm import DirectMessages

log = logging.getLogger(__name__)

#: How often every registered member's roles are checked against the store.
RECONCILE_SECONDS = 600.0
REASON = "Amphi registration"


class AttendanceRoles:
    """Gives each member the *In person* or *Remote* role their registration calls for."""

    def __init__(
        self,
        bot: AmphiBot,
        settings: Settings,
        service: RegistrationService,
        dms: DirectMessages,
    ) -> None:
        self.bot = bot
        self.settings = settings
        self.service = service
        self.dms = dms
        self._locks: dict[int, asyncio.Lock] = {}
        # Which of the two roles each member holds, as Amphi last saw or made it.
        self._held: dict[int, frozenset[int]] = {}
        # The registration each member's last committed change left (None: cancelled), noted in
        # commit order; a sync uses it rather than read the store again.
        self._latest: dict[int, Registration | None] = {}
        self._following: set[asyncio.Task[None]] = set()

    def note(self, user_id: int, registration: Registration | None) -> None:
        """A change of `user_id`'s registration just committed, leaving `registration`.

        Called as the change's result arrives, before any await: results arrive in commit order,
        so the last note is the store's state, whatever order the role changes then run in.
        """
        self._latest[user_id] = registration

    def note_seats(
        self, user_id: int, registration: Registration | None, promoted: Iterable[Registration]
    ) -> None:
        """`note` the member's change and the seats it gave to others."""
        self.note(user_id, registration)
        for other in promoted:
            self.note(other.user_id, other)

    def follow(
        self,
        user_id: int,
        registration: Registration | None,
        promoted: Iterable[Registration],
        member: discord.abc.Snowflake | None = None,
    ) -> None:
        """A member's change just committed: `note_seats`, and start their role change now.

        Called before any await, as results arrive in commit order, so the role changes take
        their places in the pace (`AmphiBot.pace`) in commit order too: in a burst the first to
        get a seat is the first to get the role, not whoever's answer came back first.
        """
        self.note_seats(user_id, registration, promoted)
        self._start_sync(user_id, member)

    def _start_sync(self, user_id: int, member: discord.abc.Snowflake | None = None) -> None:
        task = asyncio.create_task(self.sync(user_id, member), name="amphi-role-change")
        self._following.add(task)
        task.add_done_callback(self._following.discard)

    async def stop(self) -> None:
        """Cancel the role changes still under way (the next pass mends them)."""
        for task in list(self._following):
            task.cancel()
        await asyncio.gather(*self._following, return_exceptions=True)

    def _guild(self) -> discord.Guild | None:
        return self.bot.get_guild(self.settings.guild_id or 0)

    async def sync(self, user_id: int, member: discord.abc.Snowflake | None = None) -> None:
        """Make `user_id`'s attendance role match their registration as the store has it now.

        `member`, when it is the one an interaction carried, spares a fetch the first time.
        A failure never undoes the registration: it is logged and kept for the organizers.
        """
        guild = self._guild()
        if guild is None:
            return
        # One lock per member, kept: dropping one while a waiter still holds it would let a
        # third change run beside that waiter.
        try:
            async with self._locks.setdefault(user_id, asyncio.Lock()):
                await self._sync(guild, user_id, member)
        except Exception as error:  # the store unreachable, say: never the command's failure
            self._held.pop(user_id, None)
            log.warning(
                "Could not bring the role of member %s in line (%s); the next pass will",
                user_id,
                error,
            )

    async def _sync(
        self, guild: discord.Guild, user_id: int, member: discord.abc.Snowflake | None
    ) -> None:
        if user_id in self._latest:
            registration = self._latest.pop(user_id)
        else:
            registration = await self.service.lookup(user_id=user_id)
        wanted = registration.attendance_role if registration else None
        roles = {
            Mode.IN_PERSON: find_role(guild, self.settings.in_person_role),
            Mode.REMOTE: find_role(guild, self.settings.remote_role),
        }
        ours = {role.id for role in roles.values() if role is not None}
        problem = ""
        try:
            held = self._held.get(user_id)
            if held is None:
                if not isinstance(member, discord.Member):
                    member = await guild.fetch_member(user_id)
                held = frozenset(r.id for r in member.roles if r.id in ours)
            remove = [r for m, r in roles.items() if r and m is not wanted and r.id in held]
            if remove:
                await self._change(guild, user_id, remove, add=False)
                held = held - {r.id for r in remove}
            if wanted is not None:
                role = roles[wanted]
                if role is None:
                    setting = "IN_PERSON_ROLE" if wanted is Mode.IN_PERSON else "REMOTE_ROLE"
                    problem = f"the role named by {setting} does not exist on the server"
                elif role.id not in held:
                    await self._change(guild, user_id, [role], add=True)
                    held = held | {role.id}
            self._held[user_id] = held
        except discord.HTTPException as error:
            self._held.pop(user_id, None)  # unsure now: look again next time
            problem = f"Discord refused the role change ({error.status} {error.text})"
        if problem:
            log.warning("Could not set the role of member %s: %s", user_id, problem)
        if registration is not None and (problem or registration.role_problem):
            await self.service.note_role_problem(user_id=user_id, problem=problem)

    async def _change(
        self, guild: discord.Guild, user_id: int, roles: list[discord.Role], *, add: bool
    ) -> None:
        # One call per role, as Member.add_roles makes them, without needing a Member object.
        change = self.bot.http.add_role if add else self.bot.http.remove_role
        for role in roles:  # paced with the bot's other calls (AmphiBot.pace)
            await change(guild.id, user_id, role.id, reason=REASON)

    async def seat_promoted(self, promoted: Iterable[Registration]) -> None:
        """Switch the roles of people who got a seat and tell each of them once, by DM.

        The DM does not wait for the role: after a burst, role changes queue for seconds.
        """
        guild = self._guild()
        for registration in promoted:
            self._start_sync(registration.user_id)
            tr = translator_for(
                registration.locale, guild.preferred_locale.value if guild else None
            )
            try:
                await self.dms.send(registration.user_id, promotion_notice(tr))
            except (DmClosed, DmThrottled, discord.HTTPException) as error:
                # Closed DMs: they will read it in the reply to their next command.
                log.info("Could not DM promoted member %s: %s", registration.user_id, error)
            else:
                try:
                    await self.service.mark_told(user_id=registration.user_id)
                except Exception as error:  # told again with their next command: harmless
                    log.warning("Could not note that %s was told: %s", registration.user_id, error)

    async def reconcile(self) -> int:
        """Check every registered member's roles against the store, one after another (at
        Discord's pace: discord.py waits out each rate limit); how many were checked."""
        registrations = await self.service.all_registrations()
        for registration in registrations:
            self._held.pop(registration.user_id, None)  # look at Discord, not at memory
            await self.sync(registration.user_id)
        return len(registrations)

    async def keep_reconciling(self, interval: float = RECONCILE_SECONDS) -> None:
        """A pass at start (a crash may have cut a role change short), then every `interval`."""
        await self.bot.wait_until_ready()
        while True:
            try:
                checked = await self.reconcile()
                log.info("Attendance roles checked for %d registered member(s)", checked)
            except Exception:
                log.exception("Could not check the attendance roles; trying again later")
            await asyncio.sleep(interval)
