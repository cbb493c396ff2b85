"""REST routes of the fake Discord: users, commands, channels and messages; and the answers every
route shares (JSON, Discord's errors, request bodies). The server's own routes (the guild, its
channels, roles and members) are in rest_guild."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .gateway import GUILDS
from .limits import THREAD_NAME, message_problems
from .state import DM, FORUM, PUBLIC_THREAD, THREAD_TYPES, FakeChannel

if TYPE_CHECKING:
    from .messages import FakeMessage
    from .server import FakeDiscord

API = "/api/v10"


def json_response(data: Any, status: int = 200) -> web.Response:
    """JSON with the exact Content-Type discord.py requires (a charset makes it plain text)."""
    body = json.dumps(data).encode()
    return web.Response(body=body, status=status, headers={"Content-Type": "application/json"})


def error(status: int, code: int, message: str) -> web.Response:
    """A Discord error body."""
    return json_response({"message": message, "code": code}, status)


def no_content() -> web.Response:
    """The 204 Discord answers to most PUT/DELETE calls."""
    return web.Response(status=204)


async def read_body(request: web.Request) -> tuple[dict[str, Any], list[tuple[str, bytes, str]]]:
    """The JSON payload and uploaded files of a JSON or multipart request."""
    if request.content_type.startswith("multipart/"):
        form = await request.post()
        payload = json.loads(str(form.get("payload_json") or "{}"))
        files: dict[int, tuple[str, bytes, str]] = {}
        for key, value in form.items():
            if key.startswith("files[") and isinstance(value, web.FileField):
                files[int(key[6:-1])] = (value.filename, value.file.read(), value.content_type)
        return payload, [files[i] for i in sorted(files)]
    if not request.can_read_body:
        return {}, []
    body = await request.json()
    return (body if body is not None else {}), []


NONCE_WINDOW_SECONDS = 300.0


async def apply_edit(fake: FakeDiscord, message: FakeMessage, request: web.Request) -> web.Response:
    """Edit `message` with the request's payload, within Discord's limits."""
    payload, files = await read_body(request)
    if problems := message_problems(payload):
        return too_big(problems)
    message.edit(payload, files, fake.ids.next)
    fake.message_changed(message, edited=True)
    return json_response(message.payload())


def too_big(problems: list[str]) -> web.Response:
    """Discord's answer to a payload over its limits; the fake also records it for tests."""
    return error(400, 50035, "Invalid Form Body: " + "; ".join(problems))


