"""The `amphi` command line: parse, then call one function each."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import discord
from discord.utils import MISSING

from bot.cli_common import fail, settings_or_exit
from bot.core.config import ConfigError, load_settings, read_environment
from bot.core.logs import JsonLines, keep_secrets_out
from bot.db_cli import add_db_parser
from bot.health_cli import add_health_parser
from bot.programme.files import MeetingFileError, check_meetings
from bot.schedule_import.cli import add_import_parser


def cmd_run(args: argparse.Namespace) -> int:
    from bot.app import leave_hung_store_threads, serve
    from bot.services import open_services

    if args.rehearse_without_token and not read_environment().get("DISCORD_TOKEN", "").strip():
        return cmd_rehearse(args)
    given = [flag for name, flag in REHEARSAL_OPTIONS.items() if getattr(args, name) is not None]
    if given:
        print(f"amphi: {', '.join(given)} only apply to rehearsals; ignored.", file=sys.stderr)
    settings = settings_or_exit(require_discord=True)
    level = logging.getLevelName(settings.log_level)
    # To stdout, where containers and systemd's journal collect it.
    discord.utils.setup_logging(
        handler=logging.StreamHandler(sys.stdout),
        formatter=JsonLines() if settings.log_json else MISSING,
        level=level,
        root=True,
    )
    keep_secrets_out(level, settings.secrets())
    # Refused here, before standing by; the files are written into the store only by the
    # instance that takes the lease (`serve`), so a standby never changes the active's programme.
    problems = check_meetings(settings.meetings_path)
    if problems:
        return fail("the meeting files have problems:\n" + "\n".join(map(str, problems)))
    services = open_services(settings)  # migrated now: the election's tables live in the store
    try:
        asyncio.run(serve(services))  # closes the services
    except discord.LoginFailure:
        return fail(
            "Discord refused DISCORD_TOKEN. Reset the token on your application's Bot page "
            "(https://discord.com/developers/applications) and put the new one in .env."
        )
    except KeyboardInterrupt:
        pass
    leave_hung_store_threads(0)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    path = Path(args.path) if args.path else settings_or_exit().meetings_path
    problems = check_meetings(path)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) found in {path}.", file=sys.stderr)
        return 1
    print(f"{path}: OK")
    from bot.programme.files import load_meetings
    from bot.programme.model import overlap_warnings

    for meeting in load_meetings(path):
        for warning in overlap_warnings(meeting):
            print(f"warning: {warning}", file=sys.stderr)
    for line in _store_preview(path):
        print(line)
    return 0


def _store_preview(path: Path) -> list[str]:
    """What loading the files at `path` would do to what hangs on talks in the configured store.

    Read in a transaction that is rolled back: the store is left as it is. A missing or fresh
    store says nothing; one that cannot be read gets a one-line note.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from bot.core.clock import utc_now
    from bot.programme.files import load_meetings
    from bot.programme.render import preview_lines
    from bot.programme.service import ProgrammeService
    from bot.proposals.render import reference_warnings
    from bot.proposals.service import ProposalService
    from bot.store.db import Database, shown_url, sqlite_file_missing
    from bot.store.migrate import current_revision, head_revision

    def note(message: str) -> list[str]:
        print(f"amphi: note: {message}", file=sys.stderr)
        return []

    try:
        url = load_settings(read_environment()).database_url
    except ConfigError as error:
        return note(f"the store was not read: {error}")
    try:
        if sqlite_file_missing(url):
            return []
        db = Database(url)
    except (SQLAlchemyError, ImportError) as error:
        return note(f"the store at {shown_url(url)} was not read: {_first_line(error)}")
    try:
        revision = current_revision(db.engine)
        if revision is None:
            return []
        if revision != head_revision():
            return note(
                f"the store at {shown_url(url)} is at schema revision {revision}, not "
                f"{head_revision()}: run `amphi db upgrade` to see what loading these files "
                "would do to its questions."
            )
        programme = ProgrammeService(db, utc_now)
        edits = programme.preview_files(path)
        # A talk naming a proposal unknown, declined or withdrawn has no proposer as speaker.
        meetings = load_meetings(path)
        found = ProposalService(db, programme, utc_now).references(meetings)
        for warning in reference_warnings(meetings, found):
            print(f"warning: {warning}", file=sys.stderr)
    except SQLAlchemyError as error:
        return note(f"the store at {shown_url(url)} was not read: {_first_line(error)}")
    finally:
        db.close()
    return [line for edit in edits for line in preview_lines(edit)]


