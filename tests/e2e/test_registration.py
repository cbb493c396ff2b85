"""Registration through the real discord.py client and the fake Discord."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from bot.kept.model import KeptState
from tests.support.harness import defer_always, eventually, running_amphi, test_settings
from tests.support.paths import SHIPPED_MEETING

ORGANIZER_COMMANDS = [
    ("registrations open", {}),
    ("registrations close", {}),
    ("registrations capacity", {"seats": 10}),
    ("registrations export", {}),
    ("registrations panel", {}),
]


async def ask(fake, command, options=None, *, user, locale="en-US"):
    """Invoke a command and return (result, the visible reply)."""
    result = await fake.invoke(command, options or {}, user=user, locale=locale)
    return result, await result.message()


async def register(fake, user, mode="in_person", member=True, locale="en-US", **extra):
    return await ask(
        fake, "register", {"mode": mode, "member": member, **extra}, user=user, locale=locale
    )


def role_problem_noted(services):
    """A check for `eventually`: one failed role change is recorded for the organizers."""

    async def noted() -> bool:
        return (await services.registration.figures()).role_problems == 1

    return noted


def has_role(fake, member, name: str) -> bool:
    return fake.role_id(name) in member.roles


async def test_register_confirms_and_gives_the_role(amphi, fake) -> None:
    ada = fake.add_member("ada")
    result, reply = await register(fake, ada, affiliation="I2M", dm=True)
    assert result.ephemeral
    assert "You are registered for Théorie du deep learning." in reply.content
    assert "you have a seat in the room" in reply.content
    assert "member of the network · I2M · reminders by DM" in reply.content
    await eventually(lambda: has_role(fake, ada, "In person"))
    assert not has_role(fake, ada, "Remote")

    _, again = await register(fake, ada, affiliation="I2M", dm=True)
    assert "nothing changed" in again.content

    _, moved = await register(fake, ada, mode="remote")
    assert "Your registration is updated." in moved.content
    assert "follow the meeting remotely" in moved.content
    await eventually(lambda: has_role(fake, ada, "Remote"))
    assert not has_role(fake, ada, "In person")


async def test_my_registration_and_unregister(amphi, fake) -> None:
    bob = fake.add_member("bob")
    result, refused = await ask(fake, "my-registration", user=bob)
    assert result.ephemeral and "You are not registered" in refused.content
    _, refused = await ask(fake, "unregister", user=bob)
    assert "You are not registered" in refused.content and "/register" in refused.content

    await register(fake, bob, member=False)
    _, mine = await ask(fake, "my-registration", user=bob)
    assert "Your registration for Théorie du deep learning" in mine.content
    assert "not a member" in mine.content
    await eventually(lambda: has_role(fake, bob, "In person"))

    result, cancelled = await ask(fake, "unregister", user=bob)
    assert result.ephemeral and "details are deleted" in cancelled.content
    await eventually(lambda: not has_role(fake, bob, "In person"))
    _, gone = await ask(fake, "my-registration", user=bob)
    assert "You are not registered" in gone.content


async def test_waitlist_promotion_is_told_by_dm_once(amphi, fake) -> None:
    organizer = fake.add_member("olga", roles=["Organizer"])
    await ask(fake, "registrations capacity", {"seats": 1}, user=organizer)
    first, second = fake.add_member("first"), fake.add_member("second")
    await register(fake, first)
    _, waiting = await register(fake, second, locale="fr")
    assert "En liste d'attente" in waiting.content and "position 1" in waiting.content
    await eventually(lambda: has_role(fake, second, "Remote"))

    await ask(fake, "unregister", user=first)
    dm = await fake.wait_for_message(lambda m: m in fake.dms(second))
    assert "Bonne nouvelle" in dm.content
    await eventually(lambda: has_role(fake, second, "In person"))
    assert not has_role(fake, second, "Remote")
    _, mine = await ask(fake, "my-registration", user=second)
    assert "Good news" not in mine.content  # told once, by DM
    assert len(fake.dms(second)) == 1


async def test_promotion_with_closed_dms_is_told_on_the_next_command(amphi, fake) -> None:
    organizer = fake.add_member("olga", roles=["Organizer"])
    await ask(fake, "registrations capacity", {"seats": 1}, user=organizer)
    first, shy = fake.add_member("first"), fake.add_member("shy", dms_open=False)
    await register(fake, first)
    await register(fake, shy)
    await ask(fake, "unregister", user=first)
    _, mine = await ask(fake, "my-registration", user=shy)
    assert mine.content.startswith("Good news: a seat in the room is now yours.")
    _, again = await ask(fake, "my-registration", user=shy)
    assert "Good news" not in again.content


async def test_raising_the_capacity_promotes(amphi, fake) -> None:
    organizer = fake.add_member("olga", roles=["Organizer"])
    await ask(fake, "registrations capacity", {"seats": 0}, user=organizer)
    waiting = fake.add_member("wanda")
    await register(fake, waiting)
    _, reply = await ask(fake, "registrations capacity", {"seats": 5}, user=organizer)
    assert "The room's capacity is updated." in reply.text()
    await fake.wait_for_message(lambda m: m in fake.dms(waiting))
    await eventually(lambda: has_role(fake, waiting, "In person"))


async def test_capacity_figures_in_english_and_french(amphi, fake) -> None:
    for index in range(3):
        await register(fake, fake.add_member(f"m{index}"), member=index != 0)
    await register(fake, fake.add_member("far"), mode="remote", member=False)
    reader = fake.add_member("reader")
    result, english = await ask(fake, "capacity", user=reader)
    assert result.ephemeral
    fields = {f["name"]: f["value"] for f in english.embeds[0]["fields"]}
    assert fields["Room capacity"] == "600"
    assert fields["Registered in person"] == "3"
    assert fields["Registered remote"] == "1"
    assert fields["Seats left"] == "597"
    assert fields["Waitlist"] == "0"
    assert (fields["Members of the network"], fields["Non-members"]) == ("2", "2")
    assert fields["Registration"] == "Open until <t:1624867200:f>"
    _, french = await ask(fake, "capacity", user=reader, locale="fr")
    fields = {f["name"]: f["value"] for f in french.embeds[0]["fields"]}
    assert fields["Places restantes"] == "597"
    assert fields["Inscriptions"] == "Ouvertes jusqu'au <t:1624867200:f>"


@pytest.mark.parametrize(("command", "options"), ORGANIZER_COMMANDS)
async def test_organizer_commands_refuse_other_members(amphi, fake, command, options) -> None:
    moderator = fake.add_member("mod", roles=["Moderator", "In person"])
    result, reply = await ask(fake, command, options, user=moderator)
    assert result.ephemeral
    assert "Only organizers can do this." in reply.content
    assert fake.messages("general") == []  # no panel was posted


async def test_organizer_commands_are_hidden_by_default(amphi, fake) -> None:
    group = next(c for c in fake.commands if c["name"] == "registrations")
    assert int(group["default_member_permissions"]) == 1 << 33  # Manage Events


async def test_administrators_count_as_organizers(amphi, fake) -> None:
    admin = fake.add_member("root", administrator=True)
    _, reply = await ask(fake, "registrations close", user=admin)
    assert "Registration is closed." in reply.text()


async def test_closed_registration_refuses_register_but_not_unregister(amphi, fake) -> None:
    organizer = fake.add_member("olga", roles=["Organizer"])
    early = fake.add_member("early")
    await register(fake, early)
    await ask(fake, "registrations close", user=organizer)
    late = fake.add_member("late")
    result, refused = await register(fake, late, locale="fr")
    assert result.ephemeral
    assert "Les inscriptions ont fermé le <t:" in refused.content
    _, cancelled = await ask(fake, "unregister", user=early)
    assert "details are deleted" in cancelled.content
    _, reopened = await ask(fake, "registrations open", user=organizer)
    assert "Registration is open." in reopened.text()
    _, accepted = await register(fake, late)
    assert "You are registered" in accepted.content


async def test_registration_closes_by_itself_at_the_deadline(amphi, fake, clock) -> None:
    clock.now = datetime(2021, 6, 28, 8, 0, tzinfo=UTC)
    _, refused = await register(fake, fake.add_member("late"))
    assert "Registration closed on <t:1624867200:f>" in refused.content


async def test_export_is_a_csv_for_organizers(amphi, fake) -> None:
    await register(fake, fake.add_member("ann"), affiliation="=HYPERLINK(1)")
    await register(fake, fake.add_member("ben"), mode="remote", member=False)
    organizer = fake.add_member("olga", roles=["Organizer"])
    result, reply = await ask(fake, "registrations export", user=organizer)
    assert result.ephemeral and "2 registrations." in reply.content
    [(filename, data, _type)] = reply.attachments
    assert filename == "theorie-du-deep-learning-2021-registrations.csv"
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [(r["name"], r["mode"], r["member"], r["status"]) for r in rows] == [
        ("ann", "in_person", "yes", "confirmed"),
        ("ben", "remote", "no", "confirmed"),
    ]
    assert rows[0]["affiliation"] == "'=HYPERLINK(1)"
    assert rows[0]["registered_at"].startswith("2021-06-01T09:00:00")


async def test_bad_affiliation_is_refused_and_loses_nothing(amphi, fake) -> None:
    cleo = fake.add_member("cleo")
    await register(fake, cleo, affiliation="LIS")
    result, refused = await register(fake, cleo, affiliation="x" * 201)
    assert result.ephemeral
    assert "201 characters" in refused.content and "200" in refused.content
    _, mine = await ask(fake, "my-registration", user=cleo)
    assert "LIS" in mine.content


async def test_a_member_over_the_change_limit_reads_why_and_keeps_their_registration(
    amphi, fake, clock
) -> None:
    _bot, services = amphi
    ada = fake.add_member("ada")
    changes = [
        ("register", {"mode": "in_person", "member": True}),
        ("register", {"mode": "remote", "member": True}),
        ("unregister", {}),
        ("register", {"mode": "remote", "member": True}),
        ("register", {"mode": "in_person", "member": True, "affiliation": "I2M"}),
    ]
    for command, options in changes:
        _, reply = await ask(fake, command, options, user=ada)
        assert "You have changed" not in reply.content
    _, same = await register(fake, ada, affiliation="I2M")  # changes nothing: not counted
    assert "nothing changed" in same.content

    result, refused = await register(fake, ada, mode="remote")
    assert result.ephemeral and refused is result.original
    retry_at = int((clock.now + timedelta(minutes=10)).timestamp())  # all five were just now
    assert refused.content == (
        "You have changed your registration 5 times in the last 10 minutes, the most one member "
        f"can, so nothing was changed this time. You can change it again at <t:{retry_at}:t> "
        f"(<t:{retry_at}:R>); meanwhile, /my-registration shows where you stand."
    )
    # Nothing left for a restart: the refusal told, the command is not kept.
    await eventually(lambda: _forgotten(services, result.id))
    _, french = await ask(fake, "unregister", user=ada, locale="fr")
    assert "Vous avez modifié votre inscription 5 fois" in french.content
    _, mine = await ask(fake, "my-registration", user=ada)
    assert "you have a seat in the room" in mine.content and "I2M" in mine.content
    await eventually(lambda: has_role(fake, ada, "In person"))
    assert not has_role(fake, ada, "Remote")

    clock.now += timedelta(minutes=10)
    _, moved = await register(fake, ada, mode="remote")
    assert "Your registration is updated." in moved.content
    await eventually(lambda: has_role(fake, ada, "Remote"))


async def _forgotten(services, interaction_id: int) -> bool:
    return await services.kept.state_of(interaction_id) is None


async def test_affiliation_cannot_ping_or_format(amphi, fake) -> None:
    eve = fake.add_member("eve")
    _, reply = await register(fake, eve, affiliation="@everyone <@123> **bold**")
    assert reply.allowed_mentions == {"parse": []}
    assert r"@everyone \<@123\> \*\*bold\*\*" in reply.content


async def test_a_missing_role_never_loses_the_registration(fake, clock, sqlite_url) -> None:
    fake.remove_role("In person")
    async with running_amphi(fake, test_settings(fake, sqlite_url), clock) as (_, services):
        dan = fake.add_member("dan")
        _, reply = await register(fake, dan)
        assert "You are registered" in reply.content
        await eventually(role_problem_noted(services))  # just after the reply
        organizer = fake.add_member("olga", roles=["Organizer"])
        _, figures = await ask(fake, "capacity", user=organizer)
        fields = {f["name"]: f["value"] for f in figures.embeds[0]["fields"]}
        assert fields["Registered in person"] == "1"
        assert fields["Role changes that failed"].startswith("1:")
        _, export = await ask(fake, "registrations export", user=organizer)
        data = export.attachments[0][1].decode("utf-8-sig")
        assert "IN_PERSON_ROLE does not exist" in data


async def test_a_refused_role_change_is_recorded(amphi, fake) -> None:
    _bot, services = amphi
    fay = fake.add_member("fay")
    fake.fail_next("PUT", r"/guilds/\d+/members/\d+/roles/\d+", 403, {"code": 50013})
    _, reply = await register(fake, fay)
    assert "You are registered" in reply.content
    await eventually(role_problem_noted(services))  # just after the reply
    organizer = fake.add_member("olga", roles=["Organizer"])
    _, export = await ask(fake, "registrations export", user=organizer)
    assert "Discord refused the role change (403" in export.attachments[0][1].decode("utf-8-sig")


async def test_capacity_panel_is_kept_current(amphi, fake) -> None:
    bot, _services = amphi
    bot.get_cog("RegistrationCog").panel.interval = 0.05
    organizer = fake.add_member("olga", roles=["Organizer"])
    result, _ = await ask(fake, "registrations panel", user=organizer)
    assert result.ephemeral
    [panel] = fake.messages("general")
    assert any(f["value"] == "600" for f in panel.embeds[0]["fields"])
    await register(fake, fake.add_member("gil"))
    await register(fake, fake.add_member("hana"))

    def seats_left(message) -> str:
        return next(f["value"] for f in message.embeds[0]["fields"] if f["name"] == "Seats left")

    await eventually(lambda: seats_left(panel) == "598")
    edits = len(panel.edits)
    await ask(fake, "capacity", user=organizer)  # no figure changes: no edit
    await asyncio.sleep(0.2)
    assert len(panel.edits) == edits <= 2


async def test_a_panel_amphi_may_not_edit_is_given_up_not_retried(amphi, fake, caplog) -> None:
    bot, _services = amphi
    bot.get_cog("RegistrationCog").panel.interval = 0.05
    organizer = fake.add_member("olga", roles=["Organizer"])
    await ask(fake, "registrations panel", user=organizer)
    [panel] = fake.messages("general")
    fake.fail_next("PATCH", rf"/channels/\d+/messages/{panel.id}", 403, {"code": 50001}, count=9)
    await register(fake, fake.add_member("gil"))
    await eventually(lambda: "may not edit the capacity panel" in caplog.text)
    await asyncio.sleep(0.3)  # six intervals: a retrying panel would have tried again by now
    attempts = [r for r in fake.requests if r.method == "PATCH" and str(panel.id) in r.path]
    assert [r.status for r in attempts] == [403]
    assert any(f["value"] == "600" for f in panel.embeds[0]["fields"])  # left as it was


async def test_a_panel_whose_save_fails_is_taken_down_not_orphaned(
    amphi, fake, monkeypatch
) -> None:
    _bot, services = amphi

    async def unsaved(**_kwargs):
        raise ConnectionError("the database went away")

    monkeypatch.setattr(services.registration, "set_panel", unsaved)
    organizer = fake.add_member("olga", roles=["Organizer"])
    result, reply = await ask(fake, "registrations panel", user=organizer)
    assert result.ephemeral and "something went wrong" in reply.content
    assert fake.messages("general") == []  # nothing left that nobody would keep current
    assert len(fake.messages("general", deleted=True)) == 1


async def test_full_remote_places_are_refused_politely_and_lose_nothing(
    fake, clock, sqlite_url, tmp_path
) -> None:
    text = SHIPPED_MEETING.read_text(encoding="utf-8")
    meeting = tmp_path / "small.toml"
    meeting.write_text(text.replace("capacity = 600", "capacity = 600\nremote_capacity = 1"))
    settings = test_settings(fake, sqlite_url, AMPHI_MEETINGS=str(meeting))
    async with running_amphi(fake, settings, clock):
        ada, ben = fake.add_member("ada"), fake.add_member("ben")
        _, first = await register(fake, ada, mode="remote")
        assert "You are registered" in first.content
        refused, reply = await register(fake, ben, mode="remote")
        assert refused.ephemeral
        assert "All remote places are taken" in reply.content
        _, french = await register(fake, ben, mode="remote", locale="fr")
        assert "Toutes les places en distanciel sont prises" in french.content
        _, seated = await register(fake, ben, mode="in_person")
        assert "You are registered" in seated.content
        _, mine = await ask(fake, "my-registration", user=ada)
        assert "remote" in mine.content.lower()


async def test_a_thousand_registrations_at_once(amphi_on_each_store, fake) -> None:
    # The fake shares the bot's process, event loop and core: on a 2-core machine the last of
    # 1,000 simultaneous acknowledgements can come near Discord's 3 s here. `make bench`, with
    # the bot in its own process, counts the 10062s under the real deadline.
    fake.interaction_deadline = 60
    members = [fake.add_member(f"p{i}") for i in range(1000)]
    results = await asyncio.gather(
        *(
            fake.invoke("register", {"mode": "in_person", "member": i % 3 == 0}, user=m)
            for i, m in enumerate(members)
        )
    )
    replies = [await r.message(timeout=60) for r in results]
    assert all(not r.rejected for r in results)
    confirmed = [m for m, r in zip(members, replies, strict=True) if "have a seat" in r.content]
    waiting = {
        m.id: int(r.content.split("at position ")[1].split(".")[0])
        for m, r in zip(members, replies, strict=True)
        if "waitlist" in r.content
    }
    assert len(confirmed) == 600
    assert sorted(waiting.values()) == list(range(1, 401))

    organizer = fake.add_member("olga", roles=["Organizer"])
    _, export = await ask(fake, "registrations export", user=organizer)
    rows = list(csv.DictReader(io.StringIO(export.attachments[0][1].decode("utf-8-sig"))))
    assert len(rows) == 1000 and len({r["discord_id"] for r in rows}) == 1000
    in_line = [int(r["discord_id"]) for r in rows if r["status"] == "waitlisted"]
    assert in_line == sorted(waiting, key=waiting.get)  # the order the replies announced

    for locale, labels in [
        ("en-US", ("Seats left", "Waitlist")),
        ("fr", ("Places restantes", "Liste d'attente")),
    ]:
        _, figures = await ask(fake, "capacity", user=organizer, locale=locale)
        fields = {f["name"]: f["value"] for f in figures.embeds[0]["fields"]}
        assert (fields[labels[0]], fields[labels[1]]) == ("0", "400")
        assert list(fields.values())[1] == "600"

    leaving = confirmed[:50]
    cancels = await asyncio.gather(*(fake.invoke("unregister", user=m) for m in leaving))
    for cancel in cancels:
        await cancel.message(timeout=30)
    promoted_ids = in_line[:50]
    await eventually(lambda: sum(len(fake.dms(i)) for i in promoted_ids) >= 50, timeout=30)
    await asyncio.sleep(0.2)
    assert all(len(fake.dms(i)) == 1 for i in promoted_ids)
    assert all(len(fake.dms(i)) == 0 for i in in_line[50:])
    _, figures = await ask(fake, "capacity", user=organizer)
    fields = {f["name"]: f["value"] for f in figures.embeds[0]["fields"]}
    assert (fields["Registered in person"], fields["Waitlist"]) == ("600", "350")


async def test_a_kept_command_the_database_could_not_apply_is_finished_later(amphi, fake) -> None:
    from bot.store.db import Database

    bot, services = amphi
    defer_always(bot)  # "thinking…" first: from then on the command is a promise
    desk = services.registration.desk
    working = desk.db
    unreachable = Database("postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    desk.db = unreachable  # the kept command is still written: kept, not applied
    try:
        ivy = fake.add_member("ivy")
        result, reply = await register(fake, ivy)
        assert result.ephemeral
        assert "Your command is written down: Amphi will finish it" in reply.content
        assert await services.registration.lookup(user_id=ivy.id) is None
    finally:
        desk.db = working
        unreachable.close()
    assert await services.kept.finish_unfinished() == 1  # the sweep, every 30 s
    await eventually(lambda: "You are registered" in (result.answer or ""))
    assert await services.registration.lookup(user_id=ivy.id) is not None
    assert not any("Sorry, something went wrong" in m.content for m in fake.all_messages())


async def test_a_quick_store_answers_in_the_first_response(amphi, fake) -> None:
    _bot, services = amphi
    ada = fake.add_member("ada")
    result, reply = await register(fake, ada)
    assert result.response_type == 4 and not result.thinking  # no "thinking…" at all
    assert "You are registered" in reply.content and reply is result.original
    await eventually(lambda: _command_state(services, result.id, KeptState.ANSWERED))


async def test_a_slow_store_is_written_down_then_thinking_then_answered(amphi, fake) -> None:
    bot, services = amphi
    bot.answer_wait = 0.05  # the store takes longer than this
    go = asyncio.Event()
    services.registration.desk.settle = go.wait  # the store takes its time
    ada = fake.add_member("ada")
    result = await fake.invoke("register", {"mode": "in_person", "member": True}, user=ada)
    await result.response()
    assert result.thinking
    # The promise was written down before the acknowledgement.
    assert await services.kept.state_of(result.id) is KeptState.RECEIVED
    go.set()
    reply = await result.message()
    assert "You are registered" in reply.content
    await eventually(lambda: _command_state(services, result.id, KeptState.ANSWERED))


async def _command_state(services, interaction_id: int, state) -> bool:
    return await services.kept.state_of(interaction_id) is state


async def test_every_seat_command_acknowledges_while_the_desk_is_held(amphi, fake) -> None:
    _bot, services = amphi
    go = asyncio.Event()
    services.registration.desk.settle = go.wait
    olga = fake.add_member("olga", roles=["Organizer"])
    commands = [
        ("registrations close", {}),
        ("registrations open", {}),
        ("registrations capacity", {"seats": 10}),
        ("register", {"mode": "in_person", "member": True}),
        ("unregister", {}),
    ]
    results = []
    for command, options in commands:
        result = await fake.invoke(command, options, user=olga)
        await result.response()
        assert result.thinking, command
        results.append(result)
    go.set()
    for (command, _options), result in zip(commands, results, strict=True):
        reply = await result.message(timeout=10)
        assert "wrong" not in reply.content, command


async def test_roles_go_in_the_order_seats_were_taken_whatever_order_the_answers_return(
    amphi, fake, monkeypatch
) -> None:
    import cogs.kept

    _bot, services = amphi
    olga = fake.add_member("olga", roles=["Organizer"])
    await ask(fake, "registrations capacity", {"seats": 4}, user=olga)
    members = [fake.add_member(f"p{i}") for i in range(8)]
    # The network returns the answers last first: the roles must not follow that order.
    respond = cogs.kept.respond
    arrival = {m.id: i for i, m in enumerate(members)}

    async def last_first(interaction, reply) -> None:
        await asyncio.sleep(0.05 * (len(members) - arrival[interaction.user.id]))
        await respond(interaction, reply)

    monkeypatch.setattr(cogs.kept, "respond", last_first)
    go = asyncio.Event()
    services.registration.desk.settle = go.wait  # all eight in one transaction, in order
    results = [
        await fake.invoke("register", {"mode": "in_person", "member": True}, user=m)
        for m in members
    ]
    await asyncio.sleep(0.05)
    go.set()
    replies = [await r.message() for r in results]
    assert ["have a seat" in r.content for r in replies] == [True] * 4 + [False] * 4
    in_person, remote = fake.role_id("In person"), fake.role_id("Remote")
    wanted = [(m.id, in_person) for m in members[:4]] + [(m.id, remote) for m in members[4:]]
    await eventually(lambda: all(grant in fake.role_grants for grant in wanted))
    assert sorted(wanted, key=fake.role_grants.get) == wanted
