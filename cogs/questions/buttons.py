"""The questions' persistent buttons: their state lives in the custom_id, so they keep working
after a restart (`bot.add_dynamic_items`). Each hands its click to the questions cog."""

from __future__ import annotations

import re
from typing import Any

import discord
from discord.ext import commands

from bot.client import amphi, report_error


class QuestionActions(commands.Cog):
    """What the buttons call: the questions cog implements each click."""

    async def on_approve(self, interaction: discord.Interaction, question_id: int) -> None:
        """Approve pressed on a moderation card."""
        raise NotImplementedError

    async def on_reject(self, interaction: discord.Interaction, question_id: int) -> None:
        """Reject pressed on a moderation card."""
        raise NotImplementedError

    async def on_vote(self, interaction: discord.Interaction, question_id: int) -> None:
        """Upvote pressed on a published question."""
        raise NotImplementedError

    async def on_more(self, interaction: discord.Interaction, talk_id: int, offset: int) -> None:
        """More pressed under a page of /questions."""
        raise NotImplementedError


def _actions(interaction: discord.Interaction) -> QuestionActions:
    return amphi(interaction).cog(QuestionActions)


def _button(
    action: str, question_id: int, label: str, style: discord.ButtonStyle
) -> discord.ui.Button[Any]:
    return discord.ui.Button(label=label, style=style, custom_id=f"amphi:q:{action}:{question_id}")


class ApproveButton(
    discord.ui.DynamicItem[discord.ui.Button], template=r"amphi:q:approve:(?P<id>\d+)"
):
    """Approve a pending question (moderators)."""

    def __init__(self, question_id: int, label: str = "Approve") -> None:
        super().__init__(_button("approve", question_id, label, discord.ButtonStyle.success))
        self.question_id = question_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ApproveButton:
        return cls(int(match["id"]), getattr(item, "label", None) or "Approve")

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await _actions(interaction).on_approve(interaction, self.question_id)
        except Exception as error:  # discord.py would only log a dynamic item's error
            await report_error(interaction, error)


class RejectButton(
    discord.ui.DynamicItem[discord.ui.Button], template=r"amphi:q:reject:(?P<id>\d+)"
):
    """Reject a pending question (moderators)."""

    def __init__(self, question_id: int, label: str = "Reject") -> None:
        super().__init__(_button("reject", question_id, label, discord.ButtonStyle.danger))
        self.question_id = question_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> RejectButton:
        return cls(int(match["id"]), getattr(item, "label", None) or "Reject")

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await _actions(interaction).on_reject(interaction, self.question_id)
        except Exception as error:  # discord.py would only log a dynamic item's error
            await report_error(interaction, error)


class UpvoteButton(discord.ui.DynamicItem[discord.ui.Button], template=r"amphi:q:vote:(?P<id>\d+)"):
    """Upvote an approved question, or take the upvote back (everyone)."""

    def __init__(self, question_id: int, label: str = "▲") -> None:
        super().__init__(_button("vote", question_id, label, discord.ButtonStyle.primary))
        self.question_id = question_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> UpvoteButton:
        return cls(int(match["id"]), getattr(item, "label", None) or "▲")

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await _actions(interaction).on_vote(interaction, self.question_id)
        except Exception as error:  # discord.py would only log a dynamic item's error
            await report_error(interaction, error)


class MoreButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"amphi:q:more:(?P<talk>\d+):(?P<offset>\d+)",
):
    """The next page of a talk's approved questions (everyone)."""

    def __init__(self, talk_id: int, offset: int, label: str = "More") -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=f"amphi:q:more:{talk_id}:{offset}",
            )
        )
        self.talk_id = talk_id
        self.offset = offset

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> MoreButton:
        label = getattr(item, "label", None) or "More"
        return cls(int(match["talk"]), int(match["offset"]), label)

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await _actions(interaction).on_more(interaction, self.talk_id, self.offset)
        except Exception as error:  # discord.py would only log a dynamic item's error
            await report_error(interaction, error)


DYNAMIC_ITEMS = (ApproveButton, RejectButton, UpvoteButton, MoreButton)


def moderation_view(question_id: int, approve: str, reject: str) -> discord.ui.View:
    """Approve and Reject, for the moderation channel."""
    view = discord.ui.View(timeout=None)
    view.add_item(ApproveButton(question_id, approve))
    view.add_item(RejectButton(question_id, reject))
    return view


def upvote_view(question_id: int, label: str) -> discord.ui.View:
    """The Upvote toggle with its count, for the public post."""
    view = discord.ui.View(timeout=None)
    view.add_item(UpvoteButton(question_id, label))
    return view


def more_view(talk_id: int, offset: int, label: str) -> discord.ui.View:
    """More, under a page of /questions: the next page starts at `offset`."""
    view = discord.ui.View(timeout=None)
    view.add_item(MoreButton(talk_id, offset, label))
    return view
