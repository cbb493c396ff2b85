"""A Discord message as a member reads it: mentions resolved, embeds laid out, buttons named."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fake_discord.messages import FakeMessage, walk_components
from fake_discord.state import THREAD_TYPES, GuildState

USER = re.compile(r"<@!?(\d+)>")
ROLE = re.compile(r"<@&(\d+)>")
CHANNEL = re.compile(r"<#(\d+)>")
EMOJI = re.compile(r"<a?:(\w+):\d+>")
TIMESTAMP = re.compile(r"<t:(-?\d+)(?::([tTdDfFR]))?>")
MESSAGE_LINK = re.compile(r"https://discord\.com/channels/\d+/(\d+)(?:/\d+)?")
BUTTON, LINK_STYLE = 2, 5
SELECTS = {3, 5, 6, 7, 8}
TEXT_DISPLAY = 10


def name_of_user(state: GuildState, user_id: int) -> str:
    member = state.members.get(user_id)
    return (member.nick or member.name) if member else f"user {user_id}"


def channel_label(state: GuildState, channel_id: int) -> str | None:
    """ "#name", or "#parent › name" for a thread; None for a DM or an unknown channel."""
    channel = state.channels.get(channel_id)
    if channel is None:
        return None
    parent = state.channels.get(channel.parent_id or 0)
    if channel.type in THREAD_TYPES and parent is not None:
        return f"#{parent.name} › {channel.name}"
    return f"#{channel.name}"


def relative(span: timedelta) -> str:
    """Discord's relative time, in English: "in 15 minutes", "2 hours ago"."""
    seconds = round(span.total_seconds())
    size = abs(seconds)
    unit, count = "second", size
    for name, length in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if size >= length:
            unit, count = name, round(size / length)
            break
    words = f"{count} {unit}{'' if count == 1 else 's'}"
    return f"in {words}" if seconds >= 0 else f"{words} ago"


def timestamp(match: re.Match[str], tz: ZoneInfo, now: datetime) -> str:
    """A `<t:…>` markup as Discord shows it to a reader in the meeting's timezone."""
    moment = datetime.fromtimestamp(int(match[1]), UTC).astimezone(tz)
    style = match[2] or "f"
    if style == "R":
        return relative(moment - now)
    formats = {
        "t": "%H:%M",
        "T": "%H:%M:%S",
        "d": "%d/%m/%Y",
        "D": "%d %B %Y",
        "f": "%d %B %Y %H:%M",
        "F": "%A %d %B %Y %H:%M",
    }
    return moment.strftime(formats[style])


def resolve(text: str, state: GuildState, tz: ZoneInfo, now: datetime) -> str:
    """`text` with Discord's markup for people, roles, channels, emoji and times made readable."""

    def role(match: re.Match[str]) -> str:
        found = state.roles.get(int(match[1]))
        return f"@{found.name}" if found else "@deleted-role"

    def channel(match: re.Match[str]) -> str:
        return channel_label(state, int(match[1])) or "#deleted-channel"

    def link(match: re.Match[str]) -> str:
        where = channel_label(state, int(match[1]))
        return f"[link to a message in {where}]" if where else match[0]

    text = MESSAGE_LINK.sub(link, text)
    text = USER.sub(lambda m: "@" + name_of_user(state, int(m[1])), text)
    text = ROLE.sub(role, text)
    text = CHANNEL.sub(channel, text)
    text = EMOJI.sub(lambda m: f":{m[1]}:", text)
    return TIMESTAMP.sub(lambda m: timestamp(m, tz, now), text)


def embed_lines(embed: dict[str, Any]) -> list[str]:
    lines = []
    if embed.get("author", {}).get("name"):
        lines.append(embed["author"]["name"])
    if embed.get("title"):
        lines.append(f"**{embed['title']}**")
    if embed.get("description"):
        lines.append(embed["description"])
    for field in embed.get("fields") or []:
        lines.append(f"{field.get('name', '')}: {field.get('value', '')}")
    if (embed.get("footer") or {}).get("text"):
        lines.append(embed["footer"]["text"])
    return lines


def text_of(message: FakeMessage) -> str:
    """Content, embeds, text components and attachments, one block, still in Discord's markup."""
    parts = [message.content] if message.content else []
    for embed in message.embeds:
        parts.append("\n".join(embed_lines(embed)))
    for component in walk_components(message.components):
        if component.get("type") == TEXT_DISPLAY and component.get("content"):
            parts.append(component["content"])
    parts += [f"📎 {name}" for name, _data, _type in message.attachments]
    return "\n".join(parts)


def buttons_of(message: FakeMessage) -> tuple[str, ...]:
    """The labels of the message's buttons and menus, as a member sees them."""
    shown = []
    for component in walk_components(message.components):
        kind = component.get("type")
        if kind == BUTTON:
            label = component.get("label") or (component.get("emoji") or {}).get("name") or "…"
            if component.get("style") == LINK_STYLE:
                label += f" ↗ {component.get('url', '')}"
            if component.get("disabled"):
                label += " (disabled)"
            shown.append(label)
        elif kind in SELECTS:
            shown.append(f"{component.get('placeholder') or 'choose'} ▾")
    return tuple(shown)


def pings(message: FakeMessage, state: GuildState) -> list[str]:
    """Who the message notifies: the mentions in its content that its allowed mentions allow."""
    allowed = message.allowed_mentions
    parse = set(allowed.get("parse", [])) if allowed is not None else {"users", "roles", "everyone"}
    users = {int(u) for u in (allowed or {}).get("users", [])}
    roles = {int(r) for r in (allowed or {}).get("roles", [])}
    pinged = []
    content = message.content
    if "everyone" in parse:
        pinged += [word for word in ("@everyone", "@here") if word in content]
    for match in ROLE.finditer(content):
        role_id = int(match[1])
        if "roles" in parse or role_id in roles:
            found = state.roles.get(role_id)
            pinged.append(f"@{found.name}" if found else f"@role {role_id}")
    for match in USER.finditer(content):
        user_id = int(match[1])
        if "users" in parse or user_id in users:
            pinged.append("@" + name_of_user(state, user_id))
    return pinged
