"""The deployment files: the lock files against pyproject's ranges, the Dockerfile, compose.yaml and
the systemd unit. The image is built where a Docker daemon answers; elsewhere that test says why
it skipped."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import tomllib

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.support.paths import ROOT

PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s\\]+)", re.MULTILINE)


def pins(lock: str) -> dict[str, str]:
    text = (ROOT / lock).read_text(encoding="utf-8")
    assert "--hash=sha256:" in text
    return {canonicalize_name(name): version for name, version in PIN.findall(text)}


def requirements(extra: str | None = None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    listed = project["dependencies"] + (project["optional-dependencies"][extra] if extra else [])
    return [Requirement(r) for r in listed]


@pytest.mark.parametrize(
    ("lock", "extra"), [("requirements.lock", None), ("requirements-dev.lock", "dev")]
)
def test_each_lock_pins_every_dependency_within_pyprojects_ranges(lock: str, extra) -> None:
    pinned = pins(lock)
    for requirement in requirements(extra):
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{lock} lacks {name}: run make lock"
        assert requirement.specifier.contains(pinned[name]), f"{lock}: {name}=={pinned[name]}"
    # Every line is pinned and hashed: pip's --require-hashes accepts nothing less.
    text = (ROOT / lock).read_text(encoding="utf-8")
    assert text.count("==") == len(pinned) and "-e " not in text and "file://" not in text


def test_make_installs_from_the_lock_with_hashes() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "LOCK := requirements-dev.lock" in makefile
    assert "pip install --quiet --require-hashes -r $(LOCK)" in makefile
    assert re.search(r"^lock:", makefile, re.MULTILINE)


def dockerfile() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [tuple(line.split(None, 1)) for line in lines if line and not line.startswith("#")]


def test_the_image_is_small_non_root_locked_and_checks_its_health() -> None:
    instructions = dockerfile()
    stages = [arg for op, arg in instructions if op == "FROM"]
    assert all(s.startswith("python:3.11-slim") for s in stages)
    runs = " ".join(arg for op, arg in instructions if op == "RUN")
    assert "--require-hashes -r requirements.lock" in runs
    final = instructions[[op for op, _ in instructions].index("FROM", 1) :]
    assert ("USER", "amphi") in final
    assert ("HEALTHCHECK", next(a for o, a in final if o == "HEALTHCHECK")) in final
    assert '["amphi", "health"]' in next(a for o, a in final if o == "HEALTHCHECK")
    assert ("CMD", '["amphi", "run"]') in final and ("STOPSIGNAL", "SIGINT") in final
    for op, arg in instructions:
        if op == "COPY" and not arg.startswith("--from"):
            *sources, _target = arg.replace("--chown=amphi ", "").split()
            missing = [s for s in sources if not (ROOT / s).exists()]
            assert missing == [], f"COPY of files that do not exist: {missing}"


def test_compose_runs_amphi_with_postgresql_and_keeps_the_data_in_a_volume() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    amphi, db = compose["services"]["amphi"], compose["services"]["db"]
    assert amphi["build"] == "." and amphi["env_file"] == ".env"
    assert amphi["depends_on"]["db"]["condition"] == "service_healthy"
    assert amphi["environment"]["DATABASE_URL"].startswith("postgresql://amphi:")
    assert "@db:5432/amphi" in amphi["environment"]["DATABASE_URL"]
    assert "./data/meetings:/meetings:ro" in amphi["volumes"]
    assert db["image"].startswith("postgres:") and "pg_isready" in db["healthcheck"]["test"][1]
    # Two instances of the bot on the one store: an active and a standby, each checked for health.
    standby = compose["services"]["amphi-standby"]
    assert standby["build"] == amphi["build"] and standby["env_file"] == amphi["env_file"]
    assert standby["environment"] == amphi["environment"]
    assert standby["depends_on"] == amphi["depends_on"]
    for instance in (amphi, standby):
        assert instance["healthcheck"]["test"] == ["CMD", "amphi", "health"]  # no --role: a
        # standby is healthy too, or its container would be restarted for waiting
    assert amphi["hostname"] != standby["hostname"]  # `amphi status` tells them apart
    named = {v.split(":")[0] for s in compose["services"].values() for v in s.get("volumes", [])}
    named = {v for v in named if not v.startswith((".", "/"))}
    assert named and named <= set(compose["volumes"])
    assert "DISCORD_TOKEN" not in (ROOT / "compose.yaml").read_text(encoding="utf-8")


def test_compose_yaml_is_valid_for_docker_compose(tmp_path) -> None:
    command = next(
        (c for c in (["docker", "compose"], ["docker-compose"]) if compose_works(c)), None
    )
    if command is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed here")
    shutil.copy(ROOT / "compose.yaml", tmp_path)
    (tmp_path / ".env").write_text("DISCORD_TOKEN=x\nDISCORD_GUILD_ID=1\n")  # as an organizer's
    done = subprocess.run(
        [*command, "config", "--quiet"], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def compose_works(command: list[str]) -> bool:
    if shutil.which(command[0]) is None:
        return False
    done = subprocess.run([*command, "version"], capture_output=True, text=True)
    return done.returncode == 0


def test_the_systemd_unit_runs_the_installed_bot_and_stops_it_gently() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(ROOT / "deploy" / "amphi.service", encoding="utf-8")
    service = unit["Service"]
    assert service["ExecStart"] == "/opt/amphi/app/.venv/bin/amphi run"
    assert service["User"] == "amphi" and service["KillSignal"] == "SIGINT"
    assert service["Restart"] == "on-failure"
    assert unit["Install"]["WantedBy"] == "multi-user.target"
    if shutil.which("systemd-analyze"):
        done = subprocess.run(
            ["systemd-analyze", "verify", str(ROOT / "deploy" / "amphi.service")],
            capture_output=True, text=True,
        )  # fmt: skip
        assert "Unknown" not in done.stderr, done.stderr


def test_the_image_builds_and_runs_amphi() -> None:
    if shutil.which("docker") is None:
        pytest.skip("Docker is not installed here")
    info = subprocess.run(["docker", "info"], capture_output=True, text=True)
    if info.returncode != 0:
        reason = (info.stderr.strip().splitlines() or ["docker info failed"])[-1]
        pytest.skip(f"no Docker daemon answers: {reason}")
    built = subprocess.run(
        ["docker", "build", "-t", "amphi-test", str(ROOT)], capture_output=True, text=True
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    ran = subprocess.run(
        ["docker", "run", "--rm", "amphi-test", "amphi", "check", "/meetings"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert ran.returncode == 0 and "OK" in ran.stdout, ran.stdout + ran.stderr
    user = subprocess.run(
        ["docker", "run", "--rm", "amphi-test", "id", "-u"], capture_output=True, text=True
    )
    assert user.stdout.strip() == "10001"
