"""Point discord.py at the fake Discord named by AMPHI_FAKE_DISCORD (for bot subprocesses)."""

import os

_base = os.environ.get("AMPHI_FAKE_DISCORD")
if _base:
    try:
        # Importing here is the simplest hook: the bot's later imports get the patched classes.
        import discord.gateway
        import discord.http
        import discord.state
        import yarl
    except ImportError:  # a helper process without discord.py: nothing to patch
        pass
    else:
        _base = _base.rstrip("/")
        discord.http.Route.BASE = _base + "/api/v10"
        _ws = "ws" + _base.removeprefix("http") + "/"
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(_ws)

        # The fake sends every GUILD_CREATE at once: waiting longer for more (the bot's own
        # guild_ready_timeout) only slows each start of a bot process down.
        _init = discord.state.ConnectionState.__init__

        def _quick_ready(self, *args, **options):
            _init(self, *args, **options)
            self.guild_ready_timeout = min(self.guild_ready_timeout, 0.1)

        discord.state.ConnectionState.__init__ = _quick_ready  # type: ignore[method-assign]
