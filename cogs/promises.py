"""Kept commands on the Discord side: what is written down of an interaction, and its answer
given again after a restart through the interaction's token (see `bot.commands`)."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord.webhook.async_ import async_context

from bot.commands.model import Command
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


async def answer(
    interaction: discord.Interaction, text: str, embed: discord.Embed | None = None
) -> None:
    """Put the answer in the command's original response: the same edit a restart would make."""
    if embed is None:
        await interaction.edit_original_response(content=text)
    else:
        await interaction.edit_original_response(content=text, embed=embed)


async def answer_kept(
    client: discord.Client, command: Command, text: str, embed: discord.Embed | None = None
) -> bool:
    """Answer a command of an earlier run: edit its original response through its token.

    False when Discord knows no such response: the command was kept but never acknowledged
    (the run stopped in between), so the member saw it fail and reads the outcome next time.
    """
    # discord.py edits an original response only through an Interaction object; a restarted
    # bot has the token alone, so it makes the same call (PATCH …/messages/@original) itself.
    webhook = discord.Webhook.partial(command.application_id, command.token, client=client)
    payload: dict[str, Any] = {"content": text, "allowed_mentions": {"parse": []}}
    if embed is not None:
        payload["embeds"] = [embed.to_dict()]
    http = client.http
    try:
        await async_context.get().edit_original_interaction_response(
            command.application_id,
            command.token,
            session=webhook.session,
            proxy=http.proxy,
            proxy_auth=http.proxy_auth,
            payload=payload,
        )
    except discord.NotFound:
        log.info("Command %s was never acknowledged; its outcome is in the store", command.kind)
        return False
    return True
