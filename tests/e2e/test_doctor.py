"""`amphi doctor` against the Discord double: a good server, then each misconfiguration."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from bot.core.clock import utc_now
from bot.core.config import Ref
from bot.doctor.checks import (
    ADMINISTRATOR,
    CREATE_EVENTS,
    CREATE_PUBLIC_THREADS,
    FAIL,
    MANAGE_ROLES,
    MENTION_EVERYONE,
    MOVE_MEMBERS,
    MUTE_MEMBERS,
    OK,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    WARN,
    Finding,
)
from bot.doctor.live import examine
from fake_discord import FakeDiscord
from tests.support.harness import BEFORE_MEETING, FakeClock, running_amphi, test_settings
from tests.support.paths import ROOT

LINK = "https://video.example.org/doctor"
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def checks(findings: list[Finding]) -> dict[str, Finding]:
    return {f.check: f for f in findings}


@pytest.fixture
async def synced(fake: FakeDiscord, sqlite_url: str):
    """A server where Amphi ran once (its commands synced); the settings it ran with."""
    settings = test_settings(fake, sqlite_url, REMOTE_LINK=LINK)
    fake.add_channel("proposals")  # the review cards: for the bot and the organizers only
    overwrite(fake, "proposals", fake.guild_id, 0, deny=VIEW_CHANNEL)
    overwrite(fake, "proposals", bot_role(fake).id, 0, allow=VIEW_CHANNEL)
    async with running_amphi(fake, settings, FakeClock(BEFORE_MEETING)):
        pass
    return settings


async def test_a_good_server_passes_every_check_and_the_doctor_writes_nothing(
    fake: FakeDiscord, synced
) -> None:
    before = len(fake.requests)
    findings = await examine(synced)
    found = checks(findings)
    # The bot ran in the test's process, outside any election: no instance holds the lease.
    assert found["instances"].status == WARN
    assert found["instances"].detail.startswith("no instance is active (the lease was never taken)")
    others = [(f.check, f.status, f.detail) for f in findings if f.status != OK]
    assert others == [("instances", WARN, found["instances"].detail)]
    assert "this machine only" in found["standbys on SQLite"].detail
    assert found["token"].detail.startswith("valid: the bot is Amphi")
    assert "channel QA_CHANNEL=questions" in found
    assert found["role IN_PERSON_ROLE=In person"].status == OK
    assert found["slash commands"].detail.endswith("synced and up to date")
    assert found["REMOTE_LINK"].status == OK
    assert [r for r in fake.requests[before:] if r.method in WRITES] == []


def bot_role(fake: FakeDiscord):
    return fake.state.role(fake.bot.name)


def without(fake: FakeDiscord, permission: int) -> None:
    """Take `permission` from the bot's role and from @everyone."""
    for role in (bot_role(fake), fake.state.roles[fake.guild_id]):
        role.permissions = str(int(role.permissions) & ~permission)


def overwrite(fake: FakeDiscord, channel: str, target: int, kind: int, **bits: int) -> None:
    allow, deny = str(bits.get("allow", 0)), str(bits.get("deny", 0))
    entry = {"id": str(target), "type": kind, "allow": allow, "deny": deny}
    fake.state.channel(channel).overwrites.append(entry)


def move_above_bot(fake: FakeDiscord, name: str) -> None:
    fake.state.role(name).position = bot_role(fake).position + 1


MISCONFIGURED: dict[str, tuple[Callable[[FakeDiscord], object], str, str, str]] = {
    "a channel missing": (
        lambda f: f.remove_channel("moderation"),
        "channel MODERATION_CHANNEL=moderation",
        FAIL,
        "no such channel",
    ),
    "no Send Messages for @everyone there": (
        lambda f: overwrite(f, "announcements", f.guild_id, 0, deny=SEND_MESSAGES),
        "channel ANNOUNCEMENTS_CHANNEL=announcements",
        FAIL,
        "missing Send Messages",
    ),
    "no threads for the bot's role": (
        lambda f: overwrite(f, "questions", bot_role(f).id, 0, deny=CREATE_PUBLIC_THREADS),
        "channel QA_CHANNEL=questions",
        FAIL,
        "missing Create Public Threads",
    ),
    "members can read the review cards": (
        lambda f: f.state.channel("proposals").overwrites.clear(),
        "channel REVIEW_CHANNEL=proposals",
        WARN,
        "members can read the review cards",
    ),
    "no review channel": (
        lambda f: f.remove_channel("proposals"),
        "channel REVIEW_CHANNEL=proposals",
        WARN,
        "no such channel",
    ),
    "a role missing": (
        lambda f: f.remove_role("Remote"),
        "role REMOTE_ROLE=Remote",
        FAIL,
        "no such role",
    ),
    "an audience role above the bot's": (
        lambda f: move_above_bot(f, "In person"),
        "role IN_PERSON_ROLE=In person",
        FAIL,
        "@In person is above Amphi's role",
    ),
    "no Manage Roles": (
        lambda f: without(f, MANAGE_ROLES),
        "permission Manage Roles",
        FAIL,
        "attendance roles cannot be given",
    ),
    "audience roles that cannot be pinged": (
        lambda f: without(f, MENTION_EVERYONE),
        "role REMOTE_ROLE=Remote",
        WARN,
        "reminders cannot ping it",
    ),
    "no Create Events": (
        lambda f: without(f, CREATE_EVENTS),
        "permission Create Events",
        WARN,
        "the sessions are not put in the Events tab",
    ),
    "commands changed since the last sync": (
        lambda f: f.guild_commands.pop(),
        "slash commands",
        WARN,
        "out of date: /",
    ),
}


