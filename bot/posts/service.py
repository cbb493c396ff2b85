"""The post scheduler: APScheduler jobs over planned-post rows, each post sent exactly once.

The database row is the truth: a job carries only the post's key, its id is the key, and firing
it claims the row before anything is sent. At start a reconcile pass sends what was missed by
less than the meeting's grace period (marked late), records the rest as skipped, resumes what a
crash interrupted, and schedules the future.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.core.clock import Clock, wall_seconds
from bot.core.errors import Deposed
from bot.posts import queries as store
from bot.posts.model import PlannedPost, PostKind, PostRecord, plan_posts
from bot.programme.service import ProgrammeService
from bot.store.db import Database

log = logging.getLogger(__name__)

#: Discord drops a message whose nonce it saw from the same author in the last few minutes; a
#: post interrupted mid-send is sent again within this window only.
NONCE_WINDOW = timedelta(minutes=4)

#: Pauses before trying a failed delivery again (discord.py has already retried 429s and 5xx).
RETRY_DELAYS = (2.0, 8.0)

#: A post fired this soon after its time is on time (an announcement sent "now", say): real
#: seconds, so that a rehearsal's fast clock does not make a moment's work look late.
ON_TIME = timedelta(seconds=5)
#: A post skipped this long after its time is told in the log as information, not a warning.
LONG_PAST = timedelta(days=1)

#: Delivers a post; `late` when it goes out during catch-up. Returns the message id, if any.
Deliver = Callable[[PlannedPost, bool], Awaitable[int | None]]


class PostScheduler:
    """Plans, schedules and fires the posts of every loaded meeting."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        programme: ProgrammeService,
        *,
        remote_link: bool,
        live_events: bool = False,
    ) -> None:
        self.db = db
        self.clock = clock
        self.programme = programme
        self.remote_link = remote_link
        self.live_events = live_events
        self._handlers: dict[PostKind, Deliver] = {}
        self._scheduler: AsyncIOScheduler | None = None
        self._in_flight: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.started = asyncio.Event()  # set once the first reconcile pass has run

    def handle(self, kind: PostKind, deliver: Deliver) -> None:
        """Use `deliver` to send posts of `kind` (the cogs register theirs)."""
        self._handlers[kind] = deliver

    async def start(self) -> None:
        """Reconcile with the store, then fire each post at its time (unless stopped meanwhile:
        a process told to stop as it starts)."""
        scheduler = AsyncIOScheduler(timezone=UTC)
        self._scheduler = scheduler
        scheduler.start()
        await self.replan()
        if self._scheduler is scheduler:
            self.started.set()

    async def stop(self) -> None:
        """Stop scheduling; posts being sent finish first."""
        self.started.clear()
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def stop_now(self) -> None:
        """Stop scheduling, and the posts being sent with it (the lease is lost: the new
        active sends what is left, each post claimed in the store once)."""
        self.started.clear()
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        for task in self._tasks:
            task.cancel()

    async def replan(self) -> None:
        """Bring the stored plan in step with the programme and (re)schedule what is open."""
        records: dict[str, PostRecord] = {}
        for meeting in await self.programme.meetings():
            posts = plan_posts(meeting, remote_link=self.remote_link, live_events=self.live_events)
            for record in await self.db.run(
                store.sync_plan, slug=meeting.slug, posts=posts, now=self.clock(), write=True
            ):
                records[record.post.key] = record
        await self._schedule(list(records.values()), prune=True)

    async def track(self, key: str) -> None:
        """Schedule a post stored by someone else (an announcement, planned with its row)."""
        record = await self.db.run(store.get, key=key)
        if record is not None:
            await self.schedule(record)

    async def schedule(self, record: PostRecord) -> None:
        """Schedule a post stored by someone else, as the transaction that stored it read it."""
        if self._scheduler is not None:
            await self._schedule([record])

    def forget(self, key: str) -> None:
        """Drop the job of a post cancelled in the store."""
        if self._scheduler is not None and self._scheduler.get_job(key):
            self._scheduler.remove_job(key)

    async def get(self, key: str) -> PostRecord | None:
        """One post and where it stands."""
        return await self.db.run(store.get, key=key)

    async def claimed_at(self, key: str) -> datetime | None:
        """When a post was claimed for sending."""
        return await self.db.run(store.claimed_at, key=key)

    async def timeline(self, slug: str) -> list[PostRecord]:
        """Every post of a meeting and where it stands."""
        return await self.db.run(store.timeline, slug=slug)

    async def _schedule(self, records: list[PostRecord], *, prune: bool = False) -> None:
        """Schedule the open `records`; `prune` drops the jobs of posts no longer open. Stopped
        meanwhile (while the store was read), nothing is scheduled."""
        scheduler = self._scheduler
        if prune and scheduler is not None:
            open_keys = {r.post.key for r in await self.db.run(store.open_posts)}
            for job in scheduler.get_jobs():
                if job.id not in open_keys:
                    job.remove()
        if scheduler is None or self._scheduler is not scheduler:
            return
        now = self.clock()
        for record in records:
            post = record.post
            if record.status == "sending":
                self._spawn(self._resume(post))
            elif record.status != "pending":
                continue
            elif post.due <= now:
                late = wall_seconds(self.clock, now - post.due) > ON_TIME.total_seconds()
                self._spawn(self.fire(post.key, catch_up=late))
            else:
                # Relative to the injected clock, so a test's clock, a rehearsal's fast one and
                # the real one agree.
                wait = wall_seconds(self.clock, post.due - now)
                run_at = datetime.now(UTC) + timedelta(seconds=wait)
                scheduler.add_job(
                    self._job,
                    "date",
                    run_date=run_at,
                    id=post.key,
                    args=[post.key],
                    replace_existing=True,
                    misfire_grace_time=None,  # lateness is judged by `fire` against the grace
                )

    async def _job(self, key: str) -> None:
        # APScheduler cancels its jobs at shutdown; a task of ours is awaited by `stop` instead.
        self._spawn(self.fire(key))

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def fire(self, key: str, *, catch_up: bool = False) -> None:
        """Send the post `key` if it is still pending and within its grace; idempotent."""
        if key in self._in_flight:
            return
        self._in_flight.add(key)
        try:
            graces = {
                m.slug: timedelta(minutes=m.reminders.grace_minutes)
                for m in await self.programme.meetings()
            }
            now = self.clock()
            outcome, record = await self.db.run(
                store.claim_due, key=key, now=now, graces=graces, write=True
            )
            if record is None:
                return
            if outcome == "skipped":
                # A post missed by hours is the operator's concern; one due days before (a call
                # for contributions' reminder, planned when the meeting file was loaded after the
                # call had closed) was never this run's to send.
                missed = now - record.post.due
                log.log(
                    logging.WARNING if missed < LONG_PAST else logging.INFO,
                    "Skipped post %s: due %s, %s ago (beyond grace)",
                    key,
                    record.post.due,
                    missed,
                )
                return
            await self._deliver_and_record(record.post, late=catch_up)
        finally:
            self._in_flight.discard(key)

    async def _resume(self, post: PlannedPost) -> None:
        """A post claimed before a crash: send it again only where no duplicate can result. One
        this process is sending (a replan meanwhile reads it as claimed) is left to that send."""
        if post.key in self._in_flight:
            return
        self._in_flight.add(post.key)
        try:
            await self._resume_claimed(post)
        finally:
            self._in_flight.discard(post.key)

    async def _resume_claimed(self, post: PlannedPost) -> None:
        now = self.clock()
        claimed = await self.db.run(store.claimed_at, key=post.key)
        # Delivery rows keep broadcasts (the digest's DMs too) from repeating; a single post's
        # nonce does so only while Discord remembers it.
        broadcast = post.kind in (
            PostKind.LINK_DMS,
            PostKind.ANNOUNCEMENT,
            PostKind.QA_DIGEST,
            PostKind.PROGRAMME_CHANGES,
        )
        recent = claimed is not None and now - claimed <= NONCE_WINDOW
        if broadcast or recent:
            log.info("Resuming post %s, interrupted while sending", post.key)
            await self._deliver_and_record(post, late=True)
            return
        log.warning("Post %s was interrupted while sending too long ago; not repeated", post.key)
        await self.db.run(
            store.finish,
            key=post.key,
            status="skipped",
            now=now,
            detail="interrupted while sending; not repeated",
            write=True,
        )

    async def _deliver_with_retries(self, post: PlannedPost, late: bool) -> int | None:
        """Deliver, trying again after a failure: the nonce and the DM rows make it safe."""
        for delay in RETRY_DELAYS:
            try:
                return await self._handlers[post.kind](post, late)
            except Deposed:
                raise  # the next active sends it, claimed as it is
            except Exception as error:
                log.warning("Post %s failed (%s); trying again in %g s", post.key, error, delay)
                await asyncio.sleep(delay)
        return await self._handlers[post.kind](post, late)

    async def _deliver_and_record(self, post: PlannedPost, *, late: bool) -> None:
        try:
            message_id = await self._deliver_with_retries(post, late)
        except Deposed:
            log.info("Post %s is left to the next active instance", post.key)
            return
        except Exception as error:
            log.exception("Could not send post %s", post.key)
            await self.db.run(
                store.finish,
                key=post.key,
                status="failed",
                now=self.clock(),
                detail=f"{type(error).__name__}: {error}"[:200],
                write=True,
            )
            return
        await self.db.run(
            store.finish,
            key=post.key,
            status="late" if late else "sent",
            now=self.clock(),
            message_id=message_id,
            write=True,
        )
