"""`python -m bench.visitors URL N`: N browsers load URL at once, from a process of their own
(so that the crowd's own work is not counted against the bot or the fake Discord).

It prints `ready`, waits for a line on stdin (the burst's start), loads the page N times
concurrently, and prints one JSON line: the loads' latencies and statuses.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import aiohttp

from bench.stats import summary_ms


async def load(http: aiohttp.ClientSession, url: str) -> tuple[float, int, int]:
    start = time.perf_counter()
    try:
        async with http.get(url) as answer:
            body = await answer.read()
            return time.perf_counter() - start, answer.status, len(body)
    except aiohttp.ClientError:
        return time.perf_counter() - start, 0, 0


async def main(url: str, count: int) -> None:
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        results = await asyncio.gather(*(load(http, url) for _ in range(count)))
    statuses: dict[str, int] = {}
    for _, status, _ in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    print(
        json.dumps(
            {
                "loads": count,
                "page": summary_ms([seconds for seconds, _, _ in results]),
                "statuses": statuses,
                "page_bytes": max(size for _, _, size in results),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
