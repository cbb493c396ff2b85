"""Minimal discord.py bots, the floors the benchmarks compare Amphi with.

- `/ping` answers "pong": one request per interaction, what discord.py and the fake cost at least.
- The plain bot (FLOOR_DB names a SQLite file, FLOOR_ROLE_ID the role): what a registration bot
  in 40 lines does. It defers, registers in SQLite (one BEGIN IMMEDIATE count-and-insert in a
  worker thread), answers with a follow-up, then gives the seated member the role.

They start as Amphi does (the same guild_ready_timeout, gc.freeze at ready), so that a
comparison shows what Amphi's own work costs.

Run as `python -m bench.floor_bot` with the fake Discord's sitecustomize on PYTHONPATH and
DISCORD_TOKEN / DISCORD_GUILD_ID set, like `amphi run`.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sqlite3
import sys
import threading

import discord
from discord import app_commands

GUILD_READY_TIMEOUT = 0.5  # Amphi's (bot.client), so that both are ready by the same rule
SEATS = 600


class PlainStore:
    """The plain bot's registrations: one SQLite transaction per member, seats counted in it."""

    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS reg (user_id INTEGER PRIMARY KEY, seated INT)")
        self.lock = threading.Lock()

    def register(self, user_id: int) -> bool:
        """Whether the member has a seat."""
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            (seated,) = self.db.execute("SELECT count(*) FROM reg WHERE seated").fetchone()
            self.db.execute("INSERT OR IGNORE INTO reg VALUES (?, ?)", (user_id, seated < SEATS))
            self.db.execute("COMMIT")
            row = self.db.execute("SELECT seated FROM reg WHERE user_id = ?", (user_id,))
            return bool(row.fetchone()[0])


def main() -> None:
    guild = discord.Object(int(os.environ["DISCORD_GUILD_ID"]))
    client = discord.Client(intents=discord.Intents.none(), guild_ready_timeout=GUILD_READY_TIMEOUT)
    tree = app_commands.CommandTree(client)

    @tree.command(name="ping", description="pong", guild=guild)
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong", ephemeral=True)

    if os.environ.get("FLOOR_DB"):
        store = PlainStore(os.environ["FLOOR_DB"])
        role = discord.Object(int(os.environ["FLOOR_ROLE_ID"]))

        @tree.command(name="register", description="register", guild=guild)
        @app_commands.choices(mode=[app_commands.Choice(name="in person", value="in_person")])
        async def plain_register(
            interaction: discord.Interaction, mode: app_commands.Choice[str], member: bool
        ) -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            seated = await asyncio.to_thread(store.register, interaction.user.id)
            text = "You have a seat." if seated else "You are on the waitlist."
            await interaction.followup.send(text, ephemeral=True)
            if seated:
                assert isinstance(interaction.user, discord.Member)
                await interaction.user.add_roles(role)

    async def setup_hook() -> None:
        await tree.sync(guild=guild)

    @client.event
    async def on_ready() -> None:
        gc.collect()
        gc.freeze()  # as Amphi does at ready: a full collection then never stalls the burst
        print("floor bot ready", file=sys.stderr, flush=True)

    client.setup_hook = setup_hook
    client.run(os.environ["DISCORD_TOKEN"], log_handler=None)


if __name__ == "__main__":
    main()
