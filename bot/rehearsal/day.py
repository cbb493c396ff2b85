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
from bot.core.i18n import Translator
from bot.programme.model import Meeting, Talk
from bot.registration.model import Mode, Status
from bot.registration.service import RegistrationService
from bot.rehearsal.cast import Attendee, Cast, default_attendees
from bot.rehearsal.script import ANNOUNCEMENT, QUESTIONS, typed
from bot.rehearsal.transcript import Transcript
from fake_discord.interactions import InteractionResult
from fake_discord.messages import FakeMessage
from fake_discord.server import FakeDiscord
from fake_discord.state import FakeMember

log = logging.getLogger(__name__)

#: How long a simulated member waits for an answer before counting it as a failure.
ANSWER_TIMEOUT = 20.0
VIDEO_LINK = "amphi:video-link"


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
        self.tr = Translator(language)
        self.locale = "fr" if language == "fr" else "en-US"
        self.rng = rng
        self.failures: list[str] = []
        self.not_rehearsed: list[str] = []
        self.questions_asked = 0
        self.votes = 0
        # Scenes added to the day (`amphi rehearse --call`): (when, what, do).
        self.extra: list[tuple[datetime, str, Callable[[], Awaitable[None]]]] = []

    # ----- the timetable -------------------------------------------------------------------------
    def steps(
        self, start: datetime, end: datetime
    ) -> list[tuple[datetime, str, Callable[[], Awaitable[None]]]]:
        """(when, what, do) for the day between `start` and `end`."""
        tr = self.tr
        steps: list[tuple[datetime, str, Callable[[], Awaitable[None]]]] = [
            (
                start + timedelta(minutes=1),
                tr.gettext("the day's opening"),
                self.opening(start, end),
            )
        ]
        for index, session in enumerate(self.meeting.sessions):
            when = session.start + timedelta(minutes=2)
            what = tr.gettext("the video link, {session}", session=session.title)
            steps.append((when, what, self.video_link(index)))
        if self.meeting.talks:
            first = self.meeting.talks[0]
            steps.append((first.start + timedelta(minutes=4), self.typed("now"), self.what_is_on))
        for talk in self.meeting.talks:
            steps += self.questions_on(talk)
        steps += self.extra
        return sorted((s for s in steps if start <= s[0] <= end), key=lambda s: s[0])

    def opening(self, start: datetime, end: datetime) -> Callable[[], Awaitable[None]]:
        """Before the first session, one thing after another: each needs the one before (no
        cancellation can promote anyone before the burst has filled the room)."""
        tr = self.tr
        chain = [
            (1, tr.gettext("the speakers' accounts linked"), self.link_speakers),
            (3, tr.gettext("the registration burst"), self.registration_burst),
            (30, tr.gettext("a cancellation"), self.cancellation),
            (32, tr.gettext("the capacity report"), self.capacity),
            (40, tr.gettext("an announcement with DMs"), self.announcement),
        ]

        async def play() -> None:
            for minutes, what, do in chain:
                if start + timedelta(minutes=minutes) > end:
                    self.not_rehearsed.append(
                        self.tr.gettext("{what}: the rehearsal ends before its time", what=what)
                    )
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
        return await self.answer(result, self.typed(command, options), member, show)

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
            no_answer = self.tr.gettext(
                "{action} by {name} got no answer", action=action, name=member.name
            )
            raise RuntimeError(no_answer) from None
        if show and message.ephemeral:
            self.transcript.reply(message, self.only_sees(member, action))
        return message

    def only_sees(self, member: FakeMember, action: str) -> str:
        """Where a reply only its member sees is shown: who did what."""
        name = member.nick or member.name
        return self.tr.gettext(
            "{name}: {action} · only {name} sees the answer", name=name, action=action
        )

    def typed(self, command: str, options: dict[str, Any] | None = None) -> str:
        return typed(command, options, self.tr)

    # ----- the steps ------------------------------------------------------------------------------
    async def link_speakers(self) -> None:
        speakers = self.people.speakers
        if not speakers:
            self.not_rehearsed.append(
                self.tr.gettext("the speakers' DMs: the meeting file names no speakers")
            )
            return
        for index, (talk_key, member) in enumerate(speakers.items()):
            options = {"talk": talk_key, "user": member}
            await self.run(self.people.organizer, "speaker link", options, show=index == 0)
        if len(speakers) > 1:
            self.transcript.note(
                self.tr.ngettext(
                    "… and {count} more talk linked to its speaker.",
                    "… and {count} more talks linked to their speaker.",
                    len(speakers) - 1,
                )
            )

    async def registration_burst(self) -> None:
        attendees = self.people.attendees
        if not attendees:
            self.not_rehearsed.append(self.tr.gettext("registration: --attendees 0"))
            return
        capacity = self.meeting.capacity
        self.transcript.note(
            self.tr.gettext(
                "{count} members register at once, for {seats} seats in the room.",
                count=len(attendees),
                seats=capacity,
            )
        )
        results = await asyncio.gather(*(self.register(a) for a in attendees))
        answers = await asyncio.gather(
            *(r.message(timeout=ANSWER_TIMEOUT) for r in results), return_exceptions=True
        )
        missing = [a.member.name for a, m in zip(attendees, answers, strict=True) if not ok(m)]
        if missing:
            self.failures.append(
                self.tr.gettext(
                    "{count} registrations got no answer, first {name}",
                    count=len(missing),
                    name=missing[0],
                )
            )
        everyone = {r.user_id: r for r in await self.registration.all_registrations()}
        shown: set[str] = set()
        for attendee, answer in zip(attendees, answers, strict=True):
            found = everyone.get(attendee.member.id)
            if found is None or not isinstance(answer, FakeMessage):
                continue
            kind = found.status.value if found.mode is Mode.IN_PERSON else "remote"
            if kind not in shown:
                shown.add(kind)
                action = self.typed("register", registration_options(attendee))
                self.transcript.reply(answer, self.only_sees(attendee.member, action))
        in_person = sum(a.mode == "in_person" for a in attendees)
        if not everyone:
            deadline = self.meeting.registration_deadline.astimezone(self.meeting.tz)
            self.not_rehearsed.append(
                self.tr.gettext(
                    "registration: it closed at {time}, before the rehearsal began (start with "
                    "--from before {time})",
                    time=f"{deadline:%H:%M}",
                )
            )
            if isinstance(answers[0], FakeMessage):
                action = self.typed("register")
                self.transcript.reply(answers[0], self.only_sees(attendees[0].member, action))
        elif in_person <= capacity:
            self.not_rehearsed.append(
                self.tr.gettext(
                    "the waitlist: {in_person} attendees in person for {seats} seats "
                    "(--attendees {attendees} fills the room)",
                    in_person=in_person,
                    seats=capacity,
                    attendees=default_attendees(capacity),
                )
            )

    async def register(self, attendee: Attendee) -> InteractionResult:
        options = registration_options(attendee)
        return await self.fake.invoke("register", options, user=attendee.member, locale=self.locale)

    async def cancellation(self) -> None:
        everyone = await self.registration.all_registrations()
        waiting = [r for r in everyone if r.status is Status.WAITLISTED]
        seated = [r for r in everyone if r.status is Status.CONFIRMED and r.mode is Mode.IN_PERSON]
        if not waiting or not seated:
            self.not_rehearsed.append(
                self.tr.gettext("a waitlist promotion: nobody was waiting for a seat")
            )
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
            raise RuntimeError(self.tr.gettext("the announcement's preview has no Send button"))
        await self.click(preview, send, self.people.organizer, show=True)

    def video_link(self, index: int) -> Callable[[], Awaitable[None]]:
        async def click() -> None:
            reminders = [
                m for m in self.fake.messages("announcements") if VIDEO_LINK in m.custom_ids()
            ]
            if not reminders:
                self.not_rehearsed.append(
                    self.tr.gettext(
                        "the video link of {session}: no reminder with the button (no "
                        "REMOTE_LINK, or no reminder)",
                        session=self.meeting.sessions[index].title,
                    )
                )
                return
            everyone = await self.registration.all_registrations()
            remote = [r for r in everyone if r.follows_remotely]
            seated = [r for r in everyone if not r.follows_remotely]
            if not remote:
                self.not_rehearsed.append(
                    self.tr.gettext(
                        "the video link of {session}: nobody registered to follow remotely",
                        session=self.meeting.sessions[index].title,
                    )
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

        tr, title = self.tr, talk.title
        return [
            (talk.start + span * 0.15, tr.gettext("questions asked on {title}", title=title), ask),
            (
                talk.start + span * 0.35,
                tr.gettext("questions moderated on {title}", title=title),
                moderate,
            ),
            (talk.start + span * 0.5, tr.gettext("votes on {title}", title=title), vote),
            (
                talk.start + span * 0.75,
                tr.gettext("{command} on {title}", command=self.typed("qa next"), title=title),
                take,
            ),
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


def ok(answer: object) -> bool:
    return isinstance(answer, FakeMessage)
