"""What the simulated members do during a rehearsal, each thing at its time on the meeting's clock.

They go through Discord only: slash commands and clicks on the double, as people would. The store
is read for one thing: which of the many replies of a burst are worth showing.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from bot.core.clock import Clock, wall_seconds
from bot.programme.model import Meeting, Talk
from bot.registration.model import Mode, Status
from bot.registration.service import RegistrationService
from bot.rehearsal.cast import Attendee, Cast, default_attendees
from bot.rehearsal.transcript import Transcript
from fake_discord.interactions import InteractionResult
from fake_discord.messages import FakeMessage
from fake_discord.server import FakeDiscord
from fake_discord.state import FakeMember

log = logging.getLogger(__name__)

#: How long a simulated member waits for an answer before counting it as a failure.
ANSWER_TIMEOUT = 20.0
VIDEO_LINK = "amphi:video-link"

QUESTIONS = {
    "en": (
        "How does this result depend on the width of the network?",
        "Could you say more about the assumptions on the data distribution?",
        "Is the bound tight in practice, or only up to constants?",
        "How would the approach scale to ImageNet-sized problems?",
        "What changes if the activation is not ReLU?",
        "Is there a link with the neural tangent kernel regime?",
        "Do you have code available for the experiments?",
        "How sensitive is this to the choice of step size?",
    ),
    "fr": (
        "Comment ce résultat dépend-il de la largeur du réseau ?",
        "Pouvez-vous préciser les hypothèses sur la distribution des données ?",
        "La borne est-elle atteinte en pratique, ou seulement à constante près ?",
        "Comment l'approche passe-t-elle à l'échelle d'ImageNet ?",
        "Que se passe-t-il si l'activation n'est pas ReLU ?",
        "Y a-t-il un lien avec le régime du noyau tangent neuronal ?",
        "Le code des expériences est-il disponible ?",
        "Quelle est la sensibilité au choix du pas ?",
    ),
}
ANNOUNCEMENT = {
    "en": "Welcome! Coffee and badges are in the hall before the first session. Remote "
    "attendees: the video link comes with each session's reminder.",
    "fr": "Bienvenue ! Café et badges dans le hall avant la première session. À distance : le "
    "lien vidéo arrive avec le rappel de chaque session.",
}


class Day:
    """The members' side of the rehearsal."""

    def __init__(
        self,
        fake: FakeDiscord,
        people: Cast,
        transcript: Transcript,
        clock: Clock,
        meeting: Meeting,
        registration: RegistrationService,
        *,
        language: str,
        rng: random.Random,
    ) -> None:
        self.fake = fake
        self.people = people
        self.transcript = transcript
        self.clock = clock
        self.meeting = meeting
        self.registration = registration
        self.language = language
        self.locale = "fr" if language == "fr" else "en-US"
        self.rng = rng
        self.failures: list[str] = []
        self.not_rehearsed: list[str] = []
        self.questions_asked = 0
        self.votes = 0

    # ----- the timetable -------------------------------------------------------------------------
    def steps(
        self, start: datetime, end: datetime
    ) -> list[tuple[datetime, str, Callable[[], Awaitable[None]]]]:
        """(when, what, do) for the day between `start` and `end`."""
        steps: list[tuple[datetime, str, Callable[[], Awaitable[None]]]] = [
            (start + timedelta(minutes=1), "the day's opening", self.opening(start, end))
        ]
        for index, session in enumerate(self.meeting.sessions):
            when = session.start + timedelta(minutes=2)
            steps.append((when, f"the video link, {session.title}", self.video_link(index)))
        if self.meeting.talks:
            first = self.meeting.talks[0]
            steps.append((first.start + timedelta(minutes=4), "/now", self.what_is_on))
        for talk in self.meeting.talks:
            steps += self.questions_on(talk)
        return sorted((s for s in steps if start <= s[0] <= end), key=lambda s: s[0])

    def opening(self, start: datetime, end: datetime) -> Callable[[], Awaitable[None]]:
        """Before the first session, one thing after another: each needs the one before (no
        cancellation can promote anyone before the burst has filled the room)."""
        chain = [
            (1, "the speakers' accounts linked", self.link_speakers),
            (3, "the registration burst", self.registration_burst),
            (30, "a cancellation", self.cancellation),
            (32, "the capacity report", self.capacity),
            (40, "an announcement with DMs", self.announcement),
        ]

        async def play() -> None:
            for minutes, what, do in chain:
                if start + timedelta(minutes=minutes) > end:
                    self.not_rehearsed.append(f"{what}: the rehearsal ends before its time")
                    continue
                await self._step(start + timedelta(minutes=minutes), what, do)

        return play

    async def play(self, start: datetime, end: datetime) -> None:
        """Run every step at its time; one that fails is counted and the day goes on."""
        steps = self.steps(start, end)
        await asyncio.gather(*(self._step(when, what, do) for when, what, do in steps))

    async def _step(self, when: datetime, what: str, do: Callable[[], Awaitable[None]]) -> None:
        await asyncio.sleep(max(wall_seconds(self.clock, when - self.clock()), 0))
        try:
            await do()
        except Exception as error:
            log.warning("Rehearsal step %r failed", what, exc_info=True)
            self.failures.append(f"{what}: {type(error).__name__}: {error}")

    # ----- talking to the bot ------------------------------------------------------------------
    async def run(
        self,
        member: FakeMember,
        command: str,
        options: dict[str, Any] | None = None,
        *,
        show: bool = False,
    ) -> FakeMessage:
        """A slash command; its answer (shown when only the member sees it and `show`)."""
        result = await self.fake.invoke(command, options, user=member, locale=self.locale)
        return await self.answer(result, f"/{command}{shown_options(options)}", member, show)

    async def click(
        self, message: FakeMessage, custom_id: str, member: FakeMember, *, show: bool = False
    ) -> FakeMessage:
        result = await self.fake.click(message, custom_id, user=member, locale=self.locale)
        label = message.component(custom_id) or {}
        return await self.answer(result, f"[{label.get('label', custom_id)}]", member, show)

    async def answer(
        self, result: InteractionResult, action: str, member: FakeMember, show: bool
    ) -> FakeMessage:
        try:
            message = await result.message(timeout=ANSWER_TIMEOUT)
        except TimeoutError:
            raise RuntimeError(f"{action} by {member.name} got no answer") from None
        if show and message.ephemeral:
            name = member.nick or member.name
            self.transcript.reply(message, f"{name}: {action} · only {name} sees the answer")
        return message

    # ----- the steps ------------------------------------------------------------------------------
    async def link_speakers(self) -> None:
        speakers = self.people.speakers
        if not speakers:
            self.not_rehearsed.append("the speakers' DMs: the meeting file names no speakers")
            return
        for index, (talk_key, member) in enumerate(speakers.items()):
            options = {"talk": talk_key, "user": member}
            await self.run(self.people.organizer, "speaker link", options, show=index == 0)
        if len(speakers) > 1:
            self.transcript.note(f"… and {len(speakers) - 1} more talks linked to their speaker.")

    async def registration_burst(self) -> None:
        attendees = self.people.attendees
        if not attendees:
            self.not_rehearsed.append("registration: --attendees 0")
            return
        capacity = self.meeting.capacity
        self.transcript.note(
            f"{len(attendees)} members register at once, for {capacity} seats in the room."
        )
        results = await asyncio.gather(*(self.register(a) for a in attendees))
        answers = await asyncio.gather(
            *(r.message(timeout=ANSWER_TIMEOUT) for r in results), return_exceptions=True
        )
        missing = [a.member.name for a, m in zip(attendees, answers, strict=True) if not ok(m)]
        if missing:
            self.failures.append(f"{len(missing)} registrations got no answer, first {missing[0]}")
        everyone = {r.user_id: r for r in await self.registration.all_registrations()}
        shown: set[str] = set()
        for attendee, answer in zip(attendees, answers, strict=True):
            found = everyone.get(attendee.member.id)
            if found is None or not isinstance(answer, FakeMessage):
                continue
            kind = found.status.value if found.mode is Mode.IN_PERSON else "remote"
            if kind not in shown:
                shown.add(kind)
                name = attendee.member.name
                action = f"/register{shown_options(registration_options(attendee))}"
                self.transcript.reply(answer, f"{name}: {action} · only {name} sees the answer")
        in_person = sum(a.mode == "in_person" for a in attendees)
        if not everyone:
            deadline = self.meeting.registration_deadline.astimezone(self.meeting.tz)
            self.not_rehearsed.append(
                f"registration: it closed at {deadline:%H:%M}, before the rehearsal began "
                f"(start with --from before {deadline:%H:%M})"
            )
            if isinstance(answers[0], FakeMessage):
                name = attendees[0].member.name
                self.transcript.reply(
                    answers[0], f"{name}: /register · only {name} sees the answer"
                )
        elif in_person <= capacity:
            self.not_rehearsed.append(
                f"the waitlist: {in_person} attendees in person for {capacity} seats "
                f"(--attendees {default_attendees(capacity)} fills the room)"
            )

    async def register(self, attendee: Attendee) -> InteractionResult:
        options = registration_options(attendee)
        return await self.fake.invoke("register", options, user=attendee.member, locale=self.locale)

    async def cancellation(self) -> None:
        everyone = await self.registration.all_registrations()
        waiting = [r for r in everyone if r.status is Status.WAITLISTED]
        seated = [r for r in everyone if r.status is Status.CONFIRMED and r.mode is Mode.IN_PERSON]
        if not waiting or not seated:
            self.not_rehearsed.append("a waitlist promotion: nobody was waiting for a seat")
            return
        leaving = self.fake.member(self.rng.choice(seated).user_id)
        await self.run(leaving, "unregister", show=True)

    async def capacity(self) -> None:
        await self.run(self.people.organizer, "capacity", show=True)

    async def announcement(self) -> None:
        options = {"message": ANNOUNCEMENT[self.language], "audience": "registered", "dm": True}
        preview = await self.run(self.people.organizer, "announce", options, show=True)
        send = next((c for c in preview.custom_ids() if ":send:" in c), None)
        if send is None:
            raise RuntimeError("the announcement's preview has no Send button")
        await self.click(preview, send, self.people.organizer, show=True)

    def video_link(self, index: int) -> Callable[[], Awaitable[None]]:
        async def click() -> None:
            reminders = [
                m for m in self.fake.messages("announcements") if VIDEO_LINK in m.custom_ids()
            ]
            if not reminders:
                self.not_rehearsed.append(
                    f"the video link of {self.meeting.sessions[index].title}: no reminder with "
                    "the button (no REMOTE_LINK, or no reminder)"
                )
                return
            everyone = await self.registration.all_registrations()
            remote = [r for r in everyone if r.follows_remotely]
            seated = [r for r in everyone if not r.follows_remotely]
            if not remote:
                self.not_rehearsed.append(
                    f"the video link of {self.meeting.sessions[index].title}: nobody registered "
                    "to follow remotely"
                )
            for found in [*remote[:1], *seated[:1]] if index == 0 else remote[:1]:
                member = self.fake.member(found.user_id)
                await self.click(reminders[-1], VIDEO_LINK, member, show=True)

        return click

    async def what_is_on(self) -> None:
        await self.run(self.rng.choice(self.askers()), "now", show=True)

    def questions_on(self, talk: Talk) -> list[tuple[datetime, str, Callable[[], Awaitable[None]]]]:
        """Ask, moderate, vote and take questions, spread over the talk."""
        span = talk.end - talk.start
        asked: list[tuple[str, FakeMember]] = []
        approved: list[str] = []  # question ids

        async def ask() -> None:
            texts = self.rng.sample(QUESTIONS[self.language], 3)
            askers = self.rng.sample(self.askers(), min(3, len(self.askers())))
            for index, (text, member) in enumerate(zip(texts, askers, strict=False)):
                options = {"question": text, "talk": talk.key, "anonymous": index == 1}
                first = self.questions_asked == 0
                await self.run(member, "ask", options, show=first)
                self.questions_asked += 1
                asked.append((text, member))

        async def moderate() -> None:
            for index, (text, _member) in enumerate(asked):
                card = await self.card(text, talk.title)
                action = "reject" if index == 2 else "approve"
                button = next(c for c in card.custom_ids() if f":{action}:" in c)
                await self.click(card, button, self.people.moderator)
                if action == "approve":
                    approved.append(button.rsplit(":", 1)[1])

        async def vote() -> None:
            wanted = {f"amphi:q:vote:{question}" for question in approved}
            mine = [m for m in self.fake.all_messages() if self.vote_button(m) in wanted]
            for post in mine:
                voters = self.rng.sample(
                    self.askers(), min(self.rng.randint(2, 12), len(self.askers()))
                )
                button = self.vote_button(post)
                assert button is not None
                await asyncio.gather(*(self.click(post, button, v) for v in voters))
                self.votes += len(voters)

        async def take() -> None:
            await self.run(self.people.chair, "qa next", {"talk": talk.key}, show=True)

        title = talk.title
        return [
            (talk.start + span * 0.15, f"questions asked on {title}", ask),
            (talk.start + span * 0.35, f"questions moderated on {title}", moderate),
            (talk.start + span * 0.5, f"votes on {title}", vote),
            (talk.start + span * 0.75, f"/qa next on {title}", take),
        ]

    def askers(self) -> list[FakeMember]:
        return [a.member for a in self.people.attendees] or [self.people.organizer]

    async def card(self, text: str, title: str) -> FakeMessage:
        """The moderation card of a question on a talk, once it is posted and while undecided."""
        return await self.fake.wait_for_message(
            lambda m: (
                text in m.text()
                and title in m.text()
                and any(":approve:" in c for c in m.custom_ids())
            ),
            timeout=ANSWER_TIMEOUT,
        )

    @staticmethod
    def vote_button(message: FakeMessage) -> str | None:
        return next((c for c in message.custom_ids() if c.startswith("amphi:q:vote:")), None)


def registration_options(attendee: Attendee) -> dict[str, Any]:
    return {"mode": attendee.mode, "member": attendee.network_member, "dm": attendee.dm}


def shown_options(options: dict[str, Any] | None) -> str:
    """Options as a member types them: ` mode:in_person dm:True`."""
    shown = []
    for name, value in (options or {}).items():
        if isinstance(value, FakeMember):
            value = "@" + (value.nick or value.name)
        text = str(value)
        shown.append(f"{name}:{text if len(text) <= 40 else text[:39] + '…'}")
    return "".join(" " + s for s in shown)


def ok(answer: object) -> bool:
    return isinstance(answer, FakeMessage)
