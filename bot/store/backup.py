"""`amphi db backup` and `amphi db restore`: SQLite through its online backup API (safe while the
bot writes), PostgreSQL through pg_dump and pg_restore in their custom format.

A restore never loses the store it replaces: it refuses while the bot runs, refuses what is not a
backup of Amphi's store or was made by a newer Amphi, and keeps a copy of the current store
first. Backups and those copies are readable by their owner only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.store import backup_postgres, backup_sqlite
from bot.store.backup_files import MARKER, BackupError
from bot.store.db import normalize_url, shown_url

__all__ = ["MARKER", "BackupError", "RestorePlan", "backup", "plan_restore", "restore"]

#: A health file touched this recently means the bot is connected (`amphi health`'s default).
HEALTH_FRESH_SECONDS = 90.0


def backup(url: str, target: Path) -> str:
    """Copy the store at `url` into `target` (a new file); what was done, in a sentence."""
    if target.exists():
        raise BackupError(
            f"{target} exists already: choose a new file name, nothing is overwritten"
        )
    if is_sqlite(url):
        source = backup_sqlite.store_path(url)
        backup_sqlite.backup(source, target)
        return f"SQLite store {source} copied to {target}."
    backup_postgres.backup(url, target)
    return (
        f"PostgreSQL database {make_url(normalize_url(url)).database} dumped to {target} "
        "(pg_dump's custom format)."
    )


@dataclass(frozen=True)
class RestorePlan:
    """A restore that was checked and may go ahead: what it replaces, with what."""

    url: str
    source: Path

    @property
    def store(self) -> str:
        """The store it replaces, for the operator."""
        if is_sqlite(self.url):
            return f"the SQLite store {backup_sqlite.store_path(self.url)}"
        return f"the PostgreSQL database {shown_url(self.url)}"


def plan_restore(url: str, source: Path, *, health_file: Path | None = None) -> RestorePlan:
    """Check that `source` may replace the store at `url`, changing nothing.

    Refused: a `source` that is not a backup of Amphi's store, one made by a newer Amphi, and any
    restore while the bot runs (its health file is fresh, or a SQLite store is open elsewhere).
    """
    if not source.is_file():
        raise BackupError(f"{source} is not a file")
    refuse_while_connected(health_file)
    if is_sqlite(url):
        backup_sqlite.check_backup(source)
        backup_sqlite.refuse_while_open(backup_sqlite.store_path(url))
    else:
        backup_postgres.check_backup(source)
    return RestorePlan(url, source)


def restore(url: str, source: Path, *, health_file: Path | None = None) -> str:
    """Replace the store at `url` with the backup in `source`, the bot stopped; what was done."""
    plan_restore(url, source, health_file=health_file)
    if is_sqlite(url):
        target = backup_sqlite.store_path(url)
        aside = backup_sqlite.restore(source, target)
        done = f"SQLite store {target} restored from {source}."
    else:
        aside = backup_postgres.restore(url, source)
        done = (
            f"PostgreSQL database {make_url(normalize_url(url)).database} restored from {source}."
        )
    if aside is None:
        return f"{done} There was no store to keep aside."
    return (
        f"{done} The store it replaced was kept in {aside}; remove it when you no longer need it."
    )


def refuse_while_connected(health_file: Path | None) -> None:
    """The running bot touches its health file every 30 s while connected."""
    if health_file is None:
        return
    try:
        age = time.time() - health_file.stat().st_mtime
    except FileNotFoundError:
        return
    if age < HEALTH_FRESH_SECONDS:
        raise BackupError(
            f"the bot is running (it touched {health_file} {age:.0f} s ago): stop it, then "
            "restore; nothing was changed"
        )


def is_sqlite(url: str) -> bool:
    return make_url(normalize_url(url)).get_backend_name() == "sqlite"
