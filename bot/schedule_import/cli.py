"""`amphi import SOURCE`: a schedule export (Indico, frab/Pentabarf XML, c3voc/pretalx JSON)
into a meeting file, or an update of one that keeps what the source does not carry."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.programme.diff import diff_meetings, plain_lines
from bot.programme.files import MeetingFileError, load_meeting_file
from bot.programme.model import Meeting
from bot.schedule_import.merge import Imported, import_schedule, write_meeting_file
from bot.schedule_import.sources import FORMATS, SourceError, fetch_source
from bot.schedule_import.writer import meeting_toml

EXIT_SOURCE = 1
EXIT_USAGE = 2


def add_import_parser(commands: argparse._SubParsersAction) -> None:
    """The `import` subcommand's options."""
    parser = commands.add_parser(
        "import", help="a meeting file from an Indico, frab/Pentabarf or pretalx schedule export"
    )
    parser.add_argument("source", help="a schedule export: a file, or an https:// address")
    parser.add_argument(
        "-o", "--output", help="the meeting file to write or update (default: print it)"
    )
    parser.add_argument(
        "--format", choices=FORMATS, help="the export's format (default: told from its content)"
    )
    parser.add_argument(
        "--timezone", help="an IANA timezone for times the export gives without one"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print what would change, write nothing"
    )
    parser.set_defaults(func=cmd_import)


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def summary(meeting: Meeting) -> str:
    """'12 talks in 4 sessions, 2 days (2024-05-02 to 2024-05-03), 3 rooms'."""
    days = meeting.days
    span = f"{days[0]}" if len(days) == 1 else f"{days[0]} to {days[-1]}"
    rooms = f", {len(meeting.rooms)} room(s)" if meeting.rooms else ""
    return (
        f"{len(meeting.talks)} talk(s) in {len(meeting.sessions)} session(s), "
        f"{len(days)} day(s) ({span}){rooms}"
    )


def cmd_import(args: argparse.Namespace) -> int:
    output = Path(args.output) if args.output else None
    base = None
    if output is not None and output.exists():
        try:
            base = load_meeting_file(output)
        except MeetingFileError as error:
            _say(f"amphi: {output} has problems; fix them before updating it:")
            _say("\n".join(f"  {problem}" for problem in error.errors))
            return EXIT_USAGE
    try:
        data = fetch_source(args.source)
        imported = import_schedule(
            data, base=base, format=args.format or "", timezone=args.timezone or ""
        )
    except SourceError as error:
        _say(f"amphi: {error} Nothing was written.")
        return EXIT_SOURCE
    for warning in imported.warnings:
        _say(f"warning: {warning}")
    if output is None:
        return _print(imported, args.dry_run)
    try:
        written = write_meeting_file(
            output, imported.meeting, source=args.source, dry_run=args.dry_run
        )
    except SourceError as error:
        _say(f"amphi: {error} Nothing was written.")
        return EXIT_SOURCE
    except (MeetingFileError, ValueError) as error:  # a bug of ours if it happens: say so plainly
        problems = error.errors if isinstance(error, MeetingFileError) else [error]
        _say("amphi: the imported programme does not make a valid meeting file:")
        _say("\n".join(f"  {problem}" for problem in problems))
        return EXIT_SOURCE
    verb = "Would write" if args.dry_run else "Wrote"
    print(f"{verb} {output}: {summary(written)}")
    if base is not None:
        lines = plain_lines(written, diff_meetings(base, written))
        print("\n".join(f"  {line}" for line in lines) if lines else "  no change")
    if base is None and written.capacity == 0:
        _say(f"note: set `capacity` in {output} to the room's seats (0 seats for now).")
    return 0


def _print(imported: Imported, dry_run: bool) -> int:
    if dry_run:
        print(f"Would write a meeting file: {summary(imported.meeting)}")
    else:
        print(meeting_toml(imported.meeting), end="")
    return 0