class RestApi:
    """Route handlers; each answers as Discord's API v10 does."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake

    def routes(self) -> list[tuple[str, str, Any]]:
        """(method, path, handler) for every route."""
        app, guild = "/applications/{app_id}", "/guilds/{guild_id}"
        channel, message = "/channels/{channel_id}", "/channels/{channel_id}/messages/{message_id}"
        table = [
            ("GET", "/users/@me", self.get_me),
            ("GET", "/users/{user_id}", self.get_user),
            ("GET", "/oauth2/applications/@me", self.get_application),
            ("GET", "/applications/@me", self.get_application),
            ("GET", "/gateway", self.get_gateway),
            ("GET", "/gateway/bot", self.get_gateway),
            ("GET", f"{app}/commands", self.get_commands),
            ("PUT", f"{app}/commands", self.put_commands),
            ("GET", f"{app}{guild}/commands", self.get_commands),
            ("PUT", f"{app}{guild}/commands", self.put_commands),
            ("GET", channel, self.get_channel),
            ("GET", f"{channel}/messages", self.get_history),
            ("POST", f"{channel}/messages", self.post_message),
            ("GET", message, self.get_message),
            ("PATCH", message, self.patch_message),
            ("DELETE", message, self.delete_message),
            ("PUT", f"{message}/reactions/{{emoji}}/@me", self.add_reaction),
            ("POST", f"{channel}/threads", self.create_thread),
            ("POST", f"{message}/threads", self.create_thread),
            ("POST", "/users/@me/channels", self.create_dm),
        ]
        return [(method, API + path, handler) for method, path, handler in table]

    # ----- identity --------------------------------------------------------------------------
    async def get_me(self, request: web.Request) -> web.Response:
        """``GET /users/@me``: the bot user, as login expects."""
        me = dict(self.fake.bot_user, verified=True, mfa_enabled=False, flags=0, locale="en-US")
        return json_response(me)

    async def get_user(self, request: web.Request) -> web.Response:
        """``GET /users/{id}``."""
        try:
            return json_response(
                self.fake.state.member(int(request.match_info["user_id"])).user_payload()
            )
        except KeyError:
            return error(404, 10013, "Unknown User")

    async def get_application(self, request: web.Request) -> web.Response:
        """``GET /oauth2/applications/@me`` with every field AppInfo reads."""
        fake = self.fake
        owner: dict[str, Any] = {
            "id": str(fake.state.owner_id),
            "username": "owner",
            "discriminator": "0",
        }
        owner.update(avatar=None, global_name="Owner")
        return json_response(
            {
                "id": str(fake.application_id),
                "name": fake.bot.name,
                "description": "",
                "icon": None,
                "bot_public": False,
                "bot_require_code_grant": False,
                "owner": owner,
                "team": None,
                "verify_key": "0" * 64,
                "flags": 0,
                "summary": "",
                "bot": fake.bot_user,
                "tags": [],
                "redirect_uris": [],
                "interactions_endpoint_url": None,
                "approximate_guild_count": 1,
            }
        )

    async def get_gateway(self, request: web.Request) -> web.Response:
        """``GET /gateway`` and ``/gateway/bot``."""
        limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        return json_response(
            {"url": self.fake.gateway_url, "shards": 1, "session_start_limit": limit}
        )

    # ----- application commands --------------------------------------------------------------
    async def get_commands(self, request: web.Request) -> web.Response:
        """``GET`` the synced guild or global commands."""
        guild_id = request.match_info.get("guild_id")
        fake = self.fake
        return json_response(fake.guild_commands if guild_id else fake.global_commands)

    async def put_commands(self, request: web.Request) -> web.Response:
        """``PUT`` (bulk overwrite) guild or global commands; ids are stable per name and type."""
        fake = self.fake
        if request.match_info["app_id"] != str(fake.application_id):
            return error(403, 50001, "Missing Access")
        guild_id = request.match_info.get("guild_id")
        if guild_id is not None and guild_id != str(fake.guild_id):
            return error(403, 50001, "Missing Access")
        synced = []
        for command in await request.json():
            entry = {
                "type": 1,
                "default_member_permissions": None,
                "dm_permission": True,
                "nsfw": False,
                "contexts": None,
                "integration_types": [0],
                "description": "",
                "options": [],
                **command,
            }
            key = (guild_id, entry["name"], entry["type"])
            entry["id"] = str(fake.command_ids.setdefault(key, fake.ids.next()))
            entry["application_id"] = str(fake.application_id)
            entry["version"] = str(fake.ids.next())
            if guild_id is not None:
                entry["guild_id"] = guild_id
            synced.append(entry)
        if guild_id is None:
            fake.global_commands = synced
        else:
            fake.guild_commands = synced
        fake.sync_count += 1
        fake.changes.notify()
        return json_response(synced)

    # ----- channels and messages -------------------------------------------------------------
    def _channel(self, request: web.Request) -> FakeChannel | None:
        try:
            return self.fake.state.channel(int(request.match_info["channel_id"]))
        except KeyError:
            return None

    def _message(self, request: web.Request) -> Any:
        message = self.fake.message(int(request.match_info["message_id"]))
        if message is None or message.deleted:
            return None
        if str(message.channel_id) != request.match_info["channel_id"]:
            return None
        return message

    async def get_channel(self, request: web.Request) -> web.Response:
        """``GET /channels/{id}``."""
        channel = self._channel(request)
        if channel is None:
            return error(404, 10003, "Unknown Channel")
        return json_response(channel.payload())

    async def get_history(self, request: web.Request) -> web.Response:
        """``GET /channels/{id}/messages``: newest first; ``limit`` (1–100), and ``after`` (the
        messages right after it) or ``before`` (those right before it), as Discord pages."""
        channel = self._channel(request)
        if channel is None:
            return error(404, 10003, "Unknown Channel")
        limit = int(request.query.get("limit", 50))
        if not 1 <= limit <= 100:
            return error(400, 50035, "Invalid Form Body: limit must be between 1 and 100")
        oldest_first = self.fake.messages(channel=channel.id)
        if "after" in request.query:
            after = int(request.query["after"])
            page = [m for m in oldest_first if m.id > after][:limit]
        else:
            before = int(request.query.get("before", 0)) or None
            page = [m for m in oldest_first if before is None or m.id < before][-limit:]
        return json_response([m.payload() for m in reversed(page)])

    async def post_message(self, request: web.Request) -> web.Response:
        """``POST /channels/{id}/messages`` (JSON or multipart)."""
        channel = self._channel(request)
        if channel is None:
            return error(404, 10003, "Unknown Channel")
        if channel.type == DM and channel.recipient is not None and not channel.recipient.dms_open:
            return error(403, 50007, "Cannot send messages to this user")
        payload, files = await read_body(request)
        fields = ("content", "embeds", "components", "sticker_ids", "poll")
        if not files and not any(payload.get(k) for k in fields):
            return error(400, 50006, "Cannot send an empty message")
        if problems := message_problems(payload):
            return too_big(problems)
        nonce = payload.get("nonce") if payload.get("enforce_nonce") else None
        if nonce is not None:
            # Discord returns the earlier message for a nonce it saw in the last few minutes.
            earlier = self.fake.nonces.get((channel.id, str(nonce)))
            now = asyncio.get_running_loop().time()
            if earlier is not None and now - earlier[1] < NONCE_WINDOW_SECONDS:
                self.fake.nonce_replays += 1
                return json_response(earlier[0].payload())
        message = await self.fake.create_message(channel, payload, files)
        if nonce is not None:
            self.fake.nonces[(channel.id, str(nonce))] = (message, now)
        return json_response(message.payload())

    async def get_message(self, request: web.Request) -> web.Response:
        """``GET /channels/{id}/messages/{id}``."""
        message = self._message(request)
        if message is None:
            return error(404, 10008, "Unknown Message")
        return json_response(message.payload())

    async def patch_message(self, request: web.Request) -> web.Response:
        """``PATCH /channels/{id}/messages/{id}`` (JSON or multipart)."""
        message = self._message(request)
        if message is None:
            return error(404, 10008, "Unknown Message")
        if message.author_id != self.fake.bot.id:
            return error(403, 50005, "Cannot edit a message authored by another user")
        return await apply_edit(self.fake, message, request)

    async def delete_message(self, request: web.Request) -> web.Response:
        """``DELETE /channels/{id}/messages/{id}``."""
        message = self._message(request)
        if message is None:
            return error(404, 10008, "Unknown Message")
        message.deleted = True
        self.fake.changes.notify()
        return no_content()

    async def add_reaction(self, request: web.Request) -> web.Response:
        """``PUT .../reactions/{emoji}/@me``."""
        message = self._message(request)
        if message is None:
            return error(404, 10008, "Unknown Message")
        message.reactions.append(request.match_info["emoji"])
        self.fake.changes.notify()
        return no_content()

    async def create_thread(self, request: web.Request) -> web.Response:
        """``POST /channels/{id}/threads`` and ``.../messages/{id}/threads``."""
        parent = self._channel(request)
        if parent is None:
            return error(404, 10003, "Unknown Channel")
        payload, files = await read_body(request)
        if len(payload.get("name") or "") > THREAD_NAME:
            return too_big([f"name: over {THREAD_NAME} characters"])
        fake, starter = self.fake, None
        if "message_id" in request.match_info:
            starter = self._message(request)
            if starter is None:
                return error(404, 10008, "Unknown Message")
        kind = (
            PUBLIC_THREAD if starter or parent.type == FORUM else payload.get("type", PUBLIC_THREAD)
        )
        if kind not in THREAD_TYPES:
            return error(400, 50035, "Invalid Form Body")
        thread = fake.state.add_channel(
            payload["name"], kind, parent_id=parent.id, owner_id=fake.bot.id
        )
        if starter is not None:
            # A thread started from a message takes that message's id.
            del fake.state.channels[thread.id]
            thread.id = starter.id
            fake.state.channels[thread.id] = thread
        data = thread.payload()
        await fake.emit("THREAD_CREATE", dict(data, newly_created=True), GUILDS)
        if parent.type == FORUM and "message" in payload:
            first = await fake.create_message(thread, payload["message"], files)
            data["message"] = first.payload()
        return json_response(data, 201)

    async def create_dm(self, request: web.Request) -> web.Response:
        """``POST /users/@me/channels``: one DM channel per user."""
        body = await request.json()
        try:
            member = self.fake.state.member(int(body["recipient_id"]))
        except (KeyError, ValueError):
            return error(400, 50035, "Invalid Form Body")
        return json_response(self.fake.state.dm_channel(member).payload())
