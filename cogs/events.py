"""The meeting in the server's Events tab: Discord's scheduled events kept in step with the
programme, stage and voice events started and ended on time, and the organizers' /events."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands
from discord.http import HTTPClient

from bot.client import AmphiBot, reader
from bot.core.config import Ref, Settings
from bot.core.markup import escape
from bot.core.permissions import Standing
from bot.events.model import EntityType, EventStatus, ListedEvent, Place
from bot.events.service import EventService, SyncReport
from bot.posts.model import PlannedPost, PostKind
from bot.posts.service import PostScheduler
from bot.programme.model import Meeting
from cogs.common import only, privileged_group

log = logging.getLogger(__name__)

#: Seconds between passes: an event deleted by hand, or a new permission, is seen.
SYNC_INTERVAL = 600.0


class DiscordEvents:
    """The server's scheduled events through discord.py's HTTP client (plain JSON)."""

    def __init__(self, bot: AmphiBot) -> None:
        self.bot = bot

    @property
    def http(self) -> HTTPClient:
        return self.bot.http

    @property
    def guild_id(self) -> int:
        return self.bot.settings.guild_id or 0

    async def list(self) -> list[ListedEvent]:
        events = await self.http.get_scheduled_events(self.guild_id, True)
        return [listed_event(e) for e in events]

    async def create(self, payload: dict[str, Any]) -> int:
        event = await self.http.create_guild_scheduled_event(self.guild_id, **payload)
        return int(event["id"])

    async def edit(self, event_id: int, payload: dict[str, Any]) -> None:
        await self.http.edit_scheduled_event(self.guild_id, event_id, **payload)


def listed_event(data: Any) -> ListedEvent:
    """A scheduled event of Discord's JSON, with what an edit is compared with."""
    end, channel = data.get("scheduled_end_time"), data.get("channel_id")
    return ListedEvent(
        id=int(data["id"]),
        name=data["name"],
        start=datetime.fromisoformat(data["scheduled_start_time"]),
        status=EventStatus(data["status"]),
        creator_id=int(creator) if (creator := data.get("creator_id")) else None,
        user_count=int(data.get("user_count") or 0),
        end=datetime.fromisoformat(end) if end else None,
        description=data.get("description"),
        kind=EntityType(data["entity_type"]),
        channel_id=int(channel) if channel else None,
        location=(data.get("entity_metadata") or {}).get("location"),
    )


def missing_permissions(guild: discord.Guild, place: Place) -> list[str]:
    """What the bot lacks to hold the events at `place`, by Discord's names."""
    me = guild.me
    server = me.guild_permissions
    missing = [] if server.create_events or server.manage_events else ["Create Events"]
    channel = guild.get_channel(place.channel_id) if place.channel_id else None
    if channel is not None:
        here = channel.permissions_for(me)
        if place.kind is EntityType.STAGE_INSTANCE:
            needs = {"Manage Channels": here.manage_channels, "Mute Members": here.mute_members}
            needs["Move Members"] = here.move_members
        else:
            needs = {"View Channel": here.view_channel, "Connect": here.connect}
        missing += [name for name, held in needs.items() if not held]
    return missing


def find_place(guild: discord.Guild, settings: Settings) -> Place | None:
    """Where the events happen; None when the configured channel is not on the server."""
    wanted: list[tuple[Ref | None, EntityType, list[Any]]] = [
        (settings.stage_channel, EntityType.STAGE_INSTANCE, list(guild.stage_channels)),
        (settings.voice_channel, EntityType.VOICE, list(guild.voice_channels)),
    ]
    for ref, kind, channels in wanted:
        if ref is not None:
            found = next((c for c in channels if ref.matches(c.id, c.name)), None)
            return Place(kind, found.id) if found else None
    return Place()


