"""A Discord message as a member reads it: mentions resolved, embeds laid out, buttons named."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, format_timedelta

from bot.core.i18n import Translator
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
ENGLISH = Translator("en")
#: The Discord client whose dates the transcript shows, for each of Amphi's languages: English
#: as read in Europe (day before month, 24-hour clock), French as in France.
CLIENT_LOCALES = {"en": "en_GB", "fr": "fr_FR"}


def client_locale(tr: Translator) -> str:
    return CLIENT_LOCALES.get(tr.language, CLIENT_LOCALES["en"])


def name_of_user(state: GuildState, user_id: int, tr: Translator = ENGLISH) -> str:
    member = state.members.get(user_id)
    return (member.nick or member.name) if member else tr.gettext("user {id}", id=user_id)


def channel_label(state: GuildState, channel_id: int) -> str | None:
    """ "#name", or "#parent › name" for a thread; None for a DM or an unknown channel."""
    channel = state.channels.get(channel_id)
    if channel is None:
        return None
    parent = state.channels.get(channel.parent_id or 0)
    if channel.type in THREAD_TYPES and parent is not None:
        return f"#{parent.name} › {channel.name}"
    return f"#{channel.name}"


def relative(span: timedelta, tr: Translator = ENGLISH) -> str:
    """Discord's relative time in the reader's language: "in 15 minutes", "il y a 2 heures"."""
    return format_timedelta(span, threshold=1, add_direction=True, locale=client_locale(tr))


def timestamp(match: re.Match[str], tz: ZoneInfo, now: datetime, tr: Translator = ENGLISH) -> str:
    """A `<t:…>` markup as Discord shows it to a reader in the meeting's timezone, in the
    reader's language: "28 June 2021 10:00", "28 juin 2021 10:00"."""
    moment = datetime.fromtimestamp(int(match[1]), UTC).astimezone(tz)
    style = match[2] or "f"
    locale = client_locale(tr)
    if style == "R":
        return relative(moment - now, tr)
    time = format_time(moment, "medium" if style == "T" else "short", locale=locale)
    if style in "tT":
        return time
    date = format_date(moment, {"d": "short", "F": "full"}.get(style, "long"), locale=locale)
    return date if style in "dD" else f"{date} {time}"


def resolve(
    text: str, state: GuildState, tz: ZoneInfo, now: datetime, tr: Translator = ENGLISH
) -> str:
    """`text` with Discord's markup for people, roles, channels, emoji and times made readable."""

    def role(match: re.Match[str]) -> str:
        found = state.roles.get(int(match[1]))
        return f"@{found.name}" if found else tr.gettext("@deleted-role")

    def channel(match: re.Match[str]) -> str:
        return channel_label(state, int(match[1])) or tr.gettext("#deleted-channel")

    def link(match: re.Match[str]) -> str:
        where = channel_label(state, int(match[1]))
        return tr.gettext("[link to a message in {where}]", where=where) if where else match[0]

    text = MESSAGE_LINK.sub(link, text)
    text = USER.sub(lambda m: "@" + name_of_user(state, int(m[1]), tr), text)
    text = ROLE.sub(role, text)
    text = CHANNEL.sub(channel, text)
    text = EMOJI.sub(lambda m: f":{m[1]}:", text)
    return TIMESTAMP.sub(lambda m: timestamp(m, tz, now, tr), text)


def embed_lines(embed: dict[str, Any], tr: Translator = ENGLISH) -> list[str]:
    lines = []
    if embed.get("author", {}).get("name"):
        lines.append(embed["author"]["name"])
    if embed.get("title"):
        lines.append(f"**{embed['title']}**")
    if embed.get("description"):
        lines.append(embed["description"])
    for field in embed.get("fields") or []:
        name, value = field.get("name", ""), field.get("value", "")
        lines.append(tr.gettext("{name}: {value}", name=name, value=value))
    if (embed.get("footer") or {}).get("text"):
        lines.append(embed["footer"]["text"])
    return lines


def text_of(message: FakeMessage, tr: Translator = ENGLISH) -> str:
    """Content, embeds, text components and attachments, one block, still in Discord's markup."""
    parts = [message.content] if message.content else []
    for embed in message.embeds:
        parts.append("\n".join(embed_lines(embed, tr)))
    for component in walk_components(message.components):
        if component.get("type") == TEXT_DISPLAY and component.get("content"):
            parts.append(component["content"])
    parts += [f"📎 {name}" for name, _data, _type in message.attachments]
    return "\n".join(parts)


def buttons_of(message: FakeMessage, tr: Translator = ENGLISH) -> tuple[str, ...]:
    """The labels of the message's buttons and menus, as a member sees them."""
    shown = []
    for component in walk_components(message.components):
        kind = component.get("type")
        if kind == BUTTON:
            label = component.get("label") or (component.get("emoji") or {}).get("name") or "…"
            if component.get("style") == LINK_STYLE:
                label += f" ↗ {component.get('url', '')}"
            if component.get("disabled"):
                label = tr.gettext("{label} (disabled)", label=label)
            shown.append(label)
        elif kind in SELECTS:
            placeholder = component.get("placeholder") or tr.gettext("choose")
            shown.append(f"{placeholder} ▾")
    return tuple(shown)


def pings(message: FakeMessage, state: GuildState, tr: Translator = ENGLISH) -> list[str]:
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
            pinged.append(f"@{found.name}" if found else tr.gettext("@role {id}", id=role_id))
    for match in USER.finditer(content):
        user_id = int(match[1])
        if "users" in parse or user_id in users:
            pinged.append("@" + name_of_user(state, user_id, tr))
    return pinged
