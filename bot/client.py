"""The discord.py bot: set-up, command sync, the one error path, start-up checks."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import json
import logging
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.config import Settings
from bot.core.errors import AmphiError, Deposed, is_unavailable
from bot.core.i18n import Translator as AmphiTranslations
from bot.core.i18n import translator_for
from bot.core.pace import BULK, URGENT, Pace
from bot.services import Services
from bot.store import state

log = logging.getLogger(__name__)

#: A command waits this long at most for its effect before saying "thinking…": answering in
#: the first response spares a deferral, the write of its kept command and an edit, which under
#: a burst is the difference between answering 1,000 members in 0.4 s and in 1.2 s (make bench).
ANSWER_WAIT = 1.0
#: Calls that can wait behind the rest: attendance roles, given and checked by the thousand.
BULK_ROUTES = frozenset(
    {"/guilds/{guild_id}/members/{user_id}/roles/{role_id}", "/guilds/{guild_id}/members/{user_id}"}
)

#: Seconds between touches of the health file (`amphi health` allows 90 by default).
HEALTH_INTERVAL = 30.0

CogT = TypeVar("CogT", bound=commands.Cog)

# How long discord.py waits after the last server arrives before it says ready (2 s by default,
# for bots in many servers, which arrive one after another). Amphi serves one.
GUILD_READY_TIMEOUT = 0.5


class CommandTranslator(app_commands.Translator):
    """Gives Discord the French names and descriptions of the commands from the catalogues."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        language = locale.value.split("-")[0]
        if language == "en":
            return None
        return AmphiTranslations(language).lookup(string.message)


def amphi(interaction: discord.Interaction) -> AmphiBot:
    """The bot that received `interaction`, typed: the cogs' one way to reach it from a click."""
    client = interaction.client
    if not isinstance(client, AmphiBot):
        raise TypeError(f"Amphi's components reached {type(client).__name__}, not AmphiBot")
    return client


def reader(interaction: discord.Interaction) -> AmphiTranslations:
    """The translations for whoever triggered `interaction`."""
    guild_locale = interaction.guild_locale.value if interaction.guild_locale else None
    return translator_for(interaction.locale.value, guild_locale)


def missing_resources(
    settings: Settings,
    channels: Iterable[tuple[int, str]],
    roles: Iterable[tuple[int, str]],
) -> list[str]:
    """The configured channels and roles that the server lacks, as `SETTING='value'`."""
    channels, roles = list(channels), list(roles)
    missing = []
    for setting, ref in settings.channel_refs().items():
        if not any(ref.matches(i, n) for i, n in channels):
            missing.append(f"{setting}={ref.raw!r}")
    for setting, ref in settings.role_refs().items():
        if not any(ref.matches(i, n) for i, n in roles):
            missing.append(f"{setting}={ref.raw!r}")
    return missing


