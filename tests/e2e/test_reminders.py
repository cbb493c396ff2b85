"""Scheduled posts through the real discord.py client and the fake Discord."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.posts.model import PostKind, post_key
from tests.support.harness import FakeClock, eventually, running_amphi, test_settings

SLUG = "theorie-du-deep-learning-2021"
LINK = "https://video.example/secret-room"
S1_15 = post_key(SLUG, PostKind.SESSION_REMINDER, "s-session-1", 15)
S1_0 = post_key(SLUG, PostKind.SESSION_REMINDER, "s-session-1", 0)
S1_LINK = post_key(SLUG, PostKind.LINK_DMS, "s-session-1", 10)
FIRST_TALK = post_key(SLUG, PostKind.TALK_START, "some-theoretical-insights-into-wasserstein-gans")
S1_START = datetime(2021, 6, 28, 8, 0, tzinfo=UTC)


@pytest.fixture
async def linked(fake, clock, sqlite_url):
    """Amphi with a video link configured."""
    settings = test_settings(fake, sqlite_url, REMOTE_LINK=LINK)
    async with running_amphi(fake, settings, clock) as running:
        yield running


async def register(fake, user, mode, dm=False):
    result = await fake.invoke("register", {"mode": mode, "member": True, "dm": dm}, user=user)
    return await result.message()


async def fire(services, clock, key: str, due: datetime) -> None:
    clock.now = due
    await services.posts.fire(key)


def announcements(fake):
    return fake.messages("announcements")


async def test_session_reminder_pings_the_roles_and_offers_the_link(linked, fake, clock) -> None:
    _bot, services = linked
    remote, seated, stranger = (fake.add_member(n) for n in ("remy", "sam", "tom"))
    await register(fake, remote, "remote")
    await register(fake, seated, "in_person")
    await fire(services, clock, S1_15, S1_START - timedelta(minutes=15))

    [reminder] = announcements(fake)
    in_person, remote_role = fake.role_id("In person"), fake.role_id("Remote")
    assert reminder.content.startswith(f"<@&{in_person}> <@&{remote_role}>\n**Session 1**")
    assert "<t:1624867200:R>" in reminder.content
    assert reminder.allowed_mentions["parse"] == []
    assert sorted(map(int, reminder.allowed_mentions["roles"])) == sorted([in_person, remote_role])
    assert "Some Theoretical Insights into Wasserstein GANs" in reminder.text()
    assert reminder.custom_ids() == ["amphi:video-link"]

    answers = {}
    for member in (remote, seated, stranger):
        result = await fake.click(reminder, "amphi:video-link", user=member)
        answers[member.name] = await result.message()
        assert result.ephemeral
    assert LINK in answers["remy"].content
    assert LINK not in answers["sam"].content and "seat in the room" in answers["sam"].content
    assert LINK not in answers["tom"].content and "/register" in answers["tom"].content


async def test_without_a_link_the_reminder_has_no_button(amphi, fake, clock) -> None:
    _bot, services = amphi
    await fire(services, clock, S1_0, S1_START)
    [reminder] = announcements(fake)
    assert "starts now" in reminder.content
    assert reminder.custom_ids() == []


async def test_the_link_button_works_after_a_restart(fake, clock, sqlite_url) -> None:
    settings = test_settings(fake, sqlite_url, REMOTE_LINK=LINK)
    remote = fake.add_member("remy")
    async with running_amphi(fake, settings, clock) as (_bot, services):
        await register(fake, remote, "remote")
        await fire(services, clock, S1_15, S1_START - timedelta(minutes=15))
    [reminder] = announcements(fake)
    async with running_amphi(fake, settings, clock):
        result = await fake.click(reminder, "amphi:video-link", user=remote, locale="fr")
        answer = await result.message()
    assert LINK in answer.content and "Merci de ne pas le partager" in answer.content
    assert len(announcements(fake)) == 1  # the restart sent nothing again


async def test_now_on_post(amphi, fake, clock) -> None:
    _bot, services = amphi
    await fire(services, clock, FIRST_TALK, S1_START)
    [post] = announcements(fake)
    assert post.content.startswith("Now on: **Some Theoretical Insights into Wasserstein GANs**")
    assert "Gérard Biau (Sorbonne Université)" in post.content
    assert post.allowed_mentions == {"parse": []}


async def test_link_dms_reach_only_remote_attendees_who_opted_in(linked, fake, clock) -> None:
    _bot, services = linked
    organizer = fake.add_member("olga", roles=["Organizer"])
    await (await fake.invoke("registrations capacity", {"seats": 1}, user=organizer)).message()
    people = {
        "remote-dm": fake.add_member("remote-dm"),
        "remote-closed": fake.add_member("remote-closed", dms_open=False),
        "remote-quiet": fake.add_member("remote-quiet"),
        "seated-dm": fake.add_member("seated-dm"),
        "waiting-dm": fake.add_member("waiting-dm"),
    }
    await register(fake, people["remote-dm"], "remote", dm=True)
    await register(fake, people["remote-closed"], "remote", dm=True)
    await register(fake, people["remote-quiet"], "remote")
    await register(fake, people["seated-dm"], "in_person", dm=True)
    await register(fake, people["waiting-dm"], "in_person", dm=True)
    # Opting in to remote attendance brings the link at once.
    await eventually(lambda: len(fake.dms(people["remote-dm"])) == 1)
    assert LINK in fake.dms(people["remote-dm"])[0].content

    await fire(services, clock, S1_LINK, S1_START - timedelta(minutes=10))
    await fire(services, clock, S1_LINK, S1_START - timedelta(minutes=9))  # once only

    def session_dms(name):
        return [m for m in fake.dms(people[name]) if "Session 1" in m.content]

    assert [len(session_dms(n)) for n in people] == [1, 0, 0, 0, 1]
    assert LINK in session_dms("waiting-dm")[0].content
    statuses = {r.post.key: r.status for r in await services.posts.timeline(SLUG)}
    assert statuses[S1_LINK] == "sent"


async def test_reminders_timeline_for_organizers_only(amphi, fake, clock) -> None:
    _bot, services = amphi
    await fire(services, clock, S1_15, S1_START - timedelta(minutes=15))
    organizer = fake.add_member("olga", roles=["Organizer"])
    result = await fake.invoke("reminders", user=organizer)
    text = (await result.message()).text()
    assert result.ephemeral
    assert "`09:45` <t:1624866300:f> · Session 1: reminder, 15 min before — **sent**" in text
    assert "Session 2: reminder at its start — **pending**" in text
    attendee = fake.add_member("ann")
    refused = await (await fake.invoke("reminders", user=attendee)).message()
    assert "Only organizers can do this." in refused.content


async def test_catch_up_at_start_sends_late_or_skips(fake, sqlite_url) -> None:
    clock = FakeClock(S1_START + timedelta(seconds=30))
    async with running_amphi(fake, test_settings(fake, sqlite_url), clock) as (_bot, services):
        await eventually(lambda: len(announcements(fake)) == 2)
        async with asyncio.timeout(5):
            while True:
                timeline = {r.post.key: r.status for r in await services.posts.timeline(SLUG)}
                if timeline[S1_0] != "sending" and timeline[FIRST_TALK] != "sending":
                    break
                await asyncio.sleep(0.02)
    assert timeline[S1_15] == "skipped"  # missed by 15.5 minutes, beyond the 5-minute grace
    assert timeline[S1_0] == "late"
    assert timeline[FIRST_TALK] == "late"
    reminder, now_on = sorted(announcements(fake), key=lambda m: "Now on" in m.content)
    assert "**Session 1** of Théorie du deep learning starts now." in reminder.content
    assert now_on.content.startswith("Now on: **Some Theoretical Insights")


async def test_server_errors_and_rate_limits_still_deliver_once(amphi, fake, clock) -> None:
    _bot, services = amphi
    fake.fail_next("POST", r"/channels/\d+/messages", 500, {"message": "oops", "code": 0})
    fake.fail_next(
        "POST",
        r"/channels/\d+/messages",
        429,
        {"message": "You are being rate limited.", "retry_after": 0.05, "global": False},
    )
    await fire(services, clock, S1_0, S1_START)
    assert len(announcements(fake)) == 1
    record = await services.posts.timeline(SLUG)
    assert {r.post.key: r.status for r in record}[S1_0] == "sent"


async def test_the_scheduler_starts_even_if_its_first_attempt_fails(
    fake, clock, sqlite_url, monkeypatch, caplog
) -> None:
    from bot.posts.service import PostScheduler

    original = PostScheduler.replan
    calls = []

    async def flaky(self):
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("the database went away")
        await original(self)

    monkeypatch.setattr(PostScheduler, "replan", flaky)
    async with running_amphi(fake, test_settings(fake, sqlite_url), clock) as (_bot, services):
        assert services.posts.started.is_set()
    assert len(calls) == 2
    assert "Could not start the scheduled posts" in caplog.text