@pytest.mark.parametrize("case", MISCONFIGURED)
async def test_each_misconfiguration_is_named_with_its_fix(
    fake: FakeDiscord, synced, case: str
) -> None:
    spoil, check, status, detail = MISCONFIGURED[case]
    spoil(fake)
    found = checks(await examine(synced))
    assert found[check].status == status, found[check]
    assert detail in found[check].detail
    assert found[check].fix
    others = [f for name, f in found.items() if name != check and f.status != OK]
    assert all(f.status == WARN or case == "a role missing" for f in others), others


async def test_permissions_follow_discords_order_of_overwrites(fake: FakeDiscord, synced) -> None:
    """@everyone denied, the bot's member allowed: it can post. An administrator always can."""
    overwrite(fake, "announcements", fake.guild_id, 0, deny=SEND_MESSAGES)
    overwrite(fake, "announcements", fake.bot.id, 1, allow=SEND_MESSAGES)
    overwrite(fake, "moderation", bot_role(fake).id, 0, deny=SEND_MESSAGES)
    bot_role(fake).permissions = str(int(bot_role(fake).permissions) | ADMINISTRATOR)
    found = checks(await examine(synced))
    assert found["channel ANNOUNCEMENTS_CHANNEL=announcements"].status == OK
    assert found["channel MODERATION_CHANNEL=moderation"].status == OK


async def test_a_stage_channel_for_the_events(fake: FakeDiscord, synced) -> None:
    """Named and missing: a failure. There but without stage moderation: a failure naming
    what to allow. With it: fine."""
    stage = dataclasses.replace(synced, stage_channel=Ref("amphitheatre"))
    check = "channel STAGE_CHANNEL=amphitheatre"
    fake.add_channel("amphitheatre")  # a text channel of that name is not a stage
    assert checks(await examine(stage))[check].detail == "no such stage channel"
    fake.remove_channel("amphitheatre")
    fake.add_channel("amphitheatre", type=13)
    found = checks(await examine(stage))[check]
    assert found.status == FAIL and found.detail == "missing Mute Members, Move Members"
    assert "allow Mute Members, Move Members" in found.fix
    bot_role(fake).permissions = str(int(bot_role(fake).permissions) | MUTE_MEMBERS | MOVE_MEMBERS)
    assert checks(await examine(stage))[check].status == OK


async def test_a_token_discord_refuses_stops_at_the_first_check(fake, sqlite_url) -> None:
    settings = test_settings(
        fake, sqlite_url, DISCORD_TOKEN="MTAxMjM0NTY3ODkw.not-the-token", REMOTE_LINK=LINK
    )
    found = checks(await examine(settings))
    assert found["token"].status == FAIL and "reset the token" in found["token"].fix
    assert "server" not in found and "meeting files" in found


async def test_a_server_the_bot_is_not_in(fake, sqlite_url) -> None:
    settings = test_settings(fake, sqlite_url, DISCORD_GUILD_ID="42", REMOTE_LINK=LINK)
    found = checks(await examine(settings))
    assert found["token"].status == OK
    assert found["server"].status == FAIL and "not a member of server 42" in found["server"].detail


async def test_commands_never_synced_are_a_warning(fake, sqlite_url) -> None:
    found = checks(await examine(test_settings(fake, sqlite_url, REMOTE_LINK=LINK)))
    assert found["slash commands"].status == WARN
    assert found["slash commands"].detail == "not synced to this server yet"


async def test_the_local_set_up(fake, synced, tmp_path: Path) -> None:
    """The video link, the meeting files and the store."""
    from dataclasses import replace

    broken = tmp_path / "broken.toml"
    broken.write_text('slug = "x"\n', encoding="utf-8")
    cases = {
        "REMOTE_LINK": replace(synced, remote_link=None),
        "meeting files": replace(synced, meetings_path=broken),
        "database postgresql://amphi@127.0.0.1:1/amphi": replace(
            synced, database_url="postgresql+psycopg://amphi@127.0.0.1:1/amphi"
        ),
    }
    for check, settings in cases.items():
        found = checks(await examine(settings))
        key = next(k for k in found if k.startswith(check.split(" ")[0]))
        assert found[key].status == FAIL, found[key]
    empty = tmp_path / "empty.sqlite3"
    empty.touch()
    found = checks(await examine(replace(synced, database_url=f"sqlite:///{empty}")))
    store = next(f for name, f in found.items() if name.startswith("database"))
    assert store.status == WARN and "schema empty" in store.detail
    missing = replace(synced, database_url=f"sqlite:///{tmp_path / 'none.sqlite3'}")
    store = next(f for n, f in checks(await examine(missing)).items() if n.startswith("database"))
    assert store.status == OK and "not created yet" in store.detail
    assert not (tmp_path / "none.sqlite3").exists()


