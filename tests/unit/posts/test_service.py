"""The post scheduler on SQLite and PostgreSQL, with an injected clock: once, late, skipped."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.clock import FastClock
from bot.core.errors import Deposed
from bot.posts import queries as store
from bot.posts.model import PlannedPost, PostKind, post_key
from bot.posts.service import NONCE_WINDOW, PostScheduler
from bot.programme.service import ProgrammeService
from bot.store.db import Database
from tests.support.harness import FakeClock, eventually
from tests.support.paths import SHIPPED_MEETING

SLUG = "theorie-du-deep-learning-2021"
REMINDER = post_key(SLUG, PostKind.SESSION_REMINDER, "s-session-1", 15)  # due 07:45 UTC
DUE = datetime(2021, 6, 28, 7, 45, tzinfo=UTC)


class Recorder:
    """A delivery that records what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bool]] = []
        self.fail: set[str] = set()
        self.failures_left = 0
        self.attempts = 0
        self.delay = 0.0

    async def __call__(self, post, late: bool) -> int:
        await asyncio.sleep(self.delay)
        self.attempts += 1
        if post.key in self.fail:
            raise RuntimeError("Discord is down")
        if self.failures_left:
            self.failures_left -= 1
            raise RuntimeError("a passing outage")
        self.sent.append((post.key, late))
        return len(self.sent)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2021, 6, 1, tzinfo=UTC))


@pytest.fixture
async def engine(db: Database, clock: FakeClock):
    programme = ProgrammeService(db, clock)
    programme.import_files(SHIPPED_MEETING)
    scheduler = PostScheduler(db, clock, programme, remote_link=False)
    recorder = Recorder()
    for kind in PostKind:
        scheduler.handle(kind, recorder)
    scheduler.recorder = recorder  # type: ignore[attr-defined]
    yield scheduler
    await scheduler.stop()


def shifted(meeting, shift: timedelta):
    """The meeting with every session and talk moved by `shift`."""

    def move(item):
        return replace(item, start=item.start + shift, end=item.end + shift)

    moved = replace(
        meeting,
        sessions=tuple(
            replace(move(s), talks=tuple(move(t) for t in s.talks)) for s in meeting.sessions
        ),
    )
    return replace(moved, day=moved.local_day(moved.start))  # its date moves with it


def statuses(db: Database) -> dict[str, str]:
    return {r.post.key: r.status for r in db.call(store.timeline, slug=SLUG)}


async def test_start_plans_everything_and_sends_nothing_early(engine, db) -> None:
    await engine.start()
    assert set(statuses(db).values()) == {"pending"}
    assert len(statuses(db)) == 2 * 2 + 3 * 11 + 2  # and the call's reminders
    assert engine.recorder.sent == []
    # On 1 June the call closed already: its reminders, long past, are not scheduled.
    future = {key for key in statuses(db) if ":call-reminder:" not in key}
    assert {job.id for job in engine._scheduler.get_jobs()} == future


async def test_a_post_fires_once_even_when_fired_twice(engine, db, clock) -> None:
    await engine.start()
    clock.now = DUE
    await asyncio.gather(engine.fire(REMINDER), engine.fire(REMINDER))
    await engine.fire(REMINDER)
    assert engine.recorder.sent == [(REMINDER, False)]
    assert statuses(db)[REMINDER] == "sent"


async def test_missed_within_grace_is_sent_late_beyond_is_skipped(engine, db, clock) -> None:
    clock.now = DUE + timedelta(minutes=15, seconds=30)  # 07:45 reminder missed by 15.5 min
    # 08:00 reminder and the first talk start were missed by 30 s: within the 5-minute grace.
    await engine.start()
    await asyncio.sleep(0.05)
    await engine.stop()
    s = statuses(db)
    assert s[REMINDER] == "skipped"
    assert s[post_key(SLUG, PostKind.SESSION_REMINDER, "s-session-1", 0)] == "late"
    assert sorted(k for k, late in engine.recorder.sent) == sorted(
        [
            post_key(SLUG, PostKind.SESSION_REMINDER, "s-session-1", 0),
            post_key(SLUG, PostKind.TALK_START, "some-theoretical-insights-into-wasserstein-gans"),
            post_key(SLUG, PostKind.QA_THREAD, "some-theoretical-insights-into-wasserstein-gans"),
        ]
    )
    assert all(late for _key, late in engine.recorder.sent)


async def test_a_restart_sends_nothing_twice(engine, db, clock) -> None:
    await engine.start()
    clock.now = DUE
    await engine.fire(REMINDER)
    await engine.stop()
    await engine.start()  # a restart reconciles with the store
    await asyncio.sleep(0.05)
    assert engine.recorder.sent == [(REMINDER, False)]


