"""`amphi run` as a process in tests: its output kept and shown on failure, meetings that fit
any hour of the day."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.support.harness import eventually
from tests.support.paths import ROOT

#: How many seeded kill moments a crash test plays on each store: one in `make test`, 20 in
#: `make crash`.
CRASH_SEEDS = int(os.environ.get("AMPHI_CRASH_SEEDS", "1"))


def store_seeds() -> list:
    """(store, seed) cases for `parametrize(("database_url", "seed"), ..., indirect=...)`: each
    store with each seed; with one seed, PostgreSQL plays seed 1 so that an odd seed (the slow
    store of the registration burst) runs in `make test` too."""
    postgres = pytest.mark.postgres
    if CRASH_SEEDS == 1:
        return [("sqlite", 0), pytest.param("postgresql", 1, marks=postgres)]
    return [
        case
        for seed in range(CRASH_SEEDS)
        for case in (("sqlite", seed), pytest.param("postgresql", seed, marks=postgres))
    ]


def store_seeds_on(store: str) -> list:
    """Like `store_seeds`, but with one seed (`make test`) only `store` plays: for scenarios
    whose stores are covered by other tests there; `make crash` plays both stores."""
    if CRASH_SEEDS == 1:
        return [case for case in store_seeds() if (getattr(case, "values", case))[0] == store]
    return store_seeds()


def zone_at_mid_morning(instant: datetime) -> ZoneInfo:
    """A fixed-offset zone where `instant` falls between 10:00 and 11:00, so a meeting built
    around it never crosses midnight, whatever the hour the test runs."""
    offset = (10 - instant.astimezone(UTC).hour) % 24  # hours east of UTC, 0..23
    if offset > 14:  # the zones run from UTC-12 to UTC+14
        offset -= 24
    # POSIX sign convention: Etc/GMT-2 is two hours east of UTC.
    return ZoneInfo("Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}")


def meeting_file(folder: Path, start: datetime, reminder: datetime, link_dms: datetime) -> Path:
    """A one-session meeting, in a zone where its day cannot cross midnight, whose reminder and
    link DMs fall at the given instants."""
    zone = zone_at_mid_morning(start)
    start = start.astimezone(zone)
    path = folder / "crash.toml"
    path.write_text(
        f"""
slug = "crash-test"
title = "Crash test"
date = {start:%Y-%m-%d}
timezone = "{zone.key}"
venue = "Here"
capacity = 10
registration_closes = {start.astimezone(UTC):%Y-%m-%dT%H:%M:%S}Z

[reminders]
session_leads_minutes = [{(start - reminder).total_seconds() / 60}]
talk_start = false
remote_link_lead_minutes = {(start - link_dms).total_seconds() / 60}
grace_minutes = 5

[[sessions]]
title = "Session 1"
start = "{start:%H:%M}"
end = "{start + timedelta(minutes=30):%H:%M}"

  [[sessions.talks]]
  start = "{start:%H:%M}"
  title = "A talk"
  speakers = [{{ name = "Ada Lovelace" }}]
