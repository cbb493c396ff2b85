"""/announce with its preview, /announcements list and cancel, and their delivery."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.announcements.model import Announcement, Audience
from bot.announcements.render import (
    announcement_dm,
    render_preview,
    render_progress,
    render_report,
    render_scheduled,
    when,
)
from bot.announcements.service import AnnouncementService
from bot.client import AmphiBot, amphi, reader, report_error
from bot.core.config import Settings
from bot.core.i18n import Translator, translator_for
from bot.core.permissions import Standing
from bot.dms.model import DeliveryReport
from bot.dms.service import Broadcaster
from bot.posts.model import PlannedPost, PostKind
from bot.posts.service import NONCE_WINDOW
from cogs.common import ensure_standing, find_channel, find_role, only, privileged_group, require
from cogs.dm import DirectMessages

log = logging.getLogger(__name__)

PROGRESS_EVERY_SECONDS = 1.0

AUDIENCE_CHOICES = [
    app_commands.Choice(name="nobody", value=Audience.NONE.value),
    app_commands.Choice(name="everyone registered", value=Audience.REGISTERED.value),
    app_commands.Choice(name="in person", value=Audience.IN_PERSON.value),
    app_commands.Choice(name="remote", value=Audience.REMOTE.value),
]


class AnnouncementButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"amphi:announce:(?P<action>send|cancel):(?P<id>\d+)",
):
    """Send or Cancel under a preview; works after a restart, for organizers only."""

    def __init__(self, action: str, announcement_id: int, label: str = "") -> None:
        style = discord.ButtonStyle.success if action == "send" else discord.ButtonStyle.danger
        super().__init__(
            discord.ui.Button(
                label=label or action,
                style=style,
                custom_id=f"amphi:announce:{action}:{announcement_id}",
            )
        )
        self.action = action
        self.announcement_id = announcement_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> AnnouncementButton:
        return cls(match["action"], int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            ensure_standing(interaction, Standing.ORGANIZER)
            await (
                amphi(interaction)
                .cog(AnnouncementCog)
                .on_button(interaction, self.action, self.announcement_id)
            )
        except Exception as error:
            await report_error(interaction, error)


class AnnouncementCog(commands.Cog):
    """Organizers reach the attendees: in a channel, with a role ping, and by DM."""

    announcements = privileged_group(
        "announcements",
        "Organizers: scheduled announcements",
        Standing.ORGANIZER,
    )

    def __init__(
        self,
        bot: AmphiBot,
        *,
        settings: Settings,
        service: AnnouncementService,
        broadcaster: Broadcaster,
        dms: DirectMessages,
    ) -> None:
        self.bot = bot
        self.settings = settings
        self.service = service
        self.broadcaster = broadcaster
        self.dms = dms
        self._progress: dict[int, discord.Interaction] = {}  # the Send press, while it is valid

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(AnnouncementButton)
        self.service.posts.handle(PostKind.ANNOUNCEMENT, self.deliver)

    @app_commands.command(name="announce", description="Organizers: post an announcement")
    @app_commands.describe(
        message="The text to post",
        channel="Where to post it (default: the announcements channel)",
        at="When: HH:MM on the meeting day, or a date and time (default: now)",
        audience="Whose role to ping (default: nobody)",
        dm="Also DM the members of the audience who opted in to DMs",
    )
    @app_commands.choices(audience=AUDIENCE_CHOICES)
    @app_commands.guild_only()
    @require(Standing.ORGANIZER)
    async def announce(
        self,
        interaction: discord.Interaction,
        message: str,
        channel: discord.TextChannel | None = None,
        at: str | None = None,
        audience: app_commands.Choice[str] | None = None,
        dm: bool = False,
    ):
        tr = reader(interaction)
        draft = await self.service.draft(
            author_id=interaction.user.id,
            text=message,
            channel_id=channel.id if channel else None,
            audience=Audience(audience.value if audience else Audience.NONE.value),
            dm=dm,
            at=at,
        )
        recipients = await self.service.recipients(draft)
        target = channel or find_channel(interaction.guild, self.settings.announcements_channel)
        label = target.mention if target else f"#{self.settings.announcements_channel}"
        view = discord.ui.View(timeout=None)
        view.add_item(AnnouncementButton("send", draft.id, tr.gettext("Send")))
        view.add_item(AnnouncementButton("cancel", draft.id, tr.gettext("Cancel")))
        await interaction.response.send_message(
            render_preview(draft, label, len(recipients), tr), view=view, ephemeral=True
        )

    async def on_button(self, interaction: discord.Interaction, action: str, item: int) -> None:
        """Send or Cancel pressed under a preview."""
        tr = reader(interaction)
        if action == "cancel":
            await self.service.cancel(item)
            await interaction.response.edit_message(
                content=tr.gettext("Announcement #{id} is cancelled.", id=item), view=None
            )
            return
        announcement = await self.service.get(item)
        if announcement.status != "draft":
            await interaction.response.edit_message(
                content=tr.gettext("Announcement #{id} was already sent or cancelled.", id=item),
                view=None,
            )
            return
        already = tr.gettext("Announcement #{id} was already sent or cancelled.", id=item)
        if announcement.due is not None:
            if await self.service.confirm(item) is None:
                await interaction.response.edit_message(content=already, view=None)
                return
            text = tr.gettext(
                "Announcement #{id} is scheduled {when}. /announcements cancel can still stop it.",
                id=item,
                when=when(announcement, tr),
            )
            await interaction.response.edit_message(content=text, view=None)
            return
        # Answer first: the delivery edits this message with its progress and report.
        self._progress.setdefault(item, interaction)
        await interaction.response.edit_message(
            content=tr.gettext("Sending announcement #{id}…", id=item), view=None
        )
        if await self.service.confirm(item) is None:
            if self._progress.get(item) is interaction:
                del self._progress[item]
            await interaction.edit_original_response(content=already)

    @announcements.command(name="list", description="Scheduled announcements")
    @only(Standing.ORGANIZER)
    async def list_announcements(self, interaction: discord.Interaction):
        scheduled = await self.service.scheduled()
        await interaction.response.send_message(
            render_scheduled(scheduled, reader(interaction)), ephemeral=True
        )

    @announcements.command(name="cancel", description="Cancel a scheduled announcement")
    @app_commands.describe(id="The announcement's number (see /announcements list)")
    @only(Standing.ORGANIZER)
    async def cancel_announcement(self, interaction: discord.Interaction, id: int):
        await self.service.cancel(id)
        await interaction.response.send_message(
            reader(interaction).gettext("Announcement #{id} is cancelled.", id=id), ephemeral=True
        )

    # ----- delivery ------------------------------------------------------------------------
    async def deliver(self, post: PlannedPost, late: bool) -> int | None:
        """Post the announcement, then DM it; a resumed delivery skips what was done."""
        announcement = await self.service.get(int(post.target))
        if announcement.status != "scheduled":
            return None  # cancelled while it was being confirmed
        guild = self.bot.get_guild(self.settings.guild_id or 0)
        tr = translator_for(None, guild.preferred_locale.value if guild else None)
        sink = self._progress.get(announcement.id)
        try:
            if guild is None:
                raise RuntimeError(f"the bot is not in the server {self.settings.guild_id}")
            message_id = announcement.message_id
            if message_id is None and await self._may_post(announcement):
                message_id = await self._post(guild, announcement, post.nonce)
                await self.service.mark_posted(announcement.id, message_id)
            report = await self._send_dms(post, announcement, sink, tr) if announcement.dm else None
        except Exception as error:
            failed = tr.gettext(
                "Announcement #{id} could not be sent yet ({error}); Amphi tries again, and "
                "/reminders shows how it ends.",
                id=announcement.id,
                error=f"{type(error).__name__}: {error}"[:300],
            )
            await self._report(announcement, failed, sink)
            raise
        self._progress.pop(announcement.id, None)
        await self.service.mark_sent(announcement.id)
        await self._report(announcement, render_report(announcement, report, tr), sink)
        return message_id

    async def _may_post(self, announcement: Announcement) -> bool:
        """False for a send resumed too long after a crash: Discord may have it already."""
        age = await self.service.claim_age(announcement)
        if age is not None and age > NONCE_WINDOW:
            log.warning(
                "Announcement #%s was interrupted %s ago; its DMs go on, its post is not repeated",
                announcement.id,
                age,
            )
            return False
        return True

    async def _post(self, guild: discord.Guild, announcement: Announcement, nonce: str) -> int:
        channel = (
            guild.get_channel(announcement.channel_id) if announcement.channel_id else None
        ) or find_channel(guild, self.settings.announcements_channel)
        if not isinstance(channel, discord.TextChannel):
            raise RuntimeError("the announcement's channel is not on the server")
        wanted = announcement.audience.roles(self.settings)
        roles = [role for role in (find_role(guild, ref) for ref in wanted) if role is not None]
        pings = " ".join(role.mention for role in roles)
        message = await channel.send(
            f"{pings}\n{announcement.text}" if pings else announcement.text,
            nonce=nonce,
            # Only the audience's roles may ping: mentions typed in the text stay inert.
            allowed_mentions=discord.AllowedMentions(everyone=False, users=False, roles=roles),
        )
        return message.id

    async def _send_dms(
        self,
        post: PlannedPost,
        announcement: Announcement,
        sink: discord.Interaction | None,
        tr: Translator,
    ) -> DeliveryReport:
        recipients = [r.user_id for r in await self.service.recipients(announcement)]
        meeting = await self.service.programme.meeting(announcement.meeting_slug)
        text = announcement_dm(meeting.title, announcement.text, tr)
        loop = asyncio.get_running_loop()
        last = 0.0

        async def progress(report: DeliveryReport) -> None:
            nonlocal last
            if sink is None or loop.time() - last < PROGRESS_EVERY_SECONDS:
                return
            last = loop.time()
            try:
                await sink.edit_original_response(content=render_progress(report, tr))
            except discord.HTTPException:
                log.info("Could not show the broadcast's progress")

        return await self.broadcaster.run(
            post.key, recipients, lambda _user: text, self.dms.send, progress
        )

    async def _report(
        self, announcement: Announcement, text: str, sink: discord.Interaction | None
    ) -> None:
        try:
            if sink is not None:
                await sink.edit_original_response(content=text)
            else:
                await self.dms.send(announcement.author_id, text)
        except Exception as error:
            log.info("Could not give the delivery report of #%s: %s", announcement.id, error)
