"""The registration burst with the bot in its own process, as in production.

The fake Discord runs in this process; `amphi run` (or the /ping floor bot) runs in another, so
the bot's latency is not inflated by the fake's own work on the same core.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.registration_burst import (
    MEMBERS,
    create_postgres_database,
    drop_postgres_database,
    latencies,
)
from tests.conftest import ROOT, SHIPPED_MEETING, postgres_reason
from tests.fake_discord import fake_discord
from tests.harness import eventually


def future_meeting(folder: Path) -> Path:
    """The shipped meeting moved 30 days ahead, so registration is open now."""
    day = (datetime.now(UTC) + timedelta(days=30)).date()
    text = SHIPPED_MEETING.read_text(encoding="utf-8").replace("2021-06-28", day.isoformat())
    path = folder / "meeting.toml"
    path.write_text(text, encoding="utf-8")
    return path


def rss_mib(pid: int) -> float:
    """Resident memory of a process."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _run(module: list[str], command: str, options, members: int, env_extra) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="amphi-bench-"))
    async with fake_discord() as fake:
        fake.interaction_deadline = 120
        env = {
            **fake.subprocess_env(),
            "DISCORD_TOKEN": fake.token,
            "DISCORD_GUILD_ID": str(fake.guild_id),
            "DATABASE_URL": f"sqlite:///{folder / 'amphi.sqlite3'}",
            "AMPHI_MEETINGS": str(future_meeting(folder)),
            "LOG_LEVEL": "WARNING",
            **env_extra,
        }
        env["PYTHONPATH"] = env["PYTHONPATH"] + os.pathsep + str(ROOT)
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *module,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            await eventually(lambda: fake.gateway.connected and fake.sync_count >= 1, 60)
            connected = time.perf_counter() - started
            await asyncio.sleep(3)  # past discord.py's guild_ready_timeout
            rss_start = rss_mib(process.pid)
            people = [fake.add_member(f"p{i}") for i in range(members)]
            start = time.perf_counter()
            results = await asyncio.gather(
                *(fake.invoke(command, options(i), user=p) for i, p in enumerate(people))
            )
            for result in results:
                await result.message(timeout=120)
            drained = time.perf_counter() - start
            rss_end = rss_mib(process.pid)
        finally:
            process.terminate()
            await process.wait()
    return {
        **latencies(results),
        "drain_s": round(drained, 2),
        "start_to_gateway_s": round(connected, 2),
        "rss_after_start_mib": round(rss_start, 1),
        "rss_growth_per_1000_mib": round((rss_end - rss_start) * 1000 / members, 1),
    }


async def run(members: int = MEMBERS) -> list[dict]:
    """The floor, then Amphi on SQLite and on PostgreSQL, each bot in its own process."""
    floor = await _run(["-m", "bench.floor_bot"], "ping", lambda i: {}, members, {})
    rows = [{"bot": "floor (/ping)", **floor}]
    for store in ("sqlite", "postgresql"):
        extra: dict[str, str] = {}
        if store == "postgresql":
            reason = postgres_reason()
            if reason:
                rows.append({"bot": f"amphi /register ({store})", "skipped": reason})
                continue
            extra["DATABASE_URL"] = await asyncio.to_thread(create_postgres_database)
        try:
            figures = await _run(
                ["-m", "bot", "run"],
                "register",
                lambda i: {"mode": "in_person", "member": i % 2 == 0},
                members,
                extra,
            )
        finally:
            if "DATABASE_URL" in extra:
                name = extra["DATABASE_URL"].rsplit("/", 1)[1]
                await asyncio.to_thread(drop_postgres_database, name)
        rows.append({"bot": f"amphi /register ({store})", **figures})
    return rows
