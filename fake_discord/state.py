"""In-memory guild data of the fake Discord: users, members, roles and channels."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .event_model import FakeScheduledEvent

DISCORD_EPOCH_MS = 1420070400000

ADMINISTRATOR = 1 << 3
ALL_PERMISSIONS = (1 << 51) - 1
# What Discord grants @everyone in a new guild: view, send, embed, attach, history, react,
# external emoji, voice, nickname, invite, slash commands, threads.
MEMBER_PERMISSIONS = (
    (1 << 0)
    | (1 << 6)
    | (1 << 10)
    | (1 << 11)
    | (1 << 14)
    | (1 << 15)
    | (1 << 16)
    | (1 << 18)
    | (1 << 20)
    | (1 << 21)
    | (1 << 26)
    | (1 << 31)
    | (1 << 35)
    | (1 << 38)
)
# The bot's managed role: enough to post, manage roles, messages and threads, create events.
CREATE_EVENTS = 1 << 44
BOT_PERMISSIONS = (
    MEMBER_PERMISSIONS | (1 << 4) | (1 << 13) | (1 << 17) | (1 << 28) | (1 << 34) | (1 << 36)
) | CREATE_EVENTS

TEXT, DM, VOICE, CATEGORY, NEWS, NEWS_THREAD, PUBLIC_THREAD, PRIVATE_THREAD, FORUM = (
    0,
    1,
    2,
    4,
    5,
    10,
    11,
    12,
    15,
)
STAGE = 13
THREAD_TYPES = (NEWS_THREAD, PUBLIC_THREAD, PRIVATE_THREAD)


def iso_now() -> str:
    """Current UTC time in Discord's ISO 8601 format."""
    return datetime.now(UTC).isoformat()


class Snowflakes:
    """Generator of increasing, time-based snowflake ids (discord.py derives dates from them)."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> int:
        """Return a fresh snowflake."""
        candidate = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        self._last = max(candidate, self._last + 1)
        return self._last


@dataclass(eq=False)
class FakeMember:
    """A guild member (or the bot itself); ``roles`` holds role ids and changes with the API."""

    id: int
    name: str
    roles: list[int] = field(default_factory=list)
    administrator: bool = False
    dms_open: bool = True
    bot: bool = False
    nick: str | None = None
    joined_at: str = field(default_factory=iso_now)

    @property
    def mention(self) -> str:
        """Mention string of the member."""
        return f"<@{self.id}>"

    def user_payload(self) -> dict[str, Any]:
        """The Discord user object."""
        return {
            "id": str(self.id),
            "username": self.name,
            "discriminator": "0",
            "global_name": None if self.bot else self.name,
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }


@dataclass(eq=False)
class FakeRole:
    """A guild role."""

    id: int
    name: str
    permissions: str = "0"
    position: int = 0
    managed: bool = False
    mentionable: bool = False
    hoist: bool = False
    color: int = 0
    tags: dict[str, Any] | None = None

    def payload(self) -> dict[str, Any]:
        """The Discord role object."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "name": self.name,
            "permissions": self.permissions,
            "position": self.position,
            "color": self.color,
            "colors": {
                "primary_color": self.color,
                "secondary_color": None,
                "tertiary_color": None,
            },
            "hoist": self.hoist,
            "managed": self.managed,
            "mentionable": self.mentionable,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }
        if self.tags is not None:
            data["tags"] = self.tags
        return data


@dataclass(eq=False)
class FakeChannel:
    """A guild channel, thread or DM channel."""

    id: int
    name: str
    type: int = TEXT
    guild_id: int | None = None
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    recipient: FakeMember | None = None
    owner_id: int | None = None
    # Discord's overwrite objects: {"id", "type" (0 role, 1 member), "allow", "deny"}
    overwrites: list[dict[str, Any]] = field(default_factory=list)
    created_at: str = field(default_factory=iso_now)

    @property
    def is_thread(self) -> bool:
        """Whether the channel is a thread."""
        return self.type in THREAD_TYPES

    def payload(self) -> dict[str, Any]:
        """The Discord channel object."""
        if self.type == DM:
            assert self.recipient is not None
            return {
                "id": str(self.id),
                "type": DM,
                "last_message_id": None,
                "flags": 0,
                "recipients": [self.recipient.user_payload()],
            }
        data: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild_id),
            "name": self.name,
            "position": self.position,
            "parent_id": None if self.parent_id is None else str(self.parent_id),
            "permission_overwrites": self.overwrites,
            "nsfw": False,
            "flags": 0,
            "rate_limit_per_user": 0,
        }
        if self.type in (TEXT, NEWS, FORUM):
            data.update(topic=self.topic, last_message_id=None, default_auto_archive_duration=1440)
        if self.type in (VOICE, STAGE):
            data.update(bitrate=64000, user_limit=0, rtc_region=None, last_message_id=None)
        if self.type == FORUM:
            data.update(available_tags=[], default_reaction_emoji=None, default_sort_order=None)
            data.update(default_forum_layout=0)
        if self.is_thread:
            data.pop("permission_overwrites")
            data.pop("position")
            data.update(
                owner_id=str(self.owner_id),
                member_count=1,
                message_count=0,
                total_message_sent=0,
                last_message_id=None,
                thread_metadata={
                    "archived": False,
                    "auto_archive_duration": 1440,
                    "archive_timestamp": self.created_at,
                    "locked": False,
                    "invitable": True,
                    "create_timestamp": self.created_at,
                },
            )
        return data


