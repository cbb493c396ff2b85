"""Following the programme: the watch over meeting files and followed sources (and what
`/meeting refresh` did), the change notices (in the announcements channel, and by DM to those
who opted in), and the buttons under an organizer's preview of them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from typing import Any

import discord
from discord.ext import commands

from bot.changes.following import ProgrammeFollower, Refresh
from bot.changes.model import HeldImport, Notice, NoticePreview
from bot.changes.render import (
    render_held,
    render_held_outcome,
    render_notice,
    render_preview,
    render_refresh,
    render_unmatched,
    render_waiting,
    truncate_preview,
)
from bot.changes.service import ChangeNotices
from bot.client import AmphiBot, amphi, reader, report_error
from bot.core.config import Settings
from bot.core.i18n import Translator, translator_for
from bot.core.permissions import Standing
from bot.dms.service import Broadcaster
from bot.posts.model import PlannedPost, PostKind
from bot.posts.service import PostScheduler
from bot.programme.diff import ProgrammeDiff
from bot.programme.service import ProgrammeService
from bot.registration.service import RegistrationService
from cogs.common import ensure_standing, find_channel
from cogs.dm import DirectMessages

log = logging.getLogger(__name__)

ACTIONS = ("hold", "release", "now")


class ChangesButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"amphi:changes:(?P<action>hold|release|now)",
):
    """Hold, Let go or Post now under a change notice's preview; for organizers only."""

    def __init__(self, action: str, label: str = "") -> None:
        style = discord.ButtonStyle.danger if action == "hold" else discord.ButtonStyle.success
        super().__init__(
            discord.ui.Button(
                label=label or action, style=style, custom_id=f"amphi:changes:{action}"
            )
        )
        self.action = action

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ChangesButton:
        return cls(match["action"])

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            ensure_standing(interaction, Standing.ORGANIZER)
            await amphi(interaction).cog(ChangesCog).on_button(interaction, self.action)
        except Exception as error:
            await report_error(interaction, error)


class HeldImportButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"amphi:held:(?P<action>apply|drop):(?P<version>[0-9a-f]{16})",
):
    """Apply or Drop a version of the source held for an organizer; for organizers only. It
    names the version shown, so a button under an older preview cannot apply a newer one."""

    def __init__(self, action: str, version: str, label: str = "") -> None:
        style = discord.ButtonStyle.primary if action == "apply" else discord.ButtonStyle.danger
        super().__init__(
            discord.ui.Button(
                label=label or action, style=style, custom_id=f"amphi:held:{action}:{version}"
            )
        )
        self.action = action
        self.version = version

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> HeldImportButton:
        return cls(match["action"], match["version"])

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            ensure_standing(interaction, Standing.ORGANIZER)
            cog = amphi(interaction).cog(ChangesCog)
            await cog.on_held(interaction, self.action, self.version)
        except Exception as error:
            await report_error(interaction, error)


def preview_view(
    preview: NoticePreview, held: HeldImport | None, tr: Translator
) -> discord.ui.View | None:
    """The buttons that fit the preview: apply or drop a held version of the source; hold a
    planned notice, or let a held one go."""
    if not preview.diff and held is None:
        return None
    view = discord.ui.View(timeout=None)
    if held is not None:
        view.add_item(HeldImportButton("apply", held.version, tr.gettext("Apply")))
        view.add_item(HeldImportButton("drop", held.version, tr.gettext("Drop")))
    if preview.diff:
        if preview.held:
            view.add_item(ChangesButton("release", tr.gettext("Let it go")))
        else:
            view.add_item(ChangesButton("hold", tr.gettext("Hold")))
        view.add_item(ChangesButton("now", tr.gettext("Post now")))
    return view


