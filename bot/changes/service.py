"""Change notices: after an edit of the programme that touches what is still to come, one post
tells attendees what changed; edits within a few minutes of each other make one notice.

The store keeps what attendees were last told (`announced`). A notice is planned whenever the
programme differs from it in the future and none is planned already (after each edit, and at
start, so a crash between an edit and its notice loses nothing); when it is sent, what it told
becomes the new `announced`. Organizers may hold notices, and let them go.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.changes import queries as store
from bot.core.clock import Clock
from bot.posts.model import PlannedPost, PostKind
from bot.posts.queries import add_post, cancel
from bot.posts.service import NONCE_WINDOW, PostScheduler
from bot.programme.diff import (
    ProgrammeDiff,
    TalkState,
    diff_states,
    dump_states,
    load_states,
    programme_state,
)
from bot.programme.model import Meeting
from bot.programme.service import ProgrammeService
from bot.store.db import Database

#: How long a notice waits for more edits before it is posted.
NOTICE_DELAY = timedelta(minutes=3)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NoticePreview:
    """What `/programme changes` shows: the changes a notice would tell, and when."""

    meeting: Meeting
    diff: ProgrammeDiff
    due: datetime | None  # None: no notice planned
    held: bool


@dataclass(frozen=True)
class Notice:
    """A notice being sent: what it tells, and its channel message once posted."""

    meeting: Meeting
    diff: ProgrammeDiff
    states: tuple[TalkState, ...]
    message_id: int | None
    posting: bool  # its channel message was about to be sent (and may have been)


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
    ) -> None:
        self.db = db
        self.clock = clock
        self.programme = programme
        self.posts = posts
        self.delay = delay
        self._planning = asyncio.Lock()  # one notice number at a time

    async def reconcile(self) -> None:
        """Plan the notice each meeting's changes call for (after an edit, and at start)."""
        for meeting in await self.programme.meetings():
            await self._plan(meeting)

    async def _pending(self, meeting: Meeting) -> ProgrammeDiff:
        """The upcoming changes not yet told; a meeting seen for the first time has none."""
        states = programme_state(meeting)
        raw = await self.db.run(store.announced, slug=meeting.slug)
        if not raw:
            await self.db.run(
                store.set_announced, slug=meeting.slug, states=dump_states(states), write=True
            )
            return ProgrammeDiff()
        return diff_states(load_states(raw), states).upcoming(self.clock())

    async def _plan(
        self, meeting: Meeting, *, due: datetime | None = None, sending: str = ""
    ) -> PlannedPost | None:
        """Plan a notice for the changes not yet told, unless one is planned (other than the
        one `sending`) or notices are held."""
        async with self._planning:
            diff = await self._pending(meeting)
            if not diff or await self.db.run(store.held, slug=meeting.slug):
                return None
            planned = await self.db.run(store.open_notice, slug=meeting.slug, other_than=sending)
            if planned is not None:
                return planned
            number = await self.db.run(store.notices_planned, slug=meeting.slug) + 1
            when = due or self.clock() + self.delay
            post = PlannedPost.make(meeting.slug, PostKind.PROGRAMME_CHANGES, f"n{number}", when)
            await self.db.run(add_post, post=post, write=True)
        await self.posts.track(post.key)
        log.info("Programme of %s changed (%s): notice at %s", meeting.slug, diff.counts, when)
        return post

    async def preview(self) -> NoticePreview:
        """The active meeting's changes not yet told, and the notice planned for them."""
        meeting = await self.programme.active_meeting()
        diff = await self._pending(meeting)
        planned = await self.db.run(store.open_notice, slug=meeting.slug)
        held = await self.db.run(store.held, slug=meeting.slug)
        return NoticePreview(meeting, diff, planned.due if planned else None, held)

    async def hold(self) -> NoticePreview:
        """Hold the active meeting's notices: the planned one is cancelled, none is planned."""
        meeting = await self.programme.active_meeting()
        await self.db.run(store.set_held, slug=meeting.slug, value=True, write=True)
        planned = await self.db.run(store.open_notice, slug=meeting.slug)
        if planned is not None:
            detail = "held by an organizer"
            now = self.clock()
            await self.db.run(cancel, key=planned.key, now=now, detail=detail, write=True)
            self.posts.forget(planned.key)
        return await self.preview()

    async def release(self, *, now: bool = False) -> NoticePreview:
        """Let the active meeting's notices go: one is planned (right away with `now`)."""
        meeting = await self.programme.active_meeting()
        await self.db.run(store.set_held, slug=meeting.slug, value=False, write=True)
        planned = await self.db.run(store.open_notice, slug=meeting.slug)
        if planned is not None and now:
            now_ = self.clock()
            await self.db.run(cancel, key=planned.key, now=now_, detail="sent now", write=True)
            self.posts.forget(planned.key)
        await self._plan(meeting, due=self.clock() if now else None)
        return await self.preview()

    async def begin(self, post: PlannedPost) -> Notice:
        """What the notice `post` tells: frozen at its first attempt, so a resumed one says the
        same (and knows whether its channel message went out)."""
        meeting = await self.programme.meeting(post.meeting_slug)
        frozen = await self.db.run(store.frozen, key=post.key)
        if frozen is None:
            states = programme_state(meeting)
            raw = await self.db.run(store.announced, slug=meeting.slug)
            frozen = {
                "before": raw,
                "states": dump_states(states),
                "at": self.clock().isoformat(),
                "message_id": None,
            }
            await self.db.run(store.freeze, key=post.key, value=frozen, write=True)
        states = load_states(frozen["states"])
        at = datetime.fromisoformat(frozen["at"])
        diff = diff_states(load_states(frozen["before"]), states).upcoming(at)
        return Notice(meeting, diff, states, frozen["message_id"], bool(frozen.get("posting")))

    async def may_post(self, post: PlannedPost, notice: Notice) -> bool:
        """Whether the notice's channel message is to be sent: never tried yet, or tried so
        recently that Discord still knows its nonce (and drops a copy)."""
        if notice.message_id is not None:
            return False
        claimed = await self.posts.claimed_at(post.key)
        return not notice.posting or (
            claimed is not None and self.clock() - claimed <= NONCE_WINDOW
        )

    async def posting(self, post: PlannedPost) -> None:
        """The notice's channel message is about to be sent: a resumed send that finds this
        mark cannot know whether it went out."""
        await self._mark(post, posting=True)

    async def posted(self, post: PlannedPost, message_id: int) -> None:
        """The notice's channel message went out."""
        await self._mark(post, message_id=message_id)

    async def _mark(self, post: PlannedPost, **values: object) -> None:
        frozen = await self.db.run(store.frozen, key=post.key)
        assert frozen is not None
        await self.db.run(store.freeze, key=post.key, value=frozen | values, write=True)

    async def told(self, post: PlannedPost, notice: Notice) -> None:
        """Attendees now know what the notice told; changes made meanwhile get a notice."""
        slug = notice.meeting.slug
        number = int(post.target.removeprefix("n"))
        states = dump_states(notice.states)
        await self.db.run(store.set_announced, slug=slug, states=states, number=number, write=True)
        await self._plan(await self.programme.meeting(slug), sending=post.key)
