"""Registration commands an earlier run acknowledged and did not answer: each is applied once
(if it was not) and answered from the store (see `bot.kept`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

import discord

from bot.client import AmphiBot
from bot.core.errors import N_, AmphiError
from bot.core.i18n import Translator, translator_for
from bot.kept.model import KeptCommand, KeptState, refusal_of
from bot.kept.service import Finish
from bot.programme.model import Meeting
from bot.registration.model import REGISTER, UNREGISTER, Mode, Registration, wants_link_now
from bot.registration.render import (
    render_cancellation,
    render_capacity,
    render_kept_registration,
    render_outcome,
)
from bot.registration.service import RegistrationService
from cogs.common import card_to_embed
from cogs.kept import answer_kept
from cogs.registration.panel import CapacityPanel
from cogs.registration.roles import AttendanceRoles

#: DMs the video link to a member who just opted in: (user id, their language, the meeting).
SendLink = Callable[[int, Translator, Meeting], Awaitable[None]]

#: The kinds of kept commands, as the cog writes them down; REGISTER and UNREGISTER come from
#: the registration model, whose change limit counts them in the store.
OPEN_OR_CLOSE, CAPACITY = "registrations-state", "registrations-capacity"


class KeptRegistrations:
    """Finishes each kind of kept registration command."""

    def __init__(
        self,
        bot: AmphiBot,
        service: RegistrationService,
        roles: AttendanceRoles,
        panel: CapacityPanel,
        *,
        send_link: SendLink,
    ) -> None:
        self.bot = bot
        self.service = service
        self.roles = roles
        self.panel = panel
        self.send_link = send_link

    def kinds(self) -> dict[str, Finish]:
        """Each kind with the method that finishes it."""
        return {
            REGISTER: self.register,
            UNREGISTER: self.unregister,
            OPEN_OR_CLOSE: self.open_or_close,
            CAPACITY: self.capacity,
        }

    async def register(self, command: KeptCommand) -> None:
        """A `/register`: applied once, answered with how the member stands now."""
        meeting, tr = await self._context(command)
        promoted: tuple[Registration, ...] = ()
        link = False
        if command.state is KeptState.RECEIVED:
            options = command.options
            try:
                outcome = await self.service.register(
                    user_id=command.user_id,
                    display_name=options["display_name"],
                    mode=Mode(options["mode"]),
                    member=options["member"],
                    affiliation=options["affiliation"],
                    dm=options["dm"],
                    locale=command.locale,
                    command=command,
                    meeting=meeting,
                )
            except AmphiError as refusal:
                text = refusal.user_message(tr)
            else:
                promoted = outcome.promoted
                link = wants_link_now(outcome)
                text = render_outcome(outcome, meeting.title, tr)
        elif kept_refusal := refusal_of(command.result):
            text = kept_refusal.user_message(tr)
        else:
            registration = await self.service.lookup(user_id=command.user_id, meeting=meeting)
            text = render_kept_registration(registration, command.result, meeting.title, tr)
            promoted = await self._registrations(meeting, command.result.get("promoted", ()))
            link = bool(command.result.get("link"))  # unanswered, so not sent yet
        await self._answer(command, text)
        await self._seats_changed(command.user_id, promoted)
        if link:
            await self.send_link(command.user_id, tr, meeting)

    async def unregister(self, command: KeptCommand) -> None:
        """An `/unregister`: applied once, answered."""
        meeting, tr = await self._context(command)
        promoted: tuple[Registration, ...] = ()
        text = render_cancellation(tr)
        if command.state is KeptState.RECEIVED:
            try:
                cancellation = await self.service.unregister(
                    user_id=command.user_id, command=command, meeting=meeting
                )
            except AmphiError as refusal:
                text = refusal.user_message(tr)
            else:
                promoted = cancellation.promoted
        elif kept_refusal := refusal_of(command.result):
            text = kept_refusal.user_message(tr)
        else:
            promoted = await self._registrations(meeting, command.result.get("promoted", ()))
        await self._answer(command, text)
        await self._seats_changed(command.user_id, promoted)

    async def open_or_close(self, command: KeptCommand) -> None:
        """`/registrations open` or `close`: applied once, answered with the figures now."""
        meeting, tr = await self._context(command)
        is_open = bool(command.options["open"])
        if command.state is KeptState.RECEIVED:
            await self.service.set_state(
                is_open=is_open, by=command.user_id, command=command, meeting=meeting
            )
        done = N_("Registration is open.") if is_open else N_("Registration is closed.")
        await self._answer_figures(command, meeting, tr, done)

    async def capacity(self, command: KeptCommand) -> None:
        """`/registrations capacity`: applied once, answered with the figures now."""
        meeting, tr = await self._context(command)
        promoted: tuple[Registration, ...] = ()
        if command.state is KeptState.RECEIVED:
            _figures, promoted = await self.service.set_capacity(
                seats=int(command.options["seats"]),
                by=command.user_id,
                command=command,
                meeting=meeting,
            )
        else:
            promoted = await self._registrations(meeting, command.result.get("promoted", ()))
        await self._answer_figures(command, meeting, tr, N_("The room's capacity is updated."))
        await self.roles.seat_promoted(promoted)

    # ----- shared steps ------------------------------------------------------------------
    async def _context(self, command: KeptCommand) -> tuple[Meeting, Translator]:
        meeting = await self.service.programme.meeting(command.options["meeting"])
        return meeting, translator_for(command.locale, command.guild_locale or None)

    async def _answer(
        self, command: KeptCommand, text: str, embed: discord.Embed | None = None
    ) -> None:
        if command.can_be_answered(self.service.clock()):
            await answer_kept(self.bot, command, text, embed)

    async def _answer_figures(
        self, command: KeptCommand, meeting: Meeting, tr: Translator, done: str
    ) -> None:
        figures = await self.service.figures(meeting)
        card = render_capacity(figures, tr, for_organizer=True)
        await self._answer(command, tr.gettext(done), card_to_embed(card))
        self.panel.refresh()

    async def _seats_changed(self, user_id: int, promoted: tuple[Registration, ...]) -> None:
        await self.roles.sync(user_id)
        await self.roles.seat_promoted(promoted)
        self.panel.refresh()

    async def _registrations(
        self, meeting: Meeting, user_ids: Iterable[int]
    ) -> tuple[Registration, ...]:
        found = [await self.service.lookup(user_id=u, meeting=meeting) for u in user_ids]
        return tuple(r for r in found if r is not None)
