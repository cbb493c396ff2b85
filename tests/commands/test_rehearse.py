"""`amphi rehearse` and `make run` without a token, run as a newcomer runs them: processes
that play part of the day against the built-in Discord double."""

from __future__ import annotations

import html
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.command_line import amphi_process, clean_environment
from tests.support.paths import ROOT, SHIPPED_MEETING

#: A short stretch of the day: the second session, with a few members, in about 10 s.
SHORT = ("--from", "15:30", "--attendees", "20", "--speed", "900")


def flat(text: str) -> str:
    """The output with the terminal's line wrapping undone."""
    return " ".join(text.split())


def test_a_french_rehearsal_writes_its_transcript_as_html(tmp_path: Path) -> None:
    out = tmp_path / "répétition.html"
    # From 09:00: an hour of the rehearsal's clock (1.8 s) for the thirty to register before
    # registration closes at 10:00, even on a machine busy with other tests.
    morning = ("--from", "09:00", "--attendees", "30", "--speed", "2000", "--lang", "fr")
    result = amphi_process(
        "rehearse", str(SHIPPED_MEETING), *morning, "--out", str(out), cwd=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>")
    assert "Vous êtes inscrit" in page or "inscrit" in page  # the registration replies
    assert "Session 1" in page and "commence" in page  # the reminders, in French
    # The frame speaks French too, dates as a French Discord client shows them, commands by
    # their French names, with French typography.
    assert "<h1>Répétition de «\u202fThéorie du deep learning\u202f», 28 juin 2021</h1>" in page
    text = html.unescape(page)
    assert "Capacité de la salle\u202f: 600" in text and "jusqu'au 28 juin 2021 10:00" in text
    assert "/inscription mode:" in page and "réponse que seul·e" in page
    assert "<h2>Bilan</h2>" in page and "Échecs\u202f: aucun." in page
    english = ("June", "Rehearsal", "Summary", "only ", "The same DM", "link to", "/register")
    assert [word for word in english if word in page] == []
    said = flat(result.stdout)
    assert "rien ne part sur Discord" in said and "Échecs : aucun." in said
    # Thirty members for 600 seats: the summary says what could not be rehearsed.
    assert "la liste d'attente : 26 participants en présentiel pour 600 places" in said
    assert "remplit la salle" in said


def test_a_rehearsal_of_the_days_end_says_what_it_could_not_play(tmp_path: Path) -> None:
    result = amphi_process(
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
    env = clean_environment()
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
