"""Point discord.py at a fake Discord for the duration of a ``with`` block."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


def apply(rest_base: str, gateway_url: str) -> tuple[str, object]:
    """Set Route.BASE and DiscordWebSocket.DEFAULT_GATEWAY; return the previous values."""
    import discord.gateway
    import discord.http
    import yarl

    previous = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    discord.http.Route.BASE = rest_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
    return previous


@contextlib.contextmanager
def patch_discord(rest_base: str, gateway_url: str) -> Iterator[None]:
    """Patch discord.py's REST base and default gateway, restoring them afterwards."""
    import discord.gateway
    import discord.http

    base, gateway = apply(rest_base, gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE = base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway  # type: ignore[assignment]
