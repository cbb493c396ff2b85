"""The questions' buttons: Approve and Reject under a question's card in the moderation channel,
Upvote under its public post, More under a page of approved questions. What a button does lives
in its custom_id, so old messages keep working after a restart (`bot.add_dynamic_items`); a
press reaches the questions cog by its name, which checks who may press.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, cast

import discord

from bot.client import amphi, report_error
from bot.core.i18n import Translator
from bot.questions.render import approve_label, more_label, reject_label, upvote_label

_STYLES = {
    "approve": discord.ButtonStyle.success,
    "reject": discord.ButtonStyle.danger,
    "vote": discord.ButtonStyle.primary,
    "more": discord.ButtonStyle.secondary,
}


#: The cog's name, as discord.py knows it: how a press reaches its handler.
COG_NAME = "QuestionsCog"


class QuestionPresses(Protocol):
    """What the questions cog does at each press; who may press is checked there."""

    async def on_approve(self, interaction: discord.Interaction, question_id: int) -> None:
        """Approve a pending question (moderators)."""

    async def on_reject(self, interaction: discord.Interaction, question_id: int) -> None:
        """Reject a pending question (moderators)."""

    async def on_vote(self, interaction: discord.Interaction, question_id: int) -> None:
        """Upvote an approved question, or take the upvote back."""

    async def on_more(self, interaction: discord.Interaction, talk_id: int, offset: int) -> None:
        """The next page of a talk's approved questions, from `offset`."""


class QuestionButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=(
        r"amphi:q:(?P<action>approve|reject|vote):(?P<id>\d+)"
        r"|amphi:q:more:(?P<talk>\d+):(?P<offset>\d+)"
    ),
):
    """Approve and Reject (moderators), Upvote and More (everyone): what a button does lives in
    its custom_id, so old messages keep working after a restart (`bot.add_dynamic_items`)."""

    def __init__(self, action: str, *ids: int, label: str | None) -> None:
        custom_id = ":".join(["amphi:q", action, *map(str, ids)])
        super().__init__(discord.ui.Button(label=label, style=_STYLES[action], custom_id=custom_id))
        self.action, self.ids = action, ids

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> QuestionButton:
        label = getattr(item, "label", None)
        if match["talk"] is not None:
            return cls("more", int(match["talk"]), int(match["offset"]), label=label)
        return cls(match["action"], int(match["id"]), label=label)

    async def callback(self, interaction: discord.Interaction) -> None:
        cog = cast(QuestionPresses, amphi(interaction).get_cog(COG_NAME))
        handlers: dict[str, Callable[..., Awaitable[None]]] = {
            "approve": cog.on_approve,
            "reject": cog.on_reject,
            "vote": cog.on_vote,
            "more": cog.on_more,
        }
        try:
            await handlers[self.action](interaction, *self.ids)
        except Exception as error:  # discord.py would only log a dynamic item's error
            await report_error(interaction, error)


def _buttons(*items: QuestionButton) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    return view


def card_buttons(question_id: int, tr: Translator) -> discord.ui.View:
    """Approve and Reject, under a question's card in the moderation channel."""
    return _buttons(
        QuestionButton("approve", question_id, label=approve_label(tr)),
        QuestionButton("reject", question_id, label=reject_label(tr)),
    )


def upvote_button(question_id: int, votes: int, tr: Translator) -> discord.ui.View:
    """The Upvote toggle with its count, under the public post."""
    return _buttons(QuestionButton("vote", question_id, label=upvote_label(votes, tr)))


def more_button(talk_id: int, offset: int, tr: Translator) -> discord.ui.View:
    """More, under a page of a talk's approved questions: the page from `offset`."""
    return _buttons(QuestionButton("more", talk_id, offset, label=more_label(tr)))