class AmphiCommandTree(app_commands.CommandTree):
    """The command tree with Amphi's one error path."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """Domain refusals become their polite message; anything else an apology with an id."""
        await report_error(interaction, error)


class AmphiBot(commands.Bot):
    """Amphi's client; everything it needs arrives through `services`."""

    def __init__(self, services: Services, **options) -> None:
        intents = discord.Intents.none()
        intents.guilds = True  # channels and roles; interactions need no intent
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            tree_cls=AmphiCommandTree,
            **{"guild_ready_timeout": GUILD_READY_TIMEOUT, **options},
        )
        self.services = services
        # How long a command may wait for its effect to answer in its first response
        # (`cogs.kept`); 0: always "thinking…" first.
        self.answer_wait = ANSWER_WAIT
        self.pace = Pace()  # every call but interactions' shares Discord's global limit
        self._pace_requests()
        self.initial_cogs: list[commands.Cog] = []  # set by the composition root
        #: Asked before each REST call: False once this instance may no longer hold the lease
        #: (`bot.standby`), and nothing more goes to Discord.
        self.may_send: Callable[[], bool] = lambda: True
        self._guild_checked = False
        self._frozen = False
        self._stepped_down = False  # the lease was lost: this run is over

    @property
    def settings(self) -> Settings:
        """The validated settings."""
        return self.services.settings

    def cog(self, kind: type[CogT]) -> CogT:
        """The loaded cog that is a `kind`: how a persistent button reaches its handler."""
        for cog in self.cogs.values():
            if isinstance(cog, kind):
                return cog
        raise LookupError(f"No {kind.__name__} is loaded")

    def _pace_requests(self) -> None:
        """Send every REST call (roles, posts, DMs) through `pace`: a burst's calls then go out
        under Discord's global limit instead of coming back 429, role changes after whatever
        someone is waiting for. Interaction responses and follow-ups go through the webhook
        adapter, outside the limit, and are not held."""
        request = self.http.request

        async def paced(route: Any, **kwargs: Any) -> Any:
            await self.pace.slot(BULK if route.path in BULK_ROUTES else URGENT)
            if not self.may_send():
                raise Deposed("this instance no longer holds the lease; nothing more is sent")
            return await request(route, **kwargs)

        setattr(self.http, "request", paced)  # noqa: B010 - discord.py has no hook for this

    async def setup_hook(self) -> None:
        await self.tree.set_translator(CommandTranslator())
        for cog in self.initial_cogs:
            await self.add_cog(cog)
        await self.sync_commands_if_changed()
        # The posts need the server's channels and roles, which arrive with the gateway.
        self._posts_task = asyncio.create_task(self._start_posts(), name="amphi-posts")
        self._kept_task = asyncio.create_task(
            self._finish_kept_commands(), name="amphi-kept-commands"
        )
        if self.services.web is not None:
            # Served by the process whose bot runs: the active one, where there is a standby.
            try:
                await self.services.web.start()
            except OSError as error:  # the port taken: the bot serves Discord all the same
                log.error("Could not serve the web pages (WEB_PORT): %s", error)
        if self.settings.health_file is not None:
            self._health_task = asyncio.create_task(
                self._keep_health(self.settings.health_file), name="amphi-health"
            )

    async def _finish_kept_commands(self) -> None:
        # Commands acknowledged by the last run and not answered are finished first thing.
        await self.wait_until_ready()
        await self.services.kept.keep_finishing()

    async def _keep_health(self, path: Path) -> None:
        """Touch `path` while connected: `amphi health` reads its age for a container's check."""
        await self.wait_until_ready()
        while True:
            if self.is_ready() and not self.is_closed() and self.ws is not None and self.ws.open:
                try:
                    await asyncio.to_thread(path.write_text, "active\n", encoding="utf-8")
                except OSError as error:
                    log.warning("Could not touch the health file %s: %s", path, error)
            await asyncio.sleep(HEALTH_INTERVAL)

    async def _start_posts(self) -> None:
        await self.wait_until_ready()
        delay = 1.0
        while True:
            try:
                await self.services.posts.start()
                return
            except Exception:
                # Without the scheduler no reminder would go out: say so, and keep trying.
                log.exception("Could not start the scheduled posts; trying again in %g s", delay)
                await self.services.posts.stop()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)

    async def step_down(self, within: float) -> None:
        """The lease is lost: close the gateway and the HTTP session first, within `within`
        seconds, then stop the rest without waiting for the store (the new active finishes
        what this run held)."""
        self.may_send = lambda: False
        self._stepped_down = True
        # The posts being sent stop first, claimed as they are (the next active sends them
        # again under the same nonce): the close below would cut their requests short, and a
        # DM cut short is recorded as failed and never sent, though it may have arrived.
        self.services.posts.stop_now()
        closing = asyncio.ensure_future(discord.Client.close(self))
        try:
            await asyncio.wait_for(asyncio.shield(closing), within)
        except TimeoutError:
            # A silent network holds the gateway's close frame: closing the HTTP session ends
            # every connection of the client, the gateway's with them, and the close with it.
            log.error("The gateway did not close within %g s; closing its connection", within)
            await self.http.close()
        self._cancel_tasks()
        if self.services.web is not None:  # the pages are the active's to serve
            try:
                await asyncio.wait_for(self.services.web.stop(), within)
            except TimeoutError:
                log.warning("The web pages did not stop within %g s of the lost lease", within)
        # The cogs' own background work (the capacity panel, the roles, the Events tab…) ends
        # with this run too, rather than going on beside the next one.
        try:
            await asyncio.wait_for(self._unload_cogs(), within)
        except TimeoutError:
            log.warning("The cogs did not stop within %g s of the lost lease", within)

    async def hand_over(self, within: float) -> None:
        """Told to stop while holding the lease: the posts being sent get `within` seconds to
        finish, then nothing more goes to Discord (`step_down`), then what is pending is
        written down within `within`. The lease is released after: what is left, the next
        active finishes, so a standby takes over in moments, not after a long broadcast."""
        self.services.posts.started.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self.services.posts.stop()), within)
        await self.step_down(within)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.services.kept.flush(), within)

    async def _unload_cogs(self) -> None:
        for name in list(self.cogs):
            try:
                await self.remove_cog(name)
            except Exception:
                log.exception("Could not stop %s after the lost lease", name)

    def _cancel_tasks(self) -> None:
        for name in ("_posts_task", "_kept_task", "_health_task"):
            task = getattr(self, name, None)
            if task is not None:
                task.cancel()

    async def close(self) -> None:
        for name in ("_posts_task", "_kept_task", "_health_task"):
            task = getattr(self, name, None)
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self.settings.health_file is not None:
            # No longer connected: `amphi health` says so at once, and a restore need not wait
            # for the file to age.
            with contextlib.suppress(OSError):
                self.settings.health_file.unlink(missing_ok=True)
        if self.services.web is not None:
            await self.services.web.stop()
        if not self._stepped_down:  # deposed, nothing waits for the store: its writes are refused
            await self.services.posts.stop()
            await self.services.kept.flush()
        await super().close()

    async def command_payload(self) -> list[dict[str, Any]]:
        """The commands as syncing sends them to the server, French names included."""
        if self.tree.translator is None:
            await self.tree.set_translator(CommandTranslator())
        translator = self.tree.translator
        assert translator is not None
        guild = discord.Object(id=self.settings.guild_id or 0)
        self.tree.copy_global_to(guild=guild)
        return [
            await command.get_translated_payload(self.tree, translator)
            for command in self.tree.get_commands(guild=guild)
        ]

    async def sync_commands_if_changed(self) -> bool:
        """Sync the commands to the server when their schema differs from the last sync."""
        guild = discord.Object(id=self.settings.guild_id or 0)
        payload = await self.command_payload()
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        key = f"commands:{self.application_id}:{guild.id}"
        if await self.services.db.run(state.get_state, key=key) == digest:
            log.info("Commands unchanged since the last sync; not syncing")
            return False
        synced = await self.tree.sync(guild=guild)
        await self.services.db.run(state.set_state, key=key, value=digest, write=True)
        log.info("Synced %d commands to server %s", len(synced), guild.id)
        return True

    async def on_ready(self) -> None:
        if not self._frozen:
            # What exists now (code, meetings, the server's cache) lives as long as the process.
            # Out of the collector's sight, it cannot make a full collection stall the loop for
            # 100 ms in the middle of a burst.
            gc.collect()
            gc.freeze()
            self._frozen = True
        log.info("Ready as %s (%s)", self.user, self.user.id if self.user else "?")

    async def on_guild_available(self, guild: discord.Guild) -> None:
        if guild.id != self.settings.guild_id or self._guild_checked:
            return
        self._guild_checked = True
        missing = missing_resources(
            self.settings,
            ((c.id, c.name) for c in guild.channels),
            ((r.id, r.name) for r in guild.roles),
        )
        if missing:
            log.warning(
                "Server %r lacks what the configuration names: %s. Create them or change "
                "these settings in .env.",
                guild.name,
                ", ".join(missing),
            )


