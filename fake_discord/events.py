"""Guild Scheduled Event routes of the fake Discord, and the helpers tests drive them with."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .event_model import (
    ACTIVE,
    HOST_PERMISSIONS,
    MANAGE_EVENTS,
    STAGE_INSTANCE,
    FakeScheduledEvent,
    event_changes,
    snowflake,
)
from .gateway import GUILD_SCHEDULED_EVENTS
from .rest import API, error, json_response, no_content, read_body
from .state import CREATE_EVENTS, FakeMember, GuildState, Snowflakes
from .waiting import Changes

if TYPE_CHECKING:
    from .server import FakeDiscord

CREATE, UPDATE, DELETE, USER_ADD = (
    "GUILD_SCHEDULED_EVENT_CREATE",
    "GUILD_SCHEDULED_EVENT_UPDATE",
    "GUILD_SCHEDULED_EVENT_DELETE",
    "GUILD_SCHEDULED_EVENT_USER_ADD",
)


def invalid(problems: list[str]) -> web.Response:
    """Discord's answer to a body it refuses, naming each field."""
    return error(400, 50035, "Invalid Form Body: " + "; ".join(problems))


def missing_permissions() -> web.Response:
    """Discord's answer when the bot lacks a permission."""
    return error(403, 50013, "Missing Permissions")


def unknown_event() -> web.Response:
    """Discord's answer for an event that does not exist (or was deleted)."""
    return error(404, 10070, "Unknown Guild Scheduled Event")


def flag(request: web.Request, name: str) -> bool:
    """A boolean query parameter (``true`` or ``1``)."""
    return request.query.get(name, "").lower() in ("true", "1")


class ScheduledEventHelpers:
    """Mixin of FakeDiscord: its scheduled events, Discord's automation of them, and what a
    guild member does to them by hand."""

    # What the mixin uses of FakeDiscord, which sets it all.
    ids: Snowflakes
    state: GuildState
    clock: Callable[[], datetime]
    changes: Changes

    def _emit_soon(self, event: str, data: dict[str, Any], intent: int | None = None) -> None:
        raise NotImplementedError  # FakeDiscord's

    async def emit(self, event: str, data: dict[str, Any], intent: int | None = None) -> None:
        raise NotImplementedError  # FakeDiscord's

    @property
    def scheduled_events(self) -> dict[int, FakeScheduledEvent]:
        """Every event by id, deleted ones included (flagged ``deleted``)."""
        return self.state.scheduled_events

    def scheduled_event(self, ref: int | str) -> FakeScheduledEvent:
        """An event by id or name (a listed one first, then the latest), else KeyError."""
        events = sorted(self.scheduled_events.values(), key=lambda e: (e.listed, e.id))
        for event in reversed(events):
            if ref in (event.id, event.name):
                return event
        names = [e.name for e in events]
        raise KeyError(f"no scheduled event {ref!r}; events: {names}")

    def mark_interested(self, event_id: int, member: FakeMember | int | str) -> None:
        """A member clicks "Interested" on an event (GUILD_SCHEDULED_EVENT_USER_ADD)."""
        event = self._live(event_id)
        user = self.state.member(member)
        if user.id in event.interested:
            return
        event.interested.append(user.id)
        self.changes.notify()
        data = {"guild_scheduled_event_id": str(event.id), "user_id": str(user.id)}
        data["guild_id"] = str(event.guild_id)
        self._emit_soon(USER_ADD, data, GUILD_SCHEDULED_EVENTS)

    def delete_event_by_hand(self, event_id: int) -> None:
        """An organizer deletes the event in Discord's UI (GUILD_SCHEDULED_EVENT_DELETE)."""
        event = self._live(event_id)
        event.deleted = True
        self.changes.notify()
        self._emit_soon(DELETE, event.payload(), GUILD_SCHEDULED_EVENTS)

    def _live(self, event_id: int) -> FakeScheduledEvent:
        event = self.scheduled_events[event_id]
        if event.deleted:
            raise KeyError(f"scheduled event {event_id} was deleted")
        return event

    def automate_events(self) -> list[dict[str, Any]]:
        """Discord's status changes of EXTERNAL events at ``clock()``: the UPDATE payloads."""
        now = self.clock()
        return [step for e in self.scheduled_events.values() for step in e.automate(now)]

    async def advance_scheduled_events(self) -> list[FakeScheduledEvent]:
        """Apply Discord's automation now (after moving ``clock``), as Discord's own timer
        would, and send the updates; returns the events that changed."""
        updates = self.automate_events()
        for data in updates:
            await self.emit(UPDATE, data, GUILD_SCHEDULED_EVENTS)
        return [self.scheduled_events[int(d["id"])] for d in updates]


