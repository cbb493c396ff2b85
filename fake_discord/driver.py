"""The user side of the fake: slash commands, autocomplete, clicks and modal submits."""

from __future__ import annotations

import asyncio
from typing import Any

from .gateway import Gateway
from .interactions import (
    AUTOCOMPLETE,
    COMMAND,
    COMPONENT,
    MODAL_SUBMIT,
    InteractionResult,
    OptionEncoder,
    command_data,
    component_data,
    interaction_payload,
    modal_components,
)
from .messages import FakeMessage
from .state import FakeChannel, FakeMember, GuildState, Snowflakes
from .waiting import Changes

DM_CHANNEL = "@dm"


class InteractionDriver:
    """Mixin of FakeDiscord that plays a Discord user interacting with the bot."""

    # What the mixin uses of FakeDiscord, which sets it all.
    ids: Snowflakes
    application_id: int
    state: GuildState
    changes: Changes
    gateway: Gateway
    guild_commands: list[dict[str, Any]]
    global_commands: list[dict[str, Any]]
    interactions: dict[int, InteractionResult]
    interactions_by_token: dict[str, InteractionResult]
    modals: list[InteractionResult]

    async def wait_until_connected(self, timeout: float = 5.0) -> None: ...  # noqa: ASYNC109
    def message(self, message_id: int) -> FakeMessage | None: ...

    def _add_upload(
        self, filename: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> tuple[int, dict[str, Any]]:
        raise NotImplementedError  # FakeDiscord's

    def _command(self, name: str) -> dict[str, Any]:
        for command in [*self.guild_commands, *self.global_commands]:
            localized = (command.get("name_localizations") or {}).values()
            if command["name"] == name or name in localized:
                return command
        synced = [c["name"] for c in [*self.guild_commands, *self.global_commands]]
        raise LookupError(f"fake Discord: /{name} was not synced; synced commands: {synced}")

    def _interaction_channel(
        self, channel: FakeChannel | int | str, user: FakeMember
    ) -> FakeChannel:
        if isinstance(channel, FakeChannel):
            return channel
        if channel == DM_CHANNEL:
            return self.state.dm_channel(user)
        return self.state.channel(channel)

    async def _dispatch_interaction(
        self,
        kind: int,
        data: dict[str, Any],
        user: FakeMember,
        channel: FakeChannel,
        locale: str,
        message: FakeMessage | None = None,
    ) -> InteractionResult:
        await self.wait_until_connected()
        interaction_id = self.ids.next()
        payload = interaction_payload(
            self.state,
            id=interaction_id,
            application_id=self.application_id,
            type=kind,
            data=data,
            user=user,
            channel=channel,
            locale=locale,
            message=message,
        )
        result = InteractionResult(
            self.changes,
            id=interaction_id,
            type=kind,
            payload=payload,
            channel=channel,
            user=user,
            created=asyncio.get_running_loop().time(),
            source_message=message,
        )
        self.interactions[interaction_id] = result
        self.interactions_by_token[result.token] = result
        await self.gateway.dispatch("INTERACTION_CREATE", payload)
        return result

    async def invoke(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        user: FakeMember | int | str,
        locale: str = "en-US",
        channel: FakeChannel | int | str = "general",
    ) -> InteractionResult:
        """Run a synced slash command (``"group sub"`` for subcommands); returns at dispatch."""
        member = self.state.member(user)
        parts = name.split()
        where = self._interaction_channel(channel, member)
        encoder = OptionEncoder(self.state, where, self._add_upload)
        data = command_data(self._command(parts[0]), parts[1:], options or {}, encoder)
        return await self._dispatch_interaction(COMMAND, data, member, where, locale)

    async def autocomplete(
        self,
        name: str,
        options: dict[str, Any],
        *,
        focused: str | None = None,
        user: FakeMember | int | str,
        locale: str = "en-US",
        channel: FakeChannel | int | str = "general",
        timeout: float = 5.0,  # noqa: ASYNC109 - the public API takes timeout=
    ) -> list[dict[str, Any]]:
        """Ask the bot for autocomplete choices of the ``focused`` option; return them."""
        if focused is None:
            if len(options) != 1:
                raise ValueError("fake Discord: say which option is focused=")
            focused = next(iter(options))
        member = self.state.member(user)
        parts = name.split()
        where = self._interaction_channel(channel, member)
        encoder = OptionEncoder(self.state, where, self._add_upload)
        command = self._command(parts[0])
        data = command_data(command, parts[1:], options, encoder, focused=focused)
        result = await self._dispatch_interaction(AUTOCOMPLETE, data, member, where, locale)
        await self.changes.wait_for(
            lambda: result.choices is not None or bool(result.rejected),
            timeout,
            f"autocomplete choices for /{name} {focused}",
        )
        if result.choices is None:
            raise RuntimeError(f"fake Discord: autocomplete answer refused: {result.rejected}")
        return result.choices

    async def click(
        self,
        message: FakeMessage | int,
        custom_id: str,
        *,
        user: FakeMember | int | str,
        locale: str = "en-US",
        values: list[Any] | None = None,
    ) -> InteractionResult:
        """Click a button (or pick select ``values``) on a message the bot sent."""
        found = message if isinstance(message, FakeMessage) else self.message(int(message))
        if found is None or found.deleted:
            raise LookupError(f"fake Discord: no message {message!r} to click on")
        member = self.state.member(user)
        where = self.state.channel(found.channel_id)
        encoder = OptionEncoder(self.state, where, self._add_upload)
        data = component_data(found, custom_id, values, encoder)
        return await self._dispatch_interaction(COMPONENT, data, member, where, locale, found)

    async def submit_modal(
        self,
        custom_id: str | InteractionResult,
        values: dict[str, Any] | None = None,
        *,
        user: FakeMember | int | str | None = None,
        locale: str | None = None,
    ) -> InteractionResult:
        """Submit a modal the bot showed (text inputs take str, selects a list of values)."""
        member = None if user is None else self.state.member(user)
        if isinstance(custom_id, InteractionResult):
            source: InteractionResult | None = custom_id
        else:
            shown = [r for r in self.modals if r.modal and r.modal["custom_id"] == custom_id]
            mine = [r for r in shown if member is None or r.user is member]
            source = (mine or shown)[-1] if (mine or shown) else None
        if source is None or source.modal is None:
            known = [r.modal["custom_id"] for r in self.modals if r.modal]
            raise LookupError(f"fake Discord: no modal {custom_id!r} was shown; shown: {known}")
        data = {
            "custom_id": source.modal["custom_id"],
            "components": modal_components(source.modal, values or {}),
        }
        return await self._dispatch_interaction(
            MODAL_SUBMIT,
            data,
            member or source.user,
            source.channel,
            locale or source.payload["locale"],
            source.source_message,
        )
