"""`amphi db backup` and `amphi db restore`: SQLite through its online backup API (safe while the
bot writes), PostgreSQL through pg_dump and pg_restore in their custom format."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.store.db import normalize_url

#: Amphi's own table, which a backup of its store holds.
MARKER = "alembic_version"


class BackupError(Exception):
    """A backup or a restore that cannot be done; the message says what to do instead."""


def backup(url: str, target: Path) -> str:
    """Copy the store at `url` into `target` (a new file); what was done, in a sentence."""
    if target.exists():
        raise BackupError(
            f"{target} exists already: choose a new file name, nothing is overwritten"
        )
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() == "sqlite":
        source = sqlite_path(url)
        if not source.is_file():
            raise BackupError(f"there is no SQLite store at {source} yet: nothing to back up")
        copy_sqlite(source, target)
        return f"SQLite store {source} copied to {target}."
    run(["pg_dump", "--format=custom", "--no-owner", f"--file={target}", libpq(url)], "pg_dump")
    return f"PostgreSQL database {parsed.database} dumped to {target} (pg_dump's custom format)."


def restore(url: str, source: Path) -> str:
    """Replace the store at `url` with the backup in `source`; stop the bot first."""
    if not source.is_file():
        raise BackupError(f"{source} is not a file")
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() == "sqlite":
        target = sqlite_path(url)
        check_sqlite_backup(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        copy_sqlite(source, target)
        return f"SQLite store {target} restored from {source}."
    run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            f"--dbname={libpq(url)}",
            str(source),
        ],
        "pg_restore",
    )
    return f"PostgreSQL database {parsed.database} restored from {source}."


def copy_sqlite(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy even while the bot writes to `source`."""
    with (
        closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as db,
        closing(sqlite3.connect(target)) as out,
    ):
        db.backup(out)


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError(
            "DATABASE_URL names an in-memory SQLite store: there is nothing to back up"
        )
    return Path(database)


def check_sqlite_backup(source: Path) -> None:
    """Refuse anything but an Amphi store: restoring it would lose everything."""
    try:
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as db:
            found = db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (MARKER,)
            ).fetchone()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{source} is not a SQLite file ({error}); nothing was changed") from None
    if found is None:
        raise BackupError(f"{source} is not a backup of Amphi's store; nothing was changed")


def libpq(url: str) -> str:
    """The URL as pg_dump reads it (no SQLAlchemy driver name)."""
    return (
        make_url(normalize_url(url))
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )


def run(command: list[str], tool: str) -> None:
    if shutil.which(tool) is None:
        raise BackupError(
            f"{tool} is not installed: install PostgreSQL's client tools (Debian: apt install "
            "postgresql-client), of the server's major version or newer"
        )
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{tool} failed: {done.stderr.strip() or done.returncode}")
