"""`python -m bench`: run the benchmarks, print a table, write bench/results/*.json."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import platform
from datetime import UTC, datetime
from pathlib import Path

from bench import posts, process_burst, registration_burst

RESULTS = Path(__file__).with_name("results")


def machine() -> str:
    """What the figures were measured on."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def print_table(title: str, rows: list[dict]) -> None:
    print(f"\n{title}")
    columns = ["first response p50/p99/max ms", "reply p99 ms", ">3s", "drain s"]
    print(f"{'':32} {columns[0]:>31} {columns[1]:>13} {columns[2]:>5} {columns[3]:>8}")
    for row in rows:
        if "skipped" in row:
            print(f"{row['bot']:32} skipped: {row['skipped']}")
            continue
        first, reply = row["first_response"], row["reply"]
        figures = f"{first['p50_ms']:.0f} / {first['p99_ms']:.0f} / {first['max_ms']:.0f}"
        print(
            f"{row['bot']:32} {figures:>31} {reply['p99_ms']:>13.0f} {row['over_3s']:>5} "
            f"{row['drain_s']:>8.2f}"
        )
        if "longest_loop_stall_ms" in row:
            print(f"{'':32} longest event-loop stall: {row['longest_loop_stall_ms']} ms")
        if "cancel_50_and_promote_s" in row:
            print(f"{'':32} 50 cancellations, promotions told: {row['cancel_50_and_promote_s']} s")


def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    rows = asyncio.run(process_burst.run())
    in_process = asyncio.run(registration_burst.run())
    lateness = asyncio.run(posts.reminder_lateness())
    broadcast = asyncio.run(posts.broadcast())
    print(f"Machine: {machine()}")
    for title, table in [
        ("each bot in its own process, as in production", rows),
        ("the fake Discord in the bot's own process and event loop", in_process),
    ]:
        print_table(
            f"Registration burst: {registration_burst.MEMBERS} members at once, 600 seats "
            f"({title})",
            table,
        )
        floor = table[0]["first_response"]["p99_ms"]
        for row in table[1:]:
            if "first_response" in row:
                ratio = row["first_response"]["p99_ms"] / floor
                print(f"{row['bot']}: first-response p99 is {ratio:.2f}x the floor's")
    for row in rows:
        if "rss_after_start_mib" in row:
            print(
                f"{row['bot']}: start to gateway {row['start_to_gateway_s']} s; resident "
                f"{row['rss_after_start_mib']} MiB after start, "
                f"+{row['rss_growth_per_1000_mib']} MiB per 1,000 registrations"
            )
    late = lateness["lateness"]
    print(
        f"\nReminder lateness over {lateness['posts']} planned posts (planned → posted): "
        f"p50 {late['p50_ms']} ms, p99 {late['p99_ms']} ms, max {late['max_ms']} ms; "
        f"longest loop stall {lateness['longest_loop_stall_ms']} ms"
    )
    print(
        f"DM broadcast to {broadcast['recipients']} at {broadcast['rate_per_s']:g}/s: "
        f"{broadcast['first_to_last_dm_s']} s first to last DM, floor "
        f"{broadcast['throttle_floor_s']} s ({broadcast['ratio_to_floor']}x); "
        f"429s: {broadcast['http_429']}; DMed twice: {broadcast['dm_twice']}"
    )
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"bench-{stamp}.json"
    results = {
        "machine": machine(),
        "registration_burst": rows,
        "registration_burst_in_process": in_process,
        "reminder_lateness": lateness,
        "dm_broadcast": broadcast,
    }
    out.write_text(json.dumps(results, indent=2))
    print(f"\nWritten to {out}")


if __name__ == "__main__":
    main()
