"""Kept commands on the Discord side: how a state-changing command is answered, what is written
down of it, and its answer given again after a restart through its token (see `bot.kept`).

A command's effect starts at once. When it commits in time (within a second, and well before
Discord's deadline), the answer is the interaction's first response: the member reads it when a
bare bot would only show "thinking…", and nothing was promised before the store held it.
Otherwise the command is written down, then acknowledged ("thinking…"), and its answer edits
that response once the effect commits; the effect's transaction marks it applied either way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import discord
from discord.enums import InteractionResponseType
from discord.http import Route
from discord.webhook.async_ import async_context

from bot.client import AmphiBot
from bot.core.clock import Clock
from bot.kept.model import KeptCommand
from bot.kept.service import KeptCommands

T = TypeVar("T")

#: Seconds after its creation by which a command's first response leaves (Discord refuses
#: one after 3 s; the rest covers the round trip, the write of the kept command and a slow loop).
FIRST_RESPONSE_BY = 1.6

#: Discord's answer to an edit through a token that has expired (15 minutes).
INVALID_WEBHOOK_TOKEN = 50027

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reply:
    """What a command answers."""

    text: str
    embed: discord.Embed | None = None
    suppress_embeds: bool = False  # it quotes what someone typed: no link previews


class KeptReplies:
    """Answers state-changing commands: in the first response when the store is quick, else
    "thinking…" once the command is written down, and the answer in an edit."""

    def __init__(self, bot: AmphiBot, kept: KeptCommands, clock: Clock) -> None:
        self.bot = bot
        self.kept = kept
        self.clock = clock

    async def handle(
        self,
        interaction: discord.Interaction,
        kind: str,
        options: dict[str, Any],
        effect: Callable[[KeptCommand], Awaitable[T]],
        reply: Callable[[T], Reply],
    ) -> T:
        """Run `effect(command)` (its transaction marks the command applied) and answer with
        `reply(outcome)`; a refusal is raised for the error handler to tell."""
        command = kept_command(interaction, kind, options, self.clock)
        self.kept.track(command.interaction_id)
        work = asyncio.ensure_future(effect(command))
        wait = answer_wait(interaction, self.bot.answer_wait)
        if wait > 0:
            await asyncio.wait({work}, timeout=wait)
        at_once = wait > 0 and work.done()
        if not at_once:
            await self.kept.keep(command)  # before "thinking…": a restart finishes it
            at_once = wait > 0 and work.done()
        if at_once:
            outcome = work.result()  # a refusal is raised: told in the first response
            await respond(interaction, reply(outcome))
        else:
            await interaction.response.defer(ephemeral=True, thinking=True)
            outcome = await work
            answer_later = reply(outcome)
            await answer(
                interaction,
                answer_later.text,
                answer_later.embed,
                suppress_embeds=answer_later.suppress_embeds,
            )
        self.kept.answered(command.interaction_id)
        return outcome


def answer_wait(interaction: discord.Interaction, most: float) -> float:
    """How long `interaction` may wait for its effect: at most `most`, and never so long that
    its first response would near Discord's 3-second deadline (counted from its creation)."""
    age = (discord.utils.utcnow() - interaction.created_at).total_seconds()
    return max(min(most, FIRST_RESPONSE_BY - age), 0.0)


async def respond(interaction: discord.Interaction, reply: Reply) -> None:
    """`reply` as the interaction's first response (ephemeral), without the message back.

    discord.py asks Discord to send the new message back (`with_response`) and parses it into
    objects that Amphi never reads: in a burst of 1,000 commands that parsing was a tenth of
    the event loop's work. The request is otherwise the one discord.py makes.
    """
    flags = discord.MessageFlags(ephemeral=True, suppress_embeds=reply.suppress_embeds)
    payload = {
        "type": InteractionResponseType.channel_message.value,
        "data": {**_payload(reply.text, reply.embed), "flags": flags.value},
    }
    route = Route(
        "POST",
        "/interactions/{webhook_id}/{webhook_token}/callback",
        webhook_id=interaction.id,
        webhook_token=interaction.token,
    )
    http = interaction.client.http
    webhook = discord.Webhook.partial(interaction.id, interaction.token, client=interaction.client)
    await async_context.get().request(
        route, webhook.session, payload=payload, proxy=http.proxy, proxy_auth=http.proxy_auth
    )
    # As discord.py would have marked it: an error told later goes as a follow-up.
    interaction.response._response_type = InteractionResponseType.channel_message


def _payload(text: str, embed: discord.Embed | None) -> dict[str, Any]:
    payload: dict[str, Any] = {"content": text, "allowed_mentions": {"parse": []}}
    if embed is not None:
        payload["embeds"] = [embed.to_dict()]
    return payload


def kept_command(
    interaction: discord.Interaction, kind: str, options: dict[str, Any], clock: Clock
) -> KeptCommand:
    """What is kept of `interaction` before it is acknowledged."""
    return KeptCommand(
        interaction_id=interaction.id,
        application_id=interaction.application_id,
        token=interaction.token,
        kind=kind,
        user_id=interaction.user.id,
        received_at=clock(),  # the token's life counts from here (at most a round trip late)
        options=options,
        locale=interaction.locale.value,
        guild_locale=interaction.guild_locale.value if interaction.guild_locale else "",
    )


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
    command: KeptCommand,
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
        log.info(
            "Kept command %s was never acknowledged; its outcome is in the store", command.kind
        )
        return False
    except discord.HTTPException as error:
        if error.code != INVALID_WEBHOOK_TOKEN:
            raise
        log.info("Kept command %s can no longer be answered (its token expired)", command.kind)
        return False
    return True


async def was_acknowledged(client: discord.Client, command: KeptCommand) -> bool:
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
    except discord.HTTPException as error:
        if error.code != INVALID_WEBHOOK_TOKEN:
            raise
        return True  # expired: it may have been, and applying it is safe enough
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
    payload = _payload(text, embed)
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
