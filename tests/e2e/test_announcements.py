"""Announcements through the real discord.py client and the fake Discord."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.posts.model import PostKind, post_key
from tests.support.harness import eventually, running_amphi, settled_status, test_settings

SLUG = "theorie-du-deep-learning-2021"


@pytest.fixture
async def fast_dms(fake, clock, sqlite_url):
    """Amphi with a fast DM throttle, so broadcasts finish quickly in tests."""
    settings = test_settings(fake, sqlite_url, DM_RATE="40")
    async with running_amphi(fake, settings, clock) as running:
        yield running


def organizer(fake, name="olga"):
    return fake.add_member(name, roles=["Organizer"])


async def preview(fake, user, locale="en-US", **options):
    result = await fake.invoke("announce", options, user=user, locale=locale)
    return result, await result.message()


def button(message, action: str) -> str:
    return next(c for c in message.custom_ids() if f":{action}:" in c)


async def test_preview_then_send_pings_only_the_audience(amphi, fake) -> None:
    olga = organizer(fake)
    text = "Coffee is served! @everyone <@123> <@&456> **now**"
    result, shown = await preview(fake, olga, message=text, audience="remote")
    assert result.ephemeral
    assert "**Preview of announcement #1**" in shown.content
    assert "Pings: the remote attendees." in shown.content
    assert "DMs: none." in shown.content
    assert fake.messages("announcements") == []  # nothing before Send

    await (await fake.click(shown, button(shown, "send"), user=olga)).message()
    await eventually(lambda: "Announcement #1 is posted." in shown.content)
    [posted] = fake.messages("announcements")
    remote = fake.role_id("Remote")
    assert posted.content == f"<@&{remote}>\n{text}"
    assert posted.allowed_mentions == {"parse": [], "roles": [str(remote)]} or (
        posted.allowed_mentions["parse"] == []
        and list(map(int, posted.allowed_mentions["roles"])) == [remote]
    )


async def test_send_twice_posts_once(amphi, fake) -> None:
    olga = organizer(fake)
    _result, shown = await preview(fake, olga, message="Lunch at 12:30")
    send = button(shown, "send")
    clicks = await asyncio.gather(*(fake.click(shown, send, user=olga) for _ in range(2)))
    for click in clicks:
        await click.message()
    await eventually(lambda: len(fake.messages("announcements")) == 1)
    await asyncio.sleep(0.1)
    assert len(fake.messages("announcements")) == 1


async def test_cancel_posts_nothing(amphi, fake) -> None:
    olga = organizer(fake)
    _result, shown = await preview(fake, olga, message="Never mind")
    await (await fake.click(shown, button(shown, "cancel"), user=olga)).message()
    assert "Announcement #1 is cancelled." in shown.content
    assert shown.custom_ids() == []
    assert fake.messages("announcements") == []


async def test_another_channel(amphi, fake) -> None:
    olga = organizer(fake)
    _result, shown = await preview(fake, olga, message="Posters upstairs", channel="general")
    assert f"<#{fake.channel_id('general')}>" in shown.content
    await (await fake.click(shown, button(shown, "send"), user=olga)).message()
    await eventually(lambda: len(fake.messages("general")) == 1)
    assert fake.messages("announcements") == []


async def test_members_without_the_role_are_refused(amphi, fake) -> None:
    olga, mod = organizer(fake), fake.add_member("mod", roles=["Moderator"])
    result, refused = await preview(fake, mod, message="hello")
    assert result.ephemeral and "Only organizers can do this." in refused.content
    _result, shown = await preview(fake, olga, message="hello")
    click = await fake.click(shown, button(shown, "send"), user=mod)
    assert "Only organizers can do this." in (await click.message()).content
    for command, options in [("announcements list", {}), ("announcements cancel", {"id": 1})]:
        reply = await (await fake.invoke(command, options, user=mod)).message()
        assert "Only organizers can do this." in reply.content
    assert fake.messages("announcements") == []


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"message": "   "}, "The announcement is empty."),
        ({"message": "x" * 1901}, "1901 characters long"),
        ({"message": "hi", "at": "25:99"}, "could not read “25:99” as a time"),
        ({"message": "hi", "at": "tomorrow"}, "could not read “tomorrow” as a time"),
        ({"message": "hi", "at": "2021-05-01T10:00"}, "is already past"),
    ],
)
async def test_bad_input_is_refused_politely(amphi, fake, options, expected) -> None:
    result, refused = await preview(fake, organizer(fake), **options)
    assert result.ephemeral and expected in refused.content
    assert fake.messages("announcements") == []


async def test_scheduled_list_cancel_and_send_at_the_time(amphi, fake, clock) -> None:
    _bot, services = amphi
    olga = organizer(fake)
    _r, first = await preview(fake, olga, message="Session 2 moves", at="15:30")
    await (await fake.click(first, button(first, "send"), user=olga)).message()
    assert "is scheduled at <t:" in first.content
    _r, second = await preview(fake, olga, message="Dinner", at="2021-06-28T19:00")
    await (await fake.click(second, button(second, "send"), user=olga)).message()

    listed = await (await fake.invoke("announcements list", user=olga)).message()
    assert "**#1**" in listed.content and "**#2**" in listed.content
    cancelled = await (await fake.invoke("announcements cancel", {"id": 2}, user=olga)).message()
    assert "Announcement #2 is cancelled." in cancelled.content
    listed = await (await fake.invoke("announcements list", user=olga)).message()
    assert "**#1**" in listed.content and "**#2**" not in listed.content
    unknown = await (await fake.invoke("announcements cancel", {"id": 9}, user=olga)).message()
    assert "There is no announcement #9" in unknown.content

    clock.now = datetime(2021, 6, 28, 13, 30, tzinfo=UTC)  # 15:30 in Paris
    await services.posts.fire(post_key(SLUG, PostKind.ANNOUNCEMENT, "1"))
    await services.posts.fire(post_key(SLUG, PostKind.ANNOUNCEMENT, "2"))
    assert [m.content for m in fake.messages("announcements")] == ["Session 2 moves"]
    report = await fake.wait_for_message(lambda m: m in fake.dms(olga))
    assert "Announcement #1 is posted." in report.content


async def test_dm_broadcast_reports_its_delivery(fast_dms, fake) -> None:
    olga = organizer(fake)
    audience = [fake.add_member(f"r{i}", dms_open=i >= 2) for i in range(12)]
    for member in audience:
        await (
            await fake.invoke(
                "register", {"mode": "remote", "member": True, "dm": True}, user=member
            )
        ).message()
    seated = fake.add_member("seated")
    await (
        await fake.invoke(
            "register", {"mode": "in_person", "member": True, "dm": True}, user=seated
        )
    ).message()
    before = {m.id: len(fake.dms(m)) for m in [*audience, seated]}

    _r, shown = await preview(fake, olga, message="Slides are online", audience="remote", dm=True)
    assert "DMs: 12 members who opted in to DMs." in shown.content
    await (await fake.click(shown, button(shown, "send"), user=olga)).message()
    await eventually(lambda: "is posted" in shown.content, timeout=10)
    assert "DMs: 10 sent, 2 failed, of 12." in shown.content
    assert "- DMs closed: 2" in shown.content
    for member in audience[2:]:
        news = fake.dms(member)[before[member.id] :]
        assert [m.content.endswith("Slides are online") for m in news] == [True]
    assert len(fake.dms(seated)) == before[seated.id]


async def test_preview_in_french(amphi, fake) -> None:
    _result, shown = await preview(fake, organizer(fake), locale="fr", message="Bonjour")
    assert "**Aperçu de l'annonce n° 1**" in shown.content
    assert "Mentionne\u202f: personne." in shown.content
    assert shown.custom_ids() and "Envoyer" in str(shown.components)


async def test_send_pressed_after_the_time_has_passed_is_refused(amphi, fake, clock) -> None:
    olga = organizer(fake)
    _r, shown = await preview(fake, olga, message="Too late", at="10:05")
    clock.now = datetime(2021, 6, 28, 8, 12, tzinfo=UTC)  # 10:12 in Paris
    click = await fake.click(shown, button(shown, "send"), user=olga)
    reply = await click.message()
    assert "is already past" in reply.content
    listed = await (await fake.invoke("announcements list", user=olga)).message()
    assert "No announcement is scheduled." in listed.content


async def test_a_failed_post_is_reported_to_the_organizer(amphi, fake, monkeypatch) -> None:
    monkeypatch.setattr("bot.posts.service.RETRY_DELAYS", (0, 0))
    olga = organizer(fake)
    _r, shown = await preview(fake, olga, message="Blocked")
    fake.fail_next("POST", r"/channels/\d+/messages", 403, {"code": 50013}, count=3)
    await (await fake.click(shown, button(shown, "send"), user=olga)).message()
    await eventually(lambda: "could not be sent yet" in shown.content)
    assert "Forbidden" in shown.content
    _bot, services = amphi
    key = post_key(SLUG, PostKind.ANNOUNCEMENT, "1")
    assert await settled_status(services, SLUG, key) == "failed"
    assert fake.messages("announcements") == []


async def test_a_cancelled_announcement_is_never_posted(amphi, fake, clock) -> None:
    from bot.announcements import queries as store

    _bot, services = amphi
    olga = organizer(fake)
    _r, shown = await preview(fake, olga, message="Changed my mind", at="15:30")
    await (await fake.click(shown, button(shown, "send"), user=olga)).message()
    # A cancel that won the race after the post was planned: the delivery checks the row.
    services.db.call(
        store.change_status, announcement_id=1, old=("scheduled",), new="cancelled", write=True
    )
    clock.now = datetime(2021, 6, 28, 13, 30, tzinfo=UTC)
    await services.posts.fire(post_key(SLUG, PostKind.ANNOUNCEMENT, "1"))
    assert fake.messages("announcements") == []


async def test_a_send_resumed_long_after_a_crash_is_not_posted_twice(
    fake, clock, sqlite_url
) -> None:
    from bot.posts import queries as post_store

    settings = test_settings(fake, sqlite_url)
    olga = organizer(fake)
    key = post_key(SLUG, PostKind.ANNOUNCEMENT, "1")
    async with running_amphi(fake, settings, clock) as (_bot, services):
        _r, shown = await preview(fake, olga, message="Once", at="15:30")
        await (await fake.click(shown, button(shown, "send"), user=olga)).message()
        # The process dies after claiming the post at 15:30, perhaps after posting it.
        services.db.call(
            post_store.claim, key=key, now=datetime(2021, 6, 28, 13, 30, tzinfo=UTC), write=True
        )
    clock.now = datetime(2021, 6, 28, 13, 34, 30, tzinfo=UTC)  # restarted 4.5 minutes later
    async with running_amphi(fake, settings, clock) as (_bot, services):
        assert await settled_status(services, SLUG, key) == "late"
    assert fake.messages("announcements") == []  # beyond Discord's nonce window: not repeated


def test_announcement_dms_fit_in_a_message() -> None:
    from bot.announcements.render import announcement_dm
    from bot.core.i18n import Translator

    text = announcement_dm("T" * 500, "x" * 1900, Translator("fr"))
    assert len(text) <= 2000 and text.startswith("Annonce des organisateurs")
