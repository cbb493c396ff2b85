"""Shared fixtures: the shipped meeting, databases on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store.db import Database
from bot.store.migrate import upgrade
from fake_discord import fake_discord
from tests.support.command_line import InProcess
from tests.support.discord_api import invalid_requests
from tests.support.harness import BEFORE_MEETING, FakeClock, running_amphi, test_settings
from tests.support.postgres import POSTGRES_ADMIN_URL, postgres_reason
from tests.support.processes import Runs


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The admin URL of the local PostgreSQL, or skip."""
    reason = postgres_reason()
    if reason:
        pytest.skip(reason)
    return POSTGRES_ADMIN_URL


def _admin():
    import psycopg

    return psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True)


def _worker_tag() -> str:
    """Names of this test process's own: xdist's worker and the pid, so that workers, and two
    checkouts testing at once, never share a database."""
    return f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"


@pytest.fixture(scope="session")
def postgres_template(postgres_server: str) -> Iterator[str]:
    """A PostgreSQL database migrated once per test process: each test's database is a copy."""
    name = f"amphi_template_{_worker_tag()}"
    with _admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    database = Database(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
    try:
        upgrade(database.engine)
    finally:
        database.close()  # no connection left: CREATE DATABASE … TEMPLATE needs it idle
    yield name
    with _admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url(postgres_template: str) -> Iterator[str]:
    """A migrated database of its own on the local PostgreSQL, dropped afterwards."""
    name = f"amphi_test_{_worker_tag()}_{uuid.uuid4().hex[:8]}"
    with _admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template}"')
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with _admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file of the test's own, not created yet."""
    return f"sqlite:///{tmp_path / 'amphi.sqlite3'}"


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite store migrated once per test process: each test's store is a copy."""
    path = tmp_path_factory.mktemp("template") / "amphi.sqlite3"
    database = Database(f"sqlite:///{path}")
    try:
        upgrade(database.engine)
    finally:
        database.close()
    assert not path.with_name(path.name + "-wal").exists()  # all of it is in the one file
    return path


@pytest.fixture
def migrated_sqlite_url(migrated_sqlite: Path, tmp_path: Path) -> str:
    """A migrated SQLite store of the test's own."""
    path = tmp_path / "amphi.sqlite3"
    shutil.copyfile(migrated_sqlite, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each store test runs on SQLite and on PostgreSQL, on a migrated store of its own."""
    if request.param == "sqlite":
        return request.getfixturevalue("migrated_sqlite_url")
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """A migrated, empty store."""
    database = Database(database_url)
    yield database
    database.close()


@pytest.fixture
async def fake(request: pytest.FixtureRequest):
    """A started fake Discord with discord.py pointed at it. Afterwards every request the test
    made it receive is held against Discord's published API description (a test that sends
    invalid requests on purpose is marked `discord_invalid_requests`)."""
    async with fake_discord() as started:
        yield started
    if request.node.get_closest_marker("discord_invalid_requests"):
        return
    problems = invalid_requests(started.requests)
    if problems:
        pytest.fail("Discord would refuse these requests:\n" + "\n".join(problems))


@pytest.fixture
def clock():
    """The test's clock, weeks before the shipped meeting."""
    return FakeClock(BEFORE_MEETING)


@pytest.fixture
async def amphi(fake, clock, migrated_sqlite_url):
    """Amphi running against the fake Discord on a SQLite store; yields (bot, services)."""
    async with running_amphi(fake, test_settings(fake, migrated_sqlite_url), clock) as running:
        yield running


@pytest.fixture
def amphi_factory(fake, clock, database_url):
    """Starts Amphi on the same store as often as a test needs (each run a new process's worth
    of services), on SQLite and on PostgreSQL."""
    settings = test_settings(fake, database_url)
    return lambda: running_amphi(fake, settings, clock)


@pytest.fixture
async def amphi_on_each_store(fake, clock, database_url):
    """Amphi running against the fake Discord, once on SQLite and once on PostgreSQL."""
    async with running_amphi(fake, test_settings(fake, database_url), clock) as running:
        yield running


@pytest.fixture
def runs(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Runs]:
    """The test's `amphi run` processes; their output is printed if the test fails."""
    kept = Runs(tmp_path)
    failed_before = request.session.testsfailed
    yield kept
    if request.session.testsfailed > failed_before:
        print(kept.output())


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> InProcess:
    """`cli("check", path, cwd=tmp_path, env={...})`: the `amphi` command line called in the
    test's process, with only the settings in `env`; what it said and its exit status."""
    return InProcess(monkeypatch, capsys)