async def report_error(interaction: discord.Interaction, error: Exception) -> None:
    """Answer `interaction` about `error`, ephemerally, whether or not it was answered already."""
    cause = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    if isinstance(cause, app_commands.CheckFailure) and isinstance(cause.__cause__, AmphiError):
        cause = cause.__cause__
    tr = reader(interaction)
    # A kept command that failed (not refused) is finished by the next sweep, not lost.
    client = interaction.client
    kept = isinstance(client, AmphiBot) and client.services.kept.holds(interaction.id)
    if isinstance(cause, AmphiError):
        text = cause.user_message(tr)
    elif is_unavailable(cause) and kept:
        log.warning("The database is unavailable; command %s is kept: %s", interaction.id, cause)
        text = tr.gettext(
            "The database is briefly unavailable. Your command is written down: Amphi will "
            "finish it as soon as it can and update this message. No need to try again."
        )
    elif is_unavailable(cause):
        log.warning("The database is unavailable: %s", cause)
        text = tr.gettext(
            "The database is briefly unavailable, so nothing was changed. Please try again "
            "in a moment."
        )
    else:
        error_id = secrets.token_hex(4)
        log.error(
            "Error %s in %s by user %s",
            error_id,
            interaction.command.qualified_name if interaction.command else interaction.type,
            interaction.user.id,
            exc_info=cause,
        )
        if kept:  # trying again would do it twice: the sweep finishes it
            text = tr.gettext(
                "Sorry, something went wrong on our side (error {error_id}). Your command is "
                "written down: Amphi will finish it as soon as it can and update this message. "
                "No need to try again.",
                error_id=error_id,
            )
        else:
            text = tr.gettext(
                "Sorry, something went wrong on our side (error {error_id}). Please try again; "
                "if it keeps happening, give this error id to an organizer.",
                error_id=error_id,
            )
    told = True
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except discord.HTTPException:
        told = False
        log.exception("Could not tell user %s about an error", interaction.user.id)
    if isinstance(interaction.client, AmphiBot):
        # A kept command refused and told is done; one that failed otherwise is finished later.
        interaction.client.services.kept.after_error(
            interaction.id, told=told and isinstance(cause, AmphiError)
        )
