"""Guild scheduled events in the fake Discord: the stored event and Discord's rules for them."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .state import STAGE, VOICE

SCHEDULED, ACTIVE, COMPLETED, CANCELED = 1, 2, 3, 4
STATUS_NAMES = {
    SCHEDULED: "SCHEDULED",
    ACTIVE: "ACTIVE",
    COMPLETED: "COMPLETED",
    CANCELED: "CANCELED",
}
# What a PATCH may do to the status; COMPLETED and CANCELED events cannot be edited at all.
TRANSITIONS = {SCHEDULED: (ACTIVE, CANCELED), ACTIVE: (COMPLETED,)}
STAGE_INSTANCE, VOICE_EVENT, EXTERNAL = 1, 2, 3
GUILD_ONLY = 2
NAME, DESCRIPTION, LOCATION = 100, 1000, 100

MANAGE_EVENTS = 1 << 33
MANAGE_CHANNELS, VIEW_CHANNEL, CONNECT, MUTE_MEMBERS, MOVE_MEMBERS = (
    1 << 4,
    1 << 10,
    1 << 20,
    1 << 22,
    1 << 24,
)
# Guild-level permissions an event's host needs besides CREATE_EVENTS or MANAGE_EVENTS.
HOST_PERMISSIONS = {
    STAGE_INSTANCE: MANAGE_CHANNELS | MUTE_MEMBERS | MOVE_MEMBERS,
    VOICE_EVENT: VIEW_CHANNEL | CONNECT,
    EXTERNAL: 0,
}
CHANNEL_TYPES = {STAGE_INSTANCE: (STAGE, "stage"), VOICE_EVENT: (VOICE, "voice")}
IMAGE = re.compile(r"data:image/(?:png|jpeg|gif|webp);base64,(.+)", re.DOTALL)
# The fields a create or a PATCH sets, by the names of FakeScheduledEvent's attributes.
EDITABLE = (
    "name",
    "description",
    "channel_id",
    "entity_type",
    "entity_metadata",
    "privacy_level",
    "scheduled_start_time",
    "scheduled_end_time",
    "image",
    "status",
)


@dataclass(eq=False)
class FakeScheduledEvent:
    """A guild scheduled event; ``deleted`` ones stay here so that tests can still find them."""

    id: int
    guild_id: int
    creator_id: int
    creator: dict[str, Any]
    name: str
    scheduled_start_time: datetime
    entity_type: int
    privacy_level: int = GUILD_ONLY
    description: str | None = None
    channel_id: int | None = None
    scheduled_end_time: datetime | None = None
    entity_metadata: dict[str, Any] | None = None
    image: str | None = None  # the cover image's hash
    status: int = SCHEDULED
    interested: list[int] = field(default_factory=list)  # user ids, in the order they came
    history: list[int] = field(default_factory=lambda: [SCHEDULED])  # every status it had
    deleted: bool = False

    @property
    def listed(self) -> bool:
        """Whether Discord still lists it: not deleted, and SCHEDULED or ACTIVE."""
        return not self.deleted and self.status in (SCHEDULED, ACTIVE)

    @property
    def location(self) -> str | None:
        """An EXTERNAL event's location."""
        return (self.entity_metadata or {}).get("location")

    def fields(self) -> dict[str, Any]:
        """The editable fields, as the rules read them."""
        return {name: getattr(self, name) for name in EDITABLE}

    def apply(self, changes: Mapping[str, Any]) -> None:
        """Set fields checked by `event_changes`; a new status goes into the history."""
        for name, value in changes.items():
            if name == "status":
                self.set_status(value)
            else:
                setattr(self, name, value)

    def set_status(self, status: int) -> None:
        """Change the status and record it."""
        self.status = status
        self.history.append(status)

    def automate(self, now: datetime) -> list[dict[str, Any]]:
        """Discord's own status changes for an EXTERNAL event: ACTIVE once it has started,
        COMPLETED once it has ended. Returns the event's payload after each change."""
        steps: list[dict[str, Any]] = []
        if self.deleted or self.entity_type != EXTERNAL:
            return steps
        if self.status == SCHEDULED and self.scheduled_start_time <= now:
            self.set_status(ACTIVE)
            steps.append(self.payload())
        end = self.scheduled_end_time
        if self.status == ACTIVE and end is not None and end <= now:
            self.set_status(COMPLETED)
            steps.append(self.payload())
        return steps

    def payload(self, *, with_user_count: bool = False) -> dict[str, Any]:
        """The Discord guild scheduled event object."""
        end = self.scheduled_end_time
        data: dict[str, Any] = {
            "id": str(self.id),
            "guild_id": str(self.guild_id),
            "channel_id": None if self.channel_id is None else str(self.channel_id),
            "creator_id": str(self.creator_id),
            "creator": self.creator,
            "name": self.name,
            "description": self.description,
            "scheduled_start_time": self.scheduled_start_time.isoformat(),
            "scheduled_end_time": None if end is None else end.isoformat(),
            "privacy_level": self.privacy_level,
            "status": self.status,
            "entity_type": self.entity_type,
            "entity_id": None,
            "entity_metadata": self.entity_metadata,
            "image": self.image,
            "recurrence_rule": None,
            "guild_scheduled_event_exceptions": [],
        }
        if with_user_count:
            data["user_count"] = len(self.interested)
        return data


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 timestamp as an aware UTC datetime (naive ones are UTC), else None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def snowflake(value: Any) -> int | None:
    """A snowflake sent as an integer or a string of digits, else None."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def image_hash(value: Any) -> str | None:
    """The hash Discord gives an image sent as a data URI, or None if it is not one."""
    match = IMAGE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return None
    try:
        data = base64.b64decode(match.group(1), validate=True)
    except (binascii.Error, ValueError):
        return None
    return hashlib.md5(data, usedforsecurity=False).hexdigest() if data else None


def is_int(value: Any, allowed: tuple[int, ...]) -> bool:
    """Whether `value` is a JSON integer among `allowed`."""
    return type(value) is int and value in allowed


def is_text(value: Any, low: int, high: int) -> bool:
    """Whether `value` is a string of `low` to `high` characters."""
    return isinstance(value, str) and low <= len(value) <= high


def event_changes(
    body: Any,
    current: Mapping[str, Any] | None,
    now: datetime,
    channel_types: Mapping[int, int],
) -> tuple[dict[str, Any], list[str]]:
    """What a create (`current` None) or a PATCH of an event with fields `current` would set,
    and what Discord refuses in it (each problem names its field)."""
    if not isinstance(body, dict):
        return {}, ["body: must be a JSON object"]
    creating = current is None
    old: Mapping[str, Any] = current or {}
    changes: dict[str, Any] = {}
    problems: list[str] = []
    if old.get("status") in (COMPLETED, CANCELED):
        status = STATUS_NAMES[old["status"]]
        return {}, [f"status: the event is {status} and can no longer be edited"]
    if creating:
        for key in ("name", "privacy_level", "entity_type", "scheduled_start_time"):
            if body.get(key) is None:
                problems.append(f"{key}: this field is required")
    if "name" in body and not (creating and body["name"] is None):
        if is_text(body["name"], 1, NAME):
            changes["name"] = body["name"]
        else:
            problems.append(f"name: must be 1 to {NAME} characters")
    if "description" in body:
        if body["description"] is None or is_text(body["description"], 0, DESCRIPTION):
            changes["description"] = body["description"]
        else:
            problems.append(f"description: must be at most {DESCRIPTION} characters")
    if "privacy_level" in body and not (creating and body["privacy_level"] is None):
        if is_int(body["privacy_level"], (GUILD_ONLY,)):
            changes["privacy_level"] = GUILD_ONLY
        else:
            problems.append("privacy_level: must be 2 (GUILD_ONLY)")
    if body.get("entity_type") is not None:
        if is_int(body["entity_type"], tuple(HOST_PERMISSIONS)):
            changes["entity_type"] = body["entity_type"]
        else:
            problems.append("entity_type: must be 1 (STAGE_INSTANCE), 2 (VOICE) or 3 (EXTERNAL)")
    if "channel_id" in body:
        channel_id = snowflake(body["channel_id"])
        if body["channel_id"] is None or channel_id is not None:
            changes["channel_id"] = channel_id
        else:
            problems.append("channel_id: must be a snowflake")
    if "entity_metadata" in body:
        if body["entity_metadata"] is None or isinstance(body["entity_metadata"], dict):
            changes["entity_metadata"] = body["entity_metadata"]
        else:
            problems.append("entity_metadata: must be an object")
    if "scheduled_start_time" in body and not (creating and body["scheduled_start_time"] is None):
        start = parse_time(body["scheduled_start_time"])
        if start is None:
            problems.append("scheduled_start_time: must be an ISO 8601 timestamp")
        elif old.get("status") == ACTIVE and start != old.get("scheduled_start_time"):
            problems.append("scheduled_start_time: cannot change once the event is ACTIVE")
        elif start <= now:  # on an edit too, even the start the event already has
            problems.append("scheduled_start_time: must be in the future")
        else:
            changes["scheduled_start_time"] = start
    if "scheduled_end_time" in body:
        end = parse_time(body["scheduled_end_time"])
        if body["scheduled_end_time"] is None or end is not None:
            changes["scheduled_end_time"] = end
        else:
            problems.append("scheduled_end_time: must be an ISO 8601 timestamp")
    if "image" in body:
        digest = image_hash(body["image"])
        if body["image"] is None or digest is not None:
            changes["image"] = digest
        else:
            problems.append("image: must be a data:image/(png|jpeg|gif|webp);base64 URI")
    if not creating and body.get("status") is not None and body["status"] != old["status"]:
        if is_int(body["status"], TRANSITIONS.get(old["status"], ())):
            changes["status"] = body["status"]
        else:
            name = STATUS_NAMES.get(body["status"], repr(body["status"]))
            problems.append(f"status: cannot go from {STATUS_NAMES[old['status']]} to {name}")
    problems += entity_problems({**old, **changes}, changes, channel_types)
    return changes, problems


def entity_problems(
    event: Mapping[str, Any], changes: dict[str, Any], channel_types: Mapping[int, int]
) -> list[str]:
    """What the event's entity type requires of it, as it would be; also sets what Discord
    stores for that type in `changes` (the location only, or no metadata at all)."""
    problems: list[str] = []
    kind = event.get("entity_type")
    if kind == EXTERNAL:
        if event.get("channel_id") is not None:
            problems.append("channel_id: must be null for an EXTERNAL event")
        location = (event.get("entity_metadata") or {}).get("location")
        if is_text(location, 1, LOCATION):
            changes["entity_metadata"] = {"location": location}
        else:
            problems.append(f"entity_metadata.location: 1 to {LOCATION} characters required")
        if event.get("scheduled_end_time") is None:
            problems.append("scheduled_end_time: required for an EXTERNAL event")
    elif kind in CHANNEL_TYPES:
        channel_type, label = CHANNEL_TYPES[kind]
        if channel_types.get(event.get("channel_id") or 0) != channel_type:
            problems.append(f"channel_id: must be a {label} channel of the guild")
        changes["entity_metadata"] = None
    start, end = event.get("scheduled_start_time"), event.get("scheduled_end_time")
    if start is not None and end is not None and end <= start:
        problems.append("scheduled_end_time: must be after scheduled_start_time")
    return problems
