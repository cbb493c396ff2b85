"""The composition root: settings → services → bot with its cogs, built once and wired here.

The only module of `bot` that imports the cogs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Awaitable
from pathlib import Path
from typing import TypeVar

from bot.client import HEALTH_INTERVAL, AmphiBot
from bot.core.errors import StoreUnavailable
from bot.programme.files import MeetingFileError
from bot.services import Services, import_meeting_files, open_services
from bot.standby.model import LeaseTerms
from bot.standby.service import Election, lease_store
from bot.store.db import STORE_THREADS
from cogs.announcements import AnnouncementCog
from cogs.changes import ChangesCog
from cogs.dm import DirectMessages
from cogs.events import EventsCog
from cogs.posts import PostsCog
from cogs.programme import ProgrammeCog
from cogs.proposals.cog import ProposalsCog
from cogs.questions.cog import QuestionsCog
from cogs.registration.cog import RegistrationCog
from cogs.web import WebCog

log = logging.getLogger(__name__)

T = TypeVar("T")


def create_bot(services: Services, **client_options) -> AmphiBot:
    """The bot with its cogs, each handed by name the services it needs."""
    bot = AmphiBot(services, **client_options)
    settings = services.settings
    dms = DirectMessages(bot, services.dm_channels)
    events = EventsCog(bot, settings=settings, service=services.events, posts=services.posts)
    changes = ChangesCog(
        bot,
        settings=settings,
        programme=services.programme,
        follower=services.follower,
        notices=services.notices,
        posts=services.posts,
        registration=services.registration,
        broadcaster=services.broadcaster,
        dms=dms,
    )
    # An edited programme reaches the Events tab at once, not at the next periodic pass.
    services.follower.subscribe(events.programme_changed)
    bot.initial_cogs = [
        ProgrammeCog(
            settings=settings,
            programme=services.programme,
            events=services.events,
            refresh=changes.refresh_programme,
            show_changes=changes.show_preview,
        ),
        RegistrationCog(
            bot,
            settings=settings,
            service=services.registration,
            kept=services.kept,
            dms=dms,
            interested=events.interested,
        ),
        PostsCog(
            bot,
            settings=settings,
            programme=services.programme,
            registration=services.registration,
            posts=services.posts,
            broadcaster=services.broadcaster,
            dms=dms,
            events=services.events,
        ),
        AnnouncementCog(
            bot,
            settings=settings,
            service=services.announcements,
            broadcaster=services.broadcaster,
            dms=dms,
        ),
        QuestionsCog(
            bot,
            settings=settings,
            service=services.questions,
            kept=services.kept,
            broadcaster=services.broadcaster,
            dms=dms,
            posts=services.posts,
        ),
        ProposalsCog(
            bot,
            settings=settings,
            service=services.proposals,
            kept=services.kept,
            broadcaster=services.broadcaster,
            dms=dms,
            posts=services.posts,
        ),
        events,
        changes,
        WebCog(programme=services.programme, web=services.web),
    ]
    return bot


async def serve(services: Services) -> None:
    """Take part in the election on the store: stand by until this instance holds the lease,
    then load its meeting files into the store (only the lease holder writes the programme) and
    run the bot until the lease is lost (stand by again, and start again on fresh services once
    it holds the lease anew) or the process is told to stop (SIGTERM or SIGINT: the lease is
    released as it stops, so a standby takes over at once). Closes the services it ends with."""
    settings = services.settings
    terms = LeaseTerms(settings.lease_seconds)
    election = Election(lease_store(settings.database_url, terms), terms)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    current: Services | None = services
    try:
        while not stop.is_set():
            health = _touch_while(settings.health_file, "standby")
            try:
                await _first(election.stand_by(), stop.wait())
            finally:
                health.cancel()
            if election.epoch is None or stop.is_set():  # told to stop (released below)
                break
            try:
                if current is None:
                    opening = asyncio.ensure_future(asyncio.to_thread(open_services, settings))
                    await _first(asyncio.shield(opening), stop.wait())
                    if stop.is_set():
                        break
                    current = opening.result()
                current.db.fence = election.fence()
                await _load_programme(current)
            except StoreUnavailable as error:
                log.warning("The store went away as this instance took the lease: %s", error)
                await election.release()
                continue
            if await _run_active(current, election, stop) == STOPPED:
                break
            # Whatever the last run held in memory (commands under way, the scheduler) is the
            # new active's to finish: let it go without waiting for the store (a partition may
            # hold its transactions for long; the fence refuses what they would still write),
            # stand by at once, and start again from the store on taking the lease anew. Opening
            # the store here instead would fail, or hang, while the store is out of reach.
            current.abandon()
            current = None
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        await election.release()
        await election.leave()
        election.db.abandon()
        if current is not None:
            _close_within(current, CLOSE_SECONDS)
        if settings.health_file is not None:
            # Stopped, as a standby too: `amphi health` says so at once, and `amphi db restore`
            # need not wait for the file to age.
            with contextlib.suppress(OSError):
                settings.health_file.unlink(missing_ok=True)


async def _load_programme(services: Services) -> None:
    """Write this instance's meeting files into the store now that it holds the lease (the
    write fenced by its epoch), as a restart does; if they have become unreadable since start-up,
    run on the programme the store holds (as the last active may have left it)."""
    try:
        await asyncio.to_thread(import_meeting_files, services)
    except MeetingFileError as error:
        log.warning(
            "The meeting files at %s have problems since start-up, so they were not loaded; "
            "running on the programme the store holds. %s",
            services.settings.meetings_path,
            error,
        )
        await services.programme.reload()


STOPPED = "stopped"
#: How long the store may take to close as the process stops (its transactions to finish).
CLOSE_SECONDS = 5.0


def _close_within(services: Services, seconds: float) -> None:
    """Close the services' store, or leave it to its fate after `seconds`: transactions hung on
    a silent network must not keep the process from stopping (`leave_hung_store_threads`)."""
    closing = threading.Thread(target=services.close, name=STORE_THREADS + "-close", daemon=True)
    closing.start()
    closing.join(seconds)
    if closing.is_alive():
        log.warning("The store did not close within %g s; leaving it", seconds)
        services.abandon()


def leave_hung_store_threads(status: int) -> None:
    """Exit now with `status` if transactions of a run deposed by a partition still hang on the
    silent line (the store's worker threads, left behind by `Database.abandon`): the interpreter
    would wait for them as it exits, until the network heals. What they would still write is
    refused by the fence, and the store rolls them back once it notices. Returns otherwise."""
    hung = [t for t in threading.enumerate() if t.name.startswith(STORE_THREADS) and t.is_alive()]
    if not hung:
        return
    log.warning(
        "%d store transaction(s) of a deposed run still hang on a broken network; "
        "exiting without them",
        len(hung),
    )
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


async def _run_active(services: Services, election: Election, stop: asyncio.Event) -> str:
    """Run the bot while this instance holds the lease: STOPPED when told to stop, else why the
    lease was lost (the bot then stepped down, its gateway closed within the lease)."""
    token = services.settings.discord_token
    assert token is not None
    bot = create_bot(services)
    bot.may_send = election.holds
    async with bot:
        try:
            # The lease first: when it is lost as the bot fails, the loss is what happened.
            outcome = await _first(election.hold(), bot.start(token.reveal()), stop.wait())
        except StoreUnavailable as error:  # the store failed the bot as it started
            outcome = f"the store failed as the bot started: {error}"
            log.warning("Standing by again: %s", outcome)
        if isinstance(outcome, str):
            await bot.step_down(election.terms.margin)
            return outcome
        if stop.is_set():
            await bot.hand_over(min(1.0, election.terms.margin / 2))
    await election.release()
    return STOPPED


async def _first(*awaitables: Awaitable[T]) -> T | None:
    """What the first of `awaitables` to finish returned (its error raised; of several that
    finished together, the first given); the others are cancelled."""
    tasks = [asyncio.ensure_future(a) for a in awaitables]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    # Of those that finished together, the first given.
    return next(t for t in tasks if t.done() and not t.cancelled()).result()


def _touch_while(path: Path | None, role: str) -> asyncio.Task[None]:
    """Keep the health file fresh, saying `role`, until the task is cancelled."""

    async def touch() -> None:
        while path is not None:
            try:
                await asyncio.to_thread(path.write_text, role + "\n", encoding="utf-8")
            except OSError as error:
                log.warning("Could not write the health file %s: %s", path, error)
            await asyncio.sleep(HEALTH_INTERVAL)

    return asyncio.create_task(touch(), name="amphi-health-" + role)
