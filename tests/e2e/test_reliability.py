"""Reliability: a dropped gateway mid-burst, 429 storms, and hostile free text everywhere."""

from __future__ import annotations

import asyncio
import contextlib
import random

import pytest
from sqlalchemy.engine import make_url

from bot.registration.model import Mode
from tests.support.harness import eventually, running_amphi, test_settings
from tests.support.tcp_proxy import TcpProxy

EPHEMERAL = 64
HOSTILE = [
    "@everyone",
    "@here",
    "<@1>",
    "<@&2>",
    "<#3>",
    "[click](https://evil.example)",
    "https://unfurl.example/page",
    "**bold** __under__ ~~strike~~ ||spoiler||",
    "```code```",
    "> quote",
    "# heading",
    "\u200b\u200d\u2060",
    "\u202e\u2066rtl\u2069",
    "\x00\x07\x1b[31m",
    "é" * 3,
    "🙂" * 5,
    "\n\n\t",
    "<t:0:R>",
]


def hostile_text(rng: random.Random, longest: int) -> str:
    """Free text made of mentions, markdown, control and invisible characters."""
    parts = [rng.choice(HOSTILE) for _ in range(rng.randint(1, 8))]
    text = " ".join(parts)
    if rng.random() < 0.2:
        text = (text * (longest // max(len(text), 1) + 1))[: rng.choice([longest, longest + 1])]
    return text


def assert_cannot_ping(message) -> None:
    mentions = message.allowed_mentions
    assert mentions is not None and mentions.get("parse") == [], mentions
    assert not mentions.get("users") and not mentions.get("replied_user")


async def test_a_dropped_gateway_mid_burst_loses_and_doubles_nothing(
    amphi_on_each_store, fake
) -> None:
    members = [fake.add_member(f"g{i}") for i in range(120)]
    first = [
        asyncio.create_task(fake.invoke("register", {"mode": "in_person", "member": True}, user=m))
        for m in members[:60]
    ]
    await asyncio.sleep(0)
    await fake.drop_gateway(4000)
    rest = [
        asyncio.create_task(fake.invoke("register", {"mode": "remote", "member": False}, user=m))
        for m in members[60:]
    ]
    results = await asyncio.gather(*first, *rest)
    replies = [await r.message(timeout=30) for r in results]
    assert all("You are registered" in r.content for r in replies)
    assert fake.gateway.resume_count >= 1
    _, services = amphi_on_each_store
    registrations = await services.registration.all_registrations()
    assert sorted(r.user_id for r in registrations) == sorted(m.id for m in members)


async def test_a_429_storm_on_dms_still_delivers_each_once(amphi_on_each_store, fake) -> None:
    olga = fake.add_member("olga", roles=["Organizer"])
    people = [fake.add_member(f"d{i}") for i in range(8)]
    for person in people:
        await (
            await fake.invoke(
                "register", {"mode": "remote", "member": True, "dm": True}, user=person
            )
        ).message()
    before = {p.id: len(fake.dms(p)) for p in people}
    fake.fail_next("POST", r"/channels/\d+/messages", 429, {"retry_after": 0.02}, count=6)
    fake.fail_next("POST", r"/channels/\d+/messages", 500, count=1)
    shown = await (
        await fake.invoke(
            "announce", {"message": "Storm", "audience": "remote", "dm": True}, user=olga
        )
    ).message()
    send = next(c for c in shown.custom_ids() if ":send:" in c)
    await (await fake.click(shown, send, user=olga)).message()
    await eventually(lambda: "is posted" in shown.content, timeout=20)
    assert [len(fake.dms(p)) - before[p.id] for p in people] == [1] * len(people)
    assert len(fake.messages("announcements")) == 1


async def test_hostile_affiliations(amphi_on_each_store, fake) -> None:
    rng = random.Random(7)
    members = [fake.add_member(f"f{i}") for i in range(150)]
    texts = [hostile_text(rng, 200) for _ in members]
    results = await asyncio.gather(
        *(
            fake.invoke(
                "register",
                {"mode": rng.choice(["in_person", "remote"]), "member": True, "affiliation": t},
                user=m,
            )
            for m, t in zip(members, texts, strict=True)
        )
    )
    for result in results:
        reply = await result.message(timeout=30)
        assert result.ephemeral
        assert "Sorry, something went wrong" not in reply.content
        assert 0 < len(reply.content) <= 2000
        assert_cannot_ping(reply)


async def test_hostile_announcements_ping_only_the_audience(amphi_on_each_store, fake) -> None:
    rng = random.Random(11)
    olga = fake.add_member("olga", roles=["Organizer"])
    remote_role = fake.role_id("Remote")
    for _ in range(40):
        text = hostile_text(rng, 1900)
        result = await fake.invoke("announce", {"message": text, "audience": "remote"}, user=olga)
        shown = await result.message()
        assert result.ephemeral and len(shown.content) <= 2000
        assert "Sorry, something went wrong" not in shown.content
        sends = [c for c in shown.custom_ids() if ":send:" in c]
        if not sends:  # refused politely (empty after trimming, or too long)
            assert "announcement" in shown.content.lower()
            continue
        await (await fake.click(shown, sends[0], user=olga)).message()
    await eventually(lambda: all("Preview" not in m.content for m in fake.all_messages()))
    for posted in fake.messages("announcements"):
        assert len(posted.content) <= 2000
        assert posted.allowed_mentions["parse"] == []
        assert [int(r) for r in posted.allowed_mentions.get("roles", [])] == [remote_role]


async def test_a_broadcast_stays_under_discords_global_limit(fake, clock, database_url) -> None:
    fake.traffic.global_limit = 50
    people = [fake.add_member(f"q{i}") for i in range(30)]
    settings = test_settings(fake, database_url, DM_RATE="20")
    async with running_amphi(fake, settings, clock) as (_bot, services):
        olga = fake.add_member("olga", roles=["Organizer"])
        for person in people:
            await services.registration.register(
                user_id=person.id, display_name=person.name, mode=Mode.REMOTE, member=True, dm=True
            )
        shown = await (
            await fake.invoke(
                "announce",
                {"message": "Under the limit", "audience": "remote", "dm": True},
                user=olga,
            )
        ).message()
        send = next(c for c in shown.custom_ids() if ":send:" in c)
        await (await fake.click(shown, send, user=olga)).message()
        await eventually(lambda: "is posted" in shown.content, timeout=20)
    assert [len(fake.dms(p)) for p in people] == [1] * len(people)
    assert fake.traffic.global_429s == 0


def stored_registrations(url: str) -> list[tuple[int, str, str]]:
    """(user, mode, status) of every registration, read straight from PostgreSQL."""
    import psycopg

    parsed = make_url(url)
    with psycopg.connect(
        host=parsed.host, port=parsed.port, user=parsed.username, dbname=parsed.database
    ) as conn:
        query = "SELECT user_id, mode, status FROM registration ORDER BY user_id"
        return [tuple(row) for row in conn.execute(query)]


@contextlib.asynccontextmanager
async def amphi_behind_a_proxy(fake, clock, postgres_url: str):
    """Amphi on `postgres_url` reached through a TcpProxy; yields (proxy, bot, services)."""
    with TcpProxy(make_url(postgres_url).port or 5432) as proxy:
        through_proxy = make_url(postgres_url).set(port=proxy.port)
        settings = test_settings(fake, through_proxy.render_as_string(hide_password=False))
        async with running_amphi(fake, settings, clock) as (bot, services):
            yield proxy, bot, services


IN_PERSON = {"mode": "in_person", "member": True}


@pytest.mark.postgres
async def test_a_database_cut_off_for_a_moment_loses_and_doubles_nothing(
    fake, clock, postgres_url
) -> None:
    async with amphi_behind_a_proxy(fake, clock, postgres_url) as (proxy, _bot, services):
        ada, ben = fake.add_member("ada"), fake.add_member("ben")
        first = await (await fake.invoke("register", IN_PERSON, user=ada)).message()
        assert "You are registered" in first.content
        # The pool keeps connections open: the cut must break those, not only new ones.
        assert proxy.open_connections > 0

        proxy.cut()
        refused = await fake.invoke("register", IN_PERSON, user=ben)
        reply = await refused.message()
        assert refused.ephemeral
        assert "database is briefly unavailable, so nothing was changed" in reply.content
        assert [user for user, _, _ in stored_registrations(postgres_url)] == [ada.id]
        assert fake.role_id("In person") not in ben.roles

        proxy.restore()
        again = await (await fake.invoke("register", IN_PERSON, user=ben)).message()
        assert "You are registered" in again.content
        figures = await services.registration.figures()
    assert proxy.refused > 0
    assert not any("Sorry, something went wrong" in m.content for m in fake.all_messages())
    assert stored_registrations(postgres_url) == sorted(
        [(ada.id, "in_person", "confirmed"), (ben.id, "in_person", "confirmed")]
    )
    assert (figures.in_person, figures.waitlist) == (2, 0)


@pytest.mark.postgres
async def test_the_capacity_panel_catches_up_once_the_database_is_back(
    fake, clock, postgres_url, caplog
) -> None:
    def seats_left(message) -> str:
        return next(f["value"] for f in message.embeds[0]["fields"] if f["name"] == "Seats left")

    async with amphi_behind_a_proxy(fake, clock, postgres_url) as (proxy, bot, _services):
        # Long enough for ben's registration and the cut to come within one interval, however
        # slow the machine.
        bot.get_cog("RegistrationCog").panel.interval = 3.0
        olga = fake.add_member("olga", roles=["Organizer"])
        await (await fake.invoke("registrations panel", user=olga)).message()
        [panel] = fake.messages("general")
        await (await fake.invoke("register", IN_PERSON, user=fake.add_member("ada"))).message()
        await eventually(lambda: seats_left(panel) == "599")
        # The next edit waits out the interval after ada's: the cut comes within that wait.
        await (await fake.invoke("register", IN_PERSON, user=fake.add_member("ben"))).message()
        proxy.cut()
        await eventually(lambda: "Could not update the capacity panel" in caplog.text)
        proxy.restore()
        with contextlib.suppress(TimeoutError):
            await eventually(lambda: seats_left(panel) == "598", timeout=8)
        assert seats_left(panel) == "598"
