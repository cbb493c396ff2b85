"""`amphi db restore` cannot lose the store: it refuses while the bot runs, refuses a backup of a
newer Amphi, swaps SQLite's files whole, asks first, and keeps PostgreSQL's password off the
command line."""

from __future__ import annotations

import builtins
import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from bot import cli
from bot.store import backup_postgres, state
from bot.store.backup import BackupError, backup, restore
from bot.store.db import Database
from bot.store.migrate import head_revision
from tests.support.paths import ROOT
from tests.unit.store.test_backup import keep, kept_aside, needs_pg_tools, value

FUTURE = "9999_not_yet_written"


def set_revision(url: str, revision: str) -> None:
    db = Database(url)
    try:
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": revision})
    finally:
        db.close()


def test_restore_refuses_while_the_bot_holds_the_sqlite_store_open(
    sqlite_url: str, tmp_path: Path
) -> None:
    keep(sqlite_url, "as it was")
    saved = tmp_path / "saved.sqlite3"
    backup(sqlite_url, saved)
    keep(sqlite_url, "written by the running bot")
    running = Database(sqlite_url)
    try:
        running.call(state.get_state, key="meeting")  # its pool keeps the connection, idle
        with pytest.raises(BackupError, match="open in another program"):
            restore(sqlite_url, saved)
    finally:
        running.close()
    assert value(sqlite_url) == "written by the running bot"
    assert "restored from" in restore(sqlite_url, saved)  # once the bot has stopped


def test_restore_refuses_while_the_health_file_is_fresh(sqlite_url: str, tmp_path: Path) -> None:
    keep(sqlite_url, "as it was")
    saved = tmp_path / "saved.sqlite3"
    backup(sqlite_url, saved)
    keep(sqlite_url, "written by the running bot")
    health = tmp_path / "healthy"
    health.touch()
    with pytest.raises(BackupError, match="the bot is running"):
        restore(sqlite_url, saved, health_file=health)
    assert value(sqlite_url) == "written by the running bot"
    an_hour_ago = time.time() - 3600
    os.utime(health, (an_hour_ago, an_hour_ago))  # the bot stopped long ago
    restore(sqlite_url, saved, health_file=health)
    assert value(sqlite_url) == "as it was"


def test_restore_refuses_a_backup_made_by_a_newer_amphi(database_url: str, tmp_path: Path) -> None:
    needs_pg_tools(database_url)
    keep(database_url, "as it was")
    set_revision(database_url, FUTURE)
    saved = tmp_path / "from-the-future.backup"
    backup(database_url, saved)
    set_revision(database_url, head_revision() or "")
    keep(database_url, "precious")
    with pytest.raises(BackupError, match=rf"newer Amphi.*{FUTURE}.*upgrade Amphi first"):
        restore(database_url, saved)
    assert value(database_url) == "precious"
    assert not list(tmp_path.glob("*before-restore*"))


def test_a_restore_replaces_the_whole_sqlite_store_even_a_wal_left_by_a_crash(
    sqlite_url: str, tmp_path: Path
) -> None:
    keep(sqlite_url, "as it was")
    saved = tmp_path / "saved.sqlite3"
    backup(sqlite_url, saved)
    # A bot that wrote, then died: its last write is in the WAL only.
    crash = (
        "import os; from bot.store.db import Database; from bot.store import state; "
        f"Database({sqlite_url!r}).call(state.set_state, key='meeting', value='last write', "
        "write=True); os._exit(0)"
    )
    subprocess.run(
        [sys.executable, "-c", crash], check=True, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    store = Path(sqlite_url.removeprefix("sqlite:///"))
    assert Path(f"{store}-wal").stat().st_size > 0
    aside = kept_aside(restore(sqlite_url, saved))
    assert value(sqlite_url) == "as it was"
    assert value(f"sqlite:///{aside}") == "last write"
    assert sorted(p.name for p in tmp_path.iterdir() if "restoring" in p.name) == []


def test_the_command_line_asks_first_and_without_a_terminal_wants_yes(cli, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'amphi.sqlite3'}"
    keep(url, "as it was")
    env = {"DATABASE_URL": url}
    assert cli("db", "backup", "saved.sqlite3", cwd=tmp_path, env=env).returncode == 0
    keep(url, "precious")
    refused = cli("db", "restore", "saved.sqlite3", cwd=tmp_path, env=env)
    assert refused.returncode == 2 and "add --yes" in refused.stderr, refused.stderr
    assert value(url) == "precious"
    done = cli("db", "restore", "--yes", "saved.sqlite3", cwd=tmp_path, env=env)
    assert done.returncode == 0 and "was kept in" in done.stdout, done.stderr
    assert value(url) == "as it was"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("answer", "status", "left"), [("", 1, "precious"), ("y", 0, "as it was")])
def test_at_a_terminal_the_command_line_asks_and_no_is_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, answer: str, status: int, left: str
) -> None:
    url = f"sqlite:///{tmp_path / 'amphi.sqlite3'}"
    keep(url, "as it was")
    backup(url, tmp_path / "saved.sqlite3")
    keep(url, "precious")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("AMPHI_HEALTH_FILE", raising=False)
    monkeypatch.setattr(sys, "stdin", Terminal())
    asked: list[str] = []
    monkeypatch.setattr(builtins, "input", lambda question: asked.append(question) or answer)
    assert cli.main(["db", "restore", "saved.sqlite3"]) == status
    assert len(asked) == 1 and "[y/N]" in asked[0]
    assert value(url) == left


def test_the_postgresql_password_never_reaches_a_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "postgresql://amphi:s3cret-pw@db.example:5432/amphi"
    ran: list[tuple[list[str], dict[str, str]]] = []

    def tool(command, *, env=None, stdout=None, **_):
        ran.append((command, env or {}))
        listing = "3; 1259 16390 TABLE public alembic_version amphi\n"
        data = f"COPY public.alembic_version (version_num) FROM stdin;\n{head_revision()}\n\\.\n"
        printed = data if "--data-only" in command else listing
        return subprocess.CompletedProcess(command, 0, printed.encode(), b"")

    monkeypatch.setattr(backup_postgres.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(backup_postgres.subprocess, "run", tool)
    backup(url, tmp_path / "amphi.dump")
    restore(url, tmp_path / "amphi.dump")
    tools = [command[0] for command, _ in ran]
    assert tools.count("pg_dump") == 2 and "pg_restore" in tools  # a backup, the copy kept aside
    assert [arg for command, _ in ran for arg in command if "s3cret" in arg] == []
    for command, env in ran:
        if any(arg.startswith("--dbname=") for arg in command):
            assert env.get("PGPASSWORD") == "s3cret-pw", command


@pytest.mark.postgres
@pytest.mark.parametrize("kind", ["not a dump", "not amphi's"])
def test_pg_restore_refuses_a_dump_that_is_not_amphis_before_dropping_anything(
    postgres_url: str, tmp_path: Path, kind: str
) -> None:
    needs_pg_tools(postgres_url)
    keep(postgres_url, "precious")
    source = tmp_path / "other.dump"
    if kind == "not a dump":
        source.write_text("registrations.csv, not a dump")
    else:
        subprocess.run(
            [
                "pg_dump",
                "--format=custom",
                "--exclude-table=alembic_version",
                f"--file={source}",
                f"--dbname={backup_postgres.libpq(postgres_url)}",
            ],
            check=True,
        )
    with pytest.raises(BackupError, match=r"not a dump made by amphi|not a backup of Amphi"):
        restore(postgres_url, source)
    assert value(postgres_url) == "precious"
    assert not list(tmp_path.glob("*before-restore*"))
