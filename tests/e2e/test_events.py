"""The meeting in the server's Events tab, through the real discord.py client and the fake."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.posts.model import PostKind, post_key
from cogs.events import EventsCog
from tests.support.harness import eventually, running_amphi, test_settings
from tests.support.paths import SHIPPED_MEETING

SLUG = "theorie-du-deep-learning-2021"
S1_START = datetime(2021, 6, 28, 8, 0, tzinfo=UTC)  # 10:00 in Paris
S1_END = datetime(2021, 6, 28, 10, 25, tzinfo=UTC)
S2_START = datetime(2021, 6, 28, 14, 0, tzinfo=UTC)
SESSION_1 = "Théorie du deep learning — Session 1"
SESSION_2 = "Théorie du deep learning — Session 2"
EXTERNAL, STAGE = 3, 1
SCHEDULED, ACTIVE, COMPLETED, CANCELED = 1, 2, 3, 4
CREATE_EVENTS, MUTE_MEMBERS, MOVE_MEMBERS = 1 << 44, 1 << 22, 1 << 24


def live(fake) -> list:
    return sorted((e for e in fake.scheduled_events.values() if e.listed), key=lambda e: e.id)


def creations(fake) -> int:
    return sum(
        1 for r in fake.requests if r.method == "POST" and r.path.endswith("/scheduled-events")
    )


async def both_created(fake, bot=None) -> None:
    """Both sessions' events are on Discord; with `bot`, its first pass has also ended (a
    second one waits behind it), so the store holds their ids."""
    await eventually(lambda: len(live(fake)) == 2)
    if bot is not None:
        await bot.cog(EventsCog).sync()


def meeting_copy(tmp_path: Path, edit=lambda text: text) -> Path:
    path = tmp_path / "meeting.toml"
    path.write_text(edit(SHIPPED_MEETING.read_text(encoding="utf-8")), encoding="utf-8")
    return path


async def test_each_session_is_an_event_at_the_venue(amphi, fake) -> None:
    await both_created(fake)
    first, second = live(fake)
    assert [first.name, second.name] == [SESSION_1, SESSION_2]
    assert first.entity_type == EXTERNAL and first.location == "Distanciel et présentiel"
    assert (first.scheduled_start_time, first.scheduled_end_time) == (S1_START, S1_END)
    assert second.scheduled_start_time == S2_START
    assert first.creator_id == fake.bot.id and first.status == SCHEDULED
    description = first.description or ""
    assert description.startswith("Théorie du deep learning\n10:00 Some Theoretical Insights")
    assert "— Gérard Biau" in description and len(description) <= 1000
    assert fake.unhandled == []


async def test_programme_calendar_and_reminders_link_to_the_event(amphi, fake, clock) -> None:
    bot, services = amphi
    await both_created(fake, bot)
    first, second = live(fake)
    url = f"https://discord.com/events/{fake.guild_id}/{first.id}"
    reply = await (await fake.invoke("programme", user=fake.add_member("ada"))).message()
    session_cards = reply.embeds[1:]
    assert session_cards[0]["url"] == url
    assert session_cards[1]["url"] == f"https://discord.com/events/{fake.guild_id}/{second.id}"
    assert f"[In the server's Events tab]({url})" in session_cards[0]["description"]

    calendar = await fake.invoke("calendar", user=fake.add_member("bea"))
    [(_name, data, _type)] = (await calendar.message()).attachments
    assert url in data.decode().replace("\r\n ", "")

    clock.now = S1_START - timedelta(minutes=15)
    await services.posts.fire(post_key(SLUG, PostKind.SESSION_REMINDER, "s-session-1", 15))
    [reminder] = fake.messages("announcements")
    assert reminder.embeds[0]["url"] == url


async def test_a_restart_makes_no_second_event(fake, clock, sqlite_url) -> None:
    settings = test_settings(fake, sqlite_url)
    async with running_amphi(fake, settings, clock):
        await both_created(fake)
    async with running_amphi(fake, settings, clock) as (bot, _services):
        await bot.cog(EventsCog).sync()
        await bot.cog(EventsCog).sync()
    assert creations(fake) == 2 and len(fake.scheduled_events) == 2


async def test_a_creation_cut_short_by_a_crash_is_found_again(
    fake, clock, sqlite_url, monkeypatch
) -> None:
    """Discord made the event, the store never heard of it: the next pass adopts it."""
    settings = test_settings(fake, sqlite_url)

    def crash(*args, **kwargs):
        raise RuntimeError("killed between Discord's answer and the store")

    with monkeypatch.context() as patched:
        patched.setattr("bot.events.queries.record", crash)
        async with running_amphi(fake, settings, clock):
            await eventually(lambda: creations(fake) == 2)
    async with running_amphi(fake, settings, clock) as (bot, services):
        await bot.cog(EventsCog).sync()
        meeting = await services.programme.meeting(SLUG)
        links = await services.events.session_links(meeting, fake.guild_id)
    assert creations(fake) == 2 and len(fake.scheduled_events) == 2
    assert sorted(links.values()) == sorted(
        f"https://discord.com/events/{fake.guild_id}/{e.id}" for e in live(fake)
    )


async def test_a_moved_session_moves_its_event_and_a_removed_one_is_cancelled(
    fake, clock, sqlite_url, tmp_path
) -> None:
    path = meeting_copy(tmp_path)
    settings = test_settings(fake, sqlite_url, AMPHI_MEETINGS=str(path))
    async with running_amphi(fake, settings, clock):
        await both_created(fake)
    first, second = live(fake)

    def later(text: str) -> str:  # Session 1 an hour later; Session 2 gone
        text = text.split('[[sessions]]\ntitle = "Session 2"')[0]
        return re.sub(r'"(1[0-2]):(\d\d)"', lambda m: f'"{int(m[1]) + 1}:{m[2]}"', text)

    path.write_text(later(path.read_text(encoding="utf-8")), encoding="utf-8")
    async with running_amphi(fake, settings, clock):
        # The cancellation comes first in a pass, then the edit.
        moved = S1_START + timedelta(hours=1)
        await eventually(lambda: first.scheduled_start_time == moved)
    assert first.listed and second.status == CANCELED
    assert first.scheduled_end_time == S1_END + timedelta(hours=1)
    assert second.history == [SCHEDULED, CANCELED]
    assert creations(fake) == 2


async def test_an_event_deleted_by_hand_comes_back_only_when_asked(amphi, fake, caplog) -> None:
    bot, _services = amphi
    await both_created(fake)
    first, _second = live(fake)
    fake.delete_event_by_hand(first.id)
    with caplog.at_level(logging.WARNING):
        await bot.cog(EventsCog).sync()
        await bot.cog(EventsCog).sync()
    assert len(live(fake)) == 1 and creations(fake) == 2
    said = [r.getMessage() for r in caplog.records if "was deleted in Discord" in r.getMessage()]
    assert len(said) == 1 and SESSION_1 in said[0]

    organizer = fake.add_member("olga", roles=["Organizer"])
    result = await fake.invoke("events sync", {"recreate": True}, user=organizer)
    answer = (await result.message()).content
    assert result.ephemeral and "1 created" in answer
    assert [e.name for e in live(fake)] == [SESSION_2, SESSION_1] and creations(fake) == 3


async def test_events_sync_is_for_organizers(amphi, fake) -> None:
    result = await fake.invoke("events sync", user=fake.add_member("mallory"))
    answer = (await result.message()).content
    assert result.ephemeral and "organizers" in answer.lower()


async def test_without_the_permission_the_rest_works_and_it_is_said_once(
    fake, clock, sqlite_url, caplog
) -> None:
    bot_role = fake.state.role(fake.bot.name)
    bot_role.permissions = str(int(bot_role.permissions) & ~CREATE_EVENTS)
    with caplog.at_level(logging.WARNING):
        async with running_amphi(fake, test_settings(fake, sqlite_url), clock) as (bot, _):
            await eventually(lambda: bot.cog(EventsCog)._checked.is_set())
            reply = await (await fake.invoke("programme", user=fake.add_member("ada"))).message()
            organizer = fake.add_member("olga", roles=["Organizer"])
            answer = await (await fake.invoke("events sync", user=organizer)).message()
    said = [r.getMessage() for r in caplog.records if "lacks Create Events" in r.getMessage()]
    assert len(said) == 1
    assert creations(fake) == 0 and fake.scheduled_events == {}
    assert "Session 1" in reply.text() and "Events tab" not in reply.text()
    assert "amphi doctor" in answer.content


async def test_a_stage_event_is_started_and_ended_on_time(fake, clock, sqlite_url) -> None:
    fake.add_channel("amphitheatre", type=13)
    bot_role = fake.state.role(fake.bot.name)
    bot_role.permissions = str(int(bot_role.permissions) | MUTE_MEMBERS | MOVE_MEMBERS)
    settings = test_settings(fake, sqlite_url, STAGE_CHANNEL="amphitheatre")
    async with running_amphi(fake, settings, clock) as (_bot, services):
        await both_created(fake)
        first, _second = live(fake)
        assert first.entity_type == STAGE and first.channel_id == fake.channel_id("amphitheatre")
        assert first.entity_metadata is None
        clock.now = S1_START
        await services.posts.fire(post_key(SLUG, PostKind.EVENT_START, "s-session-1"))
        assert first.status == ACTIVE
        clock.now = S1_END
        await services.posts.fire(post_key(SLUG, PostKind.EVENT_END, "s-session-1"))
        await services.posts.fire(post_key(SLUG, PostKind.EVENT_END, "s-session-1"))  # once only
    assert first.history == [SCHEDULED, ACTIVE, COMPLETED]


async def test_organizers_see_how_many_are_interested(amphi, fake) -> None:
    await both_created(fake, amphi[0])
    first, second = live(fake)
    for name in ("ann", "ben", "cat"):
        fake.mark_interested(first.id, fake.add_member(name))
    fake.mark_interested(second.id, "ann")
    organizer = fake.add_member("olga", roles=["Organizer"])
    card = (await (await fake.invoke("capacity", user=organizer)).message()).embeds[0]
    [field] = [f for f in card["fields"] if f["name"] == "Interested in the Events tab"]
    assert f"{SESSION_1}: 3\n{SESSION_2}: 1" in field["value"]
    attendee = (await (await fake.invoke("capacity", user="ben")).message()).embeds[0]
    assert all(f["name"] != "Interested in the Events tab" for f in attendee["fields"])


async def test_the_meeting_image_and_the_whole_day_as_one_event(
    fake, clock, sqlite_url, tmp_path
) -> None:
    (tmp_path / "cover.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    day_table = '[events]\nscope = "day"\nimage = "cover.png"\n\n[reminders]'
    path = meeting_copy(tmp_path, lambda text: text.replace("[reminders]", day_table, 1))
    settings = test_settings(fake, sqlite_url, AMPHI_MEETINGS=str(path))
    async with running_amphi(fake, settings, clock):
        await eventually(lambda: len(live(fake)) == 1)
    [day] = live(fake)
    assert day.name == "Théorie du deep learning" and day.image is not None
    assert day.scheduled_start_time == S1_START
    assert day.scheduled_end_time == datetime(2021, 6, 28, 16, 5, tzinfo=UTC)
    description = day.description or ""
    assert description.startswith("Théorie du deep learning\nSession 1 · 10:00–12:25\n10:00 ")
    assert "\nSession 2 · 16:00–18:05\n16:00 " in description and len(description) <= 1000


async def test_events_move_from_a_stage_to_the_venue(fake, clock, sqlite_url) -> None:
    fake.add_channel("amphitheatre", type=13)
    bot_role = fake.state.role(fake.bot.name)
    bot_role.permissions = str(int(bot_role.permissions) | MUTE_MEMBERS | MOVE_MEMBERS)
    staged = test_settings(fake, sqlite_url, STAGE_CHANNEL="amphitheatre")
    async with running_amphi(fake, staged, clock):
        await both_created(fake)
    async with running_amphi(fake, test_settings(fake, sqlite_url), clock):
        await eventually(lambda: all(e.entity_type == EXTERNAL for e in live(fake)))
    first, _second = live(fake)
    assert first.channel_id is None and first.location == "Distanciel et présentiel"
    assert creations(fake) == 2
