"""Kept commands on the Discord side: what is written down of an interaction, and its answer
given again after a restart through the interaction's token (see `bot.commands`)."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord.webhook.async_ import async_context

from bot.commands.model import Command
from bot.commands.service import CommandJournal
from bot.core.clock import Clock

log = logging.getLogger(__name__)


def kept_command(
    interaction: discord.Interaction, kind: str, options: dict[str, Any], clock: Clock
) -> Command:
    """What is kept of `interaction` before it is acknowledged."""
    return Command(
        interaction_id=interaction.id,
        application_id=interaction.application_id,
        token=interaction.token,
        kind=kind,
        user_id=interaction.user.id,
        received_at=clock(),
        options=options,
        locale=interaction.locale.value,
        guild_locale=interaction.guild_locale.value if interaction.guild_locale else "",
    )


async def keep_and_defer(
    journal: CommandJournal,
    interaction: discord.Interaction,
    kind: str,
    options: dict[str, Any],
    clock: Clock,
) -> None:
    """Write the command down, then say "thinking…": from then on a restart keeps it."""
    await journal.keep(kept_command(interaction, kind, options, clock))
    await interaction.response.defer(ephemeral=True, thinking=True)


async def answer(
    interaction: discord.Interaction,
    text: str,
    embed: discord.Embed | None = None,
    *,
    suppress_embeds: bool = False,
) -> None:
    """Put the answer in the command's original response: the same edit a restart would make."""
    await _edit_original(
        interaction.client,
        interaction.application_id,
        interaction.token,
        text,
        embed,
        suppress_embeds=suppress_embeds,
    )


async def answer_kept(
    client: discord.Client,
    command: Command,
    text: str,
    embed: discord.Embed | None = None,
    *,
    suppress_embeds: bool = False,
) -> bool:
    """Answer a command of an earlier run: edit its original response through its token.

    False when Discord knows no such response: the command was kept but never acknowledged
    (the run stopped in between), so the member saw it fail and reads the outcome next time.
    """
    try:
        await _edit_original(
            client,
            command.application_id,
            command.token,
            text,
            embed,
            suppress_embeds=suppress_embeds,
        )
    except discord.NotFound:
        log.info("Command %s was never acknowledged; its outcome is in the store", command.kind)
        return False
    return True


async def was_acknowledged(client: discord.Client, command: Command) -> bool:
    """Whether Discord has the command's original response ("thinking…"): a command written
    down but never acknowledged failed in the member's eyes, who may well have asked again."""
    webhook = discord.Webhook.partial(command.application_id, command.token, client=client)
    http = client.http
    try:
        await async_context.get().get_original_interaction_response(
            command.application_id,
            command.token,
            session=webhook.session,
            proxy=http.proxy,
            proxy_auth=http.proxy_auth,
        )
    except discord.NotFound:
        return False
    return True


async def _edit_original(
    client: discord.Client,
    application_id: int,
    token: str,
    text: str,
    embed: discord.Embed | None,
    *,
    suppress_embeds: bool,
) -> None:
    # discord.py edits an original response only through an Interaction object, without the
    # flag that keeps link previews off; a restarted bot has the token alone. Both make the
    # same call (PATCH /webhooks/{application}/{token}/messages/@original).
    webhook = discord.Webhook.partial(application_id, token, client=client)
    payload: dict[str, Any] = {"content": text, "allowed_mentions": {"parse": []}}
    if embed is not None:
        payload["embeds"] = [embed.to_dict()]
    if suppress_embeds:
        payload["flags"] = discord.MessageFlags(suppress_embeds=True).value
    http = client.http
    await async_context.get().edit_original_interaction_response(
        application_id,
        token,
        session=webhook.session,
        proxy=http.proxy,
        proxy_auth=http.proxy_auth,
        payload=payload,
    )
