"""The call's buttons: what each does lives in its custom_id, so old messages keep working after
a restart (`bot.add_dynamic_items`). Who may press one is checked by the cog, at the press."""

from __future__ import annotations

import re
from typing import Any, Protocol

import discord

from bot.client import report_error
from bot.core.i18n import Translator

#: Under a review card (organizers), under /my-proposals (its proposer), under an acceptance DM
#: (its author), under the preview of /proposals notify (organizers; id 0).
CARD = ("review", "accept", "decline")
MINE = ("edit", "withdraw")
ANSWER = ("confirm", "giveup")
NOTIFY = ("send", "cancel")

_STYLES = {
    "review": discord.ButtonStyle.primary,
    "accept": discord.ButtonStyle.success,
    "decline": discord.ButtonStyle.danger,
    "edit": discord.ButtonStyle.primary,
    "withdraw": discord.ButtonStyle.danger,
    "confirm": discord.ButtonStyle.success,
    "giveup": discord.ButtonStyle.danger,
    "send": discord.ButtonStyle.success,
    "cancel": discord.ButtonStyle.secondary,
}

#: The cog's name, as discord.py knows it: how a press reaches its handler.
COG_NAME = "ProposalsCog"


class PressHandler(Protocol):
    async def on_press(self, interaction: discord.Interaction, action: str, item: int) -> None:
        """Handle `action` pressed about proposal `item`."""


class ProposalButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"amphi:pp:(?P<action>[a-z]{4,8}):(?P<id>\d{1,18})",
):
    """One of the call's buttons."""

    def __init__(self, action: str, item: int, label: str | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=label, style=_STYLES[action], custom_id=f"amphi:pp:{action}:{item}"
            )
        )
        self.action, self.target = action, item

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ProposalButton:
        if match["action"] not in _STYLES:
            raise ValueError(f"no proposal button {match['action']!r}")
        return cls(match["action"], int(match["id"]), getattr(item, "label", None))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            cog: Any = interaction.client.get_cog(COG_NAME)  # type: ignore[attr-defined]
            handler: PressHandler = cog
            await handler.on_press(interaction, self.action, self.target)
        except Exception as error:  # discord.py would only log a dynamic item's error
            await report_error(interaction, error)


def buttons(pairs: list[tuple[str, int, str]]) -> discord.ui.View:
    """A view of (action, proposal id, label) buttons."""
    view = discord.ui.View(timeout=None)
    for action, item, label in pairs:
        view.add_item(ProposalButton(action, item, label))
    return view


def labels(tr: Translator) -> dict[str, str]:
    """Each button's label in the reader's language."""
    return {
        "review": tr.gettext("Review"),
        "accept": tr.gettext("Accept"),
        "decline": tr.gettext("Decline"),
        "edit": tr.gettext("Edit"),
        "withdraw": tr.gettext("Withdraw"),
        "confirm": tr.gettext("Confirm"),
        "giveup": tr.gettext("Withdraw"),
        "send": tr.gettext("Send"),
        "cancel": tr.gettext("Cancel"),
    }


def card_view(proposal_id: int, tr: Translator) -> discord.ui.View:
    """Review, Accept and Decline under a proposal's review card."""
    names = labels(tr)
    return buttons([(action, proposal_id, names[action]) for action in CARD])


def answer_view(proposal_id: int, tr: Translator) -> discord.ui.View:
    """Confirm and Withdraw under an acceptance DM."""
    names = labels(tr)
    return buttons([(action, proposal_id, names[action]) for action in ANSWER])
