"""Discord glue the cogs share: cards to embeds, role checks, talk autocomplete."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import discord
from discord import app_commands

from bot.client import amphi
from bot.core.config import Ref
from bot.core.errors import AmphiError, NotAllowed
from bot.core.markup import Card, pack_cards, truncate
from bot.core.permissions import Standing, standing
from bot.programme.service import ProgrammeService

T = TypeVar("T")

CHOICE_NAME_LIMIT = 100


def find_role(guild: discord.Guild | None, ref: Ref) -> discord.Role | None:
    """The guild's role that a setting names."""
    if guild is None:
        return None
    return next((role for role in guild.roles if ref.matches(role.id, role.name)), None)


def find_channel(guild: discord.Guild | None, ref: Ref) -> discord.TextChannel | None:
    """The guild's text channel that a setting names."""
    if guild is None:
        return None
    return next((c for c in guild.text_channels if ref.matches(c.id, c.name)), None)


def card_to_embed(card: Card) -> discord.Embed:
    """A card as a discord.py embed."""
    embed = discord.Embed(
        title=card.title or None, description=card.description or None, url=card.url or None
    )
    for name, value in card.fields:
        embed.add_field(name=name, value=value, inline=False)
    if card.footer:
        embed.set_footer(text=card.footer)
    return embed


async def send_cards(
    interaction: discord.Interaction,
    cards: list[Card],
    *,
    ephemeral: bool = True,
    view: discord.ui.View | None = None,
) -> None:
    """Answer with `cards`, over several messages when Discord's limits require it; `view`
    goes under the last."""
    groups = pack_cards(cards)
    for index, group in enumerate(groups):
        options: dict[str, Any] = {"embeds": [card_to_embed(c) for c in group]}
        if view is not None and index == len(groups) - 1:
            options["view"] = view
        if index == 0 and not interaction.response.is_done():
            await interaction.response.send_message(ephemeral=ephemeral, **options)
        else:
            await interaction.followup.send(ephemeral=ephemeral, **options)


def member_standing(interaction: discord.Interaction) -> Standing:
    """The standing of whoever triggered `interaction`, read from their roles now."""
    user = interaction.user
    roles = getattr(user, "roles", [])
    # The interaction carries the member's resolved permissions (owner and roles included).
    administrator = interaction.guild is not None and interaction.permissions.administrator
    return standing(
        amphi(interaction).settings,
        administrator=administrator,
        roles=((role.id, role.name) for role in roles),
    )


def ensure_standing(interaction: discord.Interaction, level: Standing) -> None:
    """Refuse politely unless the member has `level` (for buttons and commands alike)."""
    if member_standing(interaction) < level:
        raise NotAllowed(organizers_only=level is Standing.ORGANIZER)


def only(level: Standing) -> Callable[[T], T]:
    """Enforce `level` at run time, whatever Discord's command permissions say."""

    async def predicate(interaction: discord.Interaction) -> bool:
        try:
            ensure_standing(interaction, level)
        except AmphiError as refusal:
            raise app_commands.CheckFailure(str(refusal)) from refusal
        return True

    return app_commands.check(predicate)


#: Discord's default permission that hides a command from members below each standing.
HIDDEN_FROM = {
    Standing.ORGANIZER: discord.Permissions(manage_events=True),
    Standing.MODERATOR: discord.Permissions(manage_messages=True),
}


def require(level: Standing) -> Callable[[T], T]:
    """For a top-level command: hidden by default from members without `level`, and enforced."""

    def decorator(func: T) -> T:
        return app_commands.default_permissions(HIDDEN_FROM[level])(only(level)(func))

    return decorator


def privileged_group(name: str, description: str, level: Standing) -> app_commands.Group:
    """A command group hidden by default below `level` (each subcommand enforces it: `only`)."""
    return app_commands.Group(
        name=name, description=description, default_permissions=HIDDEN_FROM[level], guild_only=True
    )


async def talk_choices(programme: ProgrammeService, current: str) -> list[app_commands.Choice[str]]:
    """Autocomplete choices for a `talk` option: 'Title — Speaker', valued by the talk's key."""
    talks = await programme.suggest_talks(current)
    return [
        app_commands.Choice(
            name=truncate(f"{talk.title} — {talk.speaker_names}", CHOICE_NAME_LIMIT),
            value=talk.key,
        )
        for talk in talks
    ]
