"""/register, /unregister, /my-registration, /capacity and the organizers' /registrations."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import AmphiBot, reader
from bot.commands.model import Command, CommandState, refusal_of
from bot.commands.service import CommandJournal
from bot.core.config import Settings
from bot.core.errors import N_, AmphiError
from bot.core.i18n import Translator, translator_for
from bot.core.markup import escape
from bot.core.permissions import Standing
from bot.posts.model import DmClosed, DmThrottled
from bot.programme.model import Meeting
from bot.registration.model import Mode, Registration, wants_link_now
from bot.registration.render import (
    promotion_notice,
    registrations_csv,
    render_cancellation,
    render_capacity,
    render_kept_registration,
    render_mine,
    render_outcome,
)
from bot.registration.service import RegistrationService
from cogs.common import card_to_embed, find_role, member_standing, only, privileged_group
from cogs.dm import DirectMessages
from cogs.promises import answer, answer_kept, kept_command
from cogs.registration.panel import CapacityPanel

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
        settings: Settings,
        service: RegistrationService,
        journal: CommandJournal,
        dms: DirectMessages,
    ) -> None:
        self.bot = bot
        self.settings = settings
        self.service = service
        self.journal = journal
        self.dms = dms
        self.panel = CapacityPanel(bot, service)

    async def cog_load(self) -> None:
        self.panel.start()
        self.journal.finish_with("register", self.finish_register)
        self.journal.finish_with("unregister", self.finish_unregister)

    async def cog_unload(self) -> None:
        await self.panel.stop()

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
        options = {
            "meeting": meeting.slug,
            "display_name": interaction.user.display_name,
            "mode": mode.value,
            "member": member,
            "affiliation": affiliation,
            "dm": dm,
        }
        # Written down before "thinking…": from then on it is a promise a restart keeps.
        await self.journal.keep(kept_command(interaction, "register", options, self.service.clock))
        await interaction.response.defer(ephemeral=True, thinking=True)
        outcome = await self.service.register(
            user_id=interaction.user.id,
            display_name=interaction.user.display_name,
            mode=Mode(mode.value),
            member=member,
            affiliation=affiliation,
            dm=dm,
            locale=interaction.locale.value,
            command=interaction.id,
            meeting=meeting,
        )
        async with self.bot.answers.turn():
            await answer(interaction, render_outcome(outcome, meeting.title, reader(interaction)))
        self.journal.answered(interaction.id)
        # The answer first: role changes share a rate limit that a burst soon reaches.
        await self.set_role(interaction.guild, interaction.user, outcome.registration)
        await self.seat_promoted(interaction.guild, outcome.promoted)
        self.panel.refresh()
        if wants_link_now(outcome) and self.settings.remote_link is not None:
            await self.send_link(interaction.user.id, reader(interaction), meeting)

    async def send_link(self, user_id: int, tr: Translator, meeting: Meeting) -> None:
        """DM the video link to someone who just opted in to follow remotely."""
        assert self.settings.remote_link is not None
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
        options = {"meeting": meeting.slug}
        await self.journal.keep(
            kept_command(interaction, "unregister", options, self.service.clock)
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        cancellation = await self.service.unregister(
            user_id=interaction.user.id, command=interaction.id, meeting=meeting
        )
        async with self.bot.answers.turn():
            await answer(interaction, render_cancellation(reader(interaction)))
        self.journal.answered(interaction.id)
        await self.set_role(interaction.guild, interaction.user, None)
        await self.seat_promoted(interaction.guild, cancellation.promoted)
        self.panel.refresh()

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
        card = render_capacity(figures, reader(interaction), for_organizer=organizer)
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
        await interaction.response.defer(ephemeral=True, thinking=True)
        figures, promoted = await self.service.set_capacity(seats=seats, by=interaction.user.id)
        log.info("Capacity set to %d by %s", seats, interaction.user.id)
        await self._answer_figures(interaction, figures, N_("The room's capacity is updated."))
        await self.seat_promoted(interaction.guild, promoted)

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
        await self.service.set_panel(channel_id=message.channel.id, message_id=message.id)
        self.panel.adopt(card)
        await interaction.response.send_message(
            reader(interaction).gettext(
                "Here is the panel; it is kept up to date (at most every 10 seconds)."
            ),
            ephemeral=True,
        )

    # ----- commands kept across a restart ----------------------------------------------------
    async def finish_register(self, command: Command) -> None:
        """Finish a `/register` of an earlier run: apply it once, answer from the store."""
        meeting = await self.service.programme.meeting(command.options["meeting"])
        tr = translator_for(command.locale, command.guild_locale or None)
        registration: Registration | None = None
        promoted: tuple[Registration, ...] = ()
        if command.state is CommandState.RECEIVED:
            try:
                outcome = await self.service.register(
                    user_id=command.user_id,
                    display_name=command.options["display_name"],
                    mode=Mode(command.options["mode"]),
                    member=command.options["member"],
                    affiliation=command.options["affiliation"],
                    dm=command.options["dm"],
                    locale=command.locale,
                    command=command.interaction_id,
                    meeting=meeting,
                )
            except AmphiError as refusal:
                text = refusal.user_message(tr)
            else:
                registration, promoted = outcome.registration, outcome.promoted
                text = render_outcome(outcome, meeting.title, tr)
        elif kept_refusal := refusal_of(command.result):
            text = kept_refusal.user_message(tr)
        else:
            registration = await self.service.lookup_in(meeting, user_id=command.user_id)
            text = render_kept_registration(registration, command.result, meeting.title, tr)
            promoted = await self._registrations(meeting, command.result.get("promoted", ()))
        if command.can_be_answered(self.service.clock()):
            await answer_kept(self.bot, command, text)
        guild = self.bot.get_guild(self.settings.guild_id or 0)
        await self.set_role(guild, discord.Object(id=command.user_id), registration)
        await self.seat_promoted(guild, promoted)
        self.panel.refresh()

    async def finish_unregister(self, command: Command) -> None:
        """Finish an `/unregister` of an earlier run: apply it once, answer from the store."""
        meeting = await self.service.programme.meeting(command.options["meeting"])
        tr = translator_for(command.locale, command.guild_locale or None)
        promoted: tuple[Registration, ...] = ()
        text = render_cancellation(tr)
        if command.state is CommandState.RECEIVED:
            try:
                cancellation = await self.service.unregister(
                    user_id=command.user_id, command=command.interaction_id, meeting=meeting
                )
            except AmphiError as refusal:
                text = refusal.user_message(tr)
            else:
                promoted = cancellation.promoted
        elif kept_refusal := refusal_of(command.result):
            text = kept_refusal.user_message(tr)
        else:
            promoted = await self._registrations(meeting, command.result.get("promoted", ()))
        if command.can_be_answered(self.service.clock()):
            await answer_kept(self.bot, command, text)
        guild = self.bot.get_guild(self.settings.guild_id or 0)
        current = await self.service.lookup_in(meeting, user_id=command.user_id)
        await self.set_role(guild, discord.Object(id=command.user_id), current)
        await self.seat_promoted(guild, promoted)
        self.panel.refresh()

    async def _registrations(
        self, meeting: Meeting, user_ids: Iterable[int]
    ) -> tuple[Registration, ...]:
        found = [await self.service.lookup_in(meeting, user_id=u) for u in user_ids]
        return tuple(r for r in found if r is not None)

    # ----- helpers -------------------------------------------------------------------------
    @staticmethod
    def _guild_locale(interaction: discord.Interaction) -> str | None:
        return interaction.guild_locale.value if interaction.guild_locale else None

    async def _set_open(self, interaction: discord.Interaction, *, is_open: bool) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        figures = await self.service.set_state(is_open=is_open, by=interaction.user.id)
        verb = "opened" if is_open else "closed"
        log.info("Registration %s by %s (%s)", verb, interaction.user, interaction.user.id)
        done = N_("Registration is open.") if is_open else N_("Registration is closed.")
        await self._answer_figures(interaction, figures, done)

    async def _answer_figures(self, interaction, figures, message: str) -> None:
        tr = reader(interaction)
        embed = card_to_embed(render_capacity(figures, tr, for_organizer=True))
        if interaction.response.is_done():
            await interaction.followup.send(tr.gettext(message), embed=embed, ephemeral=True)
        else:
            await interaction.response.send_message(
                tr.gettext(message), embed=embed, ephemeral=True
            )
        self.panel.refresh()

    async def set_role(
        self,
        guild: discord.Guild | None,
        member: discord.abc.Snowflake,
        registration: Registration | None,
    ) -> None:
        """Give the attendance role that fits `registration` and take the other away.

        A failure never undoes the registration: it is logged and kept for the organizers.
        """
        if guild is None:
            return
        wanted = registration.attendance_role if registration else None
        roles = {
            Mode.IN_PERSON: find_role(guild, self.settings.in_person_role),
            Mode.REMOTE: find_role(guild, self.settings.remote_role),
        }
        problem = ""
        try:
            if not isinstance(member, discord.Member):
                member = await guild.fetch_member(member.id)
            current = {role.id for role in member.roles}
            remove = [r for m, r in roles.items() if r and m is not wanted and r.id in current]
            if remove:
                await member.remove_roles(*remove, reason="Amphi registration")
            if wanted is not None:
                role = roles[wanted]
                if role is None:
                    setting = "IN_PERSON_ROLE" if wanted is Mode.IN_PERSON else "REMOTE_ROLE"
                    problem = f"the role named by {setting} does not exist on the server"
                elif role.id not in current:
                    await member.add_roles(role, reason="Amphi registration")
        except discord.HTTPException as error:
            problem = f"Discord refused the role change ({error.status} {error.text})"
        if problem:
            log.warning("Could not set the role of member %s: %s", member.id, problem)
        if registration is not None and (problem or registration.role_problem):
            await self.service.note_role_problem(user_id=member.id, problem=problem)

    async def seat_promoted(
        self, guild: discord.Guild | None, promoted: tuple[Registration, ...]
    ) -> None:
        """Switch the roles of people who got a seat and tell each of them once, by DM."""
        for registration in promoted:
            await self.set_role(guild, discord.Object(id=registration.user_id), registration)
            tr = translator_for(
                registration.locale, guild.preferred_locale.value if guild else None
            )
            try:
                await self.dms.send(registration.user_id, promotion_notice(tr))
            except (DmClosed, DmThrottled, discord.HTTPException) as error:
                # Closed DMs: they will read it in the reply to their next command.
                log.info("Could not DM promoted member %s: %s", registration.user_id, error)
            else:
                await self.service.mark_told(user_id=registration.user_id)
