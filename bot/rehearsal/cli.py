"""`amphi rehearse`: check the options, say what is about to happen, play the day, sum it up."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from rich.console import Console

from bot.core.i18n import Translator
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


def intro(tr: Translator, **values: object) -> str:
    """What is about to happen, and how to run for real."""
    return tr.gettext(
        "Rehearsal of {title}: nothing goes to Discord.\n"
        "Amphi runs as on the day, against a Discord double on this machine, with {attendees} "
        "simulated members and a throw-away store. The day runs {speed}× as fast: {start} to "
        "{end} in about {seconds} s. Only the clock is fast: DMs still go out at {rate} a second "
        "and Discord's rate limits hold, so a DM broadcast that takes 5 s on the day spans "
        "{spread} minutes here.\n"
        "To run for real: put DISCORD_TOKEN and DISCORD_GUILD_ID in .env (see .env.example and "
        "the README), then `make run`.\n",
        **values,
    )


def show_links(console: Console, tr: Translator, links: dict[str, str]) -> None:
    """The web pages of the rehearsal, printed as soon as they are served."""
    console.print(
        tr.gettext(
            "Web pages of the rehearsal (open them while the day plays):\n"
            "  public page: {public}\n  room screen: {screen}\n  dashboard:   {dashboard}",
            **links,
        ),
        markup=False,
        soft_wrap=True,
    )


def options_from(path: Path, args: argparse.Namespace) -> Options:
    return Options(
        meetings=path,
        speed=args.speed,
        attendees=args.attendees,
        language=args.lang,
        start=None if args.start is None else parse_start(args.start),
        seed=args.seed,
        call=bool(args.call),
        web=getattr(args, "web", None),
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
    tr = Translator(options.language)
    live = Live(console, tr)
    live.paragraph(
        intro(
            tr,
            title=meeting.title,
            attendees=attendees,
            speed=f"{speed:.0f}",
            start=f"{start.astimezone(meeting.tz):%H:%M}",
            end=f"{end.astimezone(meeting.tz):%H:%M}",
            seconds=f"{(end - start).total_seconds() / speed:.0f}",
            rate=f"{DM_RATE:g}",
            spread=f"{5 * speed / 60:.0f}",
        )
    )
    try:
        outcome = asyncio.run(
            rehearse(
                options,
                show=live.entry,
                repeats=live.repeats,
                links=lambda found: show_links(console, tr, found),
            )
        )
    except KeyboardInterrupt:
        print("amphi: rehearsal interrupted.", file=sys.stderr)
        return 1
    except RehearsalStopped as error:
        print(f"amphi: the rehearsal stopped: {error}", file=sys.stderr)
        for line in error.log[-20:]:
            print(f"  {line}", file=sys.stderr)
        return 1
    lines = outcome.summary.lines(tr)
    console.rule(tr.gettext("Summary"))
    for line in lines:
        live.paragraph(line)
    if args.out:
        write(Path(args.out), outcome.title, outcome.entries, lines, tr)
        console.print(tr.gettext("Transcript written to {path}", path=args.out), markup=False)
    return 1 if outcome.summary.failures else 0
