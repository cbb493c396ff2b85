"""`python -m bench`: run the benchmarks, print a table, write bench/results/*.json."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import platform
from datetime import UTC, datetime
from pathlib import Path

from bench import posts, registration_burst

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


def print_burst(rows: list[dict]) -> None:
    print(
        f"\nRegistration burst: {registration_burst.MEMBERS} members, "
        f"{registration_burst.SEATS} seats, each bot in its own process"
    )
    header = (
        f"{'':38} {'first response p50/p99/max ms':>30} {'reply p99 ms':>12} {'10062':>5} "
        f"{'all replied s':>13} {'loop stall ms':>13} {'fake stall ms':>13}"
    )
    print(header)
    floors = [r for r in rows if r["bot"].startswith("floor") and "skipped" not in r]
    for row in rows:
        if "skipped" in row:
            print(f"{row['bot']:38} skipped: {row['skipped']}")
            continue
        first = row["first_response"]
        figures = f"{first['p50_ms']:.1f} / {first['p99_ms']:.1f} / {first['max_ms']:.1f}"
        print(
            f"{row['bot']:38} {figures:>30} {row['reply']['p99_ms']:>12.0f} "
            f"{row['error_10062']:>5} {row['all_replied_s']:>13.2f} "
            f"{row['longest_loop_stall_ms']:>13.1f} {row['fake_longest_loop_stall_ms']:>13.1f}"
        )
    for row in rows:
        if not row["bot"].startswith("amphi") or "skipped" in row:
            continue
        for floor in (f for f in floors if f["spread_s"] == row["spread_s"]):
            ratio = row["first_response"]["p99_ms"] / max(floor["first_response"]["p99_ms"], 0.1)
            print(f"{row['bot']}: first-response p99 is {ratio:.2f}x that of {floor['bot']}")
    for row in rows:
        if "p99_range_ms" in row:
            low, high = row["p99_range_ms"]
            print(f"{row['bot']}: median of {row['runs']} runs; p99 ranged {low}-{high} ms")
    for row in rows:
        if "skipped" in row or row["spread_s"] == 0:
            continue
        line = (
            f"{row['bot']}: ready {row['ready_after_hello_s']} s after the gateway's HELLO "
            f"({row['start_to_ready_s']} s after start); resident {row['rss_after_start_mib']} "
            f"MiB after start, +{row['rss_first_burst_mib']} MiB over the burst, "
            f"+{row['rss_growth_per_1000_mib']} MiB per 1,000 more"
        )
        if "cancel_50_and_promote_s" in row:
            line += f"; 50 cancellations and promotions told: {row['cancel_50_and_promote_s']} s"
        print(line)


def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    burst = asyncio.run(registration_burst.run())
    lateness = asyncio.run(posts.reminder_lateness())
    broadcast = asyncio.run(posts.broadcast())
    print(f"Machine: {machine()}")
    print_burst(burst)
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
        "registration_burst": burst,
        "reminder_lateness": lateness,
        "dm_broadcast": broadcast,
    }
    out.write_text(json.dumps(results, indent=2))
    print(f"\nWritten to {out}")


if __name__ == "__main__":
    main()
