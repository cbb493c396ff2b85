"""`amphi db backup` and `restore` on SQLite and PostgreSQL: a round trip, and what they refuse."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store import state
from bot.store.backup import BackupError, backup, restore
from bot.store.db import Database
from bot.store.migrate import upgrade


def value(url: str) -> str | None:
    db = Database(url)
    try:
        return db.call(state.get_state, key="meeting")
    finally:
        db.close()


def keep(url: str, text: str) -> None:
    db = Database(url)
    try:
        upgrade(db.engine)
        db.call(state.set_state, key="meeting", value=text, write=True)
    finally:
        db.close()


def kept_aside(said: str) -> Path:
    """The copy of the replaced store a restore names in what it says."""
    return Path(said.split(" was kept in ")[1].split("; ")[0])


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The umask most systems give (022): files are world-readable unless made otherwise."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def needs_pg_tools(url: str) -> None:
    if url.startswith("postgresql") and shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")


def test_a_backup_restores_what_the_store_held(database_url: str, tmp_path: Path) -> None:
    needs_pg_tools(database_url)
    keep(database_url, "as it was")
    saved = tmp_path / "amphi.backup"
    said = backup(database_url, saved)
    assert "copied to" in said or "dumped to" in said
    assert saved.stat().st_size > 0
    keep(database_url, "changed since")
    assert "restored from" in restore(database_url, saved)
    assert value(database_url) == "as it was"
    assert list(tmp_path.glob("amphi.backup?*")) == []  # one file: no -wal or -shm beside it


def test_a_restore_keeps_the_store_it_replaces_and_says_where(
    database_url: str, tmp_path: Path
) -> None:
    needs_pg_tools(database_url)
    keep(database_url, "as it was")
    saved = tmp_path / "amphi.backup"
    backup(database_url, saved)
    keep(database_url, "changed since")
    aside = kept_aside(restore(database_url, saved))
    assert aside.is_file() and "before-restore" in aside.name
    assert value(database_url) == "as it was"
    # The copy is a backup like any other: restoring it brings back what was replaced.
    restore(database_url, aside)
    assert value(database_url) == "changed since"


def test_backups_and_the_copies_a_restore_keeps_are_private(
    database_url: str, tmp_path: Path, usual_umask: None
) -> None:
    needs_pg_tools(database_url)
    keep(database_url, "members' names")
    saved = tmp_path / "amphi.backup"
    backup(database_url, saved)
    aside = kept_aside(restore(database_url, saved))
    for made in (saved, aside):
        assert stat.S_IMODE(made.stat().st_mode) == 0o600, made


def test_a_backup_never_overwrites_a_file(sqlite_url: str, tmp_path: Path) -> None:
    keep(sqlite_url, "x")
    existing = tmp_path / "kept.txt"
    existing.write_text("mine")
    with pytest.raises(BackupError, match="exists already"):
        backup(sqlite_url, existing)
    assert existing.read_text() == "mine"


def test_there_is_nothing_to_back_up_before_the_first_start(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="no SQLite store at"):
        backup(f"sqlite:///{tmp_path / 'none.sqlite3'}", tmp_path / "b")


@pytest.mark.parametrize("kind", ["missing", "not sqlite", "not amphi"])
def test_restore_refuses_what_is_not_a_backup_and_changes_nothing(
    sqlite_url: str, tmp_path: Path, kind: str
) -> None:
    keep(sqlite_url, "precious")
    source = tmp_path / "source"
    if kind == "not sqlite":
        source.write_text("registrations.csv, not a database")
    elif kind == "not amphi":
        with sqlite3.connect(source) as other:
            other.execute("CREATE TABLE notes (text TEXT)")
        other.close()
    with pytest.raises(BackupError, match=r"not a file|not a SQLite file|not a backup of Amphi"):
        restore(sqlite_url, source)
    assert value(sqlite_url) == "precious"


def test_the_command_line_says_what_it_did_and_refuses_politely(cli, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'amphi.sqlite3'}"
    keep(url, "x")
    env = {"DATABASE_URL": url}
    done = cli("db", "backup", "saved.sqlite3", cwd=tmp_path, env=env)
    assert done.returncode == 0 and "copied to saved.sqlite3" in done.stdout, done.stderr
    again = cli("db", "backup", "saved.sqlite3", cwd=tmp_path, env=env)
    assert again.returncode == 2 and "exists already" in again.stderr
    assert "Traceback" not in again.stderr
    back = cli("db", "restore", "--yes", "saved.sqlite3", cwd=tmp_path, env=env)
    assert back.returncode == 0 and "restored from saved.sqlite3" in back.stdout, back.stderr
