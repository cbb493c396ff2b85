"""/screen and /dashboard: the organizers' signed links to the web pages."""

from __future__ import annotations

from urllib.parse import quote

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import reader
from bot.core.i18n import Translator
from bot.core.markup import escape
from bot.core.permissions import Standing
from bot.programme.service import ProgrammeService
from bot.web.server import WebServer
from bot.web.signing import DASHBOARD, SCREEN
from cogs.common import require


def web_off(tr: Translator) -> str:
    """Why there is no link: the pages are not served."""
    return tr.gettext(
        "The web pages are off. To serve them, set WEB_PORT and WEB_SECRET in Amphi's settings "
        "(and PUBLIC_URL, the address people use), then restart Amphi."
    )


class WebCog(commands.Cog):
    """The organizers' links to the room screen and the dashboard of the active meeting."""

    def __init__(self, *, programme: ProgrammeService, web: WebServer | None) -> None:
        self.programme = programme
        self.web = web

    async def _link(self, interaction: discord.Interaction, page: str, room: str = "") -> None:
        tr = reader(interaction)
        meeting = await self.programme.active_meeting()
        link = self.web.link(meeting.slug, page) if self.web is not None else None
        if link is None:
            await interaction.response.send_message(web_off(tr), ephemeral=True)
            return
        if room:
            link += f"&room={quote(room)}"
        if page == SCREEN:
            text = tr.gettext(
                "The room screen of {title}, for the projector (keep this link among the "
                "organizers): {link}",
                title=escape(meeting.title),
                link=link,
            )
        else:
            text = tr.gettext(
                "The organizers' dashboard of {title} (keep this link among the organizers): "
                "{link}",
                title=escape(meeting.title),
                link=link,
            )
        await interaction.response.send_message(text, ephemeral=True, suppress_embeds=True)

    @app_commands.command(name="screen", description="Organizers: the room screen's link")
    @app_commands.describe(room="Only this room's talks (default: any room)")
    @app_commands.guild_only()
    @require(Standing.ORGANIZER)
    async def screen(self, interaction: discord.Interaction, room: str | None = None):
        await self._link(interaction, SCREEN, room or "")

    @app_commands.command(name="dashboard", description="Organizers: the dashboard's link")
    @app_commands.guild_only()
    @require(Standing.ORGANIZER)
    async def dashboard(self, interaction: discord.Interaction):
        await self._link(interaction, DASHBOARD)
