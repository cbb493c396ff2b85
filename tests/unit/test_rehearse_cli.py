"""`amphi rehearse` and `make run` without a token, run as a newcomer runs them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import ROOT, SHIPPED_MEETING
from tests.unit.test_cli import amphi

#: A short stretch of the day: the second session, with a few members, in about 10 s.
SHORT = ("--from", "15:30", "--attendees", "20", "--speed", "900")


def flat(text: str) -> str:
    """The output with the terminal's line wrapping undone."""
    return " ".join(text.split())


def refused(result: subprocess.CompletedProcess) -> str:
    """The one-line refusal of a bad option: exit 2, no traceback, nothing played."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "Summary" not in result.stdout
    return result.stderr


@pytest.mark.parametrize("speed", ["0", "-3", "inf", "nan"])
def test_a_speed_that_is_not_positive_is_refused(tmp_path: Path, speed: str) -> None:
    error = refused(amphi("rehearse", str(SHIPPED_MEETING), "--speed", speed, cwd=tmp_path))
    assert "--speed must be a positive number" in error


def test_a_speed_that_is_not_a_number_is_refused(tmp_path: Path) -> None:
    error = refused(amphi("rehearse", "--speed", "fast", cwd=tmp_path))
    assert "argument --speed: invalid float value: 'fast'" in error


def test_an_unknown_language_is_refused_naming_the_known_ones(tmp_path: Path) -> None:
    error = refused(amphi("rehearse", str(SHIPPED_MEETING), "--lang", "de", cwd=tmp_path))
    assert "--lang 'de' is not a language Amphi speaks; choose one of en, fr" in error


@pytest.mark.parametrize(
    ("start", "said"),
    [
        ("9h30", "--from takes a time of the meeting day as HH:MM"),
        ("25:00", "--from takes a time of the meeting day as HH:MM"),
        ("23:00", "--from 23:00 is after the meeting's day ends (18:10)"),
    ],
)
def test_a_start_outside_the_day_is_refused(tmp_path: Path, start: str, said: str) -> None:
    error = refused(amphi("rehearse", str(SHIPPED_MEETING), "--from", start, cwd=tmp_path))
    assert said in error


def test_a_negative_number_of_attendees_is_refused(tmp_path: Path) -> None:
    error = refused(amphi("rehearse", str(SHIPPED_MEETING), "--attendees", "-1", cwd=tmp_path))
    assert "--attendees must be 0 or more" in error


def test_an_invalid_meeting_file_gets_the_same_errors_as_check(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    text = SHIPPED_MEETING.read_text(encoding="utf-8")
    broken.write_text(text.replace('start = "10:45"', 'start = "10h45"'), encoding="utf-8")
    checked = amphi("check", str(broken), cwd=tmp_path)
    assert checked.returncode == 1 and checked.stdout.strip()
    error = refused(amphi("rehearse", str(broken), cwd=tmp_path))
    assert checked.stdout.strip() in error
    assert "the meeting files have problems" in error


def test_run_with_a_token_does_not_rehearse(tmp_path: Path) -> None:
    """The token is there: `make run` means the real bot (here, stopped by a bad setting)."""
    env = {"DISCORD_TOKEN": "MTAxMjM0NTY3ODkwMTIzNDU2.Gabcde.fake-token", "DISCORD_GUILD_ID": "x"}
    result = amphi("run", "--rehearse-without-token", "--speed", "50", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "--speed only apply to rehearsals; ignored" in result.stderr
    assert "DISCORD_GUILD_ID" in result.stderr
    assert "nothing goes to Discord" not in result.stdout


def test_a_french_rehearsal_writes_its_transcript_as_html(tmp_path: Path) -> None:
    out = tmp_path / "répétition.html"
    morning = ("--from", "09:30", "--attendees", "30", "--speed", "2000", "--lang", "fr")
    result = amphi("rehearse", str(SHIPPED_MEETING), *morning, "--out", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>")
    assert "Vous êtes inscrit" in page or "inscrit" in page  # the registration replies
    assert "Session 1" in page and "commence" in page  # the reminders, in French
    said = flat(result.stdout)
    assert "Failures: none." in said
    # Thirty members for 600 seats: the summary says what could not be rehearsed.
    assert "the waitlist: 26 attendees in person for 600 seats" in said and "fills the room" in said


def test_a_rehearsal_of_the_days_end_says_what_it_could_not_play(tmp_path: Path) -> None:
    result = amphi(
        "rehearse", str(SHIPPED_MEETING), "--from", "17:50", "--attendees", "5",
        "--speed", "600", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    said = flat(result.stdout)
    assert "registration: it closed at 10:00, before the rehearsal began" in said
    assert "an announcement with DMs: the rehearsal ends before its time" in said
    assert "Traceback" not in result.stderr


def tracked_copy(folder: Path) -> Path:
    """The project's files as a fresh clone has them: no .env, no store, no virtualenv."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source, target = ROOT / name, folder / name
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)  # the times too: make sees nothing to reinstall
    return folder


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_without_a_token_rehearses_and_exits_0(tmp_path: Path) -> None:
    clone = tracked_copy(tmp_path / "clone")
    assert not (clone / ".env").exists()
    stamp = tmp_path / "installed"
    stamp.touch()  # installed already: this test is about what `make run` does next
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "AMPHI_"))}
    env["TMPDIR"] = str(tmp_path / "tmp")  # where the throw-away store goes, and must not stay
    (tmp_path / "tmp").mkdir()
    result = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "run",
            f"STAMP={stamp}",
            f"BIN={Path(sys.executable).parent}",
            f"ARGS={' '.join(SHORT)}",
        ],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    shown = result.stdout + result.stderr
    assert result.returncode == 0, shown
    assert result.stdout.index("nothing goes to Discord") < result.stdout.index("Summary"), shown
    said = flat(result.stdout)
    assert "To run for real: put DISCORD_TOKEN and DISCORD_GUILD_ID in .env" in said
    assert "Failures: none." in said, shown
    assert not (clone / "data" / "amphi.sqlite3").exists()  # nothing of the real store's
    assert list((tmp_path / "tmp").iterdir()) == []  # the rehearsal's store is thrown away
