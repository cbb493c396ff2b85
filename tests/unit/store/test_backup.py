"""`amphi db backup` and `restore` on SQLite and PostgreSQL: a round trip, and what they refuse."""

from __future__ import annotations

import shutil
import sqlite3
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


def test_a_backup_restores_what_the_store_held(database_url: str, tmp_path: Path) -> None:
    if database_url.startswith("postgresql") and shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    keep(database_url, "as it was")
    saved = tmp_path / "amphi.backup"
    said = backup(database_url, saved)
    assert "copied to" in said or "dumped to" in said
    assert saved.stat().st_size > 0
    keep(database_url, "changed since")
    assert "restored from" in restore(database_url, saved)
    assert value(database_url) == "as it was"


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
    back = cli("db", "restore", "saved.sqlite3", cwd=tmp_path, env=env)
    assert back.returncode == 0 and "restored from saved.sqlite3" in back.stdout, back.stderr
