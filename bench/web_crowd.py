"""The public page under a crowd: 1,000 concurrent loads of it during a 1,000-member
registration burst, against the same burst without visitors.

Amphi runs as `amphi run` in its own process with its web pages on (WEB_PORT), against the fake
Discord in this one; the visitors load the page from a third process (`bench.visitors`). The
figures: the page's latencies, and the registration answers' p99 with and without the crowd
(target: within 10%), each the median of `runs`.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.registration_burst import (
    GLOBAL_LIMIT,
    BotProcess,
    dispatch,
    future_meeting,
    latencies,
    quiet_instrument,
)
from fake_discord import fake_discord
from tests.support.harness import eventually
from tests.support.paths import ROOT

MEMBERS = 1000
VISITORS = 1000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _answers(url: str) -> bool:
    reader_writer = None
    try:
        reader_writer = await asyncio.open_connection("127.0.0.1", int(url.split(":")[2][:5]))
    except OSError:
        return False
    finally:
        if reader_writer is not None:
            reader_writer[1].close()
    return True


async def one_burst(with_visitors: bool, *, elsewhere: bool = False) -> dict[str, Any]:
    """One burst; with `elsewhere`, the crowd loads a page from another process (the control)."""
    folder = Path(tempfile.mkdtemp(prefix="amphi-bench-web-"))
    port = free_port()
    meeting = future_meeting(folder)
    slug = "theorie-du-deep-learning-2021"
    url = f"http://127.0.0.1:{port}/m/{slug}"
    async with fake_discord() as fake:
        fake.traffic.global_limit = GLOBAL_LIMIT
        env = {
            **os.environ,
            **fake.subprocess_env(),
            "DISCORD_TOKEN": fake.token,
            "DISCORD_GUILD_ID": str(fake.guild_id),
            "DATABASE_URL": f"sqlite:///{folder / 'amphi.sqlite3'}",
            "AMPHI_MEETINGS": str(meeting),
            "LOG_LEVEL": "INFO",
            "WEB_PORT": str(port),
            "WEB_SECRET": "bench-secret-0123456789",
        }
        env["PYTHONPATH"] = env["PYTHONPATH"] + os.pathsep + str(ROOT)
        async with BotProcess(["bot", "run"], env, folder) as process:
            await eventually(lambda: process.ready_at > 0 and fake.gateway.connected, 60)
            await eventually(lambda: _answers(url), 30, interval=0.1)
            await asyncio.sleep(1)  # let start-up work settle before measuring
            people = [fake.add_member(f"p{i}") for i in range(MEMBERS)]
            crowd = control = None
            if elsewhere:
                control_port = free_port()
                control = await asyncio.create_subprocess_exec(
                    sys.executable,
                    *["-m", "bench.static_site", str(control_port)],
                    env={**os.environ, "PYTHONPATH": str(ROOT)},
                )
                url = f"http://127.0.0.1:{control_port}/m/{slug}"
                await eventually(lambda: _answers(url), 30, interval=0.1)
            if with_visitors:
                crowd = await asyncio.create_subprocess_exec(
                    sys.executable,
                    *["-m", "bench.visitors", url, str(VISITORS)],
                    env={**os.environ, "PYTHONPATH": str(ROOT)},
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                )
                assert crowd.stdout is not None and crowd.stdin is not None
                assert (await crowd.stdout.readline()).strip() == b"ready"

            def invoke(i: int):
                options = {"mode": "in_person", "member": i % 2 == 0}
                return fake.invoke("register", options, user=people[i])

            with quiet_instrument():
                if crowd is not None:
                    assert crowd.stdin is not None
                    crowd.stdin.write(b"go\n")
                    await crowd.stdin.drain()
                results = await dispatch(MEMBERS, MEMBERS / 1000, invoke)
                for result in results:
                    await result.message(timeout=120)
            row: dict[str, Any] = {"visitors": VISITORS if crowd else 0, **latencies(results)}
            if crowd is not None:
                assert crowd.stdout is not None
                row.update(json.loads(await crowd.stdout.readline()))
                await crowd.wait()
            if control is not None:
                control.terminate()
                await control.wait()
    return row


async def run(runs: int = 3) -> dict[str, Any]:
    """The median (by answer p99) of `runs` bursts without visitors, then with them."""

    async def median(with_visitors: bool, elsewhere: bool = False) -> dict[str, Any]:
        rows = [await one_burst(with_visitors, elsewhere=elsewhere) for _ in range(runs)]
        rows.sort(key=lambda row: row["reply"]["p99_ms"])
        p99s = [row["reply"]["p99_ms"] for row in rows]
        return {**rows[len(rows) // 2], "runs": runs, "p99_range_ms": [p99s[0], p99s[-1]]}

    alone = await median(False)
    crowded = await median(True)
    control = await median(True, elsewhere=True)
    base = max(alone["reply"]["p99_ms"], 0.1)
    return {
        "without_visitors": alone,
        "with_visitors": crowded,
        "visitors_elsewhere": control,
        "answer_p99_ratio": crowded["reply"]["p99_ms"] / base,
        "control_p99_ratio": control["reply"]["p99_ms"] / base,
    }


def print_crowd(result: dict[str, Any]) -> None:
    alone, crowded = result["without_visitors"], result["with_visitors"]
    page = crowded["page"]
    print(
        f"\nPublic page under a crowd: {VISITORS} concurrent loads during a {MEMBERS}-member "
        f"registration burst (median of {crowded['runs']} runs)"
    )
    print(
        f"  page: p50 {page['p50_ms']} ms, p99 {page['p99_ms']} ms, max {page['max_ms']} ms; "
        f"statuses {crowded['statuses']}; {crowded['page_bytes']} bytes"
    )
    print(
        f"  registration answers p99: {alone['reply']['p99_ms']} ms without visitors "
        f"(runs {alone['p99_range_ms']}), {crowded['reply']['p99_ms']} ms with them "
        f"(runs {crowded['p99_range_ms']}): {result['answer_p99_ratio']:.2f}x (target 1.10x)"
    )
    control = result["visitors_elsewhere"]
    print(
        f"  control, the same crowd loading a page of another process: answers p99 "
        f"{control['reply']['p99_ms']} ms (runs {control['p99_range_ms']}), "
        f"{result['control_p99_ratio']:.2f}x; page p99 {control['page']['p99_ms']} ms"
    )