class EventApi:
    """``/guilds/{id}/scheduled-events`` routes, answering as Discord's API v10 does."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake

    def routes(self) -> list[tuple[str, str, Any]]:
        """(method, path, handler) for every route."""
        events = "/guilds/{guild_id}/scheduled-events"
        event = events + "/{event_id}"
        table = [
            ("GET", events, self.list_events),
            ("POST", events, self.create_event),
            ("GET", event, self.get_event),
            ("PATCH", event, self.edit_event),
            ("DELETE", event, self.delete_event),
            ("GET", event + "/users", self.list_users),
        ]
        return [(method, API + path, handler) for method, path, handler in table]

    # ----- helpers ---------------------------------------------------------------------------
    async def _automate(self) -> None:
        for data in self.fake.automate_events():
            await self.fake.emit(UPDATE, data, GUILD_SCHEDULED_EVENTS)

    def _guild_ok(self, request: web.Request) -> bool:
        return request.match_info["guild_id"] == str(self.fake.guild_id)

    def _event(self, request: web.Request) -> FakeScheduledEvent | None:
        event_id = snowflake(request.match_info["event_id"])
        event = self.fake.scheduled_events.get(event_id or 0)
        return None if event is None or event.deleted else event

    def _may_manage(self, event: FakeScheduledEvent | None) -> bool:
        """CREATE_EVENTS lets the bot create events and manage its own; MANAGE_EVENTS, any."""
        permissions = self.fake.state.permissions(self.fake.bot)
        if permissions & MANAGE_EVENTS:
            return True
        return bool(permissions & CREATE_EVENTS) and (
            event is None or event.creator_id == self.fake.bot.id
        )

    def _may_host(self, entity_type: int) -> bool:
        needed = HOST_PERMISSIONS.get(entity_type, 0)
        return self.fake.state.permissions(self.fake.bot) & needed == needed

    def _stage_taken(self, event: FakeScheduledEvent) -> bool:
        """Whether another event is ACTIVE in this event's stage channel: a stage holds one
        live stage instance, so Discord starts no second event there."""
        return event.entity_type == STAGE_INSTANCE and any(
            other.listed and other.status == ACTIVE and other.channel_id == event.channel_id
            for other in self.fake.scheduled_events.values()
            if other is not event
        )

    def _channel_types(self) -> dict[int, int]:
        return {c.id: c.type for c in self.fake.state.channels.values()}

    async def _body(self, request: web.Request) -> Any:
        try:
            body, _ = await read_body(request)
        except ValueError:
            return None
        return body

    # ----- routes ----------------------------------------------------------------------------
    async def list_events(self, request: web.Request) -> web.Response:
        """``GET /guilds/{id}/scheduled-events``: the SCHEDULED and ACTIVE ones."""
        if not self._guild_ok(request):
            return error(404, 10004, "Unknown Guild")
        await self._automate()
        counts = flag(request, "with_user_count")
        listed = [e for e in self.fake.scheduled_events.values() if e.listed]
        return json_response([e.payload(with_user_count=counts) for e in listed])

    async def create_event(self, request: web.Request) -> web.Response:
        """``POST /guilds/{id}/scheduled-events``."""
        fake = self.fake
        if not self._guild_ok(request):
            return error(404, 10004, "Unknown Guild")
        await self._automate()
        if not self._may_manage(None):
            return missing_permissions()
        body = await self._body(request)
        changes, problems = event_changes(body, None, fake.clock(), self._channel_types())
        if problems:
            return invalid(problems)
        if not self._may_host(changes["entity_type"]):
            return missing_permissions()
        event = FakeScheduledEvent(
            fake.ids.next(),
            fake.guild_id,
            fake.bot.id,
            fake.bot.user_payload(),
            changes.pop("name"),
            changes.pop("scheduled_start_time"),
            changes.pop("entity_type"),
        )
        event.apply(changes)
        fake.scheduled_events[event.id] = event
        fake.changes.notify()
        await fake.emit(CREATE, event.payload(), GUILD_SCHEDULED_EVENTS)
        return json_response(event.payload())

    async def get_event(self, request: web.Request) -> web.Response:
        """``GET /guilds/{id}/scheduled-events/{id}`` (finished ones too, until deleted)."""
        if not self._guild_ok(request):
            return error(404, 10004, "Unknown Guild")
        await self._automate()
        event = self._event(request)
        if event is None:
            return unknown_event()
        return json_response(event.payload(with_user_count=flag(request, "with_user_count")))

    async def edit_event(self, request: web.Request) -> web.Response:
        """``PATCH /guilds/{id}/scheduled-events/{id}``: fields, entity type and status."""
        fake = self.fake
        if not self._guild_ok(request):
            return error(404, 10004, "Unknown Guild")
        await self._automate()
        event = self._event(request)
        if event is None:
            return unknown_event()
        if not self._may_manage(event):
            return missing_permissions()
        body = await self._body(request)
        current = event.fields()
        changes, problems = event_changes(body, current, fake.clock(), self._channel_types())
        if problems:
            return invalid(problems)
        if not self._may_host(changes.get("entity_type", event.entity_type)):
            return missing_permissions()
        if changes.get("status") == ACTIVE and self._stage_taken(event):
            return error(400, 150006, "Stage already open")
        event.apply(changes)
        fake.changes.notify()
        await fake.emit(UPDATE, event.payload(), GUILD_SCHEDULED_EVENTS)
        await self._automate()
        return json_response(event.payload())

    async def delete_event(self, request: web.Request) -> web.Response:
        """``DELETE /guilds/{id}/scheduled-events/{id}``."""
        fake = self.fake
        if not self._guild_ok(request):
            return error(404, 10004, "Unknown Guild")
        await self._automate()
        event = self._event(request)
        if event is None:
            return unknown_event()
        if not self._may_manage(event):
            return missing_permissions()
        event.deleted = True
        fake.changes.notify()
        await fake.emit(DELETE, event.payload(), GUILD_SCHEDULED_EVENTS)
        return no_content()

    async def list_users(self, request: web.Request) -> web.Response:
        """``GET .../scheduled-events/{id}/users``: interested users by ascending id; ``limit``
        (1–100, default 100), ``with_member``, and ``before`` (wins) or ``after``."""
        fake = self.fake
        if not self._guild_ok(request):
            return error(404, 10004, "Unknown Guild")
        await self._automate()
        event = self._event(request)
        if event is None:
            return unknown_event()
        query = request.query
        limit = query.get("limit", "100")
        if not limit.isdigit() or not 1 <= int(limit) <= 100:
            return invalid(["limit: must be between 1 and 100"])
        bounds = {k: snowflake(query[k]) for k in ("before", "after") if k in query}
        if None in bounds.values():
            return invalid([f"{k}: must be a snowflake" for k, v in bounds.items() if v is None])
        ids = sorted(event.interested)
        if "before" in bounds:
            ids = [i for i in ids if i < (bounds["before"] or 0)][-int(limit) :]
        else:
            ids = [i for i in ids if i > (bounds.get("after") or 0)][: int(limit)]
        entries = []
        for user_id in ids:
            member = fake.state.members.get(user_id)
            if member is None:
                continue
            entry: dict[str, Any] = {
                "guild_scheduled_event_id": str(event.id),
                "user_id": str(user_id),
                "user": member.user_payload(),
                "response": 1,
            }
            if flag(request, "with_member"):
                entry["member"] = fake.state.member_payload(member)
            entries.append(entry)
        return json_response(entries)
