"""Amphi's services, built once over one store: what the bot, the command line and the tests use."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from bot.announcements.service import AnnouncementService
from bot.changes.following import ProgrammeFollower
from bot.changes.service import ChangeNotices
from bot.core.clock import Clock, utc_now
from bot.core.config import Settings
from bot.core.errors import StoreUnavailable
from bot.dms.service import Broadcaster, DmChannels
from bot.events.service import EventService
from bot.kept.service import KeptCommands
from bot.posts.service import PostScheduler
from bot.programme.model import Meeting
from bot.programme.service import ProgrammeService
from bot.proposals.service import ProposalService
from bot.questions.service import QuestionService
from bot.registration.service import RegistrationService
from bot.store.db import Database, unavailable_as_such
from bot.store.migrate import upgrade
from bot.web.server import WebServer
from bot.web.service import WebSnapshots

log = logging.getLogger(__name__)


@dataclass
class Services:
    """Everything the cogs and the command line use."""

    settings: Settings
    db: Database
    clock: Clock
    programme: ProgrammeService
    registration: RegistrationService
    posts: PostScheduler
    broadcaster: Broadcaster
    dm_channels: DmChannels
    kept: KeptCommands
    announcements: AnnouncementService
    questions: QuestionService
    events: EventService
    notices: ChangeNotices
    follower: ProgrammeFollower
    proposals: ProposalService
    web: WebServer | None = None  # the web pages, when WEB_PORT is set

    def close(self) -> None:
        """Release the database."""
        self.db.close()

    def abandon(self) -> None:
        """Release the database without waiting for transactions under way (after a lost lease:
        they may hang on a broken network, and the fence refuses what they would write)."""
        self.db.abandon()


def open_services(settings: Settings, *, clock: Clock = utc_now) -> Services:
    """Open the store (migrating it) and build the services (blocking: before the event loop)."""
    # A transaction left open by an instance cut off from the store ends within half a lease.
    db = Database(settings.database_url, idle_in_transaction=settings.lease_seconds / 2)
    try:
        with unavailable_as_such():  # a store out of reach: StoreUnavailable, as elsewhere
            upgrade(db.engine)
    except StoreUnavailable:
        db.abandon()
        raise
    programme = ProgrammeService(db, clock)
    registration = RegistrationService(db, programme, clock)
    posts = PostScheduler(
        db,
        clock,
        programme,
        remote_link=settings.remote_link is not None,
        live_events=settings.live_events,
    )
    notices = ChangeNotices(
        db,
        clock,
        programme,
        posts,
        delay=timedelta(seconds=settings.notice_delay_seconds),
        min_gap=timedelta(seconds=settings.notice_min_gap_seconds),
    )

    async def programme_changed() -> None:
        # The posts move with the programme (once the scheduler runs: its start plans them).
        if posts.started.is_set():
            await posts.replan()
        await notices.reconcile()

    follower = ProgrammeFollower(programme, settings.meetings_path, clock)
    follower.subscribe(programme_changed)
    return Services(
        settings=settings,
        db=db,
        clock=clock,
        programme=programme,
        registration=registration,
        posts=posts,
        broadcaster=Broadcaster(db, clock, rate=settings.dm_rate),
        dm_channels=DmChannels(db),
        kept=KeptCommands(db, clock),
        announcements=AnnouncementService(db, clock, programme, registration, posts),
        questions=QuestionService(db, programme, clock),
        events=EventService(db, programme, clock),
        notices=notices,
        follower=follower,
        proposals=ProposalService(db, programme, clock),
        web=(
            None
            if settings.web_port is None
            else WebServer(settings, WebSnapshots(db, programme, clock))
        ),
    )


def import_meeting_files(services: Services) -> list[Meeting]:
    """Write the meeting files into the store (blocking); raises MeetingFileError. Only the
    instance holding the lease may: a standby would change the programme under the active."""
    path = services.settings.meetings_path
    meetings = services.programme.import_files(path)
    log.info("Loaded %d meeting(s) from %s", len(meetings), path)
    return meetings


def prepare(settings: Settings, *, clock: Clock = utc_now) -> Services:
    """Services with the meeting files loaded into the store, for a process alone on it (a
    rehearsal, the command line); raises MeetingFileError."""
    services = open_services(settings, clock=clock)
    try:
        import_meeting_files(services)
    except Exception:
        services.close()
        raise
    return services
