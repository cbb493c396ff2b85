"""Registration burst: 1,000 members run /register within one second at a 600-seat meeting.

Each bot runs in its own process, as in production, against the fake Discord in this one: the
floors (`bench.floor_bot`: a discord.py bot that only answers /ping, and one whose /register
makes the same Discord calls as Amphi's with nothing else), then Amphi on SQLite and PostgreSQL. The
interactions are dispatched evenly over the second ("paced"), and once more all at the same
instant ("at once"), the harshest case. From each interaction's dispatch, measured by the fake:
the bot's first response (Amphi's is its "thinking…" acknowledgement) and its reply. Also: the
time until every reply is in, the longest stall of the bot's event loop during the burst (a
10 ms ticker in the bot's process, `bench.probe`), the time from the gateway's first HELLO to
the bot's ready; resident memory after start, its growth over the burst, and over a second burst
of 1,000 newcomers (the cost of each further 1,000); and for Amphi, 50 cancellations and the
promotions they cause.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.probe import read_stalls
from bench.stats import LoopTicker, summary_ms
from tests.support.fake_discord import fake_discord
from tests.support.harness import eventually
from tests.support.paths import ROOT, SHIPPED_MEETING
from tests.support.postgres import postgres_reason

MEMBERS = 1000
SEATS = 600
CANCELLATIONS = 50
DEADLINE = 3.0
ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test"
READY_LINES = ("Ready as", "floor bot ready")


def latencies(results) -> dict[str, Any]:
    """First-response and reply latencies of interaction results."""
    first = [r.acknowledged_at - r.created for r in results if r.acknowledged_at]
    reply = [(r.answered_at or r.acknowledged_at) - r.created for r in results if r.acknowledged_at]
    return {
        "first_response": summary_ms(first),
        "reply": summary_ms(reply),
        "over_3s": sum(1 for x in first if x > DEADLINE),
        "error_10062": sum(1 for r in results if (404, 10062) in r.rejected),
        "unanswered": len(results) - len(first),
    }


async def dispatch(count: int, spread: float, invoke: Callable[[int], Awaitable[Any]]) -> list:
    """Dispatch `count` interactions evenly over `spread` seconds (all at once for 0)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    tasks = []
    for i in range(count):
        delay = start + i * spread / count - loop.time()
        if delay > 0.0005:  # finer than the loop's timer: dispatch now, as Discord would
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(invoke(i)))
    return await asyncio.gather(*tasks)


@contextlib.contextmanager
def quiet_instrument() -> Iterator[LoopTicker]:
    """The fake's collector off while it measures, and a ticker on the fake's own loop.

    The fake keeps every interaction and message it saw: a full collection of those would
    stall it for 100 ms or more in the middle of a burst and be counted against the bot.
    """
    gc.collect()
    gc.disable()
    ticker = LoopTicker()
    ticker.start()
    try:
        yield ticker
    finally:
        gc.enable()
        ticker.stop_soon()


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


class BotProcess:
    """A bot started under `bench.probe`, its stderr watched for the line that says it is ready."""

    def __init__(self, module: list[str], env: dict[str, str], folder: Path) -> None:
        self.module, self.env = module, env
        self.stalls = folder / "stalls.txt"
        self.process: asyncio.subprocess.Process | None = None
        self.started = self.ready_at = 0.0
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> BotProcess:
        loop = asyncio.get_running_loop()
        self.started = loop.time()
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            *["-m", "bench.probe", str(self.stalls), *self.module],
            env=self.env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        self._reader = asyncio.create_task(self._watch())
        return self

    async def _watch(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        async for line in self.process.stderr:  # read to the end, or the bot blocks on a full pipe
            if not self.ready_at and any(s in line.decode(errors="replace") for s in READY_LINES):
                self.ready_at = asyncio.get_running_loop().time()

    async def __aexit__(self, *_exc) -> None:
        assert self.process is not None and self._reader is not None
        self.process.terminate()
        await self.process.wait()
        with contextlib.suppress(asyncio.CancelledError):
            self._reader.cancel()
            await self._reader

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def loop_stall_ms(self, start: float, end: float) -> float:
        """The longest stall of the bot's loop between two times.monotonic() readings."""
        return max(read_stalls(self.stalls, start, end), default=0.0)


async def _run(bot: str, database_url: str | None, spread: float) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="amphi-bench-"))
    floor = bot != "amphi"
    async with fake_discord() as fake:
        # Discord's own deadline: a first response later than 3 s is refused with 10062.
        env = {
            **os.environ,
            **fake.subprocess_env(),
            "DISCORD_TOKEN": fake.token,
            "DISCORD_GUILD_ID": str(fake.guild_id),
            "DATABASE_URL": database_url or f"sqlite:///{folder / 'amphi.sqlite3'}",
            "AMPHI_MEETINGS": str(future_meeting(folder)),
            "LOG_LEVEL": "INFO",
        }
        env["PYTHONPATH"] = env["PYTHONPATH"] + os.pathsep + str(ROOT)
        module = ["bench.floor_bot"] if floor else ["bot", "run"]
        if bot == "calls":
            env["FLOOR_ROLE_ID"] = str(fake.role_id("In person"))
        async with BotProcess(module, env, folder) as process:
            await eventually(lambda: process.ready_at > 0 and fake.gateway.connected, 60)
            assert fake.gateway.first_hello_at is not None
            await asyncio.sleep(1)  # let start-up work settle before measuring
            rss_start = rss_mib(process.pid)
            people = [fake.add_member(f"p{i}") for i in range(MEMBERS)]
            begin, clock = time.monotonic(), time.perf_counter()
            with quiet_instrument() as fake_loop:
                results = await dispatch(MEMBERS, spread, _invoker(fake, people, bot))
                replies = [await r.message(timeout=120) for r in results]
            drained = time.perf_counter() - clock
            stall = process.loop_stall_ms(begin, time.monotonic())
            rss_first = rss_mib(process.pid)
            # A second thousand (all on the waitlist): what each further 1,000 registrations
            # keep, once the first burst's peak (commands in flight, open connections) is paid.
            more = [fake.add_member(f"q{i}") for i in range(MEMBERS)]
            for result in await dispatch(MEMBERS, spread, _invoker(fake, more, bot)):
                await result.message(timeout=120)
            rss_second = rss_mib(process.pid)
            figures: dict[str, Any] = {
                **latencies(results),
                "all_replied_s": round(drained, 2),
                "longest_loop_stall_ms": round(stall, 1),
                "fake_longest_loop_stall_ms": round(fake_loop.longest * 1000, 1),
                "ready_after_hello_s": round(process.ready_at - fake.gateway.first_hello_at, 2),
                "start_to_ready_s": round(process.ready_at - process.started, 2),
                "rss_after_start_mib": round(rss_start, 1),
                "rss_first_burst_mib": round(rss_first - rss_start, 1),
                "rss_growth_per_1000_mib": round((rss_second - rss_first) * 1000 / MEMBERS, 1),
            }
            if not floor:
                figures.update(await _cancellations(fake, people, replies))
    return figures


