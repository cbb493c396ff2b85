"""A short call for contributions in a rehearsal (`amphi rehearse --call`): an organizer opens
the call, three members propose, one edits, the organizer reviews and decides (a moderator who
tries is refused), the proposers are told by DM, an accepted author confirms, the call closes.

As on the day, through Discord only: slash commands, forms and clicks on the double.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bot.rehearsal.day import ANSWER_TIMEOUT, Day
from fake_discord.interactions import InteractionResult
from fake_discord.messages import FakeMessage
from fake_discord.state import FakeMember

TITLES = {
    "en": (
        "Implicit bias of gradient descent in wide networks",
        "Generalisation bounds for transformers",
        "A poster on sharp minima",
    ),
    "fr": (
        "Biais implicite de la descente de gradient dans les réseaux larges",
        "Bornes de généralisation pour les transformeurs",
        "Un poster sur les minima aigus",
    ),
}
ABSTRACT = {
    "en": "We show when gradient descent prefers simple solutions, and what this says about "
    "generalisation.",
    "fr": "Nous montrons quand la descente de gradient préfère les solutions simples, et ce que "
    "cela dit de la généralisation.",
}
REVIEW_CHANNEL = "proposals"


class CallScene:
    """The members' and organizers' side of a short call."""

    def __init__(self, day: Day) -> None:
        self.day = day
        self.fake = day.fake

    async def play(self) -> None:
        day, tr = self.day, self.day.tr
        if day.meeting.call is None:
            day.not_rehearsed.append(tr.gettext("the call: the meeting file has no [call]"))
            return
        authors = [a.member for a in day.people.attendees[:3]]
        if len(authors) < 3:
            day.not_rehearsed.append(tr.gettext("the call: it needs at least 3 members"))
            return
        organizer = day.people.organizer
        await day.run(organizer, "proposals open", show=True)
        titles = TITLES[day.language]
        for index, member in enumerate(authors):
            shown = await self.form(member, "propose")
            await self.send(shown, self.values(member, titles[index]), member, show=index == 0)
        await self.edit(authors[0], titles[0])
        cards = await self.cards(len(authors))
        await day.click(cards[0], self.button(cards[0], "accept"), day.people.moderator, show=True)
        for card, score in zip(cards, ("5", "4", "2"), strict=True):
            shown = await self.press(card, "review", organizer)
            await self.send(shown, {"score": score}, organizer, show=card is cards[0])
        for card, decision in zip(cards, ("accept", "accept", "decline"), strict=True):
            await day.click(card, self.button(card, decision), organizer)
        preview = await day.run(organizer, "proposals notify", show=True)
        await day.click(preview, self.button(preview, "send"), organizer, show=True)
        told = await self.dm_with(authors[0], "confirm")
        await day.click(told, self.button(told, "confirm"), authors[0], show=True)
        await day.run(organizer, "proposals close", show=True)

    # ----- steps ---------------------------------------------------------------------------------
    async def edit(self, member: FakeMember, title: str) -> None:
        """The first author changes their title through /my-proposals and Edit."""
        listed = await self.day.run(member, "my-proposals", show=True)
        shown = await self.press(listed, "edit", member)
        revised = self.day.tr.gettext("{title} (revised)", title=title)
        await self.send(shown, self.values(member, revised), member, show=True)

    def values(self, member: FakeMember, title: str) -> dict[str, Any]:
        name = member.nick or member.name
        return {
            "title": title,
            "abstract": ABSTRACT[self.day.language],
            "authors": f"{name} (Université Paris-Saclay)",
        }

    # ----- talking to the bot ----------------------------------------------------------------
    async def form(self, member: FakeMember, command: str) -> InteractionResult:
        """A command that answers with a form: the form shown."""
        result = await self.fake.invoke(command, {}, user=member, locale=self.day.locale)
        return await self.shown(result, self.day.typed(command), member)

    async def press(self, message: FakeMessage, action: str, member: FakeMember):
        """A button that answers with a form: the form shown."""
        custom_id = self.button(message, action)
        result = await self.fake.click(message, custom_id, user=member, locale=self.day.locale)
        label = (message.component(custom_id) or {}).get("label", action)
        return await self.shown(result, f"[{label}]", member)

    async def shown(
        self, result: InteractionResult, action: str, member: FakeMember
    ) -> InteractionResult:
        answer = await result.response(timeout=ANSWER_TIMEOUT)
        if result.modal is None:
            text = answer.content if answer is not None else ""
            raise RuntimeError(f"{action} by {member.name} showed no form: {text[:200]}")
        return result

    async def send(
        self, shown: InteractionResult, values: dict[str, Any], member: FakeMember, *, show: bool
    ) -> FakeMessage:
        """The form filled in and sent; its answer (shown in the transcript when `show`)."""
        result = await self.fake.submit_modal(shown, values, user=member)
        title = shown.modal["title"] if shown.modal else ""
        return await self.day.answer(result, f"[{title}]", member, show)

    async def cards(self, count: int) -> list[FakeMessage]:
        """The review cards, once `count` of them are posted (oldest first)."""
        async with asyncio.timeout(ANSWER_TIMEOUT):
            while True:
                posted = self.fake.messages(REVIEW_CHANNEL)
                if len(posted) >= count:
                    return posted[:count]
                await asyncio.sleep(0.05)

    async def dm_with(self, member: FakeMember, action: str) -> FakeMessage:
        """The member's DM that carries the `action` button, once it arrives."""
        async with asyncio.timeout(ANSWER_TIMEOUT):
            while True:
                for message in self.fake.dms(member):
                    if any(f":{action}:" in c for c in message.custom_ids()):
                        return message
                await asyncio.sleep(0.05)

    def button(self, message: FakeMessage, action: str) -> str:
        found = next((c for c in message.custom_ids() if f":{action}:" in c), None)
        if found is None:
            raise RuntimeError(self.day.tr.gettext("no {action} button", action=action))
        return found
