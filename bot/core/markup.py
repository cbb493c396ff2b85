"""Discord markup without discord.py: escaping, timestamps, mentions, and cards (embed-shaped data).

Cards know Discord's size limits; the cogs turn them into embeds. Every feature's renderer, and
any domain message that shows a time or a person, builds its markup here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

# Discord's limits for embeds (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
EMBEDS_PER_MESSAGE = 10
TOTAL_PER_MESSAGE = 6000
MESSAGE_LIMIT = 2000

_MARKDOWN = re.compile(r"([\\*_~`|\[\]<>])")
_LINE_START = re.compile(r"^(\s*)([#>-]|\d+\.)", re.MULTILINE)


@dataclass
class Card:
    """An embed's worth of content."""

    title: str = ""
    description: str = ""
    url: str = ""
    footer: str = ""
    fields: list[tuple[str, str]] = field(default_factory=list)

    def size(self) -> int:
        """Characters that count toward Discord's 6,000 per message."""
        return (
            len(self.title)
            + len(self.description)
            + len(self.footer)
            + sum(len(n) + len(v) for n, v in self.fields)
        )


def escape(text: str) -> str:
    """Text shown literally: markdown characters are escaped."""
    return _LINE_START.sub(r"\1\\\2", _MARKDOWN.sub(r"\\\1", text))


def timestamp(instant: datetime, style: str = "t") -> str:
    """A Discord timestamp, which each reader sees in their own timezone."""
    return f"<t:{int(instant.timestamp())}:{style}>"


def mention(user_id: int) -> str:
    """A user mention (shown as their name; messages are sent with mentions disabled)."""
    return f"<@{user_id}>"


def truncate(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def split_card(card: Card, lines: list[str], limit: int = DESCRIPTION_LIMIT) -> list[Card]:
    """`card` with `lines` as its description, continued over more cards where too long."""
    cards = [card]
    current: list[str] = []
    size = 0
    for line in lines:
        for piece in _chunks(line, limit):
            if current and size + len(piece) + 1 > limit:
                cards[-1].description = "\n".join(current)
                cards.append(Card(title=truncate(f"{card.title} (…)", TITLE_LIMIT)))
                current, size = [], 0
            current.append(piece)
            size += len(piece) + 1
    cards[-1].description = "\n".join(current)
    return cards


def _chunks(line: str, limit: int) -> list[str]:
    return [line[i : i + limit] for i in range(0, len(line), limit)] or [""]


def pack_cards(cards: list[Card]) -> list[list[Card]]:
    """Cards grouped into messages within Discord's 10 embeds and 6,000 characters."""
    messages: list[list[Card]] = []
    for card in cards:
        last = messages[-1] if messages else None
        if (
            last is not None
            and len(last) < EMBEDS_PER_MESSAGE
            and sum(c.size() for c in last) + card.size() <= TOTAL_PER_MESSAGE
        ):
            last.append(card)
        else:
            messages.append([card])
    return messages
