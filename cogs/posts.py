"""Scheduled posts on Discord: session reminders, "now on", link DMs, the video-link button,
and the organizers' /reminders timeline."""

from __future__ import annotations

import logging
import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.changes.render import render_correction
from bot.client import AmphiBot, amphi, reader, report_error
from bot.core.config import Settings
from bot.core.i18n import Translator, translator_for
from bot.core.permissions import Standing
from bot.dms.service import Broadcaster
from bot.events.service import EventService
from bot.posts.model import PlannedPost, PostKind, session_at, session_index
from bot.posts.render import link_answer, link_dm, render_timeline, session_reminder, talk_start
from bot.posts.service import PostScheduler
from bot.programme.service import ProgrammeService
from bot.registration.service import RegistrationService
from cogs.common import card_to_embed, find_channel, find_role, require, send_cards
from cogs.dm import DirectMessages

log = logging.getLogger(__name__)


class VideoLinkButton(discord.ui.DynamicItem[discord.ui.Button], template=r"amphi:video-link"):
    """Persistent: answers each presser, ephemerally, with the link or a polite refusal."""

    def __init__(self, label: str = "Get the video link") -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.primary,
                custom_id="amphi:video-link",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> VideoLinkButton:
        return cls()

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await amphi(interaction).cog(PostsCog).on_video_link(interaction)
        except Exception as error:
            await report_error(interaction, error)


def video_link_view(tr: Translator) -> discord.ui.View:
    """A view holding the persistent video-link button."""
    view = discord.ui.View(timeout=None)
    view.add_item(VideoLinkButton(tr.gettext("Get the video link")))
    return view


class PostsCog(commands.Cog):
    """Delivers the programme's planned posts and shows their timeline."""

    def __init__(
        self,
        bot: AmphiBot,
        *,
        settings: Settings,
        programme: ProgrammeService,
        registration: RegistrationService,
        posts: PostScheduler,
        broadcaster: Broadcaster,
        dms: DirectMessages,
        events: EventService,
    ) -> None:
        self.bot = bot
        self.settings = settings
        self.programme = programme
        self.registration = registration
        self.posts = posts
        self.broadcaster = broadcaster
        self.dms = dms
        self.events = events

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(VideoLinkButton)
        self.posts.handle(PostKind.SESSION_REMINDER, self.send_session_reminder)
        self.posts.handle(PostKind.TALK_START, self.send_talk_start)
        self.posts.handle(PostKind.LINK_DMS, self.send_link_dms)
        self.posts.handle(PostKind.CORRECTION, self.send_correction)

    async def on_video_link(self, interaction: discord.Interaction) -> None:
        """Get the video link pressed: the link for remote attendees, a polite refusal else."""
        link = self.settings.remote_link
        registration = await self.registration.lookup(user_id=interaction.user.id)
        text = link_answer(registration, link.reveal() if link else None, reader(interaction))
        await interaction.response.send_message(text, ephemeral=True)

    def _guild(self) -> discord.Guild:
        guild = self.bot.get_guild(self.settings.guild_id or 0)
        if guild is None:
            raise RuntimeError(f"the bot is not in the server {self.settings.guild_id}")
        return guild

    def _announcements(self, guild: discord.Guild) -> discord.TextChannel:
        channel = find_channel(guild, self.settings.announcements_channel)
        if channel is None:
            raise RuntimeError(
                f"ANNOUNCEMENTS_CHANNEL={self.settings.announcements_channel} is not on the server"
            )
        return channel

    async def send_session_reminder(self, post: PlannedPost, late: bool) -> int | None:
        """Post a session reminder that pings the attendees' roles."""
        meeting = await self.programme.meeting(post.meeting_slug)
        index = session_index(meeting, post.target)
        if index is None:
            return None  # gone from the programme since it was planned
        session = meeting.sessions[index]
        guild = self._guild()
        roles = [
            role
            for role in (
                find_role(guild, self.settings.in_person_role),
                find_role(guild, self.settings.remote_role),
            )
            if role is not None
        ]
        has_link = self.settings.remote_link is not None
        tr = translator_for(None, guild.preferred_locale.value)
        links = await self.events.session_links(meeting, guild.id)
        text, card = session_reminder(
            meeting,
            session,
            post.lead_minutes or 0,
            tr,
            has_link=has_link,
            event_url=links.get(index + 1, ""),
        )
        pings = " ".join(role.mention for role in roles)
        message = await self._announcements(guild).send(
            f"{pings}\n{text}" if pings else text,
            embed=card_to_embed(card),
            view=video_link_view(tr) if has_link else discord.utils.MISSING,
            nonce=post.nonce,
            allowed_mentions=discord.AllowedMentions(everyone=False, users=False, roles=roles),
        )
        return message.id

    async def send_talk_start(self, post: PlannedPost, late: bool) -> int:
        """Post "now on" for a talk."""
        meeting = await self.programme.meeting(post.meeting_slug)
        talk = meeting.talk(post.target)
        if talk is None:
            raise RuntimeError(f"no talk {post.target!r} in {meeting.slug}")
        guild = self._guild()
        tr = translator_for(None, guild.preferred_locale.value)
        message = await self._announcements(guild).send(talk_start(talk, tr), nonce=post.nonce)
        return message.id

    async def send_correction(self, post: PlannedPost, late: bool) -> int | None:
        """Put right a reminder or "now on" already posted, whose session or talk moved."""
        original = await self.posts.get(post.target)
        meeting = await self.programme.meeting(post.meeting_slug)
        if original is None:
            return None
        if original.post.kind is PostKind.SESSION_REMINDER:
            found = session_at(meeting, original.post.target)
            subject = (found.title, found.start) if found else None
        else:
            talk = meeting.talk(original.post.target)
            subject = (talk.title, talk.start) if talk else None
        if subject is None:
            return None  # gone from the programme: the change notice says it is cancelled
        tr = translator_for(None, self._guild().preferred_locale.value)
        message = await self._announcements(self._guild()).send(
            render_correction(meeting, *subject, tr),
            nonce=post.nonce,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        return message.id

    async def send_link_dms(self, post: PlannedPost, late: bool) -> None:
        """DM the video link to remote registrants (and the waitlist) who opted in."""
        link = self.settings.remote_link
        if link is None:
            return
        meeting = await self.programme.meeting(post.meeting_slug)
        session = session_at(meeting, post.target)
        if session is None:
            return
        guild_locale = self._guild().preferred_locale.value
        recipients = {
            r.user_id: r
            for r in await self.registration.all_registrations(meeting)
            if r.gets_link_dms
        }

        def render(user_id: int) -> str:
            locale = recipients[user_id].locale if user_id in recipients else None
            return link_dm(meeting, session, link.reveal(), translator_for(locale, guild_locale))

        report = await self.broadcaster.run(post.key, list(recipients), render, self.dms.send)
        log.info("Link DMs %s: %d sent, %d failed", post.key, report.sent, report.failed)

    @app_commands.command(name="reminders", description="Organizers: every planned post")
    @require(Standing.ORGANIZER)
    async def show_reminders(self, interaction: discord.Interaction):
        meeting = await self.programme.active_meeting()
        records = await self.posts.timeline(meeting.slug)
        await send_cards(interaction, render_timeline(meeting, records, reader(interaction)))
