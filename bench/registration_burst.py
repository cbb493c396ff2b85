"""Registration burst: 1,000 members run /register within one second at a 600-seat meeting.

Each bot runs in its own process, as in production, against the fake Discord in this one: the
floors (`bench.floor_bot`: a discord.py bot that only answers /ping, and the plain bot, which
defers, registers in SQLite, answers with a follow-up and gives the role), then Amphi on SQLite
and PostgreSQL. Every row runs twice: with the fake's own round trip (about 1 ms), and with a
Discord-like one added to every REST call and gateway event (`DISCORD_LIKE`: see
fake_discord/latency.py for its sources). Discord's global limit of 50 requests a
second holds for everything but interactions, as it does on Discord: the roles' floor is 600
calls ÷ 50/s. From each interaction's dispatch, measured by the fake: the bot's first response
("ack"; Amphi's may be its answer) and its answer; also the time until the last answer, until
the last *In person* role, the longest stall of the bot's event loop during the burst (a 10 ms
ticker in the bot's process, `bench.probe`); resident memory after start, its growth over the
burst, and over a second burst of 1,000 newcomers (Amphi, fake round trip); and for Amphi, 50
cancellations and the promotions they cause.
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
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.probe import read_stalls
from bench.stats import LoopTicker, summary_ms
from fake_discord import DISCORD_LIKE, Latency, fake_discord
from tests.support.harness import eventually
from tests.support.paths import ROOT, SHIPPED_MEETING
from tests.support.postgres import postgres_reason

MEMBERS = 1000  # `python -m bench --members N` sets it: N members within N/1000 seconds
SEATS = 600
CANCELLATIONS = 50
DEADLINE = 3.0
GLOBAL_LIMIT = 50  # Discord's, for every request but interactions
NETWORKS: dict[str, Latency | None] = {"fake (~1 ms)": None, "Discord-like": DISCORD_LIKE}
ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test"
READY_LINES = ("Ready as", "floor bot ready")
ROLES_TIMEOUT = 60  # seconds to wait for every seated member's role ("-" in the table after)


def latencies(results) -> dict[str, Any]:
    """First-response and answer latencies of interaction results (an answer given in the first
    response counts from the dispatch to it)."""
    first = [r.acknowledged_at - r.created for r in results if r.acknowledged_at]
    reply = [(r.answered_at or r.acknowledged_at) - r.created for r in results if r.acknowledged_at]
    return {
        "first_response": summary_ms(first),
        "reply": summary_ms(reply),
        "last_answer_s": round(max(reply), 2) if reply else None,
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


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class BotProcess:
    """A bot started under `bench.probe`, its output watched for the line that says it is ready."""

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
            # Amphi logs on stdout, the floor bot on stderr: both are read for the ready line.
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        self._reader = asyncio.create_task(self._watch())
        return self

    async def _watch(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        async for line in self.process.stdout:  # read to the end, or the bot blocks on a full pipe
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


async def _run(
    bot: str, database_url: str | None, spread: float, latency: Latency | None
) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="amphi-bench-"))
    floor = bot != "amphi"
    async with fake_discord(latency=latency) as fake:
        # Discord's own deadline: a first response later than 3 s is refused with 10062.
        fake.traffic.global_limit = GLOBAL_LIMIT
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
        in_person = fake.role_id("In person")
        if bot == "plain":
            env["FLOOR_ROLE_ID"] = str(in_person)
            env["FLOOR_DB"] = str(folder / "plain.sqlite3")
        async with BotProcess(module, env, folder) as process:
            await eventually(lambda: process.ready_at > 0 and fake.gateway.connected, 60)
            assert fake.gateway.first_hello_at is not None
            await asyncio.sleep(1)  # let start-up work settle before measuring
            rss_start = rss_mib(process.pid)
            people = [fake.add_member(f"p{i}") for i in range(MEMBERS)]
            begin, clock = time.monotonic(), time.perf_counter()
            cpu_before = cpu_seconds(process.pid)
            started = asyncio.get_running_loop().time()
            with quiet_instrument() as fake_loop:
                results = await dispatch(MEMBERS, spread, _invoker(fake, people, bot))
                replies = [await r.message(timeout=120) for r in results]
            drained = time.perf_counter() - clock
            cpu_ms = (cpu_seconds(process.pid) - cpu_before) * 1000 / MEMBERS
            stall = process.loop_stall_ms(begin, time.monotonic())
            figures: dict[str, Any] = {
                **latencies(results),
                "all_replied_s": round(drained, 2),
                "members": MEMBERS,
                "cpu_ms_per_command": round(cpu_ms, 2),
                "longest_loop_stall_ms": round(stall, 1),
                "fake_longest_loop_stall_ms": round(fake_loop.longest * 1000, 1),
                "global_429s": fake.traffic.global_429s,
                "ready_after_hello_s": round(process.ready_at - fake.gateway.first_hello_at, 2),
                "start_to_ready_s": round(process.ready_at - process.started, 2),
                "rss_after_start_mib": round(rss_start, 1),
                "rss_first_burst_mib": round(rss_mib(process.pid) - rss_start, 1),
            }
            if bot != "ping":
                seated = [
                    p for p, m in zip(people, replies, strict=True) if "have a seat" in m.text()
                ]
                figures["seated"] = len(seated)
                figures["roles_done_s"] = await _roles_done(fake, seated, in_person, started)
            if not floor:
                figures.update(await _cancellations(fake, people, replies))
                if latency is None:
                    figures.update(await _further_thousand(fake, bot, spread, process))
    return figures


async def _roles_done(fake, seated, role_id: int, started: float) -> float | None:
    """Seconds from the burst's start until every seated member holds the role."""

    def given() -> bool:
        return all((m.id, role_id) in fake.role_grants for m in seated)

    try:  # Amphi's take about 14 s; the plain bot, unpaced, loses some to 429s for good
        await eventually(given, timeout=ROLES_TIMEOUT, interval=0.1)
    except TimeoutError:
        return None
    return round(max(fake.role_grants[(m.id, role_id)] for m in seated) - started, 2)


