"""Interaction payloads the fake dispatches, and the results tests await."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .messages import EPHEMERAL, FakeMessage, walk_components
from .state import DM, FakeChannel, FakeMember, GuildState

if TYPE_CHECKING:
    from .waiting import Changes

PING, COMMAND, COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
# Callback types Discord accepts for each interaction type.
ALLOWED_CALLBACKS = {
    COMMAND: {4, 5, 9},
    COMPONENT: {4, 5, 6, 7, 9},
    AUTOCOMPLETE: {8},
    MODAL_SUBMIT: {4, 5, 6, 7},
}
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = (
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
)
SELECTS = {3: STRING, 5: USER, 6: ROLE, 7: MENTIONABLE, 8: CHANNEL}
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024


class InteractionResult:
    """What the bot did with one interaction: its response, follow-ups and edits."""

    def __init__(
        self,
        changes: Changes,
        *,
        id: int,
        type: int,
        payload: dict[str, Any],
        channel: FakeChannel,
        user: FakeMember,
        created: float,
        source_message: FakeMessage | None = None,
    ) -> None:
        self._changes = changes
        self.id = id
        self.token = payload["token"]
        self.type = type
        self.payload = payload
        self.channel = channel
        self.user = user
        self.created = created
        self.source_message = source_message
        self.response_type: int | None = None
        self.original: FakeMessage | None = None
        self.followups: list[FakeMessage] = []
        self.modal: dict[str, Any] | None = None
        self.choices: list[dict[str, Any]] | None = None
        # (status, Discord error code) of every callback the fake refused, e.g. (404, 10062).
        self.rejected: list[tuple[int, int]] = []
        self._edits_at_ack = 0
        # Loop times, for latency measurements: the accepted first response, and the answer
        # (the first follow-up, or the first edit of a deferred response).
        self.acknowledged_at: float | None = None
        self.answered_at: float | None = None

    @property
    def acknowledged(self) -> bool:
        """Whether the bot has sent an accepted first response."""
        return self.response_type is not None

    @property
    def ephemeral(self) -> bool:
        """Whether the first response message is ephemeral (flags & 64)."""
        return self.response_type in (4, 5) and bool(self.original and self.original.ephemeral)

    @property
    def answer(self) -> str | None:
        """What the member reads now, once a deferred response is filled (None until then)."""
        if self.response_type == 5 and self.original is not None and not self.original.loading:
            return self.original.content
        if self.response_type == 4 and self.original is not None:
            return self.original.content
        return self.followups[0].content if self.followups else None

    @property
    def thinking(self) -> bool:
        """Whether the first response was a "thinking" defer (type 5)."""
        return self.response_type == 5

    def _acknowledge(self, callback_type: int) -> None:
        self.response_type = callback_type
        self.acknowledged_at = asyncio.get_running_loop().time()
        if self.source_message is not None:
            self._edits_at_ack = len(self.source_message.edits)

    async def response(self, timeout: float = 5.0) -> FakeMessage | None:  # noqa: ASYNC109 - the public API takes timeout=
        """Wait for the first response; return its message (None for types 6, 8 and 9)."""
        await self._changes.wait_for(
            lambda: self.acknowledged, timeout, f"the response to interaction {self.id}"
        )
        return self.original if self.response_type in (4, 5, 7) else None

    async def message(self, timeout: float = 5.0) -> FakeMessage:  # noqa: ASYNC109 - the public API takes timeout=
        """The visible message once any defer has been filled by a follow-up or an edit."""
        await self.response(timeout)
        if self.response_type in (8, 9):
            raise ValueError(f"interaction {self.id} was answered with type {self.response_type}")
        if self.response_type == 5:
            assert self.original is not None
            original = self.original
            await self._changes.wait_for(
                lambda: not original.loading, timeout, "the deferred response to be filled in"
            )
        elif self.response_type == 6:
            source = self.source_message

            def updated() -> bool:
                edited = source is not None and len(source.edits) > self._edits_at_ack
                return edited or bool(self.followups)

            await self._changes.wait_for(updated, timeout, "an edit or follow-up after a defer")
            if source is None or len(source.edits) == self._edits_at_ack:
                return self.followups[0]
            return source
        assert self.original is not None
        return self.original

    async def wait_followups(self, n: int, timeout: float = 5.0) -> list[FakeMessage]:  # noqa: ASYNC109 - the public API takes timeout=
        """Wait until at least ``n`` follow-ups were sent; return them all."""
        await self._changes.wait_for(
            lambda: len(self.followups) >= n, timeout, f"{n} follow-up(s) to {self.id}"
        )
        return list(self.followups)


def find_option(schema: list[dict[str, Any]], name: str, where: str) -> dict[str, Any]:
    """The option (or subcommand) called ``name``, by its name or one of its localizations."""
    for option in schema:
        localized = (option.get("name_localizations") or {}).values()
        if option["name"] == name or name in localized:
            return option
    known = [o["name"] for o in schema]
    raise LookupError(f"fake Discord: {where} has no option {name!r}; it has {known}")


class OptionEncoder:
    """Turns Python test values into option payloads plus their ``resolved`` data."""

    def __init__(self, guild: GuildState, channel: FakeChannel, add_upload: Any) -> None:
        self.guild = guild
        self.channel = channel
        self.add_upload = add_upload
        self.resolved: dict[str, dict[str, Any]] = {}

    def _resolve(self, kind: str, key: int, value: dict[str, Any]) -> str:
        self.resolved.setdefault(kind, {})[str(key)] = value
        return str(key)

    def member(self, ref: Any) -> str:
        """Resolve a user/member reference."""
        member = self.guild.member(ref)
        self._resolve("users", member.id, member.user_payload())
        data = self.guild.member_payload(member, user=False)
        data["permissions"] = str(self.guild.permissions(member))
        return self._resolve("members", member.id, data)

    def role(self, ref: Any) -> str:
        """Resolve a role reference."""
        role = self.guild.role(ref)
        return self._resolve("roles", role.id, role.payload())

    def channel_ref(self, ref: Any) -> str:
        """Resolve a channel reference (id or name)."""
        channel = self.guild.channel(ref)
        data = channel.payload()
        data["permissions"] = str(self.guild.permissions(self.guild.bot))
        return self._resolve("channels", channel.id, data)

    def mentionable(self, ref: Any) -> str:
        """Resolve a member, else a role."""
        try:
            return self.member(ref)
        except KeyError:
            return self.role(ref)

    def attachment(self, value: Any) -> str:
        """Upload ``(filename, bytes[, content_type])`` and resolve it."""
        return self._resolve("attachments", *self.add_upload(*value))

    def value(self, option: dict[str, Any], value: Any, focused: bool) -> dict[str, Any]:
        """One option entry as Discord sends it."""
        kind = option["type"]
        entry: dict[str, Any] = {"name": option["name"], "type": kind}
        if focused:
            # Autocomplete sends the partial text the user typed, whatever the option type.
            entry.update(value=str(value), focused=True)
            return entry
        encoders: dict[int, Callable[[Any], Any]] = {
            STRING: str,
            INTEGER: int,
            BOOLEAN: bool,
            NUMBER: float,
            USER: self.member,
            CHANNEL: self.channel_ref,
            ROLE: self.role,
            MENTIONABLE: self.mentionable,
            ATTACHMENT: self.attachment,
        }
        if kind not in encoders:
            raise ValueError(f"fake Discord: option {option['name']!r} has unsupported type {kind}")
        encoded = encoders[kind](value)
        choices = [c["value"] for c in option.get("choices") or []]
        if choices and encoded not in choices:
            raise ValueError(f"fake Discord: {value!r} is not a choice of {option['name']!r}")
        entry["value"] = encoded
        return entry


def command_data(
    command: dict[str, Any],
    path: list[str],
    options: dict[str, Any],
    encoder: OptionEncoder,
    *,
    focused: str | None = None,
) -> dict[str, Any]:
    """The ``data`` of an application command or autocomplete interaction."""
    if command.get("type", 1) != 1:
        raise ValueError("fake Discord: only slash commands (type 1) can be invoked")
    data: dict[str, Any] = {"id": command["id"], "name": command["name"], "type": 1}
    if command.get("guild_id"):
        data["guild_id"] = command["guild_id"]
    node, schema, where = data, command.get("options") or [], f"/{command['name']}"
    for name in path:
        sub = find_option(schema, name, where)
        if sub["type"] not in (SUB_COMMAND, SUB_COMMAND_GROUP):
            raise LookupError(f"fake Discord: {name!r} is an option of {where}, not a subcommand")
        child: dict[str, Any] = {"name": sub["name"], "type": sub["type"]}
        node["options"] = [child]
        node, schema, where = child, sub.get("options") or [], f"{where} {sub['name']}"
    subs = [o["name"] for o in schema if o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)]
    if subs:
        raise LookupError(f"fake Discord: {where} needs a subcommand, one of {subs}")
    entries = []
    for name, value in options.items():
        option = find_option(schema, name, where)
        entries.append(encoder.value(option, value, focused == name))
    given = {e["name"] for e in entries}
    missing = [o["name"] for o in schema if o.get("required") and o["name"] not in given]
    if missing and focused is None:
        raise ValueError(f"fake Discord: {where} is missing required options {missing}")
    node["options"] = entries
    if encoder.resolved:
        data["resolved"] = encoder.resolved
    return data


def component_data(
    message: FakeMessage, custom_id: str, values: list[Any] | None, encoder: OptionEncoder
) -> dict[str, Any]:
    """The ``data`` of a component interaction on a message."""
    component = message.component(custom_id)
    if component is None:
        known = [c.get("custom_id") for c in walk_components(message.components)]
        raise LookupError(f"fake Discord: message {message.id} has no {custom_id!r}; has {known}")
    if component.get("disabled"):
        raise ValueError(f"fake Discord: component {custom_id!r} is disabled")
    data: dict[str, Any] = {"custom_id": custom_id, "component_type": component["type"]}
    if component["type"] in SELECTS:
        kind = SELECTS[component["type"]]
        option = {"name": custom_id, "type": kind}
        encoded = [encoder.value(option, v, False)["value"] for v in values or []]
        data["values"] = [str(v) for v in encoded]
        if encoder.resolved:
            data["resolved"] = encoder.resolved
    elif values is not None:
        raise ValueError(f"fake Discord: {custom_id!r} is a button; it takes no values")
    return data


def modal_components(modal: dict[str, Any], values: dict[str, Any]) -> list[dict[str, Any]]:
    """The submitted ``components`` mirroring the modal's layout (rows or labels)."""
    remaining = dict(values)

    def submitted(component: dict[str, Any]) -> dict[str, Any]:
        custom_id = component["custom_id"]
        value = remaining.pop(custom_id, None)
        if value is None and component.get("required", True) and component["type"] == 4:
            raise ValueError(f"fake Discord: modal field {custom_id!r} is required")
        entry: dict[str, Any] = {"type": component["type"], "custom_id": custom_id}
        if component["type"] == 4:
            entry["value"] = "" if value is None else str(value)
        else:
            entry["values"] = [str(v) for v in value or []]
        return entry

    result: list[dict[str, Any]] = []
    for top in modal.get("components") or []:
        if top["type"] == 1:
            children = [submitted(c) for c in top.get("components") or [] if "custom_id" in c]
            result.append({"type": 1, "components": children})
        elif top["type"] == 18 and "custom_id" in top.get("component", {}):
            result.append({"type": 18, "component": submitted(top["component"])})
    if remaining:
        raise LookupError(f"fake Discord: modal {modal['custom_id']!r} has no {sorted(remaining)}")
    return result