async def test_interrupted_sends_are_resumed_only_within_the_nonce_window(
    engine, db, clock
) -> None:
    clock.now = DUE - timedelta(minutes=1)
    await engine.start()
    await engine.stop()
    other = post_key(SLUG, PostKind.SESSION_REMINDER, "s-session-2", 15)
    db.call(store.claim, key=REMINDER, now=DUE, write=True)  # the process died mid-send
    db.call(store.claim, key=other, now=DUE - NONCE_WINDOW - timedelta(minutes=1), write=True)
    clock.now = DUE + timedelta(minutes=1)
    await engine.start()
    await eventually(lambda: statuses(db)[REMINDER] == "late")
    # Each interrupted post is resumed by a task of its own: the other may end a moment later.
    await eventually(lambda: statuses(db)[other] == "skipped")
    assert engine.recorder.sent == [(REMINDER, True)]


async def test_a_replan_while_a_post_is_being_sent_does_not_send_it_again(
    engine, db, clock
) -> None:
    await engine.start()
    clock.now = DUE
    engine.recorder.delay = 0.5  # Discord is slow: the post stays claimed a while
    sending = asyncio.create_task(engine.fire(REMINDER))
    await eventually(lambda: statuses(db)[REMINDER] == "sending")
    await engine.replan()  # e.g. a programme edit meanwhile: it reads the post as claimed
    await sending
    await asyncio.gather(*engine._tasks)  # whatever the replan set going
    assert engine.recorder.sent == [(REMINDER, False)]
    assert statuses(db)[REMINDER] == "sent"


async def test_a_failed_delivery_is_tried_again_then_recorded(
    engine, db, clock, monkeypatch
) -> None:
    monkeypatch.setattr("bot.posts.service.RETRY_DELAYS", (0, 0))
    await engine.start()
    engine.recorder.fail.add(REMINDER)
    clock.now = DUE
    await engine.fire(REMINDER)
    record = db.call(store.get, key=REMINDER)
    assert record.status == "failed" and "Discord is down" in record.detail
    assert engine.recorder.attempts == 3


async def test_a_passing_outage_is_ridden_out(engine, db, clock, monkeypatch) -> None:
    monkeypatch.setattr("bot.posts.service.RETRY_DELAYS", (0, 0))
    await engine.start()
    engine.recorder.failures_left = 2
    clock.now = DUE
    await engine.fire(REMINDER)
    assert engine.recorder.sent == [(REMINDER, False)]
    assert db.call(store.get, key=REMINDER).status == "sent"


async def test_a_changed_programme_moves_pending_posts_only(engine, db, clock) -> None:
    await engine.start()
    clock.now = DUE
    await engine.fire(REMINDER)
    meeting = (await engine.programme.meetings())[0]
    session = meeting.sessions[0]
    later = replace(
        session,
        start=session.start + timedelta(minutes=30),
        talks=session.talks[:1],
    )
    talk = replace(later.talks[0], start=later.start, end=later.start + timedelta(minutes=45))
    later = replace(later, talks=(talk,))
    edited = replace(meeting, sessions=(later, meeting.sessions[1]))
    engine.programme._meetings = [edited]
    await engine.replan()
    timeline = {r.post.key: r for r in db.call(store.timeline, slug=SLUG)}
    assert timeline[REMINDER].status == "sent"  # history stays
    at_start = post_key(SLUG, PostKind.SESSION_REMINDER, "s-session-1", 0)
    assert timeline[at_start].status == "pending"
    assert timeline[at_start].post.due == DUE + timedelta(minutes=45)
    dropped = post_key(SLUG, PostKind.TALK_START, meeting.sessions[0].talks[1].key)
    assert timeline[dropped].status == "cancelled"
    assert engine._scheduler.get_job(dropped) is None


async def test_apscheduler_fires_at_the_time(db) -> None:
    now = datetime.now(UTC)
    clock = FakeClock(now)
    programme = ProgrammeService(db, clock)
    programme.import_files(SHIPPED_MEETING)
    meeting = (await programme.meetings())[0]
    # Shift the whole day so the 15-minute reminder is due 0.3 s from now.
    shift = now + timedelta(seconds=0.3) - (meeting.sessions[0].start - timedelta(minutes=15))
    moved = shifted(meeting, shift)
    programme._meetings = [moved]
    scheduler = PostScheduler(db, clock, programme, remote_link=False)
    recorder = Recorder()
    for kind in PostKind:
        scheduler.handle(kind, recorder)
    await scheduler.start()
    try:
        await asyncio.sleep(0.1)
        assert recorder.sent == []
        clock.now = now + timedelta(seconds=1)
        await asyncio.sleep(0.6)
        assert recorder.sent == [(REMINDER, False)]
    finally:
        await scheduler.stop()


