"""A minimal discord.py bot that only answers /ping: the floor the benchmarks compare with.

Run as `python -m bench.floor_bot` with the fake Discord's sitecustomize on PYTHONPATH and
DISCORD_TOKEN / DISCORD_GUILD_ID set, like `amphi run`.
"""

from __future__ import annotations

import os
import sys

import discord
from discord import app_commands

GUILD_READY_TIMEOUT = 0.5  # Amphi's (bot.client), so that both are ready by the same rule


def main() -> None:
    guild = discord.Object(int(os.environ["DISCORD_GUILD_ID"]))
    client = discord.Client(intents=discord.Intents.none(), guild_ready_timeout=GUILD_READY_TIMEOUT)
    tree = app_commands.CommandTree(client)

    @tree.command(name="ping", description="pong", guild=guild)
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong", ephemeral=True)

    async def setup_hook() -> None:
        await tree.sync(guild=guild)

    @client.event
    async def on_ready() -> None:
        print("floor bot ready", file=sys.stderr, flush=True)

    client.setup_hook = setup_hook
    client.run(os.environ["DISCORD_TOKEN"], log_handler=None)


if __name__ == "__main__":
    main()