@pytest.mark.parametrize(("ahead", "status"), [(0, OK), (10, WARN), (120, FAIL)])
async def test_a_clock_out_of_step_with_discords(fake, synced, ahead: int, status: str) -> None:
    found = checks(await examine(synced, clock=lambda: utc_now() + timedelta(seconds=ahead)))
    assert found["clock"].status == status, found["clock"]


async def test_the_command_prints_the_table_and_fails_on_a_failed_check(
    fake: FakeDiscord, synced
) -> None:
    env = {
        **fake.subprocess_env(),
        "PYTHONPATH": os.pathsep.join([str(ROOT), fake.subprocess_env()["PYTHONPATH"]]),
        "DISCORD_TOKEN": fake.token,
        "DISCORD_GUILD_ID": str(fake.guild_id),
        "DATABASE_URL": synced.database_url,
        "AMPHI_MEETINGS": str(synced.meetings_path),
        "REMOTE_LINK": LINK,
        "COLUMNS": "200",
    }

    async def doctor() -> tuple[int, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "doctor", env=env, cwd=ROOT,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        output, _ = await asyncio.wait_for(process.communicate(), 60)
        return process.returncode or 0, output.decode()

    status, output = await doctor()
    assert status == 0, output
    assert "Ready: every check passed" in output and "Traceback" not in output
    fake.remove_channel("moderation")
    status, output = await doctor()
    assert status == 1, output
    assert "no such channel" in output and "1 check(s) failed" in output


async def test_a_followed_source_is_fetched_and_read(fake, synced, tmp_path: Path) -> None:
    from dataclasses import replace

    from tests.support.paths import SHIPPED_MEETING

    export = tmp_path / "schedule.json"
    export.write_bytes((ROOT / "tests/data/schedules/c3voc-pretalx-democon.json").read_bytes())
    meeting = tmp_path / "m.toml"
    text = SHIPPED_MEETING.read_text(encoding="utf-8")
    meeting.write_text(text.replace("capacity = 600", 'capacity = 600\nsource = "schedule.json"'))
    found = checks(await examine(replace(synced, meetings_path=meeting)))
    check = "source of theorie-du-deep-learning-2021"
    assert found[check].status == OK and "talks at" in found[check].detail
    export.write_text("<schedule>", encoding="utf-8")
    found = checks(await examine(replace(synced, meetings_path=meeting)))
    assert found[check].status == FAIL and "XML" in found[check].detail
    assert "--dry-run" in found[check].fix


async def test_the_instances_the_store_lists(fake: FakeDiscord, synced) -> None:
    """An active instance and a standby, as their elections wrote them: the doctor names both."""
    from bot.standby import queries
    from bot.standby.model import Role
    from bot.store.db import Database

    db = Database(synced.database_url)
    try:
        now = db.call(queries.store_now)
        for me, host, role in (("a:1:x", "alpha", Role.ACTIVE), ("b:2:y", "beta", Role.STANDBY)):
            db.call(queries.say, write=True, me=me, host=host, pid=len(host), role=role,
                    started_at=now)  # fmt: skip
        epoch = db.call(queries.claim, write=True, me="a:1:x", host="alpha", pid=5, seconds=60)
    finally:
        db.close()
    found = checks(await examine(synced))["instances"]
    assert found.status == OK, found
    assert found.detail.startswith(f"active: alpha pid 5 (epoch {epoch}), lease renewed ")
    assert found.detail.endswith("standing by: beta pid 4")


async def test_the_doctor_checks_that_public_url_answers(fake, synced) -> None:
    from bot.core.config import Secret
    from bot.web.server import WebServer

    assert checks(await examine(synced))["web pages"].detail == "off (WEB_PORT is not set)"
    on = dataclasses.replace(synced, web_port=0, web_secret=Secret("doctor-secret-0123456789"))
    silent = checks(await examine(dataclasses.replace(on, public_url="http://127.0.0.1:9")))
    assert silent["PUBLIC_URL"].status == WARN
    assert "http://127.0.0.1:9 does not answer" in silent["PUBLIC_URL"].detail
    assert "PUBLIC_URL reaches WEB_HOST:WEB_PORT" in silent["PUBLIC_URL"].fix
    web = WebServer(on, snapshots=None)  # type: ignore[arg-type]  # /healthz reads none
    await web.start()
    try:
        answering = dataclasses.replace(on, public_url=web.base_url)
        found = checks(await examine(answering))["PUBLIC_URL"]
        assert (found.status, found.detail) == (OK, f"{web.base_url} answers")
        unsigned = checks(await examine(dataclasses.replace(answering, web_secret=None)))
        assert unsigned["WEB_SECRET"].status == WARN
    finally:
        await web.stop()
