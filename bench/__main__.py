"""`python -m bench`: run the benchmarks, print a table, write bench/results/*.json.

`python -m bench --burst-only --network Discord-like --runs 1 --bots ping,amphi-sqlite` runs
only the registration burst, with one network, once per row, for the bots named (the floors
`ping` and `plain`, `amphi-sqlite`, `amphi-postgresql`); `--members 3000` makes the burst 3,000
members within three seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
from datetime import UTC, datetime
from pathlib import Path

from bench import posts, registration_burst, web_crowd

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
    floor_roles = registration_burst.SEATS / registration_burst.GLOBAL_LIMIT
    print(
        f"\nRegistration burst: {registration_burst.MEMBERS} members within "
        f"{registration_burst.MEMBERS / 1000:g} s, "
        f"{registration_burst.SEATS} seats, each bot in its own process; roles' floor "
        f"{floor_roles:.1f} s ({registration_burst.SEATS} calls at Discord's "
        f"{registration_burst.GLOBAL_LIMIT}/s)"
    )
    for network, latency in registration_burst.NETWORKS.items():
        added = latency.describe() if latency else "none added"
        print(f"\nRound trip: {network} ({added})")
        print(
            f"{'':24} {'ack p50/p99 ms':>16} {'answer p50/p99/max ms':>24} "
            f"{'last answer s':>13} {'roles s':>8} {'10062':>5} {'429':>4} {'loop stall ms':>13}"
            f" {'CPU ms/cmd':>10}"
        )
        shown = [r for r in rows if r["network"] == network]
        for row in shown:
            if "skipped" in row:
                print(f"{row['bot']:24} skipped: {row['skipped']}")
                continue
            ack, answer = row["first_response"], row["reply"]
            acks = f"{ack['p50_ms']:.1f} / {ack['p99_ms']:.1f}"
            answers = f"{answer['p50_ms']:.0f} / {answer['p99_ms']:.0f} / {answer['max_ms']:.0f}"
            roles = row.get("roles_done_s")
            print(
                f"{row['bot']:24} {acks:>16} {answers:>24} {row['last_answer_s']:>13.2f} "
                f"{'-' if roles is None else f'{roles:.1f}':>8} {row['error_10062']:>5} "
                f"{row['global_429s']:>4} {row['longest_loop_stall_ms']:>13.1f}"
                f" {row['cpu_ms_per_command']:>10.2f}"
            )
        _print_ratios(shown, floor_roles)
    for row in rows:
        if "p99_range_ms" in row:
            low, high = row["p99_range_ms"]
            print(
                f"{row['bot']} ({row['network']}): median of {row['runs']} runs; answer p99 "
                f"ranged {low}-{high} ms"
            )
    for row in rows:
        if "skipped" in row or "rss_growth_per_1000_mib" not in row:
            continue
        print(
            f"{row['bot']}: ready {row['ready_after_hello_s']} s after the gateway's HELLO "
            f"({row['start_to_ready_s']} s after start); resident {row['rss_after_start_mib']} "
            f"MiB after start, +{row['rss_first_burst_mib']} MiB over the burst, "
            f"+{row['rss_growth_per_1000_mib']} MiB per 1,000 more; 50 cancellations and "
            f"promotions told: {row['cancel_50_and_promote_s']} s"
        )


def _print_ratios(rows: list[dict], floor_roles: float) -> None:
    by_bot = {r["bot"]: r for r in rows if "skipped" not in r}
    ping, plain = by_bot.get("floor /ping"), by_bot.get("floor: plain bot")
    for name, row in by_bot.items():
        if not name.startswith("amphi"):
            continue
        parts = []
        if ping:
            ratio = row["first_response"]["p99_ms"] / max(ping["first_response"]["p99_ms"], 0.1)
            parts.append(f"ack p99 {ratio:.2f}x /ping's (target 1.5x)")
        if plain:
            ratio = row["reply"]["p99_ms"] / max(plain["reply"]["p99_ms"], 0.1)
            parts.append(f"answer p99 {ratio:.2f}x the plain bot's (target 0.5x)")
        if row.get("roles_done_s") is not None:
            parts.append(f"roles {row['roles_done_s'] / floor_roles:.2f}x the floor (target 1.2x)")
        parts.append(f"loop stall {row['longest_loop_stall_ms']:.0f} ms (target 50)")
        print(f"  {name}: " + "; ".join(parts))


BOT_NAMES = {
    "ping": ("ping", "-"),
    "plain": ("plain", "sqlite"),
    "amphi-sqlite": ("amphi", "sqlite"),
    "amphi-postgresql": ("amphi", "postgresql"),
}


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--burst-only", action="store_true", help="only the registration burst")
    parser.add_argument(
        "--web-only",
        action="store_true",
        help="only the public page under a crowd during the burst (bench.web_crowd)",
    )
    parser.add_argument(
        "--network",
        action="append",
        choices=list(registration_burst.NETWORKS),
        help="the burst's network (repeatable; all by default)",
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per row (the median is shown)")
    parser.add_argument(
        "--members",
        type=int,
        default=registration_burst.MEMBERS,
        help="members in the burst, within one second per thousand (the room keeps 600 seats)",
    )
    parser.add_argument(
        "--bots",
        default=",".join(BOT_NAMES),
        help=f"the burst's rows, comma-separated among {', '.join(BOT_NAMES)}",
    )
    return parser.parse_args()


def main() -> None:
    args = arguments()
    logging.basicConfig(level=logging.ERROR)
    networks = args.network or list(registration_burst.NETWORKS)
    bots = [BOT_NAMES[name] for name in args.bots.split(",")]
    registration_burst.MEMBERS = args.members
    if args.web_only:
        crowd = asyncio.run(web_crowd.run(args.runs))
        print(f"Machine: {machine()}")
        web_crowd.print_crowd(crowd)
        write({"machine": machine(), "web_crowd": crowd})
        return
    burst = asyncio.run(registration_burst.run(args.runs, networks, bots))
    print(f"Machine: {machine()}")
    print_burst(burst)
    if args.burst_only:
        write({"machine": machine(), "registration_burst": burst})
        return
    lateness = asyncio.run(posts.reminder_lateness())
    broadcast = asyncio.run(posts.broadcast())
    late = lateness["lateness"]
    print(
        f"\nReminder lateness over {lateness['posts']} planned posts, {lateness['spacing_ms']} ms "
        "apart (planned → posted): "
        f"p50 {late['p50_ms']} ms, p99 {late['p99_ms']} ms, max {late['max_ms']} ms; "
        f"longest loop stall {lateness['longest_loop_stall_ms']} ms"
    )
    print(
        f"DM broadcast to {broadcast['recipients']} at {broadcast['rate_per_s']:g}/s: "
        f"{broadcast['first_to_last_dm_s']} s first to last DM, floor "
        f"{broadcast['throttle_floor_s']} s ({broadcast['ratio_to_floor']}x); "
        f"429s: {broadcast['http_429']}; DMed twice: {broadcast['dm_twice']}"
    )
    crowd = asyncio.run(web_crowd.run(args.runs))
    web_crowd.print_crowd(crowd)
    write(
        {
            "machine": machine(),
            "registration_burst": burst,
            "reminder_lateness": lateness,
            "dm_broadcast": broadcast,
            "web_crowd": crowd,
        }
    )


def write(results: dict) -> None:
    """The figures, to bench/results/bench-<time>.json."""
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"bench-{stamp}.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"\nWritten to {out}")


if __name__ == "__main__":
    main()
