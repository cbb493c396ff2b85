"""Whose meeting files make the programme when several `amphi run` share a store: only the
instance holding the lease writes them. A standby started on other files (or a newer copy)
leaves the active's programme alone, and loads its own once it takes over."""

from __future__ import annotations

import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.programme.queries import load_meetings
from bot.store.db import Database
from tests.support.processes import Runs, kill, meeting_file, run_env
from tests.support.takeover import live_connection, says_active, signal_active, taken_over

TITLE_A = "A talk"
TITLE_B = "Another talk, as the standby's file has it"


def meeting_files(folder: Path, title: str) -> Path:
    """A folder holding one meeting file (half an hour ahead) whose talk is called `title`."""
    folder.mkdir()
    start = (datetime.now(UTC) + timedelta(minutes=30)).replace(second=0, microsecond=0)
    path = meeting_file(folder, start, start - timedelta(minutes=5), start)
    path.write_text(
        path.read_text(encoding="utf-8").replace(f'title = "{TITLE_A}"', f'title = "{title}"'),
        encoding="utf-8",
    )
    return folder


def stored_titles(database_url: str) -> list[str]:
    """The talks of the programme the store holds, read through the store."""
    db = Database(database_url)
    try:
        return [talk.title for meeting in db.call(load_meetings) for talk in meeting.talks]
    finally:
        db.close()


async def programme_shown(fake, name: str) -> str:
    """What the active answers a member asking for /programme."""
    member = fake.add_member(name)
    return (await (await fake.invoke("programme", user=member)).message(timeout=10)).text()


async def test_a_standby_on_other_meeting_files_loads_them_only_once_it_takes_over(
    fake, tmp_path: Path, runs: Runs
) -> None:
    database = f"sqlite:///{tmp_path / 'amphi.sqlite3'}"
    env_a = run_env(fake, meeting_files(tmp_path / "a", TITLE_A), database, AMPHI_LEASE_SECONDS="3")
    env_b = {**env_a, "AMPHI_MEETINGS": str(meeting_files(tmp_path / "b", TITLE_B))}
    active = await runs.start(fake, env_a)
    standby = await runs.start_standby(env_b)
    try:
        # The standby's files stay out of the store while the active lives.
        assert stored_titles(database) == [TITLE_A], runs.output()
        assert "Loaded 1 meeting(s)" not in runs.log_of(2), runs.output()
        shown = await programme_shown(fake, "early")
        assert TITLE_A in shown and TITLE_B not in shown, shown

        # The active dies: the standby takes the lease, then loads its own files.
        dead = live_connection(fake)
        killed_at = await signal_active(active, signal.SIGKILL)
        await taken_over(fake, dead, killed_at)
        assert says_active(runs, 2), runs.output()
        assert stored_titles(database) == [TITLE_B], runs.output()
        assert "Loaded 1 meeting(s)" in runs.log_of(2), runs.output()
        shown = await programme_shown(fake, "late")
        assert TITLE_B in shown and TITLE_A not in shown, shown
    finally:
        await kill(active)
        await kill(standby)


async def test_a_standby_with_broken_meeting_files_is_refused_at_start(
    fake, tmp_path: Path, runs: Runs
) -> None:
    database = f"sqlite:///{tmp_path / 'amphi.sqlite3'}"
    env = run_env(fake, meeting_files(tmp_path / "a", TITLE_A), database, AMPHI_LEASE_SECONDS="3")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "x.toml").write_text('slug = "x"\ntitle = ""\n', encoding="utf-8")
    active = await runs.start(fake, env)
    try:
        status = await runs.run_refused({**env, "AMPHI_MEETINGS": str(broken)})
        said = runs.log_of(2)
        assert status == 2, runs.output()
        assert "the meeting files have problems" in said and "x.toml: date" in said, said
        assert "Standing by" not in said and "Traceback" not in said, said
        assert stored_titles(database) == [TITLE_A]
    finally:
        await kill(active)


async def test_files_broken_after_start_up_leave_the_new_active_on_the_stored_programme(
    fake, tmp_path: Path, runs: Runs
) -> None:
    database = f"sqlite:///{tmp_path / 'amphi.sqlite3'}"
    env_a = run_env(fake, meeting_files(tmp_path / "a", TITLE_A), database, AMPHI_LEASE_SECONDS="3")
    files_b = meeting_files(tmp_path / "b", TITLE_B)
    active = await runs.start(fake, env_a)
    standby = await runs.start_standby({**env_a, "AMPHI_MEETINGS": str(files_b)})
    try:
        # Valid at the standby's start, broken by an edit while it waits.
        (files_b / "crash.toml").write_text('slug = "crash-test"\ntitle = ""\n', encoding="utf-8")
        dead = live_connection(fake)
        killed_at = await signal_active(active, signal.SIGKILL)
        await taken_over(fake, dead, killed_at)
        said = runs.log_of(2)
        assert "have problems since start-up" in said and "crash.toml: date" in said, said
        assert "Traceback" not in said, said
        assert stored_titles(database) == [TITLE_A], runs.output()
        shown = await programme_shown(fake, "after")
        assert TITLE_A in shown and TITLE_B not in shown, shown
    finally:
        await kill(active)
        await kill(standby)
