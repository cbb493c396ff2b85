"""Backups of a SQLite store: copies through SQLite's online backup API, which reads the WAL too
and is consistent while the bot writes.

A restore copies the backup into a new file beside the store, keeps the current store aside, and
only then renames the new file over it: the store is the old one or the new one, never half of
each. While the bot runs it keeps the store open, which the restore detects by asking SQLite for
an exclusive lock (refused while any other connection has the store open, even an idle one).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.store.backup_files import MARKER, BackupError, aside_name, check_schema, create_private

#: The files SQLite keeps beside a store in WAL mode.
SIDE_FILES = ("-wal", "-shm", "-journal")


def store_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError(
            "DATABASE_URL names an in-memory SQLite store: there is nothing to back up"
        )
    return Path(database)


def backup(source: Path, target: Path) -> None:
    if not source.is_file():
        raise BackupError(f"there is no SQLite store at {source} yet: nothing to back up")
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as db:
        copy_into(db, target)


def copy_into(db: sqlite3.Connection, target: Path) -> None:
    """Copy the store `db` reads into the new file `target`, readable by its owner only."""
    os.close(create_private(target))
    try:
        with closing(sqlite3.connect(target)) as out:
            db.backup(out)
            # One self-contained file (the copy would keep the store's WAL mode): reading it
            # later leaves no -wal or -shm beside it. The bot turns WAL on again when it opens it.
            out.execute("PRAGMA journal_mode=DELETE")
    except BaseException:
        remove_with_side_files(target)
        raise


def check_backup(source: Path) -> None:
    """Refuse anything but a backup of an Amphi store this Amphi knows: restoring it would lose
    everything."""
    try:
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as db:
            found = db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (MARKER,)
            ).fetchone()
            revision = (
                db.execute("SELECT version_num FROM alembic_version").fetchone() if found else None
            )
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{source} is not a SQLite file ({error}); nothing was changed") from None
    if found is None:
        raise BackupError(f"{source} is not a backup of Amphi's store; nothing was changed")
    check_schema(revision[0] if revision else None, source)


@contextmanager
def only_connection(store: Path) -> Iterator[sqlite3.Connection]:
    """A connection to `store` that holds it exclusively, or BackupError while it is open
    elsewhere (the running bot keeps it open)."""
    db = sqlite3.connect(f"file:{store}?mode=rw", uri=True, timeout=0)
    try:
        db.isolation_level = None
        db.execute("PRAGMA locking_mode=EXCLUSIVE")
        # In WAL mode an exclusive lock waits for every other connection to close, idle or not;
        # in this locking mode it is held past the transaction, until the connection closes.
        db.execute("BEGIN EXCLUSIVE")
        db.execute("COMMIT")
    except sqlite3.OperationalError as error:
        db.close()
        raise BackupError(
            f"the store {store} is open in another program ({error}): stop the bot, then "
            "restore; nothing was changed"
        ) from None
    try:
        yield db
    finally:
        db.close()  # the last connection: SQLite folds the WAL into the store and removes it


def refuse_while_open(store: Path) -> None:
    if store.is_file():
        with only_connection(store):
            pass


def restore(source: Path, target: Path) -> Path | None:
    """Replace the store `target` with `source`; where the replaced store was kept, if any."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(f".{target.name}.restoring")
    remove_with_side_files(staged)  # what an interrupted restore left
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as db:
        copy_into(db, staged)
    try:
        aside = None
        if target.is_file():
            os.chmod(staged, target.stat().st_mode & 0o777)  # as readable as the store it replaces
            with only_connection(target) as db:
                aside = aside_name(target.parent, target.name, "")
                copy_into(db, aside)
        # Side files belong to the store they sit beside: a WAL left there would be replayed
        # into the restored store and corrupt it.
        for suffix in SIDE_FILES:
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(staged, target)
    except BaseException:
        remove_with_side_files(staged)
        raise
    return aside


def remove_with_side_files(path: Path) -> None:
    for name in (str(path), *(f"{path}{suffix}" for suffix in SIDE_FILES)):
        Path(name).unlink(missing_ok=True)
