"""`amphi rehearse` and `amphi run --rehearse-without-token`: the options they refuse, and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.command_line import Said
from tests.support.paths import SHIPPED_MEETING


def refused(result: Said) -> str:
    """The one-line refusal of a bad option: exit 2, no traceback, nothing played."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "Summary" not in result.stdout
    return result.stderr


@pytest.mark.parametrize("speed", ["0", "-3", "inf", "nan"])
def test_a_speed_that_is_not_positive_is_refused(cli, tmp_path: Path, speed: str) -> None:
    error = refused(cli("rehearse", str(SHIPPED_MEETING), "--speed", speed, cwd=tmp_path))
    assert "--speed must be a positive number" in error


def test_a_speed_that_is_not_a_number_is_refused(cli, tmp_path: Path) -> None:
    error = refused(cli("rehearse", "--speed", "fast", cwd=tmp_path))
    assert "argument --speed: invalid float value: 'fast'" in error


def test_an_unknown_language_is_refused_naming_the_known_ones(cli, tmp_path: Path) -> None:
    error = refused(cli("rehearse", str(SHIPPED_MEETING), "--lang", "de", cwd=tmp_path))
    assert "--lang 'de' is not a language Amphi speaks; choose one of en, fr" in error


@pytest.mark.parametrize(
    ("start", "said"),
    [
        ("9h30", "--from takes a time of the meeting day as HH:MM"),
        ("25:00", "--from takes a time of the meeting day as HH:MM"),
        ("23:00", "--from 23:00 is after the meeting's day ends (18:10)"),
    ],
)
def test_a_start_outside_the_day_is_refused(cli, tmp_path: Path, start: str, said: str) -> None:
    error = refused(cli("rehearse", str(SHIPPED_MEETING), "--from", start, cwd=tmp_path))
    assert said in error


def test_a_negative_number_of_attendees_is_refused(cli, tmp_path: Path) -> None:
    error = refused(cli("rehearse", str(SHIPPED_MEETING), "--attendees", "-1", cwd=tmp_path))
    assert "--attendees must be 0 or more" in error


def test_an_invalid_meeting_file_gets_the_same_errors_as_check(cli, tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    text = SHIPPED_MEETING.read_text(encoding="utf-8")
    broken.write_text(text.replace('start = "10:45"', 'start = "10h45"'), encoding="utf-8")
    checked = cli("check", str(broken), cwd=tmp_path)
    assert checked.returncode == 1 and checked.stdout.strip()
    error = refused(cli("rehearse", str(broken), cwd=tmp_path))
    assert checked.stdout.strip() in error
    assert "the meeting files have problems" in error


def test_run_with_a_token_does_not_rehearse(cli, tmp_path: Path) -> None:
    """The token is there: `make run` means the real bot (here, stopped by a bad setting)."""
    env = {"DISCORD_TOKEN": "MTAxMjM0NTY3ODkwMTIzNDU2.Gabcde.fake-token", "DISCORD_GUILD_ID": "x"}
    result = cli("run", "--rehearse-without-token", "--speed", "50", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "--speed only apply to rehearsals; ignored" in result.stderr
    assert "DISCORD_GUILD_ID" in result.stderr
    assert "nothing goes to Discord" not in result.stdout


def test_web_takes_an_optional_port() -> None:
    from bot.cli import build_parser
    from bot.rehearsal.run import web_settings

    parser = build_parser()
    assert parser.parse_args(["rehearse", "x.toml", "--web"]).web == 8080
    assert parser.parse_args(["rehearse", "x.toml", "--web", "9000"]).web == 9000
    assert parser.parse_args(["rehearse", "x.toml"]).web is None
    assert web_settings(None) == {}
    settings = web_settings(0)
    assert settings["WEB_PORT"] == "0" and len(settings["WEB_SECRET"]) >= 16