class GuildState:
    """The one guild the fake serves, with its members, roles and channels."""

    def __init__(self, ids: Snowflakes, guild_id: int, guild_locale: str, bot: FakeMember) -> None:
        self.ids = ids
        self.guild_id = guild_id
        self.guild_locale = guild_locale
        self.name = "Amphi test guild"
        self.owner_id = ids.next()
        self.bot = bot
        self.roles: dict[int, FakeRole] = {}
        self.channels: dict[int, FakeChannel] = {}
        self.members: dict[int, FakeMember] = {bot.id: bot}
        self.dm_channels: dict[int, FakeChannel] = {}
        self.scheduled_events: dict[int, FakeScheduledEvent] = {}  # deleted ones included
        self.roles[guild_id] = FakeRole(guild_id, "@everyone", str(MEMBER_PERMISSIONS))
        for name in ("Remote", "In person", "Moderator", "Organizer"):
            self.add_role(name)
        bot_role = self.add_role(bot.name, permissions=str(BOT_PERMISSIONS))
        bot_role.managed = True
        bot_role.tags = {"bot_id": str(bot.id)}
        bot.roles.append(bot_role.id)
        for name in ("general", "announcements", "questions", "moderation"):
            self.add_channel(name)

    # ----- lookups -------------------------------------------------------------------------
    def channel(self, ref: int | str) -> FakeChannel:
        """Find a guild channel or thread by id or name (KeyError if unknown)."""
        if isinstance(ref, int):
            if ref in self.channels:
                return self.channels[ref]
            for dm in self.dm_channels.values():
                if dm.id == ref:
                    return dm
        else:
            for channel in self.channels.values():
                if channel.name == ref.lstrip("#"):
                    return channel
        raise KeyError(f"no channel {ref!r}; channels: {[c.name for c in self.channels.values()]}")

    def role(self, ref: int | str) -> FakeRole:
        """Find a role by id or name (KeyError if unknown)."""
        if isinstance(ref, int) and ref in self.roles:
            return self.roles[ref]
        for role in self.roles.values():
            if role.name == ref:
                return role
        raise KeyError(f"no role {ref!r}; roles: {[r.name for r in self.roles.values()]}")

    def member(self, ref: FakeMember | int | str) -> FakeMember:
        """Find a member by object, id or name (KeyError if unknown)."""
        if isinstance(ref, FakeMember):
            return ref
        for member in self.members.values():
            if ref in (member.id, member.name):
                return member
        raise KeyError(f"no member {ref!r}; members: {[m.name for m in self.members.values()]}")

    # ----- mutations -----------------------------------------------------------------------
    def add_role(self, name: str, permissions: str = "0") -> FakeRole:
        """Create a role above the existing ones (the bot's managed role stays on top)."""
        role = FakeRole(self.ids.next(), name, str(permissions), position=len(self.roles))
        managed = [r for r in self.roles.values() if r.managed]
        for top in managed:
            role.position, top.position = top.position, role.position
        self.roles[role.id] = role
        return role

    def add_channel(
        self,
        name: str,
        type: int = TEXT,
        *,
        parent_id: int | None = None,
        owner_id: int | None = None,
    ) -> FakeChannel:
        """Create a guild channel or thread."""
        channel = FakeChannel(
            self.ids.next(),
            name,
            type,
            guild_id=self.guild_id,
            position=len(self.channels),
            parent_id=parent_id,
            owner_id=owner_id,
        )
        self.channels[channel.id] = channel
        return channel

    def dm_channel(self, member: FakeMember) -> FakeChannel:
        """The DM channel with a user, created once."""
        if member.id not in self.dm_channels:
            channel = FakeChannel(self.ids.next(), member.name, DM, recipient=member)
            self.dm_channels[member.id] = channel
        return self.dm_channels[member.id]

    # ----- payloads ------------------------------------------------------------------------
    def permissions(self, member: FakeMember) -> int:
        """Guild-level permissions of a member, as Discord resolves them."""
        if member.administrator:
            return ALL_PERMISSIONS
        value = int(self.roles[self.guild_id].permissions)
        for role_id in member.roles:
            if role_id in self.roles:
                value |= int(self.roles[role_id].permissions)
        return ALL_PERMISSIONS if value & ADMINISTRATOR else value

    def member_payload(self, member: FakeMember, *, user: bool = True) -> dict[str, Any]:
        """The Discord guild member object."""
        data: dict[str, Any] = {
            "roles": [str(r) for r in member.roles if r in self.roles],
            "nick": member.nick,
            "avatar": None,
            "banner": None,
            "joined_at": member.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }
        if user:
            data["user"] = member.user_payload()
        return data

    def guild_payload(self) -> dict[str, Any]:
        """The full guild object sent in GUILD_CREATE."""
        channels = [c for c in self.channels.values() if not c.is_thread]
        threads = [c for c in self.channels.values() if c.is_thread]
        return {
            "id": str(self.guild_id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "application_id": None,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "preferred_locale": self.guild_locale,
            "features": [],
            "max_members": 500000,
            "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50,
            "roles": [r.payload() for r in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "soundboard_sounds": [],
            "joined_at": self.bot.joined_at,
            "large": False,
            "unavailable": False,
            "lazy": True,
            "member_count": len(self.members),
            "members": [self.member_payload(m) for m in self.members.values()],
            "channels": [c.payload() for c in channels],
            "threads": [c.payload() for c in threads],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [
                e.payload() for e in self.scheduled_events.values() if e.listed
            ],
            "embedded_activities": [],
            "incidents_data": None,
        }
