"""`amphi rehearse`: check the options, say what is about to happen, play the day, sum it up."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from rich.console import Console

from bot.programme.files import MeetingFileError
from bot.rehearsal.cast import default_attendees
from bot.rehearsal.run import (
    DM_RATE,
    Options,
    RehearsalError,
    RehearsalStopped,
    parse_start,
    plan,
    rehearse,
)
from bot.rehearsal.show import Live, write

EXIT_USAGE = 2

INTRO = """\
Rehearsal of {title}: nothing goes to Discord.
Amphi runs as on the day, against a Discord double on this machine, with {attendees} simulated \
members and a throw-away store. The day runs {speed:.0f}× as fast: {start:%H:%M} to {end:%H:%M} \
in about {seconds:.0f} s. Only the clock is fast: DMs still go out at {rate:g} a second and \
Discord's rate limits hold, so a DM broadcast that takes 5 s on the day spans \
{spread:.0f} minutes here.
To run for real: put DISCORD_TOKEN and DISCORD_GUILD_ID in .env (see .env.example and the \
README), then `make run`.
"""


def options_from(path: Path, args: argparse.Namespace) -> Options:
    return Options(
        meetings=path,
        speed=args.speed,
        attendees=args.attendees,
        language=args.lang,
        start=None if args.start is None else parse_start(args.start),
        seed=args.seed,
    )


def rehearse_command(path: Path, args: argparse.Namespace, console: Console | None = None) -> int:
    """Run a rehearsal for the command line; the exit status: 0 clean, 1 failures, 2 bad input."""
    console = console or Console(highlight=False)
    try:
        options = options_from(path, args)
        meeting, start, end, speed = plan(options)
    except RehearsalError as error:
        print(f"amphi: {error}", file=sys.stderr)
        return EXIT_USAGE
    except MeetingFileError as error:
        print("amphi: the meeting files have problems:", file=sys.stderr)
        for problem in error.errors:
            print(problem, file=sys.stderr)
        return EXIT_USAGE
    attendees = options.attendees
    if attendees is None:
        attendees = default_attendees(meeting.capacity)
    console.print(
        INTRO.format(
            title=meeting.title,
            attendees=attendees,
            speed=speed,
            start=start.astimezone(meeting.tz),
            end=end.astimezone(meeting.tz),
            seconds=(end - start).total_seconds() / speed,
            rate=DM_RATE,
            spread=5 * speed / 60,
        ),
        markup=False,
    )
    live = Live(console)
    try:
        outcome = asyncio.run(rehearse(options, show=live.entry, repeats=live.repeats))
    except KeyboardInterrupt:
        print("amphi: rehearsal interrupted.", file=sys.stderr)
        return 1
    except RehearsalStopped as error:
        print(f"amphi: the rehearsal stopped: {error}", file=sys.stderr)
        for line in error.log[-20:]:
            print(f"  {line}", file=sys.stderr)
        return 1
    lines = outcome.summary.lines()
    console.rule("Summary")
    for line in lines:
        console.print(line, markup=False)
    if args.out:
        write(Path(args.out), outcome.title, outcome.entries, lines)
        console.print(f"Transcript written to {args.out}", markup=False)
    return 1 if outcome.summary.failures else 0