async def test_a_skipped_post_moved_later_is_planned_again(engine, db, clock) -> None:
    clock.now = DUE + timedelta(minutes=10)  # the 07:45 reminder is skipped at start
    await engine.start()
    await eventually(lambda: statuses(db)[REMINDER] == "skipped")
    meeting = (await engine.programme.meetings())[0]
    shift = timedelta(hours=1)
    moved = shifted(meeting, shift)
    engine.programme._meetings = [moved]
    await engine.replan()
    assert statuses(db)[REMINDER] == "pending"
    clock.now = DUE + shift
    await engine.fire(REMINDER)
    assert (REMINDER, False) in engine.recorder.sent


async def test_on_a_fast_clock_a_post_fires_after_its_time_in_wall_seconds(db: Database) -> None:
    """A rehearsal's clock runs 600 times as fast: a post due in ten minutes fires after 1 s
    (slower than the rehearsal's, so that a loaded machine's delay stays inside the grace)."""
    clock = FastClock(DUE - timedelta(minutes=10), 600)
    programme = ProgrammeService(db, clock)
    programme.import_files(SHIPPED_MEETING)
    scheduler = PostScheduler(db, clock, programme, remote_link=False)
    recorder = Recorder()
    for kind in PostKind:
        scheduler.handle(kind, recorder)
    clock.go()
    try:
        await scheduler.start()
        await eventually(lambda: (REMINDER, False) in recorder.sent)
        fired_at = await scheduler.claimed_at(REMINDER)
        assert fired_at is not None and DUE <= fired_at < DUE + timedelta(minutes=5)
        # Recorded just after the delivery returns.
        await eventually(lambda: statuses(db)[REMINDER] == "sent")
    finally:
        await scheduler.stop()


def corrections(engine) -> list[str]:
    return [key for key, _ in engine.recorder.sent if ":correction:" in key]


START = DUE + timedelta(minutes=15)  # the first session's start, 08:00 UTC


def correction(number: int, start: datetime) -> str:
    reminder = PlannedPost.make(SLUG, PostKind.SESSION_REMINDER, "s-session-1", DUE, 15)
    return store.correction_key(reminder, start, number)


def repeats(db) -> dict[str, str]:
    return {
        r.post.key: r.status for r in db.call(store.timeline, slug=SLUG) if ":again:" in r.post.key
    }


async def test_a_sent_reminder_whose_session_moves_is_corrected_once_per_move(
    engine, db, clock
) -> None:
    await engine.start()
    clock.now = DUE
    await engine.fire(REMINDER)
    meeting = (await engine.programme.meetings())[0]

    async def move(minutes: float) -> None:
        engine.programme._meetings = [shifted(meeting, timedelta(minutes=minutes))]
        await engine.replan()

    await move(30)
    first = correction(1, START + timedelta(minutes=30))
    await eventually(lambda: corrections(engine) == [first])
    await engine.replan()  # the same programme again: nothing more to put right
    await move(50)
    second = correction(2, START + timedelta(minutes=50))
    await eventually(lambda: corrections(engine) == [first, second])
    await move(50 + 1 / 3)  # under a minute from what was told last
    await asyncio.sleep(0.05)
    assert corrections(engine) == [first, second]
    assert db.call(store.get, key=second).post.target == REMINDER
    assert statuses(db)[REMINDER] == "sent"
    # The reminder goes out again at the session's new time, once; the earlier repeat is off.
    again = store.repeat_key(REMINDER, DUE + timedelta(minutes=50))
    assert repeats(db) == {
        store.repeat_key(REMINDER, DUE + timedelta(minutes=30)): "cancelled",
        again: "pending",
    }
    repeated = db.call(store.get, key=again).post
    assert (repeated.kind, repeated.target, repeated.lead_minutes) == (
        PostKind.SESSION_REMINDER,
        "s-session-1",
        15,
    )

    # Back to 30 minutes later: told 50 last, so corrected again, and the earlier repeat revived.
    await move(30)
    third = correction(3, START + timedelta(minutes=30))
    await eventually(lambda: corrections(engine) == [first, second, third])
    assert repeats(db) == {
        store.repeat_key(REMINDER, DUE + timedelta(minutes=30)): "pending",
        again: "cancelled",
    }
    clock.now = DUE + timedelta(minutes=30)
    await engine.fire(store.repeat_key(REMINDER, DUE + timedelta(minutes=30)))
    sent = [key for key, _ in engine.recorder.sent if ":again:" in key]
    assert sent == [store.repeat_key(REMINDER, DUE + timedelta(minutes=30))]


