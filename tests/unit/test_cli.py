"""The `amphi` command line, called in the test's process: what each command says and does, and
what it refuses."""

from __future__ import annotations

from pathlib import Path

from bot.store.migrate import head_revision
from tests.support.paths import SHIPPED_MEETING


def test_run_without_a_token_exits_2_saying_how_to_get_one(cli, tmp_path: Path) -> None:
    result = cli("run", cwd=tmp_path)
    assert result.returncode == 2
    assert "DISCORD_TOKEN is not set" in result.stderr
    assert "https://discord.com/developers/applications" in result.stderr
    assert ".env" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_with_an_invalid_setting_names_it(cli, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "DISCORD_TOKEN=MTAxMjM0NTY3ODkwMTIzNDU2.Gabcde.fake-token\nDISCORD_GUILD_ID=the-lab\n"
    )
    result = cli("run", cwd=tmp_path)
    assert result.returncode == 2
    assert "DISCORD_GUILD_ID" in result.stderr and "the-lab" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_with_broken_meeting_files_lists_the_problems(cli, tmp_path: Path) -> None:
    broken = tmp_path / "meetings"
    broken.mkdir()
    (broken / "x.toml").write_text('slug = "x"\ntitle = ""\n')
    env = {
        "DISCORD_TOKEN": "MTAxMjM0NTY3ODkwMTIzNDU2.Gabcde.fake-token",
        "DISCORD_GUILD_ID": "1",
        "AMPHI_MEETINGS": str(broken),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'a.sqlite3'}",
    }
    result = cli("run", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "x.toml: date" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_passes_on_the_shipped_meeting(cli, tmp_path: Path) -> None:
    result = cli("check", str(SHIPPED_MEETING), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK" in result.stdout


def test_check_defaults_to_amphi_meetings(cli, tmp_path: Path) -> None:
    result = cli("check", cwd=tmp_path, env={"AMPHI_MEETINGS": str(SHIPPED_MEETING.parent)})
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_reports_each_error_of_a_broken_copy(cli, tmp_path: Path) -> None:
    copy = tmp_path / "broken.toml"
    text = SHIPPED_MEETING.read_text(encoding="utf-8")
    text = text.replace('start = "10:45"', 'start = "25:00"', 1)
    text = text.replace("capacity = 600", 'capacity = "six hundred"', 1)
    text = text.replace('timezone = "Europe/Paris"', 'timezone = "Europe/Pariss"', 1)
    copy.write_text(text, encoding="utf-8")
    result = cli("check", str(copy), cwd=tmp_path)
    assert result.returncode == 1
    lines = [line for line in result.stdout.splitlines() if line.startswith(str(copy))]
    keys = {line.split(": ")[1] for line in lines}
    assert {"capacity", "timezone"} <= keys
    assert any("talks[1].start" in key for key in keys)
    assert "25:00" in result.stdout


def test_db_upgrade(cli, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    result = cli("db", "upgrade", cwd=tmp_path, env={"DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    assert f"revision {head_revision()}" in result.stdout


def test_status_and_export_read_the_store(cli, tmp_path: Path) -> None:
    import asyncio

    from bot.core.config import load_settings
    from bot.registration.model import Mode
    from bot.services import prepare
    from tests.support.harness import BEFORE_MEETING

    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    env = {"DATABASE_URL": url, "AMPHI_MEETINGS": str(SHIPPED_MEETING)}
    services = prepare(load_settings(env), clock=lambda: BEFORE_MEETING)
    try:
        for user, mode in [(1, Mode.IN_PERSON), (2, Mode.REMOTE)]:
            asyncio.run(
                services.registration.register(
                    user_id=user, display_name=f"u{user}", mode=mode, member=user == 1
                )
            )
    finally:
        services.close()

    status = cli("status", cwd=tmp_path, env=env)
    assert status.returncode == 0, status.stderr
    assert "registered in person: 1" in status.stdout
    assert "registered remote:    1" in status.stdout
    assert "seats left:           599" in status.stdout

    exported = cli("export", "registrations", cwd=tmp_path, env=env)
    assert exported.returncode == 0, exported.stderr
    lines = exported.stdout.splitlines()
    assert lines[0].startswith("name,discord_id,mode,member")
    assert lines[1].startswith("u1,1,in_person,yes") and lines[2].startswith("u2,2,remote,no")

    written = cli("export", "registrations", "-o", "out.csv", cwd=tmp_path, env=env)
    assert "2 registration(s) written" in written.stdout
    assert (tmp_path / "out.csv").read_text(encoding="utf-8-sig") == exported.stdout


def test_plan_lists_every_post_of_the_day_in_paris_time(cli, tmp_path: Path) -> None:
    result = cli("plan", str(SHIPPED_MEETING), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "Théorie du deep learning (theorie-du-deep-learning-2021) — 39 planned posts"
    )
    # The call for contributions closes on 31 May at 23:59: reminded a week and a day before.
    assert lines[1:3] == [
        "  2021-05-24 23:59 Europe/Paris  call-reminder     call for contributions: reminder, "
        "7 days before it closes",
        "  2021-05-30 23:59 Europe/Paris  call-reminder     call for contributions: reminder, "
        "1 day before it closes",
    ]
    assert (
        "  2021-06-28 09:45 Europe/Paris  session-reminder  Session 1: reminder, 15 min before"
        in lines
    )
    assert (
        "  2021-06-28 16:00 Europe/Paris  session-reminder  Session 2: reminder at its start"
        in lines
    )
    assert any(
        "17:00 Europe/Paris  talk-start" in line and "classical statistics" in line
        for line in lines
    )
    with_link = cli(
        "plan", str(SHIPPED_MEETING), cwd=tmp_path, env={"REMOTE_LINK": "https://v.example/x"}
    )
    assert "2021-06-28 09:50 Europe/Paris  link-dms" in with_link.stdout
    assert "https://v.example" not in with_link.stdout


def _store_with_a_question(tmp_path: Path) -> tuple[dict[str, str], str]:
    """A SQLite store holding the shipped meeting, a question on one talk; the env and its key."""
    from sqlmodel import select

    from bot.core.config import load_settings
    from bot.services import prepare
    from bot.store.models import QuestionRow, TalkRow
    from tests.support.harness import BEFORE_MEETING

    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    env = {"DATABASE_URL": url, "AMPHI_MEETINGS": str(SHIPPED_MEETING)}
    services = prepare(load_settings(env), clock=lambda: BEFORE_MEETING)
    key = "a-neural-tangent-kernel-perspective-of-gans"

    def ask(session) -> None:
        talk = session.exec(select(TalkRow).where(TalkRow.key == key)).one()
        session.add(
            QuestionRow(
                meeting_id=talk.meeting_id,
                talk_id=talk.id,
                author_id=7,
                text="Why?",
                created_at=BEFORE_MEETING,
            )
        )

    try:
        services.db.call(ask, write=True)
    finally:
        services.close()
    return env, key


def _talks(url: str) -> list[tuple]:
    from sqlmodel import select

    from bot.store.db import Database
    from bot.store.models import TalkRow

    db = Database(url)
    try:
        return db.call(
            lambda s: [(t.id, t.key, t.title, t.removed_at) for t in s.exec(select(TalkRow))]
        )
    finally:
        db.close()


def test_check_says_what_loading_would_keep_as_removed_and_changes_nothing(
    cli, tmp_path: Path
) -> None:
    env, key = _store_with_a_question(tmp_path)
    edited = tmp_path / "edited.toml"
    text = SHIPPED_MEETING.read_text(encoding="utf-8").replace('start = "11:05"', 'start = "11:10"')
    text = text.replace("Kernel Perspective of GANs", "Kernel View of GANs")
    edited.write_text(text, encoding="utf-8")
    before = _talks(env["DATABASE_URL"])

    result = cli("check", str(edited), cwd=tmp_path, env={"DATABASE_URL": env["DATABASE_URL"]})

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        f"{edited}: OK",
        'theorie-du-deep-learning-2021: would keep as removed: "A Neural Tangent Kernel '
        f'Perspective of GANs" (key {key}): 1 question(s)',
    ]
    assert _talks(env["DATABASE_URL"]) == before
    assert all(removed_at is None for *_, removed_at in before)

    unchanged = cli("check", str(SHIPPED_MEETING), cwd=tmp_path, env=env)
    assert unchanged.stdout.splitlines() == [f"{SHIPPED_MEETING}: OK"]


def test_check_without_a_store_says_nothing_more_and_creates_none(cli, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "store.sqlite3"
    result = cli(
        "check", str(SHIPPED_MEETING), cwd=tmp_path, env={"DATABASE_URL": f"sqlite:///{missing}"}
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"{SHIPPED_MEETING}: OK"]
    assert result.stderr == ""
    assert not missing.parent.exists()


def test_check_notes_a_store_it_cannot_read_in_one_line(cli, tmp_path: Path) -> None:
    for url in ("postgresql://amphi:hunter2@127.0.0.1:1/amphi", "nosuchdb://somewhere/amphi"):
        result = cli("check", str(SHIPPED_MEETING), cwd=tmp_path, env={"DATABASE_URL": url})
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines() == [f"{SHIPPED_MEETING}: OK"]
        [note] = result.stderr.splitlines()
        assert note.startswith("amphi: note: the store at ") and "was not read" in note
        assert "hunter2" not in note and "Traceback" not in result.stderr


def test_check_on_a_store_behind_the_schema_says_to_upgrade_it(cli, tmp_path: Path) -> None:
    from bot.store.db import Database
    from bot.store.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    db = Database(url)
    upgrade(db.engine, "0005")
    db.close()
    result = cli("check", str(SHIPPED_MEETING), cwd=tmp_path, env={"DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    [note] = result.stderr.splitlines()
    assert "schema revision 0005" in note and "amphi db upgrade" in note


def test_health_without_a_health_file_says_so(cli, tmp_path: Path) -> None:
    result = cli("health", cwd=tmp_path)
    assert result.returncode == 2 and "AMPHI_HEALTH_FILE is not set" in result.stderr
    missing = cli("health", cwd=tmp_path, env={"AMPHI_HEALTH_FILE": str(tmp_path / "h")})
    assert missing.returncode == 1 and "does not exist" in missing.stderr
