"""REST routes of the fake Discord for the server itself: the guild, its channels, roles and
members."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .rest import API, error, json_response, no_content

if TYPE_CHECKING:
    from .server import FakeDiscord


class GuildApi:
    """Guild, role and member routes; each answers as Discord's API v10 does."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake

    def routes(self) -> list[tuple[str, str, Any]]:
        """(method, path, handler) for every route."""
        guild = "/guilds/{guild_id}"
        member = f"{guild}/members/{{user_id}}"
        table = [
            ("GET", guild, self.get_guild),
            ("GET", f"{guild}/channels", self.get_channels),
            ("GET", f"{guild}/roles", self.get_roles),
            ("GET", member, self.get_member),
            ("PATCH", member, self.patch_member),
            ("PUT", f"{member}/roles/{{role_id}}", self.add_role),
            ("DELETE", f"{member}/roles/{{role_id}}", self.remove_role),
        ]
        return [(method, API + path, handler) for method, path, handler in table]

    def _guild_ok(self, request: web.Request) -> bool:
        return request.match_info["guild_id"] == str(self.fake.guild_id)

    async def get_guild(self, request: web.Request) -> web.Response:
        """``GET /guilds/{id}``."""
        if not self._guild_ok(request):
            return error(404, 10004, "Unknown Guild")
        data = self.fake.state.guild_payload()
        for key in ("members", "channels", "threads", "presences", "voice_states"):
            data.pop(key)
        return json_response(data)

    async def get_channels(self, request: web.Request) -> web.Response:
        """``GET /guilds/{id}/channels``."""
        if not self._guild_ok(request):
            return error(404, 10004, "Unknown Guild")
        channels = self.fake.state.channels.values()
        return json_response([c.payload() for c in channels if not c.is_thread])

    async def get_roles(self, request: web.Request) -> web.Response:
        """``GET /guilds/{id}/roles``."""
        if not self._guild_ok(request):
            return error(404, 10004, "Unknown Guild")
        return json_response([r.payload() for r in self.fake.state.roles.values()])

    def _member(self, request: web.Request) -> Any:
        if not self._guild_ok(request):
            return None
        try:
            return self.fake.state.member(int(request.match_info["user_id"]))
        except KeyError:
            return None

    async def get_member(self, request: web.Request) -> web.Response:
        """``GET /guilds/{id}/members/{id}``."""
        member = self._member(request)
        if member is None:
            return error(404, 10007, "Unknown Member")
        return json_response(self.fake.state.member_payload(member))

    async def patch_member(self, request: web.Request) -> web.Response:
        """``PATCH /guilds/{id}/members/{id}``: roles and nick."""
        member = self._member(request)
        if member is None:
            return error(404, 10007, "Unknown Member")
        body = await request.json()
        if "roles" in body:
            roles = [int(r) for r in body["roles"]]
            if any(r not in self.fake.state.roles for r in roles):
                return error(404, 10011, "Unknown Role")
            member.roles[:] = roles
        if "nick" in body:
            member.nick = body["nick"]
        await self.fake.member_updated(member)
        return json_response(self.fake.state.member_payload(member))

    async def add_role(self, request: web.Request) -> web.Response:
        """``PUT /guilds/{id}/members/{id}/roles/{id}``."""
        return await self._change_role(request, add=True)

    async def remove_role(self, request: web.Request) -> web.Response:
        """``DELETE /guilds/{id}/members/{id}/roles/{id}``."""
        return await self._change_role(request, add=False)

    async def _change_role(self, request: web.Request, *, add: bool) -> web.Response:
        member = self._member(request)
        if member is None:
            return error(404, 10007, "Unknown Member")
        role_id = int(request.match_info["role_id"])
        if role_id not in self.fake.state.roles or role_id == self.fake.guild_id:
            return error(404, 10011, "Unknown Role")
        if add and role_id not in member.roles:
            member.roles.append(role_id)
            self.fake.role_grants[(member.id, role_id)] = asyncio.get_running_loop().time()
        elif not add and role_id in member.roles:
            member.roles.remove(role_id)
        await self.fake.member_updated(member)
        return no_content()