def _first_line(error: Exception) -> str:
    """The driver's own message when there is one, on one line."""
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def cmd_plan(args: argparse.Namespace) -> int:
    from bot.posts.model import plan_posts
    from bot.posts.render import plan_lines
    from bot.programme.files import load_meetings

    settings = settings_or_exit()
    try:
        meetings = load_meetings(Path(args.path) if args.path else settings.meetings_path)
    except MeetingFileError as error:
        return fail("the meeting files have problems:\n" + "\n".join(map(str, error.errors)))
    for meeting in meetings:
        posts = plan_posts(
            meeting,
            remote_link=settings.remote_link is not None,
            live_events=settings.live_events,
        )
        print(f"{meeting.title} ({meeting.slug}) — {len(posts)} planned posts")
        for line in plan_lines(meeting, posts):
            print("  " + line)
    return 0


def _offline_services():
    from bot.services import prepare

    try:
        return prepare(settings_or_exit())
    except MeetingFileError as error:
        raise SystemExit(
            fail("the meeting files have problems:\n" + "\n".join(map(str, error.errors)))
        ) from None


def cmd_status(_args: argparse.Namespace) -> int:
    from bot.registration.render import render_status
    from bot.standby.model import LeaseTerms
    from bot.standby.render import status_block
    from bot.standby.service import instances

    services = _offline_services()
    try:
        print(render_status(asyncio.run(services.registration.figures())))
        print()
        terms = LeaseTerms(services.settings.lease_seconds)
        print(status_block(*instances(services.db, terms)))
    finally:
        services.close()
    return 0


def cmd_export_registrations(args: argparse.Namespace) -> int:
    from bot.registration.render import registrations_csv

    services = _offline_services()
    try:
        text = registrations_csv(asyncio.run(services.registration.all_registrations()))
    finally:
        services.close()
    if args.output in (None, "-"):
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8-sig")
        print(f"{text.count(chr(10)) - 1} registration(s) written to {args.output}")
    return 0


def cmd_proposals_export(args: argparse.Namespace) -> int:
    from bot.proposals.render import export_csv, export_toml

    services = _offline_services()
    try:
        _meeting, rows = asyncio.run(services.proposals.export(accepted_only=args.accepted))
    finally:
        services.close()
    if args.format == "csv":
        text, encoding = export_csv(rows), "utf-8-sig"  # the BOM: spreadsheets read it as UTF-8
    else:
        # Talk blocks for the programme: a declined or withdrawn proposal is no talk.
        text, encoding = export_toml([p for p, _ in rows if p.standing]), "utf-8"
    if args.output in (None, "-"):
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding=encoding)
        print(f"{len(rows)} proposal(s) read, written to {args.output}")
    return 0


def cmd_doctor(_args: argparse.Namespace) -> int:
    from bot.doctor.checks import FAIL
    from bot.doctor.live import examine
    from bot.doctor.show import table

    settings = settings_or_exit(require_discord=True)
    logging.basicConfig(level=logging.ERROR)  # the table says it all; discord.py need not
    findings = asyncio.run(examine(settings))
    table(findings)
    return 1 if any(f.status == FAIL for f in findings) else 0


def cmd_rehearse(args: argparse.Namespace) -> int:
    from bot.rehearsal.cli import rehearse_command

    path = Path(args.meeting) if args.meeting else settings_or_exit().meetings_path
    return rehearse_command(path, args)


