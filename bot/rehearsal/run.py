"""A rehearsal: the real bot, built as `amphi run` builds it, against the Discord double that
ships with Amphi, on a throw-away store and a fast clock, with simulated members.

Only the Discord endpoint and the clock differ from a real day.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import secrets
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path

from babel.dates import format_date

from bot.app import create_bot
from bot.core.clock import FastClock, wall_seconds
from bot.core.config import load_settings
from bot.core.i18n import LANGUAGES, Translator
from bot.posts.model import plan_posts
from bot.programme.files import load_meetings
from bot.programme.model import Meeting
from bot.rehearsal.call import REVIEW_CHANNEL, CallScene
from bot.rehearsal.cast import cast, default_attendees
from bot.rehearsal.day import Day
from bot.rehearsal.reading import client_locale
from bot.rehearsal.summary import Summary, summarize
from bot.rehearsal.transcript import Entry, Transcript
from bot.services import prepare
from bot.web.server import WebServer
from bot.web.signing import DASHBOARD, SCREEN
from fake_discord import FakeDiscord, running_bot

log = logging.getLogger(__name__)

#: The default rehearsal plays the day in about this many seconds.
DEFAULT_SECONDS = 60.0
#: A placeholder video link: the link's button and DMs are part of the day.
REHEARSAL_LINK = "https://video.example.org/rehearsal"
#: The rehearsal starts this long before the first session by default: the registration burst,
#: a cancellation and an announcement come first, each with its DMs.
OPENING = timedelta(minutes=90)
#: When the call's scene plays with --call: after the opening's announcement, before the first
#: session.
CALL_AT = timedelta(minutes=50)
#: DMs a second in broadcasts, as on the day by default.
DM_RATE = 20.0
#: How long the day's last sends get to finish after the end, on the wall clock.
SETTLE_SECONDS = 3.0


class RehearsalError(Exception):
    """Options a rehearsal cannot run with; the message says what to do instead."""


class RehearsalStopped(Exception):
    """The rehearsal could not go on; `log` holds what the bot logged of it."""

    def __init__(self, message: str, log: list[str]) -> None:
        super().__init__(message)
        self.log = log


@dataclass(frozen=True)
class Options:
    """`amphi rehearse`'s options; None picks what the meeting suggests."""

    meetings: Path
    speed: float | None = None  # None: the whole day in about a minute
    attendees: int | None = None  # None: the room's seats and 5% more, so there is a waitlist
    language: str = "en"
    start: time | None = None  # meeting-local; None: OPENING before the first session
    seed: int = 2021
    call: bool = False  # a short call for contributions before the first session
    web: int | None = None  # serve the web pages on this port (0: any free one); None: not


@dataclass
class Rehearsal:
    """What a rehearsal produced."""

    meeting: Meeting
    speed: float
    start: datetime  # meeting-local
    end: datetime
    entries: list[Entry] = field(default_factory=list)
    summary: Summary = field(default_factory=Summary)
    # The rehearsal's language: its members', its transcript's and its summary's.
    tr: Translator = field(default_factory=Translator)

    @property
    def title(self) -> str:
        day = format_date(self.meeting.day, "long", locale=client_locale(self.tr))
        return self.tr.gettext("Rehearsal of {title}, {date}", title=self.meeting.title, date=day)


def parse_start(text: str) -> time:
    """`HH:MM` for --from, or RehearsalError."""
    try:
        return time.fromisoformat(text) if len(text) == 5 else _bad_start(text)
    except ValueError:
        return _bad_start(text)


def _bad_start(text: str) -> time:
    raise RehearsalError(
        f"--from takes a time of the meeting day as HH:MM, such as 09:30, not {text!r}"
    )


def plan(options: Options) -> tuple[Meeting, datetime, datetime, float]:
    """(meeting, start, end, speed) for `options`; MeetingFileError or RehearsalError."""
    if options.speed is not None and not (options.speed > 0 and math.isfinite(options.speed)):
        raise RehearsalError(
            "--speed must be a positive number (60 plays a minute each second), "
            f"not {options.speed:g}"
        )
    if options.attendees is not None and options.attendees < 0:
        raise RehearsalError(f"--attendees must be 0 or more, not {options.attendees}")
    if options.language not in LANGUAGES:
        raise RehearsalError(
            f"--lang {options.language!r} is not a language Amphi speaks; choose one of "
            + ", ".join(LANGUAGES)
        )
    meetings = load_meetings(options.meetings)
    meeting = min(meetings, key=lambda m: m.start)
    posts = plan_posts(meeting, remote_link=True)
    end = max([meeting.end, *(p.due for p in posts)]) + timedelta(minutes=5)
    if options.start is None:
        start = meeting.start - OPENING
    else:
        start = datetime.combine(meeting.day, options.start, meeting.tz)
    if start >= end:
        raise RehearsalError(
            f"--from {options.start:%H:%M} is after the meeting's day ends "
            f"({end.astimezone(meeting.tz):%H:%M}): nothing would happen"
        )
    speed = options.speed or (end - start).total_seconds() / DEFAULT_SECONDS
    return meeting, start, end, speed