class EventsCog(commands.Cog):
    """Scheduled events for the meeting's sessions (or its day)."""

    events = privileged_group(
        "events", "Organizers: the meeting in the server's Events tab", Standing.ORGANIZER
    )

    def __init__(
        self, bot: AmphiBot, *, settings: Settings, service: EventService, posts: PostScheduler
    ) -> None:
        self.bot = bot
        self.settings = settings
        self.service = service
        self.posts = posts
        self.discord = DiscordEvents(bot)
        self.place: Place | None = None  # None until checked, or when events cannot be held
        self._checked = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._failing: str | None = None  # why the last pass could not run, once said

    async def cog_load(self) -> None:
        self.posts.handle(PostKind.EVENT_START, self.start_event)
        self.posts.handle(PostKind.EVENT_END, self.end_event)
        self._task = asyncio.create_task(self._keep_in_step(), name="amphi-events")

    async def cog_unload(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _check(self) -> Place | None:
        """Where the events go, once the server is known; says once at start what is missing."""
        guild = self.bot.get_guild(self.settings.guild_id or 0)
        if guild is None:
            log.warning("The server is not available; the meeting is not put in the Events tab")
            return None
        place = find_place(guild, self.settings)
        if place is None:
            setting = "STAGE_CHANNEL" if self.settings.stage_channel else "VOICE_CHANNEL"
            log.warning(
                "%s names no %s channel of the server; the meeting is not put in the Events tab",
                setting,
                "stage" if self.settings.stage_channel else "voice",
            )
            return None
        missing = missing_permissions(guild, place)
        if missing:
            log.warning(
                "Amphi lacks %s, so the meeting is not put in the server's Events tab; "
                "everything else works. Allow it to Amphi's role, then restart.",
                ", ".join(missing),
            )
            return None
        return place

    async def _keep_in_step(self) -> None:
        await self.bot.wait_until_ready()
        try:
            self.place = self._check()
        finally:  # the stage events' start and end wait for this, whatever happens
            self._checked.set()
        if self.place is None:
            return
        while True:
            await self.sync()
            await asyncio.sleep(SYNC_INTERVAL)

    async def sync(
        self, *, recreate: bool = False, retry: bool = False, at: datetime | None = None
    ) -> SyncReport | None:
        """One pass; None when the events cannot be held here."""
        if self.place is None or self.bot.user is None:
            return None
        try:
            report = await self.service.sync(
                self.discord, self.place, bot_id=self.bot.user.id, recreate=recreate,
                retry=retry, at=at,
            )  # fmt: skip
        except Exception as error:
            if str(error) != self._failing:  # said once until the cause changes
                log.exception("Could not bring the scheduled events in step with the programme")
            self._failing = str(error)
            return SyncReport(failed=["the server's events could not be read"])
        self._failing = None
        return report

    async def programme_changed(self) -> None:
        """After a reload: a pass, when the programme is not the one the last pass saw."""
        if self.place is not None and await self.service.programme_moved():
            await self.sync()

    async def start_event(self, post: PlannedPost, late: bool) -> None:
        await self._at(post)

    async def end_event(self, post: PlannedPost, late: bool) -> None:
        await self._at(post)

    async def _at(self, post: PlannedPost) -> None:
        """A session's start or end: a pass as of then, which starts and ends what is due
        (the end of one session before the start of the next, in either post's pass)."""
        await self._checked.wait()
        await self.sync(at=post.due)

    async def interested(self, meeting: Meeting) -> list[tuple[str, int]]:
        """The meeting's events and their Interested counts; empty without events."""
        if self.place is None:
            return []
        try:
            return await self.service.interested(self.discord, meeting)
        except discord.HTTPException as error:
            log.warning("Could not read the events' Interested counts: %s", error)
            return []

    @events.command(name="sync", description="Bring the Events tab in step with the programme")
    @app_commands.describe(recreate="Also recreate the events deleted by hand in Discord")
    @only(Standing.ORGANIZER)
    async def sync_command(self, interaction: discord.Interaction, recreate: bool = False):
        tr = reader(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        report = await self.sync(recreate=recreate, retry=True)
        if report is None:
            text = tr.gettext(
                "The meeting is not in the Events tab: Amphi lacks the permission to create "
                "events (or the stage or voice channel set up for them). `amphi doctor` says "
                "what to fix."
            )
        else:
            text = tr.gettext(
                "Events tab in step with the programme: {created} created, {updated} updated, "
                "{cancelled} cancelled.",
                created=len(report.created),
                updated=len(report.updated),
                cancelled=len(report.cancelled),
            )
            if report.lost:
                text += "\n" + tr.gettext(
                    "Deleted in Discord and left so: {names}. Run this again with recreate "
                    "to bring them back.",
                    names=", ".join(map(escape, report.lost)),
                )
            if report.failed:
                failed = "; ".join(map(escape, report.failed))
                text += "\n" + tr.gettext("Failed: {problems}", problems=failed)
        await interaction.followup.send(text, ephemeral=True)