#: The rehearsal's options that have no default: argparse's name → the flag.
REHEARSAL_OPTIONS = {
    "speed": "--speed",
    "attendees": "--attendees",
    "start": "--from",
    "out": "--out",
}


def add_rehearsal_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--speed",
        type=float,
        help="how many times faster than real time (default: the day in ~1 min)",
    )
    parser.add_argument(
        "--attendees", type=int, help="simulated members who register (default: a full room)"
    )
    parser.add_argument("--lang", default="en", help="the server's and members' language: en or fr")
    parser.add_argument(
        "--from", dest="start", metavar="HH:MM", help="start at this meeting-local time"
    )
    parser.add_argument("--out", help="also write the transcript to FILE (.md, or .html)")
    parser.add_argument(
        "--call",
        action="store_true",
        help="also play a short call for contributions before the first session",
    )
    parser.add_argument(
        "--web",
        nargs="?",
        const=8080,
        type=int,
        metavar="PORT",
        help="also serve the web pages while the day plays (on PORT, 8080 by default) and "
        "print their links",
    )
    parser.add_argument("--seed", type=int, default=2021, help=argparse.SUPPRESS)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="amphi", description="Amphi, the meeting-day bot.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="start the bot")
    run.add_argument(
        "--rehearse-without-token",
        action="store_true",
        help="with no DISCORD_TOKEN, rehearse the day locally instead of stopping (make run)",
    )
    add_rehearsal_options(run)
    run.set_defaults(func=cmd_run, meeting=None)
    add_health_parser(commands)
    commands.add_parser(
        "doctor", help="check the server and the set-up with the real token (posts nothing)"
    ).set_defaults(func=cmd_doctor)
    rehearse = commands.add_parser(
        "rehearse", help="play the meeting day locally, against a built-in Discord double"
    )
    rehearse.add_argument(
        "meeting", nargs="?", help="a meeting file or folder (default: AMPHI_MEETINGS)"
    )
    add_rehearsal_options(rehearse)
    rehearse.set_defaults(func=cmd_rehearse)
    check = commands.add_parser("check", help="validate meeting files")
    check.add_argument("path", nargs="?", help="a meeting file or folder (default: AMPHI_MEETINGS)")
    check.set_defaults(func=cmd_check)
    add_import_parser(commands)
    plan = commands.add_parser("plan", help="the timeline of planned posts (no Discord needed)")
    plan.add_argument("path", nargs="?", help="a meeting file or folder (default: AMPHI_MEETINGS)")
    plan.set_defaults(func=cmd_plan)
    commands.add_parser(
        "status", help="the capacity figures, and which instance is active, from the store"
    ).set_defaults(func=cmd_status)
    export = commands.add_parser("export", help="export data as CSV")
    export_commands = export.add_subparsers(dest="what", required=True, metavar="WHAT")
    registrations = export_commands.add_parser("registrations", help="the registrations")
    registrations.add_argument("-o", "--output", help="a file to write (default: stdout)")
    registrations.set_defaults(func=cmd_export_registrations)
    proposals = commands.add_parser("proposals", help="the call for contributions")
    proposal_commands = proposals.add_subparsers(dest="what", required=True, metavar="WHAT")
    proposals_export = proposal_commands.add_parser(
        "export", help="the proposals as talk blocks for the meeting file, or as CSV"
    )
    proposals_export.add_argument(
        "--accepted", action="store_true", help="only the accepted ones (not withdrawn since)"
    )
    proposals_export.add_argument(
        "--format",
        choices=("toml", "csv"),
        default="toml",
        help="toml: [[sessions.talks]] blocks to paste (default); csv: with reviews and scores",
    )
    proposals_export.add_argument("-o", "--output", help="a file to write (default: stdout)")
    proposals_export.set_defaults(func=cmd_proposals_export)
    add_db_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
