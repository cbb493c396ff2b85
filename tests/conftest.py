"""Shared fixtures: the shipped meeting, databases on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store.db import Database
from bot.store.migrate import upgrade
from fake_discord import fake_discord
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


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh database of its own on the local PostgreSQL, dropped afterwards."""
    import psycopg

    name = f"amphi_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(
        "host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True
    ) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(
        "host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file of the test's own."""
    return f"sqlite:///{tmp_path / 'amphi.sqlite3'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each store test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """A migrated, empty store."""
    database = Database(database_url)
    upgrade(database.engine)
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
async def amphi(fake, clock, sqlite_url):
    """Amphi running against the fake Discord on a SQLite store; yields (bot, services)."""
    async with running_amphi(fake, test_settings(fake, sqlite_url), clock) as running:
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
