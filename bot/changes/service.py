"""Change notices: after an edit of the programme that touches what is still to come, one post
tells attendees what changed; edits within a few minutes of each other make one notice.

The store keeps what attendees were last told (`announced`). A notice is planned whenever the
programme differs from it in the future and none is planned already (after each edit, and at
start, so a crash between an edit and its notice loses nothing); when it is sent, what it told
becomes the new `announced`. A notice goes no sooner than `min_gap` after the last one that
told something (a source that keeps changing DMs attendees at most once per gap, each notice
telling what stands then); a change undone before its notice goes tells nothing. Organizers may
hold notices, and let them go. Each step is one transaction of `bot.changes.queries`; the rules
are `bot.changes.model`'s.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from bot.changes import queries as store
from bot.changes.model import NOTICE_DELAY, NOTICE_MIN_GAP, Notice, NoticePreview, NoticeTurn
from bot.core.clock import Clock
from bot.posts.model import PlannedPost, PostRecord
from bot.posts.service import NONCE_WINDOW, PostScheduler
from bot.programme.diff import ProgrammeDiff
from bot.programme.model import Meeting
from bot.programme.service import ProgrammeService
from bot.store.db import Database

log = logging.getLogger(__name__)


class ChangeNotices:
    """Plans, previews, holds and freezes the change notices of every meeting."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        programme: ProgrammeService,
        posts: PostScheduler,
        *,
        delay: timedelta = NOTICE_DELAY,
        min_gap: timedelta = NOTICE_MIN_GAP,
    ) -> None:
        self.db = db
        self.clock = clock
        self.programme = programme
        self.posts = posts
        self.delay = delay
        self.min_gap = min_gap  # between two notices of a meeting: each DMs its attendees
        # One notice number at a time: two transactions counting the same notices would both
        # take the next number.
        self._planning = asyncio.Lock()

    async def reconcile(self) -> None:
        """Plan the notice each meeting's changes call for (after an edit, and at start)."""
        meetings = await self.programme.meetings()
        now = self.clock()
        async with self._planning:
            planned = await self.db.run(
                store.plan_notices,
                meetings=meetings,
                now=now,
                due=now + self.delay,
                gap=self.min_gap,
                write=True,
            )
        for owed, record in planned:
            await self._planned(owed, record)

    async def preview(self, slug: str | None = None) -> NoticePreview:
        """The changes of the meeting (the active one by default) not yet told, and the notice
        planned for them."""
        meeting = await self._meeting(slug)
        return await self.db.run(store.preview, meeting=meeting, now=self.clock(), write=True)

    async def hold(self) -> NoticePreview:
        """Hold the active meeting's notices: the planned one is cancelled, none is planned."""
        meeting = await self.programme.active_meeting()
        turn = await self.db.run(store.hold, meeting=meeting, now=self.clock(), write=True)
        return await self._turned(turn)

    async def release(self, *, now: bool = False) -> NoticePreview:
        """Let the active meeting's notices go: one is planned (right away with `now`, even
        within the least gap between notices: an organizer decides it)."""
        meeting = await self.programme.active_meeting()
        instant = self.clock()
        due = instant if now else instant + self.delay
        async with self._planning:
            turn = await self.db.run(
                store.release,
                meeting=meeting,
                now=instant,
                due=due,
                gap=self.min_gap,
                at_once=now,
                write=True,
            )
        return await self._turned(turn)

    async def begin(self, post: PlannedPost) -> Notice:
        """What the notice `post` tells: frozen at its first attempt, so a resumed one says the
        same (and knows how far its channel message got)."""
        meeting = await self.programme.meeting(post.meeting_slug)
        return await self.db.run(
            store.begin, post=post, meeting=meeting, now=self.clock(), write=True
        )

    def may_post(self, notice: Notice) -> bool:
        """Whether the notice's channel message is to be sent: never tried yet, or tried so
        recently that Discord still knows its nonce (and drops a copy)."""
        return notice.may_post(self.clock(), NONCE_WINDOW)

    async def posting(self, post: PlannedPost) -> None:
        """The notice's channel message is about to be sent: a resumed send that finds this
        mark cannot know whether it went out."""
        await self.db.run(store.mark, key=post.key, posting=True, write=True)

    async def posted(self, post: PlannedPost, message_id: int) -> None:
        """The notice's channel message went out."""
        await self.db.run(store.mark, key=post.key, message_id=message_id, write=True)

    async def told(self, post: PlannedPost, notice: Notice) -> None:
        """Attendees now know what the notice told; changes made meanwhile get a notice."""
        meeting = await self.programme.meeting(notice.meeting.slug)
        now = self.clock()
        async with self._planning:
            owed, record = await self.db.run(
                store.told,
                post=post,
                notice=notice,
                meeting=meeting,
                now=now,
                due=now + self.delay,
                gap=self.min_gap,
                write=True,
            )
        if record is not None:
            await self._planned(owed, record)

    async def _meeting(self, slug: str | None) -> Meeting:
        if slug is None:
            return await self.programme.active_meeting()
        return await self.programme.meeting(slug)

    async def _turned(self, turn: NoticeTurn) -> NoticePreview:
        """Bring the post scheduler in step with what an organizer's button did."""
        if turn.cancelled is not None:
            self.posts.forget(turn.cancelled)
        if turn.planned is not None:
            await self._planned(turn.preview.diff, turn.planned)
        return turn.preview

    async def _planned(self, owed: ProgrammeDiff, record: PostRecord) -> None:
        await self.posts.schedule(record)
        log.info(
            "Programme of %s changed (%s): notice at %s",
            record.post.meeting_slug,
            owed.counts,
            record.post.due,
        )
