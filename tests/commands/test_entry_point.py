"""Each `amphi` command run as the operator runs it, a process of its own: the entry point
starts, reads its settings from the environment, prints, and exits with its status.
What each command says in detail is tested in the test's process (tests/unit/test_cli.py)."""

from __future__ import annotations

from pathlib import Path

from bot.store.migrate import head_revision
from tests.support.command_line import amphi_process
from tests.support.paths import SHIPPED_MEETING
from tests.unit.schedule_import.sources.samples import SAMPLES


def shown(result) -> str:
    """What the process said, for a failing assertion."""
    return f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"


def test_run_with_broken_meeting_files_lists_the_problems(tmp_path: Path) -> None:
    broken = tmp_path / "meetings"
    broken.mkdir()
    (broken / "x.toml").write_text('slug = "x"\ntitle = ""\n')
    env = {
        "DISCORD_TOKEN": "MTAxMjM0NTY3ODkwMTIzNDU2.Gabcde.fake-token",
        "DISCORD_GUILD_ID": "1",
        "AMPHI_MEETINGS": str(broken),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'a.sqlite3'}",
    }
    result = amphi_process("run", cwd=tmp_path, env=env)
    assert result.returncode == 2, shown(result)
    assert "x.toml: date" in result.stderr and "Traceback" not in result.stderr, shown(result)


def test_check(tmp_path: Path) -> None:
    result = amphi_process("check", str(SHIPPED_MEETING), cwd=tmp_path)
    assert result.returncode == 0, shown(result)
    assert result.stdout.splitlines() == [f"{SHIPPED_MEETING}: OK"], shown(result)


def test_import(tmp_path: Path) -> None:
    out = tmp_path / "democon.toml"
    result = amphi_process(
        "import", str(SAMPLES / "c3voc-pretalx-democon.json"), "-o", str(out), cwd=tmp_path
    )
    assert result.returncode == 0, shown(result)
    assert f"Wrote {out}" in result.stdout and out.is_file(), shown(result)


def test_plan(tmp_path: Path) -> None:
    result = amphi_process("plan", str(SHIPPED_MEETING), cwd=tmp_path)
    assert result.returncode == 0, shown(result)
    assert "39 planned posts" in result.stdout.splitlines()[0], shown(result)


def test_db_status_and_export(tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}",
        "AMPHI_MEETINGS": str(SHIPPED_MEETING),
    }
    upgraded = amphi_process("db", "upgrade", cwd=tmp_path, env=env)
    assert upgraded.returncode == 0, shown(upgraded)
    assert f"revision {head_revision()}" in upgraded.stdout, shown(upgraded)
    status = amphi_process("status", cwd=tmp_path, env=env)
    assert status.returncode == 0 and "seats left:           600" in status.stdout, shown(status)
    exported = amphi_process("export", "registrations", cwd=tmp_path, env=env)
    assert exported.returncode == 0, shown(exported)
    assert exported.stdout.startswith("name,discord_id,mode,member"), shown(exported)
    saved = amphi_process("db", "backup", "saved.sqlite3", cwd=tmp_path, env=env)
    assert saved.returncode == 0 and "copied to saved.sqlite3" in saved.stdout, shown(saved)


def test_health(tmp_path: Path) -> None:
    result = amphi_process("health", cwd=tmp_path)
    assert result.returncode == 2, shown(result)
    assert "AMPHI_HEALTH_FILE is not set" in result.stderr, shown(result)
