"""`amphi db upgrade|backup|restore`: the store's schema and its backups."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.cli_common import fail, settings_or_exit


def add_db_parser(commands: argparse._SubParsersAction) -> None:
    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    db_commands.add_parser("upgrade", help="apply schema migrations").set_defaults(
        func=cmd_db_upgrade
    )
    saved = db_commands.add_parser("backup", help="copy the store to FILE (safe while it runs)")
    saved.add_argument("file", help="a new file")
    saved.set_defaults(func=cmd_db_backup)
    back = db_commands.add_parser("restore", help="replace the store with FILE (stop the bot)")
    back.add_argument("file", help="a file made by amphi db backup")
    back.add_argument(
        "--yes", action="store_true", help="replace the store without asking (the bot stopped)"
    )
    back.set_defaults(func=cmd_db_restore)


def cmd_db_upgrade(_args: argparse.Namespace) -> int:
    from bot.store.db import Database
    from bot.store.migrate import current_revision, upgrade

    db = Database(settings_or_exit().database_url)
    try:
        upgrade(db.engine)
        print(f"Database schema at revision {current_revision(db.engine)}.")
    finally:
        db.close()
    return 0


def cmd_db_backup(args: argparse.Namespace) -> int:
    from bot.store.backup import BackupError, backup

    try:
        print(backup(settings_or_exit().database_url, Path(args.file)))
    except BackupError as error:
        return fail(str(error))
    return 0


def cmd_db_restore(args: argparse.Namespace) -> int:
    from bot.store.backup import BackupError, plan_restore, restore

    settings = settings_or_exit()
    source = Path(args.file)
    try:
        plan = plan_restore(settings.database_url, source, health_file=settings.health_file)
        if not args.yes and not _confirmed(f"Replace {plan.store} with {source}?"):
            print("Nothing was changed.", file=sys.stderr)
            return 1
        print(restore(settings.database_url, source, health_file=settings.health_file))
    except BackupError as error:
        return fail(str(error))
    print("Start the bot again: it migrates an older backup's schema at start.")
    return 0


def _confirmed(question: str) -> bool:
    """The operator's yes at a terminal; with no terminal to ask, a refusal that names --yes."""
    if not sys.stdin.isatty():
        raise SystemExit(
            fail("a restore replaces the store (a copy of it is kept): add --yes to confirm")
        )
    answer = input(f"{question} The current store is kept aside first. [y/N] ")
    return answer.strip().lower() in ("y", "yes")