def _invoker(fake, people, bot: str) -> Callable[[int], Awaitable[Any]]:
    def invoke(i: int):
        if bot == "ping":
            return fake.invoke("ping", user=people[i])
        options = {"mode": "in_person", "member": i % 2 == 0}
        return fake.invoke("register", options, user=people[i])

    return invoke


async def _cancellations(fake, people, replies) -> dict[str, Any]:
    seated = [p for p, m in zip(people, replies, strict=True) if "have a seat" in m.content]
    waiting = [p for p, m in zip(people, replies, strict=True) if "waitlist" in m.content]
    assert (len(seated), len(waiting)) == (SEATS, MEMBERS - SEATS), (len(seated), len(waiting))
    start = time.perf_counter()
    cancels = await asyncio.gather(
        *(fake.invoke("unregister", user=p) for p in seated[:CANCELLATIONS])
    )
    for cancel in cancels:
        await cancel.message(timeout=120)
    await eventually(lambda: sum(len(fake.dms(p)) for p in waiting) >= CANCELLATIONS, 120)
    return {"cancel_50_and_promote_s": round(time.perf_counter() - start, 2)}


def create_postgres_database() -> str:
    """A fresh PostgreSQL database for one run."""
    import psycopg

    name = f"amphi_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def drop_postgres_database(url: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


async def run_one(bot: str, store: str, spread: float) -> dict[str, Any]:
    """One row of the table."""
    arrival = "paced over 1 s" if spread else "at once"
    label = {
        "ping": "floor /ping",
        "calls": "floor, Amphi's calls",
        "amphi": f"amphi /register {store}",
    }[bot]
    row: dict[str, Any] = {"bot": f"{label}, {arrival}", "store": store, "spread_s": spread}
    if store == "postgresql":
        reason = postgres_reason()
        if reason:
            return {**row, "skipped": reason}
        url = await asyncio.to_thread(create_postgres_database)
        try:
            return {**row, **await _run(bot, url, spread)}
        finally:
            await asyncio.to_thread(drop_postgres_database, url)
    return {**row, **await _run(bot, None, spread)}


async def median_of(runs: int, bot: str, store: str, spread: float) -> dict[str, Any]:
    """The run with the median first-response p99 of `runs`, and the range of their p99s.

    On a small shared machine one run's p99 can be twice another's: the median run is the
    figure to read, the range says how much to trust it.
    """
    rows = [await run_one(bot, store, spread) for _ in range(runs)]
    if any("skipped" in row for row in rows):
        return rows[0]
    rows.sort(key=lambda row: row["first_response"]["p99_ms"])
    p99s = [row["first_response"]["p99_ms"] for row in rows]
    return {**rows[len(rows) // 2], "runs": runs, "p99_range_ms": [p99s[0], p99s[-1]]}


async def run(runs: int = 3) -> list[dict[str, Any]]:
    """Every row: the floors and Amphi paced over one second (the median of `runs` each), then
    the /ping floor and Amphi with every interaction at the same instant (once each)."""
    paced = [("ping", "-"), ("calls", "-"), ("amphi", "sqlite"), ("amphi", "postgresql")]
    rows = [await median_of(runs, bot, store, 1.0) for bot, store in paced]
    rows += [await run_one(bot, store, 0.0) for bot, store in [("ping", "-"), ("amphi", "sqlite")]]
    return rows
