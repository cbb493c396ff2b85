"""Who takes part in a rehearsal: the organizers, moderators and speakers the meeting file names,
and as many attendees as asked for, each with their own choices, drawn from a seeded generator."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from itertools import product

from bot.programme.model import Meeting, Talk
from fake_discord.server import FakeDiscord
from fake_discord.state import FakeMember

FIRST_NAMES = (
    "Léa",
    "Lucas",
    "Chloé",
    "Hugo",
    "Inès",
    "Louis",
    "Manon",
    "Nathan",
    "Camille",
    "Théo",
    "Sarah",
    "Jules",
    "Emma",
    "Gabriel",
    "Zoé",
    "Arthur",
    "Lina",
    "Raphaël",
    "Jade",
    "Adam",
    "Alice",
    "Paul",
    "Anaïs",
    "Tom",
    "Clara",
    "Noah",
    "Eva",
    "Ethan",
    "Julie",
    "Sacha",
    "Mila",
    "Yanis",
    "Rose",
    "Malo",
    "Nora",
    "Élio",
    "Lou",
    "Amir",
    "Maëlle",
    "Victor",
)
INITIALS = "ABCDEFGHIJKLMNOPRSTVWYZ"


#: The share of attendees who come in person; the rest follow remotely.
IN_PERSON_SHARE = 0.85


def default_attendees(capacity: int) -> int:
    """Enough attendees that those coming in person fill the room and wait for 5% more seats."""
    return math.ceil((capacity + max(capacity // 20, 5)) / IN_PERSON_SHARE)


@dataclass
class Attendee:
    """A simulated member and what they will choose at registration."""

    member: FakeMember
    mode: str  # "in_person" or "remote"
    network_member: bool
    dm: bool


@dataclass
class Cast:
    """The rehearsal's people, on the double's server."""

    organizer: FakeMember
    moderator: FakeMember
    chair: FakeMember
    speakers: dict[str, FakeMember]  # talk key → the first speaker's account
    attendees: list[Attendee] = field(default_factory=list)


def attendee_names(count: int) -> list[str]:
    """`count` distinct names such as "Léa M.", then numbered ones."""
    names = [f"{first} {initial}." for initial, first in product(INITIALS, FIRST_NAMES)]
    names += [f"Attendee {n}" for n in range(len(names) + 1, count + 1)]
    return names[:count]


def staff_name(meeting: Meeting, index: int, fallback: str) -> str:
    """The meeting's own organizers play the staff, when the file names enough of them."""
    return meeting.organizers[index].name if index < len(meeting.organizers) else fallback


def cast(fake: FakeDiscord, meeting: Meeting, attendees: int, rng: random.Random) -> Cast:
    """Add the day's people to the double's server, as members who joined before the day."""
    organizer = fake.add_member(staff_name(meeting, 0, "Olga (organizer)"), roles=["Organizer"])
    moderator = fake.add_member(staff_name(meeting, 1, "Mona (moderator)"), roles=["Moderator"])
    chair = fake.add_member(staff_name(meeting, 2, "Chris (chair)"), roles=["Moderator"])
    speakers: dict[str, FakeMember] = {}
    # An organizer who also speaks gets the speaker's DMs on their own account.
    accounts = {m.name: m for m in (organizer, moderator, chair)}
    for talk in meeting.talks:
        name = first_speaker(talk)
        if name is None:
            continue
        if name not in accounts:
            accounts[name] = fake.add_member(name)
        speakers[talk.key] = accounts[name]
    people = Cast(organizer, moderator, chair, speakers)
    in_person = round(attendees * IN_PERSON_SHARE)
    modes = [False] * in_person + [True] * (attendees - in_person)
    rng.shuffle(modes)
    for name, remote in zip(attendee_names(attendees), modes, strict=True):
        people.attendees.append(
            Attendee(
                fake.add_member(name),
                "remote" if remote else "in_person",
                network_member=rng.random() < 0.6,
                dm=rng.random() < (0.5 if remote else 0.1),
            )
        )
    return people


def first_speaker(talk: Talk) -> str | None:
    return talk.speakers[0].name if talk.speakers else None
