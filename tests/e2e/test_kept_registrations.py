"""An acknowledged command is a promise: a bot stopped after "thinking…" and before its answer
leaves the command to the next run, which applies it once and edits the original response."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.kept.model import KeptState
from bot.registration.model import Status
from tests.support.harness import (
    answer_later,
    defer_always,
    eventually,
    running_amphi,
    test_settings,
)

REGISTER = {"mode": "in_person", "member": True, "affiliation": "I2M"}


def hang(*_args, **_kwargs):
    """Stands in for a step the first run never finishes (the process is about to die)."""
    return asyncio.Event().wait()


async def state_of(services, interaction_id: int) -> KeptState | None:
    return await services.kept.state_of(interaction_id)


async def test_a_register_acknowledged_but_not_applied_is_applied_once_and_answered(
    fake, clock, database_url, monkeypatch
) -> None:
    ada = fake.add_member("ada")
    settings = test_settings(fake, database_url)
    async with running_amphi(fake, settings, clock) as (_bot, services):
        monkeypatch.setattr(services.registration.desk, "submit", hang)
        result = await fake.invoke("register", REGISTER, user=ada)
        await result.response()
        assert result.thinking
        await eventually(lambda: state_of(services, result.id))
        assert await state_of(services, result.id) is KeptState.RECEIVED
    monkeypatch.undo()

    async with running_amphi(fake, settings, clock) as (_bot, services):
        reply = await result.message(timeout=10)
        assert "You are registered" in reply.content and "have a seat" in reply.content
        registration = await services.registration.lookup(user_id=ada.id)
        assert registration is not None and registration.status is Status.CONFIRMED
        assert registration.affiliation == "I2M"
        await eventually(lambda: fake.role_id("In person") in ada.roles)
        await eventually(lambda: _answered(services, result.id))  # nothing left for later
    assert len(await _registrations(fake, settings, clock)) == 1


async def _answered(services, interaction_id: int) -> bool:
    return await state_of(services, interaction_id) is KeptState.ANSWERED


async def _registrations(fake, settings, clock):
    async with running_amphi(fake, settings, clock) as (_bot, services):
        return await services.registration.all_registrations()


async def test_a_register_applied_but_not_answered_is_answered_from_the_store(
    amphi_factory, fake, monkeypatch
) -> None:
    ada = fake.add_member("ada")
    async with amphi_factory() as (bot, services):
        answer_later(bot, monkeypatch)  # "thinking…", then an answer that never comes
        result = await fake.invoke("register", REGISTER, user=ada)
        await eventually(lambda: _applied(services, result.id))
    monkeypatch.undo()
    assert result.answer is None  # still "thinking…" when the first run stopped

    async with amphi_factory() as (_bot, services):
        reply = await result.message(timeout=10)
        assert "You are registered" in reply.content and "have a seat" in reply.content
        everyone = await services.registration.all_registrations()
        assert [r.user_id for r in everyone] == [ada.id]  # applied once, not again


async def _applied(services, interaction_id: int) -> bool:
    return await state_of(services, interaction_id) is KeptState.APPLIED


async def test_an_unregister_left_behind_is_applied_once_and_answered(
    amphi_factory, fake, monkeypatch
) -> None:
    ada, bob = fake.add_member("ada"), fake.add_member("bob")
    async with amphi_factory() as (_bot, services):
        await (await fake.invoke("register", REGISTER, user=ada)).message()
        await (await fake.invoke("register", REGISTER, user=bob)).message()
        monkeypatch.setattr(services.registration.desk, "submit", hang)
        result = await fake.invoke("unregister", {}, user=ada)
        await result.response()
        await eventually(lambda: state_of(services, result.id))
    monkeypatch.undo()

    async with amphi_factory() as (_bot, services):
        reply = await result.message(timeout=10)
        assert "Your registration is cancelled" in reply.content
        assert [r.user_id for r in await services.registration.all_registrations()] == [bob.id]
        await eventually(lambda: fake.role_id("In person") not in ada.roles)


async def test_a_refusal_kept_before_the_restart_is_told_in_the_members_language(
    amphi_factory, fake, monkeypatch
) -> None:
    ada = fake.add_member("ada")
    async with amphi_factory() as (bot, services):
        await services.registration.set_state(is_open=False, by=1)
        defer_always(bot)
        monkeypatch.setattr("bot.client.report_error", hang)  # the refusal is never told
        result = await fake.invoke("register", REGISTER, user=ada, locale="fr")
        await eventually(lambda: _applied(services, result.id))
    monkeypatch.undo()

    async with amphi_factory() as (_bot, services):
        reply = await result.message(timeout=10)
        assert "Les inscriptions ont fermé le <t:" in reply.content
        assert await services.registration.all_registrations() == []


async def test_a_command_whose_token_expired_is_applied_and_told_next_time(
    amphi_factory, fake, clock, monkeypatch
) -> None:
    ada = fake.add_member("ada")
    async with amphi_factory() as (_bot, services):
        monkeypatch.setattr(services.registration.desk, "submit", hang)
        result = await fake.invoke("register", REGISTER, user=ada)
        await result.response()
        await eventually(lambda: state_of(services, result.id))
    monkeypatch.undo()
    clock.now += timedelta(minutes=20)  # Discord no longer takes edits of that response

    async with amphi_factory() as (_bot, services):
        await eventually(lambda: _answered(services, result.id), timeout=10)
        assert result.answer is None  # not edited: its token had expired
        mine = await (await fake.invoke("my-registration", {}, user=ada)).message()
        assert "have a seat" in mine.content


async def test_the_database_down_after_the_promise_is_finished_once_it_is_back(
    amphi_factory, fake, monkeypatch
) -> None:
    ada = fake.add_member("ada")
    async with amphi_factory() as (bot, services):
        defer_always(bot)  # "thinking…" first: from then on the command is a promise
        calls = 0
        real_submit = services.registration.desk.submit

        async def unavailable_once(*args, **kwargs):
            nonlocal calls
            calls += 1
            if calls == 1:
                raise ConnectionError("the database went away")
            return await real_submit(*args, **kwargs)

        monkeypatch.setattr(services.registration.desk, "submit", unavailable_once)
        result = await fake.invoke("register", REGISTER, user=ada)
        first = await result.message()
        assert "something went wrong" in first.content  # the apology, with an error id
        assert "No need to try again" in first.content
        assert await state_of(services, result.id) is KeptState.RECEIVED
        finished = await services.kept.finish_unfinished()  # what the sweep does
        assert finished == 1
        await eventually(lambda: "You are registered" in (result.original.content or ""))
        assert calls == 2


async def test_an_organizers_capacity_change_left_behind_is_applied_once_and_answered(
    amphi_factory, fake, monkeypatch
) -> None:
    olga = fake.add_member("olga", roles=["Organizer"])
    async with amphi_factory() as (_bot, services):
        monkeypatch.setattr(services.registration.desk, "submit", hang)
        result = await fake.invoke("registrations capacity", {"seats": 42}, user=olga)
        await result.response()
        await eventually(lambda: state_of(services, result.id))
    monkeypatch.undo()

    async with amphi_factory() as (_bot, services):
        reply = await result.message(timeout=10)
        assert "The room's capacity is updated." in reply.content
        assert any(f["value"] == "42" for f in reply.embeds[0]["fields"])
        assert (await services.registration.figures()).capacity == 42
        await eventually(lambda: _answered(services, result.id))


async def test_a_remote_register_finished_after_a_restart_sends_the_video_link_once(
    fake, clock, database_url, monkeypatch
) -> None:
    link = "https://video.example/promised"
    settings = test_settings(fake, database_url, REMOTE_LINK=link)
    ada = fake.add_member("ada")
    remote = {"mode": "remote", "member": True, "dm": True}
    async with running_amphi(fake, settings, clock) as (bot, services):
        answer_later(bot, monkeypatch)  # "thinking…", then an answer that never comes
        result = await fake.invoke("register", remote, user=ada)
        await eventually(lambda: _applied(services, result.id))
    monkeypatch.undo()
    assert fake.dms(ada) == []

    async with running_amphi(fake, settings, clock) as (_bot, services):
        reply = await result.message(timeout=10)
        assert "remote" in reply.content
        await eventually(lambda: len(fake.dms(ada)) == 1)
        assert link in fake.dms(ada)[0].content
        await eventually(lambda: _answered(services, result.id))
    assert len(fake.dms(ada)) == 1


async def test_commands_finished_after_a_restart_keep_their_first_come_order(
    amphi_factory, fake, monkeypatch
) -> None:
    members = [fake.add_member(f"m{i}") for i in range(6)]
    async with amphi_factory() as (_bot, services):
        await services.registration.set_capacity(seats=2, by=1)
        monkeypatch.setattr(services.registration.desk, "submit", hang)
        results = []
        for member in members:  # one after the other: their order is the order they came in
            result = await fake.invoke("register", REGISTER, user=member)
            await result.response()
            results.append(result)
        for result in results:
            await eventually(lambda r=result: state_of(services, r.id))
    monkeypatch.undo()

    async with amphi_factory() as (_bot, services):
        replies = [await r.message(timeout=10) for r in results]
        seated = ["have a seat" in reply.content for reply in replies]
        assert seated == [True, True, False, False, False, False]
        line = [await services.registration.lookup(user_id=m.id) for m in members[2:]]
        assert [r.position for r in line if r is not None] == [1, 2, 3, 4]
