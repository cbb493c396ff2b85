"""Attendance roles follow the store: computed when the change runs, one change at a time per
member, and brought back in line at start and after Discord refused a change."""

from __future__ import annotations

from bot.registration.model import Mode
from cogs.registration.cog import RegistrationCog
from tests.support.harness import eventually, running_amphi, test_settings

IN_PERSON = {"mode": "in_person", "member": True}
REMOTE = {"mode": "remote", "member": True}
ROLES = r"/guilds/\d+/members/\d+/roles/\d+"


def attendance(fake, member) -> set[str]:
    names = {fake.role_id("In person"): "In person", fake.role_id("Remote"): "Remote"}
    return {names[r] for r in member.roles if r in names}


async def test_register_then_unregister_at_once_leaves_no_role(amphi, fake) -> None:
    ada = fake.add_member("ada")
    first = await fake.invoke("register", REMOTE, user=ada)
    second = await fake.invoke("unregister", {}, user=ada)  # before the first one's role change
    await first.message()
    await second.message()
    await eventually(lambda: attendance(fake, ada) == set())
    _bot, services = amphi
    assert await services.registration.lookup(user_id=ada.id) is None


async def test_quick_changes_of_mode_end_with_the_last_ones_role(amphi, fake) -> None:
    ben = fake.add_member("ben")
    results = [
        await fake.invoke("register", options, user=ben)
        for options in (IN_PERSON, REMOTE, IN_PERSON, REMOTE)
    ]
    for result in results:
        await result.message()
    await eventually(lambda: attendance(fake, ben) == {"Remote"})


async def test_a_registration_without_its_role_gets_it_at_start(fake, clock, database_url) -> None:
    cleo = fake.add_member("cleo")
    settings = test_settings(fake, database_url)
    async with running_amphi(fake, settings, clock) as (_bot, services):
        # Stored, but the role change never ran (a kill in between, say).
        await services.registration.register(
            user_id=cleo.id, display_name="cleo", mode=Mode.IN_PERSON, member=True
        )
        assert attendance(fake, cleo) == set()
    async with running_amphi(fake, settings, clock):
        await eventually(lambda: attendance(fake, cleo) == {"In person"})


async def test_a_role_change_refused_by_discord_is_noted_then_mended(amphi, fake) -> None:
    bot, services = amphi
    dora = fake.add_member("dora")
    # The bot's role was dragged below the attendance roles for a moment.
    fake.fail_next("PUT", ROLES, 403, {"message": "Missing Permissions", "code": 50013})
    reply = await (await fake.invoke("register", IN_PERSON, user=dora)).message()
    assert "You are registered" in reply.content  # a role failure never undoes it
    await eventually(lambda: _problems(services))
    assert attendance(fake, dora) == set()
    await bot.cog(RegistrationCog).roles.reconcile()  # what the periodic pass does
    assert attendance(fake, dora) == {"In person"}
    assert (await services.registration.figures()).role_problems == 0


async def _problems(services) -> bool:
    return (await services.registration.figures()).role_problems == 1
