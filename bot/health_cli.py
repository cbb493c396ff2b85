"""`amphi health`: for container health checks, whether this instance is alive, in which role,
and, best effort, which instance the store names active."""

from __future__ import annotations

import argparse
import sys

from bot.cli_common import fail, settings_or_exit

#: How long `amphi health` waits for the store to name the active instance: a store that does not
#: answer must not make the health check fail, nor hang past the container's timeout.
HEALTH_LOOK_SECONDS = 2.0


def cmd_health(args: argparse.Namespace) -> int:
    """For container health checks: the bot writes its role ("active" or "standby") to
    AMPHI_HEALTH_FILE every 30 s while it is connected to Discord or stands by. Healthy while the
    file is fresh, whichever role (a standby restarted by its container would be no standby),
    unless `--role` names one; then, best effort, who is active according to the store."""
    import time

    settings = settings_or_exit()
    path = settings.health_file
    if path is None:
        return fail("AMPHI_HEALTH_FILE is not set: the bot keeps no health file to read.")
    try:
        age = time.time() - path.stat().st_mtime
        role = path.read_text(encoding="utf-8").strip() or "active"  # older bots wrote nothing
    except FileNotFoundError:
        print(f"unhealthy: {path} does not exist (not started yet, or stopped)", file=sys.stderr)
        return 1
    doing = "waiting" if role == "standby" else "connected"
    if age > args.max_age:
        print(f"unhealthy: {role}, {doing} last {age:.0f} s ago ({path})", file=sys.stderr)
        return 1
    if args.role not in (None, role):
        print(f"unhealthy: this instance is {role}, not {args.role}", file=sys.stderr)
        return 1
    print(f"healthy: {role}, {doing} {age:.0f} s ago")
    print(_active_elsewhere(settings.database_url, settings.lease_seconds))
    return 0


def _active_elsewhere(url: str, lease_seconds: float) -> str:
    """The active instance as the store names it, or why the store did not say."""
    from bot.core.errors import StoreUnavailable
    from bot.standby.model import LeaseTerms
    from bot.standby.render import active_line
    from bot.standby.service import look

    try:
        holder, _ = look(url, LeaseTerms(lease_seconds), within=HEALTH_LOOK_SECONDS)
    except StoreUnavailable as error:
        return f"the store did not say which instance is active: {error}"
    return active_line(holder)


def add_health_parser(commands: argparse._SubParsersAction) -> None:
    """`amphi health [--max-age S] [--role R]`."""
    health = commands.add_parser(
        "health", help="exit 0 while this instance is connected (active) or stands by (standby)"
    )
    health.add_argument(
        "--max-age", type=float, default=90.0, help="seconds since the bot last said so"
    )
    health.add_argument(
        "--role",
        choices=("active", "standby"),
        help="healthy only in this role (by default either: a standby is healthy too)",
    )
    health.set_defaults(func=cmd_health)
