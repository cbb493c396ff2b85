"""FakeDiscord: a Discord API v10 double (REST and gateway) on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from aiohttp import web

from .driver import InteractionDriver
from .events import EventApi, ScheduledEventHelpers
from .gateway import DIRECT_MESSAGES, GUILD_MEMBERS, GUILD_MESSAGES, GUILDS, Gateway
from .interactions import COMMAND, InteractionResult
from .latency import Latency
from .messages import EPHEMERAL, FakeMessage
from .patch import patch_discord
from .rest import API, RestApi
from .rest_guild import GuildApi
from .rest_interactions import InteractionApi
from .state import DM, FakeChannel, FakeMember, GuildState, Snowflakes
from .traffic import RequestRecord, Traffic, Unhandled
from .waiting import Changes

SITECUSTOMIZE_DIR = Path(__file__).resolve().parent / "sitecustomize"
ENV_VAR = "AMPHI_FAKE_DISCORD"


class FakeDiscord(InteractionDriver, ScheduledEventHelpers):
    """One guild, one bot application, REST and gateway on a random local port."""

    def __init__(
        self,
        guild_id: int | None = None,
        guild_locale: str = "en-US",
        *,
        application_id: int | None = None,
        bot_name: str = "Amphi",
        token: str = "fake-discord-bot-token",  # noqa: S107  the double's own, guards nothing
        interaction_deadline: float = 3.0,
        latency: Latency | None = None,
    ) -> None:
        self.ids = Snowflakes()
        self.application_id = application_id or self.ids.next()
        # Bots created since 2020 share their id with their application.
        self.bot = FakeMember(self.application_id, bot_name, bot=True)
        self.guild_id = guild_id or self.ids.next()
        self.state = GuildState(self.ids, self.guild_id, guild_locale, self.bot)
        self.token = token
        # Discord's time, for scheduled events: tests replace it with their own clock.
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.interaction_deadline = interaction_deadline
        self.guild_commands: list[dict[str, Any]] = []
        self.global_commands: list[dict[str, Any]] = []
        self.command_ids: dict[tuple[str | None, str, int], int] = {}
        self.sync_count = 0
        # (channel id, nonce) → (message, loop time): Discord's enforce_nonce deduplication.
        self.nonces: dict[tuple[int, str], tuple[FakeMessage, float]] = {}
        self.nonce_replays = 0
        # (member id, role id) → loop time the role was last given through the API (benchmarks)
        self.role_grants: dict[tuple[int, int], float] = {}
        self.traffic = Traffic()
        self.traffic.token = token
        self.traffic.latency = latency
        self.latency = latency  # the network's, for REST round trips and gateway events
        self.requests: list[RequestRecord] = self.traffic.requests
        self.unhandled: list[Unhandled] = self.traffic.unhandled
        self.seen_tokens: list[str] = self.traffic.seen_tokens
        self.interactions: dict[int, InteractionResult] = {}
        self.interactions_by_token: dict[str, InteractionResult] = {}
        self.modals: list[InteractionResult] = []
        # Interaction ids, once per response refused as already acknowledged (400, code 40060).
        self.already_acknowledged: list[int] = []
        self.uploads: dict[int, tuple[str, bytes, str]] = {}
        self.changes = Changes()
        # Called with each message the bot creates (False) or edits (True), as it happens.
        self.watchers: list[Callable[[FakeMessage, bool], None]] = []
        self.gateway = Gateway(self)
        self._messages: dict[int, FakeMessage] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._runner: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.port = 0

    # ----- addresses and lifecycle -----------------------------------------------------------
    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (the value of AMPHI_FAKE_DISCORD)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def rest_base(self) -> str:
        """What ``discord.http.Route.BASE`` must be."""
        return self.base_url + API

    @property
    def gateway_url(self) -> str:
        """What ``DiscordWebSocket.DEFAULT_GATEWAY`` must be."""
        return f"ws://127.0.0.1:{self.port}/"

    @property
    def bot_user(self) -> dict[str, Any]:
        """The bot's user object."""
        return self.bot.user_payload()

    @property
    def guild_locale(self) -> str:
        """The guild's preferred locale."""
        return self.state.guild_locale

    @property
    def commands(self) -> list[dict[str, Any]]:
        """Last synced commands, guild ones then global ones, each with its ``id``."""
        return [*self.guild_commands, *self.global_commands]

    @property
    def identify(self) -> dict[str, Any] | None:
        """The IDENTIFY payload of the current gateway session."""
        return self.gateway.session.identify if self.gateway.session else None

    @property
    def intents(self) -> int | None:
        """Intents the bot identified with."""
        return self.gateway.session.intents if self.gateway.session else None

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        self._loop = asyncio.get_running_loop()
        app = web.Application(
            middlewares=[self.traffic.middleware], client_max_size=64 * 1024 * 1024
        )
        routes = RestApi(self).routes() + GuildApi(self).routes()
        routes += InteractionApi(self).routes() + EventApi(self).routes()
        for method, path, handler in routes:
            app.router.add_route(method, path, handler)
        app.router.add_get("/attachments/{attachment_id}/{filename}", self._download)
        app.router.add_get("/", self.gateway.handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def close(self) -> None:
        """Close sockets and stop listening."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @contextlib.contextmanager
    def patch_discord(self) -> Iterator[None]:
        """Point discord.py's REST base and default gateway at this fake, then restore them."""
        with patch_discord(self.rest_base, self.gateway_url):
            yield

    def subprocess_env(self) -> dict[str, str]:
        """Environment for a bot subprocess: its sitecustomize points discord.py here."""
        paths = [str(SITECUSTOMIZE_DIR), os.environ.get("PYTHONPATH", "")]
        pythonpath = os.pathsep.join(p for p in paths if p)
        return {**os.environ, ENV_VAR: self.base_url, "PYTHONPATH": pythonpath}

    async def wait_until_connected(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109 - the public API takes timeout=
        """Wait until the bot's gateway session is identified (or resumed) and open."""
        await self.changes.wait_for(lambda: self.gateway.connected, timeout, "a gateway session")

    async def drop_gateway(self, code: int = 4000) -> None:
        """Close the bot's websocket with ``code``; discord.py then resumes."""
        await self.gateway.drop(code)

    # ----- guild contents --------------------------------------------------------------------
    def channel_id(self, name: str) -> int:
        """Id of a channel or thread by name."""
        return self.state.channel(name).id

    def role_id(self, name: str) -> int:
        """Id of a role by name."""
        return self.state.role(name).id

    def add_channel(self, name: str, type: int = 0, *, parent: str | int | None = None) -> int:
        """Create a guild channel (type 0 text, 2 voice, 4 category, 5 news, 15 forum)."""
        parent_id = None if parent is None else self.state.channel(parent).id
        channel = self.state.add_channel(name, type, parent_id=parent_id)
        self._emit_soon("CHANNEL_CREATE", channel.payload(), GUILDS)
        return channel.id

    def remove_channel(self, name: str) -> None:
        """Delete a channel."""
        channel = self.state.channels.pop(self.state.channel(name).id)
        self._emit_soon("CHANNEL_DELETE", channel.payload(), GUILDS)

    def add_role(self, name: str, permissions: str = "0") -> int:
        """Create a role (permissions as Discord's decimal string)."""
        role = self.state.add_role(name, permissions)
        data = {"guild_id": str(self.guild_id), "role": role.payload()}
        self._emit_soon("GUILD_ROLE_CREATE", data, GUILDS)
        return role.id

    def remove_role(self, name: str) -> None:
        """Delete a role, and take it off every member."""
        role = self.state.roles.pop(self.state.role(name).id)
        for member in self.state.members.values():
            if role.id in member.roles:
                member.roles.remove(role.id)
        data = {"guild_id": str(self.guild_id), "role_id": str(role.id)}
        self._emit_soon("GUILD_ROLE_DELETE", data, GUILDS)

    def add_member(
        self,
        name: str,
        roles: list[str] | tuple[str, ...] = (),
        administrator: bool = False,
        dms_open: bool = True,
        *,
        nick: str | None = None,
    ) -> FakeMember:
        """Add a member with roles given by name."""
        role_ids = [self.role_id(r) for r in roles]
        member = FakeMember(self.ids.next(), name, role_ids, administrator, dms_open, nick=nick)
        self.state.members[member.id] = member
        data = dict(self.state.member_payload(member), guild_id=str(self.guild_id))
        self._emit_soon("GUILD_MEMBER_ADD", data, GUILD_MEMBERS)
        return member

    def member(self, ref: int | str) -> FakeMember:
        """A member by id or name."""
        return self.state.member(ref)

    # ----- recorded messages -----------------------------------------------------------------
    def message(self, message_id: int) -> FakeMessage | None:
        """A message by id (deleted ones included)."""
        return self._messages.get(message_id)

    def messages(
        self,
        channel: FakeChannel | int | str | None = None,
        *,
        ephemeral: bool = False,
        deleted: bool = False,
    ) -> list[FakeMessage]:
        """Messages in a channel (or everywhere), oldest first, as users see them by default."""
        if channel is None:
            wanted = None
        elif isinstance(channel, FakeChannel):
            wanted = channel.id
        else:
            wanted = self.state.channel(channel).id
        return [
            m
            for m in self._messages.values()
            if (wanted is None or m.channel_id == wanted)
            and (ephemeral or not m.ephemeral)
            and (deleted or not m.deleted)
        ]

    def dms(self, member: FakeMember | int | str) -> list[FakeMessage]:
        """Messages the bot sent in its DM channel with a member."""
        dm = self.state.dm_channels.get(self.state.member(member).id)
        return [] if dm is None else self.messages(dm.id)

    def all_messages(self) -> list[FakeMessage]:
        """Every message stored, ephemeral and deleted ones included, oldest first."""
        return list(self._messages.values())

    async def wait_for_message(
        self,
        predicate: Callable[[FakeMessage], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - the public API takes timeout=
    ) -> FakeMessage:
        """The first non-deleted message (ephemeral included) matching ``predicate``."""

        def found() -> FakeMessage | None:
            return next(
                (m for m in self._messages.values() if not m.deleted and predicate(m)), None
            )

        await self.changes.wait_for(lambda: found() is not None, timeout, "a matching message")
        message = found()
        assert message is not None
        return message

    # ----- failure injection -----------------------------------------------------------------
    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        json_body: dict[str, Any] | None = None,
        count: int = 1,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next ``count`` matching requests with ``status`` and ``json_body``."""
        # method may be "*"; the regex is searched in the path relative to rest_base.
        self.traffic.fail_next(method, path_regex, status, json_body, count, headers)

    # ----- internals used by the routes ------------------------------------------------------
    async def create_message(
        self,
        channel: FakeChannel,
        payload: dict[str, Any],
        files: list[tuple[str, bytes, str]],
        interaction: InteractionResult | None = None,
    ) -> FakeMessage:
        """Store a message the bot sent and announce it on the gateway."""
        message = FakeMessage(
            self.ids.next(),
            channel.id,
            self.bot_user,
            guild_id=channel.guild_id,
            flags=int(payload.get("flags") or 0),
            attachment_url=self._attachment_url,
        )
        message.apply(payload, files, self.ids.next)
        if interaction is None:
            message.flags &= ~EPHEMERAL
        else:
            message.webhook_id = self.application_id
            message.type = 20 if interaction.type == COMMAND else 0
            message.interaction_metadata = {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": interaction.user.user_payload(),
                "authorizing_integration_owners": interaction.payload.get(
                    "authorizing_integration_owners", {}
                ),
            }
        self._messages[message.id] = message
        self.message_changed(message, edited=False)
        if not message.ephemeral:
            data = message.payload()
            if channel.type == DM:
                await self.emit("MESSAGE_CREATE", data, DIRECT_MESSAGES)
            else:
                data["member"] = self.state.member_payload(self.bot, user=False)
                await self.emit("MESSAGE_CREATE", data, GUILD_MESSAGES)
        return message

    def message_changed(self, message: FakeMessage, *, edited: bool) -> None:
        """Tell the watchers and the waiters that `message` was created or edited."""
        for watcher in self.watchers:
            watcher(message, edited)
        self.changes.notify()

    async def emit(self, event: str, data: dict[str, Any], intent: int | None = None) -> None:
        """Dispatch a gateway event if the bot identified with ``intent``."""
        await self.gateway.dispatch(event, data, intent)

    async def member_updated(self, member: FakeMember) -> None:
        """Announce a member change (roles, nick) as GUILD_MEMBER_UPDATE."""
        self.changes.notify()
        data = dict(self.state.member_payload(member), guild_id=str(self.guild_id))
        await self.emit("GUILD_MEMBER_UPDATE", data, GUILD_MEMBERS)

    def _emit_soon(self, event: str, data: dict[str, Any], intent: int | None = None) -> None:
        # Guild edits are synchronous calls; their gateway events go out from a tracked task.
        if self.gateway.session is None:
            return
        # The fake's own loop: sync callers (e.g. pytest's sync fixtures) run outside it.
        assert self._loop is not None
        task = self._loop.create_task(self.emit(event, data, intent))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _attachment_url(self, attachment_id: int, filename: str) -> str:
        return f"{self.base_url}/attachments/{attachment_id}/{filename}"

    def _add_upload(
        self, filename: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> tuple[int, dict[str, Any]]:
        attachment_id = self.ids.next()
        self.uploads[attachment_id] = (filename, data, content_type)
        url = self._attachment_url(attachment_id, filename)
        info = {"id": str(attachment_id), "filename": filename, "size": len(data)}
        info.update(url=url, proxy_url=url, content_type=content_type)
        return attachment_id, info

    async def _download(self, request: web.Request) -> web.Response:
        wanted = int(request.match_info["attachment_id"])
        files = dict(self.uploads)
        for message in self._messages.values():
            files.update(zip(message.attachment_ids, message.attachments, strict=True))
        if wanted not in files:
            return web.Response(status=404)
        _, data, content_type = files[wanted]
        return web.Response(body=data, headers={"Content-Type": content_type})
