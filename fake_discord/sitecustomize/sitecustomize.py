"""Point discord.py at the fake Discord named by AMPHI_FAKE_DISCORD (for bot subprocesses)."""

import os

_base = os.environ.get("AMPHI_FAKE_DISCORD")
if _base:
    try:
        # Importing here is the simplest hook: the bot's later imports get the patched classes.
        import discord.gateway
        import discord.http
        import yarl
    except ImportError:  # a helper process without discord.py: nothing to patch
        pass
    else:
        _base = _base.rstrip("/")
        discord.http.Route.BASE = _base + "/api/v10"
        _ws = "ws" + _base.removeprefix("http") + "/"
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(_ws)
