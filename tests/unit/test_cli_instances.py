"""The active instance and the standbys on the command line: `amphi status` lists them from the
store, `amphi health` says which this container's instance is (healthy either way) and, if the
store answers in time, who is active."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.core.config import load_settings
from bot.services import prepare
from bot.standby import queries
from bot.standby.model import Role
from tests.support.paths import SHIPPED_MEETING

ACTIVE, STANDBY = "alpha:101:aaaaaa", "beta:202:bbbbbb"


def store_env(tmp_path: Path, **more: str) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    return {"DATABASE_URL": url, "AMPHI_MEETINGS": str(SHIPPED_MEETING), **more}


def elect(env: dict[str, str], *, standby: bool = True, release: bool = False) -> int:
    """A store where alpha took the lease and beta stands by, as their elections write it."""
    services = prepare(load_settings(env))
    db = services.db
    try:
        started = db.call(queries.store_now)
        db.call(queries.say, write=True, me=ACTIVE, host="alpha", pid=101, role=Role.STANDBY,
                started_at=started)  # fmt: skip
        epoch = db.call(queries.claim, write=True, me=ACTIVE, host="alpha", pid=101, seconds=10)
        assert epoch is not None
        db.call(queries.say, write=True, me=ACTIVE, host="alpha", pid=101, role=Role.ACTIVE,
                started_at=started)  # fmt: skip
        if standby:
            db.call(queries.say, write=True, me=STANDBY, host="beta", pid=202, role=Role.STANDBY,
                    started_at=started)  # fmt: skip
        if release:
            assert db.call(queries.release, write=True, me=ACTIVE)
            db.call(queries.say, write=True, me=ACTIVE, host="alpha", pid=101, role=Role.STOPPED,
                    started_at=started)  # fmt: skip
    finally:
        services.close()
    return epoch


def instances_part(stdout: str) -> list[str]:
    lines = stdout.splitlines()
    return [line.strip() for line in lines[lines.index("instances:") + 1 :]]


def test_status_shows_the_active_and_the_standby_after_the_figures(cli, tmp_path: Path) -> None:
    env = store_env(tmp_path)
    epoch = elect(env)
    result = cli("status", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.shown()
    assert result.stdout.index("seats left:") < result.stdout.index("instances:")
    active, standby = instances_part(result.stdout)
    assert active.startswith(f"active: alpha pid 101 (epoch {epoch}), since 20")
    assert "UTC, lease renewed 0 s ago" in active or "UTC, lease renewed 1 s ago" in active
    assert standby.startswith("standby: beta pid 202, standing by since 20")
    assert "last heard" in standby


def test_status_with_no_instance_running_says_the_lease_is_free(cli, tmp_path: Path) -> None:
    env = store_env(tmp_path)
    elect(env, standby=False, release=True)
    result = cli("status", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.shown()
    first, stopped = instances_part(result.stdout)
    assert first.startswith("No instance is running (the lease is free: released ")
    assert stopped.startswith("stopped: alpha pid 101, stopped ")


def test_status_on_a_store_where_no_instance_ran(cli, tmp_path: Path) -> None:
    result = cli("status", cwd=tmp_path, env=store_env(tmp_path))
    assert result.returncode == 0, result.shown()
    assert instances_part(result.stdout) == ["No instance is running (the lease was never taken)."]


def fresh_health_file(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "health"
    path.write_text(content, encoding="utf-8")
    return path


def test_health_of_the_active_names_it_and_the_lease(cli, tmp_path: Path) -> None:
    env = store_env(tmp_path)
    epoch = elect(env)
    env["AMPHI_HEALTH_FILE"] = str(fresh_health_file(tmp_path, "active\n"))
    result = cli("health", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.shown()
    said, active = result.stdout.splitlines()
    assert said == "healthy: active, connected 0 s ago"
    assert active.startswith(f"active: alpha pid 101 (epoch {epoch}), since ")


def test_a_standby_is_healthy_unless_the_check_wants_the_active(cli, tmp_path: Path) -> None:
    env = store_env(tmp_path)
    elect(env)
    env["AMPHI_HEALTH_FILE"] = str(fresh_health_file(tmp_path, "standby\n"))
    result = cli("health", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.shown()
    assert result.stdout.splitlines()[0] == "healthy: standby, waiting 0 s ago"
    assert "active: alpha pid 101" in result.stdout
    wanted = cli("health", "--role", "active", cwd=tmp_path, env=env)
    assert wanted.returncode == 1
    assert "unhealthy: this instance is standby, not active" in wanted.stderr
    assert cli("health", "--role", "standby", cwd=tmp_path, env=env).returncode == 0


def test_a_stale_health_file_is_unhealthy_saying_its_role(cli, tmp_path: Path) -> None:
    path = fresh_health_file(tmp_path, "standby\n")
    old = time.time() - 200
    os.utime(path, (old, old))
    result = cli("health", cwd=tmp_path, env={"AMPHI_HEALTH_FILE": str(path)})
    assert result.returncode == 1
    assert "unhealthy: standby, waiting last 200 s ago" in result.stderr


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that takes connections and never says a word (a store behind a dead line)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed as the block ends: nothing listens there


@pytest.mark.parametrize("store", ["closed", "silent"])
def test_health_answers_in_time_when_the_store_does_not(
    cli, tmp_path: Path, store: str, request: pytest.FixtureRequest
) -> None:
    port = closed_port() if store == "closed" else request.getfixturevalue("silent_port")
    env = {
        "DATABASE_URL": f"postgresql://amphi:secret@127.0.0.1:{port}/amphi",
        "AMPHI_HEALTH_FILE": str(fresh_health_file(tmp_path, "active\n")),
    }
    started = time.monotonic()
    result = cli("health", cwd=tmp_path, env=env)
    took = time.monotonic() - started
    assert result.returncode == 0, result.shown()
    said, store_said = result.stdout.splitlines()
    assert said == "healthy: active, connected 0 s ago"
    assert store_said.startswith("the store did not say which instance is active: ")
    assert took < 3.5  # a container's health check times out; the store must not make it
    assert "secret" not in result.stdout + result.stderr


def test_health_without_a_store_yet_says_so_and_stays_healthy(cli, tmp_path: Path) -> None:
    env = store_env(tmp_path, AMPHI_HEALTH_FILE=str(fresh_health_file(tmp_path, "standby\n")))
    result = cli("health", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.shown()
    assert result.stdout.splitlines()[1] == (
        "the store did not say which instance is active: no store there yet"
    )
    assert not (tmp_path / "store.sqlite3").exists()  # looking created no store
