"""The store on SQLite and PostgreSQL: migrations, meetings saved and reloaded, UTC instants."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import inspect
from sqlmodel import select

from bot.programme import queries as store
from bot.programme.files import load_meeting_file
from bot.store import state
from bot.store.db import Database
from bot.store.migrate import current_revision, head_revision, upgrade
from bot.store.models import SpeakerRow, TalkRow
from tests.support.paths import SHIPPED_MEETING

NOW = datetime(2021, 6, 1, 12, 0, tzinfo=UTC)


def test_migrations_reach_head_and_are_idempotent(db: Database) -> None:
    assert current_revision(db.engine) == head_revision()
    upgrade(db.engine)
    tables = set(inspect(db.engine).get_table_names())
    assert {"meeting", "meeting_session", "talk", "speaker", "app_state"} <= tables
    assert "removed_at" in {column["name"] for column in inspect(db.engine).get_columns("talk")}


def test_sqlite_runs_in_wal_mode(sqlite_url: str) -> None:
    database = Database(sqlite_url)
    with database.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() > 0
    database.close()


def test_meeting_round_trip(db: Database) -> None:
    meeting = load_meeting_file(SHIPPED_MEETING)
    db.call(store.save_meeting, meeting=meeting, source="test", now=NOW, write=True)
    [loaded] = db.call(store.load_meetings)
    assert loaded == meeting
    assert loaded.talks[0].start == datetime(2021, 6, 28, 8, 0, tzinfo=UTC)
    assert loaded.talks[0].start.tzinfo is not None


async def test_run_uses_a_worker_thread(db: Database) -> None:
    meeting = load_meeting_file(SHIPPED_MEETING)
    await db.run(store.save_meeting, meeting=meeting, source="test", now=NOW, write=True)
    assert [m.slug for m in await db.run(store.load_meetings)] == [meeting.slug]


def test_reload_keeps_what_hangs_on_unchanged_talks(db: Database) -> None:
    meeting = load_meeting_file(SHIPPED_MEETING)
    db.call(store.save_meeting, meeting=meeting, source="test", now=NOW, write=True)

    def link_biau(session) -> int:
        speaker = session.exec(select(SpeakerRow).where(SpeakerRow.name == "Gérard Biau")).one()
        speaker.discord_user_id = 4242
        session.add(speaker)
        return speaker.talk_id

    biau_talk_id = db.call(link_biau, write=True)

    # The second talk moves by ten minutes, the last one is withdrawn, a new one is added.
    first, second, *rest = meeting.sessions[1].talks
    moved = replace(
        second, start=second.start + timedelta(minutes=10), end=second.end + timedelta(minutes=5)
    )
    added = replace(rest[-1], key="a-new-talk", title="A new talk", speakers=())
    edited = replace(
        meeting,
        sessions=(
            meeting.sessions[0],
            replace(meeting.sessions[1], talks=(first, moved, *rest[:-1], added)),
        ),
    )
    db.call(store.save_meeting, meeting=edited, source="test", now=NOW, write=True)

    [loaded] = db.call(store.load_meetings)
    assert loaded == edited
    biau = db.call(
        lambda s: s.exec(select(SpeakerRow).where(SpeakerRow.name == "Gérard Biau")).one()
    )
    assert biau.discord_user_id == 4242
    assert biau.talk_id == biau_talk_id
    keys = db.call(lambda s: [t.key for t in s.exec(select(TalkRow))])
    assert rest[-1].key not in keys
    assert "a-new-talk" in keys
    assert len(keys) == 11


def test_app_state(db: Database) -> None:
    assert db.call(state.get_state, key="x") is None
    db.call(state.set_state, key="x", value="1", write=True)
    db.call(state.set_state, key="x", value="2", write=True)
    assert db.call(state.get_state, key="x") == "2"


def test_a_corrected_title_keeps_the_talk(db: Database) -> None:
    meeting = load_meeting_file(SHIPPED_MEETING)
    db.call(store.save_meeting, meeting=meeting, source="test", now=NOW, write=True)
    first = meeting.sessions[0].talks[0]
    before = db.call(lambda s: s.exec(select(TalkRow).where(TalkRow.key == first.key)).one())
    fixed = replace(first, key="some-theoretical-insights-into-wgans", title="… into WGANs")
    edited = replace(
        meeting,
        sessions=(
            replace(meeting.sessions[0], talks=(fixed, *meeting.sessions[0].talks[1:])),
            meeting.sessions[1],
        ),
    )
    db.call(store.save_meeting, meeting=edited, source="test", now=NOW, write=True)
    after = db.call(lambda s: s.exec(select(TalkRow).where(TalkRow.key == fixed.key)).one())
    assert after.id == before.id and after.title == "… into WGANs"
    assert len(db.call(lambda s: s.exec(select(TalkRow)).all())) == 11