async def _further_thousand(fake, bot: str, spread: float, process: BotProcess) -> dict[str, Any]:
    """What each further 1,000 registrations keep in memory (all on the waitlist), once the
    first burst's peak (commands in flight, open connections) is paid."""
    before = rss_mib(process.pid)
    more = [fake.add_member(f"q{i}") for i in range(MEMBERS)]
    for result in await dispatch(MEMBERS, spread, _invoker(fake, more, bot)):
        await result.message(timeout=120)
    return {"rss_growth_per_1000_mib": round((rss_mib(process.pid) - before) * 1000 / MEMBERS, 1)}


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


async def run_one(bot: str, store: str, network: str) -> dict[str, Any]:
    """One row of the table."""
    label = {"ping": "floor /ping", "plain": "floor: plain bot", "amphi": f"amphi {store}"}[bot]
    row: dict[str, Any] = {"bot": label, "store": store, "network": network}
    latency = NETWORKS[network]
    if store == "postgresql":
        reason = postgres_reason()
        if reason:
            return {**row, "skipped": reason}
        url = await asyncio.to_thread(create_postgres_database)
        try:
            return {**row, **await _run(bot, url, MEMBERS / 1000, latency)}
        finally:
            await asyncio.to_thread(drop_postgres_database, url)
    return {**row, **await _run(bot, None, MEMBERS / 1000, latency)}


async def median_of(runs: int, bot: str, store: str, network: str) -> dict[str, Any]:
    """The run with the median answer p99 of `runs`, and the range of their p99s.

    On a small shared machine one run's p99 can be twice another's: the median run is the
    figure to read, the range says how much to trust it.
    """
    rows = [await run_one(bot, store, network) for _ in range(runs)]
    if any("skipped" in row for row in rows):
        return rows[0]
    rows.sort(key=lambda row: row["reply"]["p99_ms"])
    p99s = [row["reply"]["p99_ms"] for row in rows]
    return {**rows[len(rows) // 2], "runs": runs, "p99_range_ms": [p99s[0], p99s[-1]]}


BOTS = [("ping", "-"), ("plain", "sqlite"), ("amphi", "sqlite"), ("amphi", "postgresql")]


async def run(
    runs: int = 3,
    networks: Sequence[str] = tuple(NETWORKS),
    bots: Sequence[tuple[str, str]] = tuple(BOTS),
) -> list[dict[str, Any]]:
    """Every row: the floors and Amphi, paced over one second (the median of `runs` each), with
    the fake's round trip and with a Discord-like one (or only the `networks` and `bots` asked)."""
    return [
        await median_of(runs, bot, store, network) for network in networks for bot, store in bots
    ]