def interaction_payload(
    guild: GuildState,
    *,
    id: int,
    application_id: int,
    type: int,
    data: dict[str, Any],
    user: FakeMember,
    channel: FakeChannel,
    locale: str,
    message: FakeMessage | None = None,
) -> dict[str, Any]:
    """The INTERACTION_CREATE payload, with every field Discord sends."""
    payload: dict[str, Any] = {
        "id": str(id),
        "application_id": str(application_id),
        "type": type,
        "data": data,
        "token": f"aW50ZXJhY3Rpb24{secrets.token_urlsafe(32)}",
        "version": 1,
        "locale": locale,
        "app_permissions": str(guild.permissions(guild.bot)),
        "entitlements": [],
        "entitlement_sku_ids": [],
        "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        "channel_id": str(channel.id),
    }
    channel_data = channel.payload()
    if channel.type == DM:
        payload.update(user=user.user_payload(), context=1)
        payload["authorizing_integration_owners"] = {"0": "0"}
        channel_data["permissions"] = str(guild.permissions(user))
    else:
        member = guild.member_payload(user)
        member["permissions"] = str(guild.permissions(user))
        payload.update(member=member, context=0, guild_id=str(guild.guild_id))
        payload.update(guild_locale=guild.guild_locale)
        payload["guild"] = {"id": str(guild.guild_id), "locale": guild.guild_locale, "features": []}
        payload["authorizing_integration_owners"] = {"0": str(guild.guild_id)}
        channel_data["permissions"] = member["permissions"]
    payload["channel"] = channel_data
    if message is not None:
        payload["message"] = message.payload()
    return payload


def callback_answer(result: InteractionResult, callback_type: int) -> dict[str, Any]:
    """The ``?with_response=1`` body of an accepted interaction callback."""
    message = result.original if callback_type in (4, 5, 7) else None
    answer: dict[str, Any] = {
        "interaction": {
            "id": str(result.id),
            "type": result.type,
            "response_message_loading": callback_type == 5,
            "response_message_ephemeral": bool(message and message.flags & EPHEMERAL),
        },
        "resource": {"type": callback_type},
    }
    if message is not None:
        answer["interaction"]["response_message_id"] = str(message.id)
        answer["resource"]["message"] = message.payload()
    return answer
