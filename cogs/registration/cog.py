"""/register, /unregister, /my-registration, /capacity and the organizers' /registrations.

Each command that changes seats is written down before its "thinking…" and answered by editing
its original response, so a restart can finish it (`cogs/registration/kept.py`); the roles
follow the store (`cogs/registration/roles.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from collections.abc import Awaitable, Callable

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import AmphiBot, reader
from bot.core.config import Settings
from bot.core.errors import N_
from bot.core.i18n import Translator, translator_for
from bot.core.markup import escape
from bot.core.permissions import Standing
from bot.dms.model import DmClosed
from bot.kept.model import KeptCommand
from bot.kept.service import KeptCommands
from bot.programme.model import Meeting
from bot.registration.model import (
    Cancellation,
    CapacityFigures,
    Mode,
    Registration,
    RegistrationOutcome,
    wants_link_now,
)
from bot.registration.render import (
    registrations_csv,
    render_cancellation,
    render_capacity,
    render_mine,
    render_outcome,
)
from bot.registration.service import RegistrationService
from cogs.common import card_to_embed, member_standing, only, privileged_group
from cogs.dm import DirectMessages
from cogs.kept import KeptReplies, Reply
from cogs.registration.kept import (
    CAPACITY,
    OPEN_OR_CLOSE,
    REGISTER,
    UNREGISTER,
    KeptRegistrations,
)
from cogs.registration.panel import CapacityPanel
from cogs.registration.roles import AttendanceRoles

log = logging.getLogger(__name__)

MODE_CHOICES = [
    app_commands.Choice(name="in person", value=Mode.IN_PERSON.value),
    app_commands.Choice(name="remote", value=Mode.REMOTE.value),
]


class RegistrationCog(commands.Cog):
    """Seats, waitlist and remote attendance."""

    registrations = privileged_group(
        "registrations",
        "Organizers: control registration",
        Standing.ORGANIZER,
    )

    def __init__(
        self,
        bot: AmphiBot,
        *,
        settings: Settings,
        service: RegistrationService,
        kept: KeptCommands,
        dms: DirectMessages,
        interested: Callable[[Meeting], Awaitable[list[tuple[str, int]]]],
    ) -> None:
        self.bot = bot
        self.settings = settings
        self.service = service
        self.kept = kept
        self.interested = interested  # the Events tab's Interested counts, for organizers
        self.replies = KeptReplies(bot, kept, lambda: self.service.clock())
        self.dms = dms
        self.panel = CapacityPanel(bot, service)
        self.roles = AttendanceRoles(bot, settings, service, dms)
        self._reconciling: asyncio.Task[None] | None = None

    async def cog_load(self) -> None:
        self.panel.start()
        finisher = KeptRegistrations(
            self.bot, self.service, self.roles, self.panel, send_link=self.send_link
        )
        for kind, finish in finisher.kinds().items():
            self.kept.finish_with(kind, finish)
        self._reconciling = asyncio.create_task(
            self.roles.keep_reconciling(), name="amphi-attendance-roles"
        )

    async def cog_unload(self) -> None:
        await self.panel.stop()
        await self.roles.stop()
        if self._reconciling is not None:
            self._reconciling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconciling

    # ----- attendees ---------------------------------------------------------------------
    @app_commands.command(name="register", description="Register for the meeting")
    @app_commands.describe(
        mode="In the room, or remote",
        member="Are you a member of the research network?",
        affiliation="Your lab or institution (optional)",
        dm="Receive reminders and the video link by DM",
    )
    @app_commands.choices(mode=MODE_CHOICES)
    @app_commands.guild_only()
    async def register(
        self,
        interaction: discord.Interaction,
        mode: app_commands.Choice[str],
        member: bool,
        affiliation: str | None = None,
        dm: bool | None = None,
    ):
        meeting = await self.service.programme.active_meeting()
        tr = reader(interaction)
        options = {
            "meeting": meeting.slug,
            "display_name": interaction.user.display_name,
            "mode": mode.value,
            "member": member,
            "affiliation": affiliation,
            "dm": dm,
        }

        async def effect(command: KeptCommand) -> RegistrationOutcome:
            outcome = await self.service.register(
                user_id=interaction.user.id,
                display_name=interaction.user.display_name,
                mode=Mode(mode.value),
                member=member,
                affiliation=affiliation,
                dm=dm,
                locale=interaction.locale.value,
                command=command,
                meeting=meeting,
            )
            # At once, in commit order: the roles follow what the store now holds.
            self.roles.follow(
                interaction.user.id, outcome.registration, outcome.promoted, interaction.user
            )
            return outcome

        outcome = await self.replies.handle(
            interaction,
            REGISTER,
            options,
            effect,
            lambda outcome: Reply(render_outcome(outcome, meeting.title, tr)),
        )
        self.panel.refresh()
        await self.roles.seat_promoted(outcome.promoted)
        if wants_link_now(outcome):
            await self.send_link(interaction.user.id, tr, meeting)

    async def send_link(self, user_id: int, tr: Translator, meeting: Meeting) -> None:
        """DM the video link to someone who just opted in to follow remotely (if there is one)."""
        if self.settings.remote_link is None:
            return
        text = tr.gettext(
            "The video link for {meeting}: {link}\nPlease do not share it. You will also get "
            "it by DM before each session.",
            meeting=escape(meeting.title),
            link=self.settings.remote_link.reveal(),
        )
        try:
            await self.dms.send(user_id, text)
        except (DmClosed, discord.HTTPException) as error:
            log.info("Could not DM the video link to %s: %s", user_id, error)

    @app_commands.command(name="unregister", description="Cancel your registration")
    @app_commands.guild_only()
    async def unregister(self, interaction: discord.Interaction):
        meeting = await self.service.programme.active_meeting()

        async def effect(command: KeptCommand) -> Cancellation:
            cancellation = await self.service.unregister(
                user_id=interaction.user.id, command=command, meeting=meeting
            )
            self.roles.follow(interaction.user.id, None, cancellation.promoted, interaction.user)
            return cancellation

        tr = reader(interaction)
        cancellation = await self.replies.handle(
            interaction,
            UNREGISTER,
            {"meeting": meeting.slug},
            effect,
            lambda _cancellation: Reply(render_cancellation(tr)),
        )
        self.panel.refresh()
        await self.roles.seat_promoted(cancellation.promoted)

    @app_commands.command(name="my-registration", description="Your registration and its status")
    @app_commands.guild_only()
    async def my_registration(self, interaction: discord.Interaction):
        registration, notice = await self.service.mine(user_id=interaction.user.id)
        meeting = await self.service.programme.active_meeting()
        await interaction.response.send_message(
            render_mine(registration, notice, meeting.title, reader(interaction)), ephemeral=True
        )

    @app_commands.command(name="capacity", description="Seats, registrations and the waitlist")
    async def capacity(self, interaction: discord.Interaction):
        figures = await self.service.figures()
        organizer = member_standing(interaction) >= Standing.ORGANIZER
        interested: list[tuple[str, int]] = []
        if organizer:  # Interested in the Events tab: a hint of the crowd, not a registration
            meeting = await self.service.programme.active_meeting()
            interested = await self.interested(meeting)
        card = render_capacity(
            figures, reader(interaction), for_organizer=organizer, interested=interested
        )
        await interaction.response.send_message(embed=card_to_embed(card), ephemeral=True)

    # ----- organizers ----------------------------------------------------------------------
    @registrations.command(name="open", description="Open registration")
    @only(Standing.ORGANIZER)
    async def open_registration(self, interaction: discord.Interaction):
        await self._set_open(interaction, is_open=True)

    @registrations.command(name="close", description="Close registration")
    @only(Standing.ORGANIZER)
    async def close_registration(self, interaction: discord.Interaction):
        await self._set_open(interaction, is_open=False)

    @registrations.command(name="capacity", description="Change the number of seats in the room")
    @app_commands.describe(seats="Seats in the room")
    @only(Standing.ORGANIZER)
    async def set_capacity(
        self, interaction: discord.Interaction, seats: app_commands.Range[int, 0, 100_000]
    ):
        meeting = await self.service.programme.active_meeting()

        async def effect(command: KeptCommand) -> tuple[CapacityFigures, tuple[Registration, ...]]:
            return await self.service.set_capacity(
                seats=seats, by=interaction.user.id, command=command, meeting=meeting
            )

        tr = reader(interaction)
        done = N_("The room's capacity is updated.")
        _figures, promoted = await self.replies.handle(
            interaction,
            CAPACITY,
            {"meeting": meeting.slug, "seats": seats},
            effect,
            lambda result: self._figures_reply(result[0], tr, done),
        )
        log.info("Capacity set to %d by %s", seats, interaction.user.id)
        self.panel.refresh()
        await self.roles.seat_promoted(promoted)

    @registrations.command(name="export", description="The registrations as a CSV file")
    @only(Standing.ORGANIZER)
    async def export(self, interaction: discord.Interaction):
        await interaction.response.defer(ephemeral=True, thinking=True)
        registrations = await self.service.all_registrations()
        meeting = await self.service.programme.active_meeting()
        data = registrations_csv(registrations).encode("utf-8-sig")  # Excel reads the BOM
        await interaction.followup.send(
            reader(interaction).ngettext(
                "{count} registration.", "{count} registrations.", len(registrations)
            ),
            file=discord.File(io.BytesIO(data), filename=f"{meeting.slug}-registrations.csv"),
            ephemeral=True,
        )

    @registrations.command(name="panel", description="Post a capacity panel kept up to date")
    @only(Standing.ORGANIZER)
    async def post_panel(self, interaction: discord.Interaction):
        figures = await self.service.figures()
        card = render_capacity(figures, translator_for(None, self._guild_locale(interaction)))
        channel = interaction.channel
        assert isinstance(channel, discord.abc.Messageable)  # a command's channel takes messages
        message = await channel.send(embed=card_to_embed(card))
        try:
            await self.service.set_panel(channel_id=message.channel.id, message_id=message.id)
        except Exception:
            # Unsaved, nothing would keep it current: take it down rather than leave it wrong.
            with contextlib.suppress(discord.HTTPException):
                await message.delete()
            raise
        self.panel.adopt(card)
        await interaction.response.send_message(
            reader(interaction).gettext(
                "Here is the panel; it is kept up to date (at most every 10 seconds)."
            ),
            ephemeral=True,
        )

    # ----- helpers -------------------------------------------------------------------------
    @staticmethod
    def _guild_locale(interaction: discord.Interaction) -> str | None:
        return interaction.guild_locale.value if interaction.guild_locale else None

    async def _set_open(self, interaction: discord.Interaction, *, is_open: bool) -> None:
        meeting = await self.service.programme.active_meeting()

        async def effect(command: KeptCommand) -> CapacityFigures:
            return await self.service.set_state(
                is_open=is_open, by=interaction.user.id, command=command, meeting=meeting
            )

        tr = reader(interaction)
        done = N_("Registration is open.") if is_open else N_("Registration is closed.")
        await self.replies.handle(
            interaction,
            OPEN_OR_CLOSE,
            {"meeting": meeting.slug, "open": is_open},
            effect,
            lambda figures: self._figures_reply(figures, tr, done),
        )
        verb = "opened" if is_open else "closed"
        log.info("Registration %s by %s (%s)", verb, interaction.user, interaction.user.id)
        self.panel.refresh()

    @staticmethod
    def _figures_reply(figures: CapacityFigures, tr: Translator, done: str) -> Reply:
        embed = card_to_embed(render_capacity(figures, tr, for_organizer=True))
        return Reply(tr.gettext(done), embed)