def preview_message(
    preview: NoticePreview, tr: Translator, held: HeldImport | None = None
) -> dict[str, Any]:
    """The content and buttons of a preview (and of a version held for an organizer), for a
    reply or its edit."""
    view = preview_view(preview, held, tr)
    text = render_preview(preview.meeting, preview.diff, preview.due, preview.held, tr)
    if held is not None:
        text = truncate_preview(f"{render_held(preview.meeting, held, tr)}\n\n{text}")
    return {"content": text, "view": view}


class ChangesCog(commands.Cog):
    """Keeps the programme in step with its files and sources, and tells attendees of changes."""

    def __init__(
        self,
        bot: AmphiBot,
        *,
        settings: Settings,
        programme: ProgrammeService,
        follower: ProgrammeFollower,
        notices: ChangeNotices,
        posts: PostScheduler,
        registration: RegistrationService,
        broadcaster: Broadcaster,
        dms: DirectMessages,
    ) -> None:
        self.bot = bot
        self.settings = settings
        self.programme = programme
        self.follower = follower
        self.notices = notices
        self.posts = posts
        self.registration = registration
        self.broadcaster = broadcaster
        self.dms = dms
        self._task: asyncio.Task[None] | None = None
        self._telling = asyncio.Lock()
        self._unsaid: set[str] = set()  # held versions the moderation channel could not be told

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ChangesButton, HeldImportButton)
        self.posts.handle(PostKind.PROGRAMME_CHANGES, self.send_notice)
        self._task = asyncio.create_task(self._follow(), name="amphi-follow")

    async def cog_unload(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _follow(self) -> None:
        await self.bot.wait_until_ready()
        await self.posts.started.wait()
        while True:
            try:
                # Changes whose notice a crash cut short, or that failed, are told too.
                await self.notices.reconcile()
                await self.tell_organizers(await self.follower.tick())
            except Exception:
                log.exception("Could not check the meeting files and sources; trying again")
            await asyncio.sleep(self.settings.watch_seconds)

    def _tr(self) -> Translator:
        guild = self.bot.get_guild(self.settings.guild_id or 0)
        return translator_for(None, guild.preferred_locale.value if guild else None)

    async def send_notice(self, post: PlannedPost, late: bool) -> int | None:
        """Post the change notice, then DM it; a resumed send skips what was done."""
        notice = await self.notices.begin(post)
        if not notice.diff:
            await self.notices.told(post, notice)
            return None  # edits undone before the notice went out: nothing to tell
        guild = self.bot.get_guild(self.settings.guild_id or 0)
        if guild is None:
            raise RuntimeError(f"the bot is not in the server {self.settings.guild_id}")
        tr = self._tr()
        message_id = notice.message_id
        if self.notices.may_post(notice):
            await self.notices.posting(post)
            message_id = await self._post(guild, notice, post, tr)
            await self.notices.posted(post, message_id)
        elif message_id is None:
            log.warning(
                "Change notice %s was interrupted while posting too long ago; its DMs go on, "
                "its post is not repeated",
                post.key,
            )
        recipients = {
            r.user_id: r for r in await self.registration.all_registrations(notice.meeting) if r.dm
        }
        guild_locale = guild.preferred_locale.value

        def render(user_id: int) -> str:
            locale = recipients[user_id].locale if user_id in recipients else None
            return render_notice(notice.meeting, notice.diff, translator_for(locale, guild_locale))

        report = await self.broadcaster.run(post.key, list(recipients), render, self.dms.send)
        log.info("Change notice %s: %d DMs sent, %d failed", post.key, report.sent, report.failed)
        await self.notices.told(post, notice)
        return message_id

    async def _post(
        self, guild: discord.Guild, notice: Notice, post: PlannedPost, tr: Translator
    ) -> int:
        channel = find_channel(guild, self.settings.announcements_channel)
        if channel is None:
            raise RuntimeError(
                f"ANNOUNCEMENTS_CHANNEL={self.settings.announcements_channel} is not on the server"
            )
        message = await channel.send(
            render_notice(notice.meeting, notice.diff, tr),
            nonce=post.nonce,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        return message.id

    async def tell_organizers(self, refreshes: list[Refresh]) -> None:
        """In the moderation channel: each speaker link a refresh left without its name, and
        each version of a source held for them (once per version, across restarts)."""
        async with self._telling:  # the watch and /meeting refresh would both tell a version
            await self._tell_organizers(refreshes)

    async def _tell_organizers(self, refreshes: list[Refresh]) -> None:
        guild = self.bot.get_guild(self.settings.guild_id or 0)
        channel = find_channel(guild, self.settings.moderation_channel) if guild else None
        said = [render_unmatched(link, self._tr()) for r in refreshes for link in r.unmatched]
        untold = await self.follower.untold()
        if channel is None:
            # Said once per held version, not at every round.
            unseen = {h.version for h in untold} - self._unsaid
            self._unsaid |= unseen
            if said or unseen:
                log.warning(
                    "MODERATION_CHANNEL=%s is not on the server: the organizers were not told "
                    "of %d speaker link(s) and %d held source version(s)",
                    self.settings.moderation_channel,
                    len(said),
                    len(untold),
                )
            return
        for text in said:
            await channel.send(text, allowed_mentions=discord.AllowedMentions.none())
        for held in untold:
            meeting = await self.programme.meeting(held.slug)
            await channel.send(
                render_held(meeting, held, self._tr()),
                allowed_mentions=discord.AllowedMentions.none(),
            )
            await self.follower.told(held)

    async def refresh_programme(self, interaction: discord.Interaction) -> None:
        """`/meeting refresh`: read the active meeting's source and files again, and say what
        its notice will tell attendees (what is owed them, the same answer as the notice's)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        meeting = await self.programme.active_meeting()
        refresh = await self.follower.refresh(meeting.slug, asked=True)
        await self.tell_organizers([refresh])
        tr = reader(interaction)
        if refresh.waiting:
            text = render_waiting(tr)
        elif refresh.held is not None:
            text = render_held(meeting, refresh.held, tr)
        else:
            preview = await self.notices.preview(meeting.slug)
            diff = preview.diff if meeting.slug in refresh.edited else ProgrammeDiff()
            text = render_refresh(meeting, diff, refresh.error, tr, refresh.warnings)
        await interaction.followup.send(text, ephemeral=True)

    async def show_preview(self, interaction: discord.Interaction) -> None:
        """`/meeting changes`: the notice as it stands, and any version of the source held for
        an organizer, with their buttons."""
        tr = reader(interaction)
        preview = await self.notices.preview()
        held = await self.follower.held(preview.meeting.slug)
        message = preview_message(preview, tr, held)
        if message["view"] is None:
            del message["view"]
        await interaction.response.send_message(ephemeral=True, **message)

    async def on_button(self, interaction: discord.Interaction, action: str) -> None:
        """Hold, let go or post now, then show the preview as it now stands."""
        if action == "hold":
            preview = await self.notices.hold()
        else:
            preview = await self.notices.release(now=action == "now")
        held = await self.follower.held(preview.meeting.slug)
        message = preview_message(preview, reader(interaction), held)
        await interaction.response.edit_message(**message)

    async def on_held(self, interaction: discord.Interaction, action: str, version: str) -> None:
        """Apply or drop the held `version` of the active meeting's source; say what it did."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        slug = (await self.programme.active_meeting()).slug
        if action == "apply":
            refresh = await self.follower.apply_held(slug, version)
            outcome = "gone" if refresh is None else "applied"
            if refresh is not None and refresh.error:
                text = render_refresh(
                    await self.programme.meeting(slug),
                    ProgrammeDiff(),
                    refresh.error,
                    reader(interaction),
                )
                await interaction.followup.send(text, ephemeral=True)
                return
            if refresh is not None:
                await self.tell_organizers([refresh])
        else:
            outcome = "dropped" if await self.follower.drop_held(slug, version) else "gone"
        await interaction.followup.send(
            render_held_outcome(outcome, reader(interaction)), ephemeral=True
        )
