"""Messages the bot sends to the fake Discord, as recorded for assertions."""

from __future__ import annotations

import copy
import mimetypes
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .state import iso_now

EPHEMERAL = 1 << 6
LOADING = 1 << 7
# Components that carry their own custom_id and can be clicked.
BUTTON = 2


def walk_components(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Yield every component, descending into rows, containers, sections and labels."""
    for component in components or []:
        yield component
        yield from walk_components(component.get("components") or [])
        for key in ("accessory", "component"):
            if isinstance(component.get(key), dict):
                yield from walk_components([component[key]])


@dataclass(eq=False)
class FakeMessage:
    """A message stored by the fake; editing it keeps the same object and records the edit."""

    id: int
    channel_id: int
    author: dict[str, Any]
    guild_id: int | None = None
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[tuple[str, bytes, str]] = field(default_factory=list)
    attachment_ids: list[int] = field(default_factory=list)
    flags: int = 0
    allowed_mentions: dict[str, Any] | None = None
    tts: bool = False
    message_reference: dict[str, Any] | None = None
    type: int = 0
    webhook_id: int | None = None
    interaction_metadata: dict[str, Any] | None = None
    edits: list[dict[str, Any]] = field(default_factory=list)
    versions: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False
    reactions: list[str] = field(default_factory=list)
    timestamp: str = field(default_factory=iso_now)
    edited_timestamp: str | None = None
    attachment_url: Callable[[int, str], str] = field(default=lambda aid, name: "", repr=False)

    @property
    def author_id(self) -> int:
        """Id of the author."""
        return int(self.author["id"])

    @property
    def ephemeral(self) -> bool:
        """Whether only the interaction user sees the message."""
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        """Whether the message is still a "thinking..." placeholder from a defer."""
        return bool(self.flags & LOADING)

    def custom_ids(self, *types: int) -> list[str]:
        """custom_ids of the message's buttons (or of the given component types)."""
        wanted = types or (BUTTON,)
        return [
            c["custom_id"]
            for c in walk_components(self.components)
            if c.get("type") in wanted and "custom_id" in c
        ]

    def component(self, custom_id: str) -> dict[str, Any] | None:
        """The raw component dict with that custom_id, if any."""
        for component in walk_components(self.components):
            if component.get("custom_id") == custom_id:
                return component
        return None

    def text(self) -> str:
        """Content, embed texts and text-display components, joined by newlines."""
        parts: list[str | None] = [self.content]
        for embed in self.embeds:
            parts += [embed.get("title"), embed.get("description")]
            for embed_field in embed.get("fields") or []:
                parts += [embed_field.get("name"), embed_field.get("value")]
            parts.append((embed.get("footer") or {}).get("text"))
        parts += [c.get("content") for c in walk_components(self.components) if c.get("type") == 10]
        return "\n".join(p for p in parts if p)

    def snapshot(self) -> dict[str, Any]:
        """Copy of the editable fields, kept in ``versions`` before each edit."""
        return copy.deepcopy(
            {
                "content": self.content,
                "embeds": self.embeds,
                "components": self.components,
                "attachments": [a[0] for a in self.attachments],
                "flags": self.flags,
            }
        )

    def apply(
        self,
        payload: dict[str, Any],
        files: list[tuple[str, bytes, str]],
        new_id: Callable[[], int],
    ) -> None:
        """Apply a create or edit payload (plus uploaded files) the way Discord does."""
        if "content" in payload:
            self.content = payload["content"] or ""
        if "embeds" in payload:
            self.embeds = list(payload["embeds"] or [])
        if "components" in payload:
            self.components = list(payload["components"] or [])
        if "allowed_mentions" in payload:
            self.allowed_mentions = payload["allowed_mentions"]
        if payload.get("tts"):
            self.tts = True
        if payload.get("message_reference"):
            self.message_reference = payload["message_reference"]
        kept: list[tuple[int, tuple[str, bytes, str]]] = []
        described = payload.get("attachments")
        if described is None:
            kept = list(zip(self.attachment_ids, self.attachments, strict=True))
            described = [{"id": i} for i in range(len(files))]
        for entry in described:
            ref = int(entry["id"])
            if ref in self.attachment_ids:
                kept.append((ref, self.attachments[self.attachment_ids.index(ref)]))
            elif 0 <= ref < len(files):
                name, data, sent_type = files[ref]
                name = entry.get("filename") or name
                # Discord sniffs the type itself; discord.py always uploads octet-stream.
                guessed = mimetypes.guess_type(name)[0]
                kept.append((new_id(), (name, data, guessed or sent_type)))
        self.attachment_ids = [k[0] for k in kept]
        self.attachments = [k[1] for k in kept]

    def edit(
        self,
        payload: dict[str, Any],
        files: list[tuple[str, bytes, str]],
        new_id: Callable[[], int],
    ) -> None:
        """Edit the message, recording the payload (unless it fills a thinking placeholder)."""
        if self.loading:
            self.flags &= ~LOADING
        else:
            self.versions.append(self.snapshot())
            self.edits.append(payload)
            self.edited_timestamp = iso_now()
        if "flags" in payload and payload["flags"] is not None:
            # Only suppress-embeds can change on edit; ephemeral and loading bits are Discord's.
            keep = self.flags & (EPHEMERAL | LOADING)
            self.flags = keep | (int(payload["flags"]) & ~(EPHEMERAL | LOADING))
        self.apply(payload, files, new_id)

    def payload(self) -> dict[str, Any]:
        """The Discord message object."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "type": self.type,
            "author": self.author,
            "content": self.content,
            "embeds": self.embeds,
            "components": self.components,
            "attachments": [
                {
                    "id": str(aid),
                    "filename": name,
                    "size": len(data),
                    "url": self.attachment_url(aid, name),
                    "proxy_url": self.attachment_url(aid, name),
                    "content_type": content_type,
                }
                for aid, (name, data, content_type) in zip(
                    self.attachment_ids, self.attachments, strict=True
                )
            ],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": self.tts,
            "flags": self.flags,
            "timestamp": self.timestamp,
            "edited_timestamp": self.edited_timestamp,
        }
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        if self.webhook_id is not None:
            data["webhook_id"] = str(self.webhook_id)
            data["application_id"] = str(self.webhook_id)
        if self.interaction_metadata is not None:
            data["interaction_metadata"] = self.interaction_metadata
        if self.message_reference is not None:
            data["message_reference"] = self.message_reference
        return data