def web_settings(port: int | None) -> dict[str, str]:
    """The web pages' settings of a rehearsal: its port and a secret of its own."""
    if port is None:
        return {}
    return {"WEB_PORT": str(port), "WEB_SECRET": secrets.token_urlsafe(24)}


def web_links(web: WebServer, slug: str) -> dict[str, str]:
    """The addresses of the three pages of `slug`."""
    return {
        "public": web.public_link(slug),
        "screen": web.link(slug, SCREEN) or "",
        "dashboard": web.link(slug, DASHBOARD) or "",
    }


class ErrorLog(logging.Handler):
    """Keeps the bot's warnings and errors for the summary, out of the transcript."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def quiet_logs() -> Iterator[ErrorLog]:
    """The bot's log goes to the summary, not between the transcript's lines."""
    root = logging.getLogger()
    kept = ErrorLog()
    handlers, level = root.handlers[:], root.level
    root.handlers = [kept]
    root.setLevel(logging.WARNING)
    try:
        yield kept
    finally:
        root.handlers, root.level = handlers, level


async def rehearse(
    options: Options,
    *,
    show: Callable[[Entry], None] | None = None,
    repeats: Callable[[Entry], None] | None = None,
    links: Callable[[dict[str, str]], None] | None = None,
) -> Rehearsal:
    """Play the day; `show` sees each transcript entry as it happens, `links` the web pages'
    addresses once they are served (with `options.web`)."""
    meeting, start, end, speed = plan(options)
    tr = Translator(options.language)
    outcome = Rehearsal(
        meeting, speed, start.astimezone(meeting.tz), end.astimezone(meeting.tz), tr=tr
    )
    rng = random.Random(options.seed)  # noqa: S311  simulated members, repeatable by seed
    locale = "fr" if options.language == "fr" else "en-US"
    attendees = options.attendees
    if attendees is None:
        attendees = default_attendees(meeting.capacity)
    with tempfile.TemporaryDirectory(prefix="amphi-rehearsal-") as folder, quiet_logs() as errors:
        async with FakeDiscord(guild_locale=locale) as fake:
            fake.state.name = f"{meeting.title} (rehearsal)"
            settings = load_settings(
                {
                    "DISCORD_TOKEN": fake.token,
                    "DISCORD_GUILD_ID": str(fake.guild_id),
                    "DATABASE_URL": f"sqlite:///{Path(folder) / 'rehearsal.sqlite3'}",
                    "AMPHI_MEETINGS": str(options.meetings),
                    "REMOTE_LINK": REHEARSAL_LINK,
                    "DM_RATE": str(DM_RATE),
                    **web_settings(options.web),
                },
                require_discord=True,
            )
            clock = FastClock(start, speed)
            fake.clock = clock  # Discord's time is the rehearsal's (scheduled events)
            services = prepare(settings, clock=clock)
            try:
                people = cast(fake, meeting, attendees, rng)
                transcript = Transcript(fake, clock, meeting.tz, show, tr)
                transcript.repeats_shown = repeats
                transcript.watch()
                day = Day(
                    fake,
                    people,
                    transcript,
                    clock,
                    meeting,
                    services.registration,
                    language=options.language,
                    rng=rng,
                )
                if options.call:
                    fake.add_channel(REVIEW_CHANNEL)
                    scene = CallScene(day).play
                    day.extra.append(
                        (start + CALL_AT, tr.gettext("the call for contributions"), scene)
                    )
                clock.go()
                bot = create_bot(services, guild_ready_timeout=0.1)
                async with running_bot(bot, fake, timeout=30):
                    await asyncio.wait_for(services.posts.started.wait(), 30)
                    if services.web is not None and links is not None:
                        links(web_links(services.web, meeting.slug))
                    ready = clock()
                    playing = asyncio.create_task(day.play(start, end))
                    await asyncio.sleep(wall_seconds(clock, end - clock()))
                    try:
                        await asyncio.wait_for(playing, SETTLE_SECONDS * 10)
                    except TimeoutError:
                        day.failures.append(
                            tr.gettext("the members' last steps were still running at the end")
                        )
                    await asyncio.sleep(SETTLE_SECONDS)
                    transcript.report_repeats(final=True)
                    outcome.summary = await summarize(
                        services, meeting, fake, errors.records, tr, since=start
                    )
                outcome.entries = transcript.entries
                outcome.summary.failures[:0] = day.failures
                outcome.summary.not_rehearsed += day.not_rehearsed
                outcome.summary.votes = day.votes
                outcome.summary.ready = ready.astimezone(meeting.tz)
            except Exception as error:
                said = [
                    r.getMessage() for r in errors.records if r.name.startswith(("bot", "cogs"))
                ]
                raise RehearsalStopped(f"{type(error).__name__}: {error}", said) from error
            finally:
                services.close()
    return outcome