async def test_one_correction_for_a_session_whatever_its_reminders(engine, db, clock) -> None:
    await engine.start()
    clock.now = DUE
    await engine.fire(REMINDER)
    clock.now = START
    at_start = post_key(SLUG, PostKind.SESSION_REMINDER, "s-session-1", 0)
    await engine.fire(at_start)
    meeting = (await engine.programme.meetings())[0]
    engine.programme._meetings = [shifted(meeting, timedelta(minutes=20))]
    await engine.replan()
    await eventually(lambda: corrections(engine) == [correction(1, START + timedelta(minutes=20))])
    # Each reminder is sent again at its own new time.
    assert repeats(db) == {
        store.repeat_key(REMINDER, DUE + timedelta(minutes=20)): "pending",
        store.repeat_key(at_start, START + timedelta(minutes=20)): "pending",
    }


async def test_no_correction_once_the_session_has_begun_or_for_posts_not_sent(
    engine, db, clock
) -> None:
    await engine.start()
    clock.now = DUE
    await engine.fire(REMINDER)
    meeting = (await engine.programme.meetings())[0]
    clock.now = DUE + timedelta(minutes=20)  # the session began at 08:00 UTC
    engine.programme._meetings = [shifted(meeting, timedelta(minutes=-10))]
    await engine.replan()
    await asyncio.sleep(0.05)
    assert corrections(engine) == []
    at_start = post_key(SLUG, PostKind.SESSION_REMINDER, "s-session-2", 0)
    assert statuses(db)[at_start] == "pending"  # not sent yet: simply moved


async def test_a_change_notice_missed_while_down_is_sent_late_not_skipped(
    engine, db, clock
) -> None:
    await engine.start()
    notice = PlannedPost.make(SLUG, PostKind.PROGRAMME_CHANGES, "n1", DUE)
    db.call(store.add_post, post=notice, write=True)
    clock.now = DUE + timedelta(hours=2)  # far beyond the 5-minute grace
    await engine.fire(notice.key, catch_up=True)
    assert (notice.key, True) in engine.recorder.sent
    assert statuses(db)[notice.key] == "late"


async def test_a_post_missed_by_minutes_is_a_warning_one_long_past_is_information(
    engine, db, clock, caplog
) -> None:
    clock.now = DUE + timedelta(minutes=15, seconds=30)  # the 07:45 reminder missed by 15.5 min
    with caplog.at_level(logging.INFO, logger="bot.posts.service"):
        await engine.start()
        await asyncio.sleep(0.05)
        await engine.stop()
    skipped = {
        r.getMessage().split(": due")[0]: r.levelno
        for r in caplog.records
        if r.getMessage().startswith("Skipped post")
    }
    assert skipped[f"Skipped post {REMINDER}"] == logging.WARNING
    call = [level for text, level in skipped.items() if ":call-reminder" in text]
    assert call == [logging.INFO, logging.INFO]  # the call closed days before: nothing missed


async def test_a_lost_lease_leaves_the_post_claimed_for_the_next_active(
    engine, db, clock, monkeypatch
) -> None:
    """The lease is lost as a post goes out: not tried again, not recorded as failed; the next
    active resumes it and sends it once."""
    monkeypatch.setattr("bot.posts.service.RETRY_DELAYS", (0, 0))
    await engine.start()
    recorder = engine.recorder
    deposed_attempts = 0

    async def deposed(post, late: bool) -> int:
        nonlocal deposed_attempts
        deposed_attempts += 1
        raise Deposed("this instance no longer holds the lease; nothing more is sent")

    engine.handle(PostKind.SESSION_REMINDER, deposed)
    clock.now = DUE
    await engine.fire(REMINDER)
    assert deposed_attempts == 1
    assert db.call(store.get, key=REMINDER).status == "sending"
    await engine.stop()

    engine.handle(PostKind.SESSION_REMINDER, recorder)  # the next active
    clock.now = DUE + timedelta(seconds=30)
    await engine.start()
    await eventually(lambda: statuses(db)[REMINDER] == "late")
    assert recorder.sent == [(REMINDER, True)]


async def test_a_stop_while_starting_leaves_nothing_scheduled_and_no_error(
    engine, db, monkeypatch
) -> None:
    """Told to stop as it starts (a process stopped at once): the start reading the store
    ends quietly, and nothing is left scheduled."""
    reading = asyncio.Event()
    carry_on = asyncio.Event()
    run = db.run

    async def slow_run(*args, **kwargs):
        reading.set()
        await carry_on.wait()
        return await run(*args, **kwargs)

    monkeypatch.setattr(db, "run", slow_run)
    starting = asyncio.create_task(engine.start())
    await asyncio.wait_for(reading.wait(), 5)
    await engine.stop()
    carry_on.set()
    await asyncio.wait_for(starting, 5)  # no error
    assert not engine.started.is_set()
    assert engine._scheduler is None
    assert engine.recorder.sent == []
