"""/programme, /now and /calendar."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import reader
from bot.core.config import Settings
from bot.core.markup import escape, timestamp, truncate
from bot.core.permissions import Standing
from bot.events.service import EventService
from bot.programme.ics import build_calendar, calendar_filename
from bot.programme.model import Meeting, fold
from bot.programme.render import render_now, render_programme, render_talk
from bot.programme.service import ProgrammeService
from cogs.common import (
    CHOICE_NAME_LIMIT,
    card_to_embed,
    only,
    privileged_group,
    send_cards,
    talk_choices,
)

AUTOMATIC = "automatic"


def _dates(meeting: Meeting) -> str:
    """'2024-05-02', or '2024-05-02 – 2024-05-04' for a meeting of several days."""
    days = meeting.days
    return f"{days[0]} – {days[-1]}" if len(days) > 1 else days[0].isoformat()


class ProgrammeCog(commands.Cog):
    """The day's programme, for everyone; organizers choose which meeting."""

    # /programme itself takes a talk, so it cannot hold subcommands (Discord's rule): the
    # organizers' programme commands live under /meeting.
    meeting = privileged_group(
        "meeting",
        "Organizers: the active meeting, its programme's refresh and change notices",
        Standing.ORGANIZER,
    )

    def __init__(
        self,
        *,
        settings: Settings,
        programme: ProgrammeService,
        events: EventService,
        refresh: Callable[[discord.Interaction], Awaitable[None]],
        show_changes: Callable[[discord.Interaction], Awaitable[None]],
    ) -> None:
        self.settings = settings
        self.programme = programme
        self.events = events
        # The changes cog's refresh and preview: it follows the sources and handles the buttons.
        self.refresh = refresh
        self.show_changes = show_changes

    async def _event_links(self, meeting: Meeting) -> dict[int, str]:
        return await self.events.session_links(meeting, self.settings.guild_id or 0)

    @app_commands.command(name="programme", description="Show the day's programme, or one talk")
    @app_commands.describe(talk="A talk: type part of its title or a speaker's name")
    async def show_programme(self, interaction: discord.Interaction, talk: str | None = None):
        tr = reader(interaction)
        if talk:
            meeting, found = await self.programme.find_talk(talk)
            cards = render_talk(meeting, found, tr)
        else:
            meeting = await self.programme.active_meeting()
            cards = render_programme(meeting, tr, await self._event_links(meeting))
        await send_cards(interaction, cards)

    @show_programme.autocomplete("talk")
    async def _talk_autocomplete(self, interaction: discord.Interaction, current: str):
        return await talk_choices(self.programme, current)

    @app_commands.command(name="now", description="The talk on now and the next one")
    async def show_now(self, interaction: discord.Interaction):
        meeting, state = await self.programme.now_and_next()
        card = render_now(meeting, state, reader(interaction))
        await interaction.response.send_message(embed=card_to_embed(card), ephemeral=True)

    @app_commands.command(name="calendar", description="The programme as a calendar file")
    async def send_calendar(self, interaction: discord.Interaction):
        tr = reader(interaction)
        meeting = await self.programme.active_meeting()
        data = build_calendar(
            meeting, generated_at=self.programme.clock(), events=await self._event_links(meeting)
        )
        await interaction.response.send_message(
            tr.gettext(
                "The programme of {title}, for your calendar app (each talk has a reminder "
                "10 minutes before it starts).",
                title=meeting.title,
            ),
            file=discord.File(io.BytesIO(data), filename=calendar_filename(meeting)),
            ephemeral=True,
        )

    @meeting.command(name="switch", description="Make another loaded meeting the active one")
    @app_commands.describe(meeting="A loaded meeting, or automatic (the current or next one)")
    @only(Standing.ORGANIZER)
    async def switch_meeting(self, interaction: discord.Interaction, meeting: str):
        chosen = await self.programme.choose(None if meeting == AUTOMATIC else meeting)
        await interaction.response.send_message(
            reader(interaction).gettext(
                "The commands now act on {title} ({date}).",
                title=escape(chosen.title),
                date=timestamp(chosen.start, "D"),
            ),
            ephemeral=True,
        )

    @meeting.command(name="refresh", description="Read the programme again from its source")
    @only(Standing.ORGANIZER)
    async def refresh_programme(self, interaction: discord.Interaction):
        await self.refresh(interaction)

    @meeting.command(name="changes", description="Preview, hold or post the change notice")
    @only(Standing.ORGANIZER)
    async def changes_preview(self, interaction: discord.Interaction):
        await self.show_changes(interaction)

    @switch_meeting.autocomplete("meeting")
    async def _meeting_autocomplete(self, interaction: discord.Interaction, current: str):
        typed = fold(current)
        choices = [
            app_commands.Choice(
                name=truncate(f"{m.title} — {_dates(m)}", CHOICE_NAME_LIMIT), value=m.slug
            )
            for m in await self.programme.meetings()
            if typed in fold(f"{m.title} {m.slug}")
        ]
        automatic = reader(interaction).gettext("automatic: the current or next meeting")
        return [app_commands.Choice(name=automatic, value=AUTOMATIC), *choices][:25]
