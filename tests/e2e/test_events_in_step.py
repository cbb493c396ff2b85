"""The Events tab kept in step through the meeting day: stage events started and ended by the
passes whatever the posts did, sessions moved or rescoped while under way, and failures that
neither flood the log nor hammer Discord."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from bot.posts.model import PostKind, post_key
from bot.services import Services
from cogs.events import EventsCog
from fake_discord import FakeDiscord
from tests.e2e.test_events import (
    ACTIVE,
    CANCELED,
    COMPLETED,
    CREATE_EVENTS,
    MOVE_MEMBERS,
    MUTE_MEMBERS,
    S1_END,
    S1_START,
    S2_START,
    SCHEDULED,
    SLUG,
    both_created,
    creations,
    live,
    meeting_copy,
)
from tests.support.harness import eventually, running_amphi, test_settings

LEAD = timedelta(minutes=1)  # how far ahead an event made or moved for a session under way starts


def with_a_stage(fake: FakeDiscord) -> None:
    fake.add_channel("amphitheatre", type=13)
    set_permissions(fake, add=MUTE_MEMBERS | MOVE_MEMBERS)


def set_permissions(fake: FakeDiscord, *, add: int = 0, remove: int = 0) -> None:
    for role in (fake.state.role(fake.bot.name), fake.state.roles[fake.guild_id]):
        role.permissions = str((int(role.permissions) | add) & ~remove)


async def fire(services: Services, kind: PostKind, key: str) -> None:
    await services.posts.fire(post_key(SLUG, kind, key))


def staged(fake, sqlite_url, path: Path | None = None):
    extra = {"AMPHI_MEETINGS": str(path)} if path else {}
    return test_settings(fake, sqlite_url, STAGE_CHANNEL="amphitheatre", **extra)


async def test_a_bot_down_at_a_sessions_start_starts_and_ends_its_event_all_the_same(
    fake, clock, sqlite_url
) -> None:
    with_a_stage(fake)
    settings = staged(fake, sqlite_url)
    async with running_amphi(fake, settings, clock):
        await both_created(fake)
    first, second = live(fake)
    clock.now = S1_START + timedelta(minutes=20)  # the start post is past its 5-minute grace
    async with running_amphi(fake, settings, clock) as (bot, _services):
        await eventually(lambda: first.status == ACTIVE)
        clock.now = S1_END + timedelta(minutes=20)
        await bot.cog(EventsCog).sync()  # the next periodic pass
    assert first.history == [SCHEDULED, ACTIVE, COMPLETED]
    assert second.history == [SCHEDULED]


async def test_a_session_moved_to_a_time_already_past_starts_now(
    fake, clock, sqlite_url, tmp_path
) -> None:
    path = meeting_copy(tmp_path)
    settings = test_settings(fake, sqlite_url, AMPHI_MEETINGS=str(path))
    async with running_amphi(fake, settings, clock):
        await both_created(fake)
    first, _second = live(fake)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('start = "10:00"', 'start = "09:00"', 1), encoding="utf-8")
    clock.now = S1_START - timedelta(minutes=30)  # Session 1 is now under way since 09:00
    async with running_amphi(fake, settings, clock) as (bot, _services):
        await eventually(lambda: first.scheduled_start_time != S1_START)
        report = await bot.cog(EventsCog).sync()
    assert first.scheduled_start_time == clock.now + LEAD and first.scheduled_end_time == S1_END
    [edit] = [r for r in fake.requests if r.method == "PATCH"]
    assert edit.status == 200 and set(edit.body) == {"scheduled_start_time"}  # what changed
    assert report is not None and report.failed == [] and report.updated == []


@pytest.mark.parametrize("end_first", [True, False])
async def test_back_to_back_stage_sessions_end_one_before_starting_the_next(
    fake, clock, sqlite_url, tmp_path, end_first: bool
) -> None:
    with_a_stage(fake)
    path = meeting_copy(tmp_path, lambda text: text.replace('end = "12:25"', 'end = "16:00"', 1))
    async with running_amphi(fake, staged(fake, sqlite_url, path), clock) as (bot, services):
        await both_created(fake, bot)
        first, second = live(fake)
        clock.now = S1_START
        await fire(services, PostKind.EVENT_START, "s-session-1")
        clock.now = S2_START  # Session 1's end, Session 2's start: in either order
        posts = [(PostKind.EVENT_END, "s-session-1"), (PostKind.EVENT_START, "s-session-2")]
        for kind, key in posts if end_first else reversed(posts):
            await fire(services, kind, key)
    assert first.history == [SCHEDULED, ACTIVE, COMPLETED]
    assert second.history == [SCHEDULED, ACTIVE]


async def test_changing_the_scope_during_the_meeting_replaces_the_events_whole(
    fake, clock, sqlite_url, tmp_path
) -> None:
    with_a_stage(fake)
    path = meeting_copy(tmp_path)
    settings = staged(fake, sqlite_url, path)
    sessions_text = path.read_text(encoding="utf-8")
    async with running_amphi(fake, settings, clock) as (bot, services):
        await both_created(fake, bot)
        first, second = live(fake)
        clock.now = S1_START
        await fire(services, PostKind.EVENT_START, "s-session-1")

    clock.now = S1_START + timedelta(minutes=30)
    day_scope = sessions_text.replace("[reminders]", '[events]\nscope = "day"\n\n[reminders]', 1)
    path.write_text(day_scope, encoding="utf-8")
    async with running_amphi(fake, settings, clock):
        await eventually(lambda: len(live(fake)) == 1 and live(fake)[0].status == ACTIVE)
    [day] = live(fake)
    assert day.name == "Théorie du deep learning" and day.scheduled_start_time == clock.now + LEAD
    assert first.history == [SCHEDULED, ACTIVE, COMPLETED]  # ended before the day's started
    assert second.history == [SCHEDULED, CANCELED]

    clock.now = S2_START + timedelta(minutes=10)
    path.write_text(sessions_text, encoding="utf-8")  # back to one event per session
    async with running_amphi(fake, settings, clock):
        await eventually(lambda: [e.status for e in live(fake) if e is not day] == [ACTIVE])
    [again] = live(fake)
    assert day.history == [SCHEDULED, ACTIVE, COMPLETED]
    assert again.name.endswith("Session 2") and again.status == ACTIVE
    assert again.scheduled_start_time == clock.now + LEAD and creations(fake) == 4


async def test_a_permission_revoked_while_running_is_warned_once(
    fake, clock, sqlite_url, tmp_path, caplog
) -> None:
    path = meeting_copy(tmp_path)
    settings = test_settings(fake, sqlite_url, AMPHI_MEETINGS=str(path))
    async with running_amphi(fake, settings, clock) as (bot, services):
        await both_created(fake, bot)
        set_permissions(fake, remove=CREATE_EVENTS)
        moved = path.read_text(encoding="utf-8").replace("Distanciel et", "Salle 3,", 1)
        path.write_text(moved, encoding="utf-8")
        with caplog.at_level(logging.WARNING, logger="bot.events.service"):
            await services.follower.reload()  # both events move to a new venue: a pass
            for _ in range(2):  # the periodic passes
                clock.now += timedelta(minutes=10)
                report = await bot.cog(EventsCog).sync()
                assert report is not None and len(report.failed) == 2
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 1 and "Missing Permissions" in said[0]


async def test_a_reload_that_changed_nothing_makes_no_pass(amphi, fake) -> None:
    bot, services = amphi
    await both_created(fake, bot)

    def lists() -> int:
        return sum(1 for r in fake.requests if r.method == "GET" and "scheduled-events" in r.path)

    before = lists()
    await services.follower.reload()
    assert lists() == before


async def test_a_failing_creation_is_tried_again_later_and_later(
    fake, clock, sqlite_url, tmp_path
) -> None:
    path = meeting_copy(tmp_path)
    settings = test_settings(fake, sqlite_url, AMPHI_MEETINGS=str(path))
    async with running_amphi(fake, settings, clock) as (bot, services):
        await both_created(fake, bot)
        set_permissions(fake, remove=CREATE_EVENTS)
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace('"Session 2"', '"Session 3"', 1), encoding="utf-8")
        await services.follower.reload()  # the pass after the edit: Session 3 is refused
        tries = [creations(fake)]
        for wait in (30, 31, 61, 60):  # 30 s, 1 min 1 s, 2 min 2 s, 3 min 2 s after the first
            clock.now += timedelta(seconds=wait)
            await bot.cog(EventsCog).sync()
            tries.append(creations(fake))
        organizer = fake.add_member("olga", roles=["Organizer"])
        answer = await (await fake.invoke("events sync", user=organizer)).message()
    assert tries == [3, 3, 4, 4, 5]
    assert creations(fake) == 6 and "Missing Permissions" in answer.content