""",
        encoding="utf-8",
    )
    return path


def posts_due_in(folder: Path, start: datetime, reminder: float, link_dms: float) -> None:
    """Plan the meeting file's reminder and link DMs `reminder` and `link_dms` seconds from now.
    Called once the members are registered, just before the processes start side by side
    (`Runs.start_pair`): the active reads the file as it takes the lease, so a loaded machine
    pays for one start before the posts are due, not for the registration and two starts."""
    now = datetime.now(UTC)
    due = now + timedelta(seconds=reminder), now + timedelta(seconds=link_dms)
    meeting_file(folder, start, *due)


class Runs:
    """Each `amphi run` of a test, its output kept in a file and shown when the test fails."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.logs: list[Path] = []

    async def _spawn(self, env: dict[str, str]) -> tuple[asyncio.subprocess.Process, int]:
        """An `amphi run` writing to a log of its own: the process and its number (`log_of`)."""
        log = self.folder / f"amphi-run-{len(self.logs) + 1}.log"
        self.logs.append(log)
        with log.open("wb") as output:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", env=env, stdout=output, stderr=output
            )
        return process, len(self.logs)

    async def start(self, fake, env: dict[str, str]) -> asyncio.subprocess.Process:
        process, _ = await self._spawn(env)
        try:
            await eventually(
                lambda: fake.gateway.connected or process.returncode is not None, timeout=30
            )
        finally:
            if not fake.gateway.connected:
                await kill(process)
        assert process.returncode is None, f"amphi run stopped (status {process.returncode})"
        return process

    async def start_standby(self, env: dict[str, str]) -> asyncio.subprocess.Process:
        """An `amphi run` that finds another active: returns once it says it stands by."""
        process, number = await self._spawn(env)

        def standing_by() -> bool:
            return "Standing by" in self.log_of(number)

        try:
            await eventually(lambda: standing_by() or process.returncode is not None, timeout=30)
        finally:
            if not standing_by():
                await kill(process)
        assert process.returncode is None, f"amphi run stopped (status {process.returncode})"
        return process

    async def run_refused(self, env: dict[str, str], timeout: float = 30) -> int:  # noqa: ASYNC109 - a test deadline
        """An `amphi run` expected to stop by itself at start-up: its exit status."""
        process, _ = await self._spawn(env)
        try:
            return await asyncio.wait_for(process.wait(), timeout)
        finally:
            await kill(process)

    async def start_pair(
        self, fake, env: dict[str, str]
    ) -> tuple[tuple[asyncio.subprocess.Process, int], tuple[asyncio.subprocess.Process, int]]:
        """Two `amphi run` started together (a loaded machine starts each in seconds: one after
        the other would take the sum): ((active, its number), (standby, its number)) once one
        is on the gateway and the other stands by. Numbers are those of `log_of`."""
        started = [await self._spawn(env), await self._spawn(env)]

        def standing_by(number: int) -> bool:
            return "Standing by" in self.log_of(number)

        def ready() -> bool:
            stopped = any(process.returncode is not None for process, _ in started)
            waiting = [n for _, n in started if standing_by(n)]
            return stopped or (fake.gateway.connected and len(waiting) == 1)

        try:
            await eventually(ready, timeout=60, interval=0.05)
        finally:
            if not ready():
                for process, _ in started:
                    await kill(process)
        for process, number in started:
            assert process.returncode is None, f"amphi run {number} stopped ({process.returncode})"
        first, second = started
        return (second, first) if standing_by(first[1]) else (first, second)

    def log_of(self, process_number: int) -> str:
        """What the `process_number`-th run (from 1) has written so far."""
        return self.logs[process_number - 1].read_text(errors="replace")

    def output(self) -> str:
        return "\n".join(
            f"----- {log.name}\n{log.read_text(errors='replace')}" for log in self.logs
        )


async def kill(process: asyncio.subprocess.Process) -> None:
    """SIGKILL, as a crash would: no clean-up runs."""
    if process.returncode is None:
        process.send_signal(signal.SIGKILL)
    await process.wait()


def run_env(fake, meetings: Path, database_url: str, **settings: str) -> dict[str, str]:
    """The environment of an `amphi run` against the fake, on `meetings` and a store of its own;
    `settings` adds variables (REMOTE_LINK="…", say)."""
    env = {
        **fake.subprocess_env(),
        "DISCORD_TOKEN": fake.token,
        "DISCORD_GUILD_ID": str(fake.guild_id),
        "DATABASE_URL": database_url,
        "AMPHI_MEETINGS": str(meetings),
        **settings,
    }
    env["PYTHONPATH"] = env["PYTHONPATH"] + os.pathsep + str(ROOT)
    return env


async def register_remote(env: dict[str, str], members: Iterable, now: datetime) -> None:
    """Register `members` remotely, opted in to DMs, before the bot starts (blocking store)."""
    from bot.core.config import load_settings
    from bot.registration.model import Mode
    from bot.services import prepare

    services = prepare(load_settings(env), clock=lambda: now)
    try:
        for member in members:
            await services.registration.register(
                user_id=member.id, display_name=member.name, mode=Mode.REMOTE, member=True, dm=True
            )
    finally:
        services.close()
