"""Following the organizers' own schedule: meeting files reloaded when they change on disk, and
a meeting with `source = "…"` re-imported from its export on a schedule or on request.

A re-import is written back into the meeting file (keeping what the source does not carry), so
the file stays the one truth the bot loads at start; then the files are loaded as after an
edit. A bad source, or a file with problems, changes nothing and says why.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bot.core.clock import Clock
from bot.programme.files import MeetingFileError, load_meeting_file
from bot.programme.model import Meeting
from bot.programme.service import ProgrammeService
from bot.schedule_import.merge import import_schedule, write_meeting_file
from bot.schedule_import.sources import SourceError, fetch_source, shown_source

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Refresh:
    """What one refresh did: the meetings it edited, or why nothing changed. What changed in
    them is the change notices' to say (`ChangeNotices.preview`), from what attendees know."""

    edited: frozenset[str] = frozenset()  # the slugs of the meetings whose file now differs
    error: str = ""
    warnings: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """Whether any meeting changed."""
        return bool(self.edited)


class ProgrammeFollower:
    """Reloads the meeting files, and re-imports the followed sources, as they change."""

    def __init__(
        self,
        programme: ProgrammeService,
        path: Path,
        clock: Clock,
        *,
        fetch: Callable[[str], bytes] = fetch_source,
    ) -> None:
        self.programme = programme
        self.path = Path(path)
        self.clock = clock
        self.fetch = fetch
        self._stamps = self._scan()
        self._fetched: dict[str, datetime] = {}
        self._lock = asyncio.Lock()
        self._listeners: list[Callable[[], Awaitable[object]]] = []

    def subscribe(self, listener: Callable[[], Awaitable[object]]) -> None:
        """Call `listener` after each programme change, in the order they subscribed: the
        posts and the change notice, then the Events tab's pass."""
        self._listeners.append(listener)

    def _files(self) -> list[Path]:
        if self.path.is_dir():
            return sorted(p for p in self.path.glob("*.toml") if p.is_file())
        return [self.path] if self.path.is_file() else []

    def _scan(self) -> dict[Path, tuple[int, int]]:
        stamps = {}
        for file in self._files():
            stat = file.stat()
            stamps[file] = (stat.st_mtime_ns, stat.st_size)
        return stamps

    async def tick(self) -> list[Refresh]:
        """One round: the sources due for a re-import, then the files if they changed."""
        done = []
        now = self.clock()
        for meeting in await self.programme.meetings():
            follow = meeting.follow
            last = self._fetched.get(meeting.slug)
            every = timedelta(minutes=follow.refresh_minutes)
            if follow.enabled and (last is None or now - last >= every):
                done.append(await self.refresh(meeting.slug))
        if self._scan() != self._stamps:
            done.append(await self.reload())
        return done

    async def refresh(self, slug: str) -> Refresh:
        """Re-import the meeting's source (when it follows one) and load the files."""
        async with self._lock:
            meeting = await self.programme.meeting(slug)
            self._fetched[slug] = self.clock()
            warnings: tuple[str, ...] = ()
            if meeting.follow.enabled:
                try:
                    warnings = await asyncio.to_thread(self._reimport, meeting)
                except (SourceError, MeetingFileError, OSError, ValueError) as error:
                    log.error(
                        "Could not follow %s from %s: %s",
                        slug,
                        shown_source(meeting.follow.source),
                        error,
                    )
                    return Refresh(error=str(error))
            result = await self._reload()
            return Refresh(result.edited, result.error, warnings)

    async def reload(self) -> Refresh:
        """Load the meeting files again (after an edit on disk)."""
        async with self._lock:
            return await self._reload()

    def _reimport(self, meeting: Meeting) -> tuple[str, ...]:
        """Write the source's programme into the meeting's file (blocking)."""
        file = self._file_of(meeting.slug)
        if not (os.access(file, os.W_OK) and os.access(file.parent, os.W_OK)):
            raise SourceError(
                f"The meeting file {file} cannot be written (a read-only folder?), and the bot "
                "writes each re-import of its source into it: make it writable, or run "
                "amphi import yourself and reload."
            )
        base = load_meeting_file(file)
        data = self.fetch(meeting.follow.source)
        imported = import_schedule(data, base=base, format=meeting.follow.format)
        write_meeting_file(file, imported.meeting, source=meeting.follow.source)
        return imported.warnings

    def _file_of(self, slug: str) -> Path:
        for file in self._files():
            try:
                if load_meeting_file(file).slug == slug:
                    return file
            except MeetingFileError:
                continue
        raise SourceError(f"No meeting file under {self.path} holds the meeting {slug!r}.")

    async def _reload(self) -> Refresh:
        before = {m.slug: m for m in await self.programme.meetings()}
        stamps = self._scan()
        try:
            await asyncio.to_thread(self.programme.import_files, self.path)
        except MeetingFileError as error:
            if stamps != self._stamps:
                log.error("The edited meeting files were not loaded; nothing changed.\n%s", error)
            self._stamps = stamps
            return Refresh(error=str(error))
        self._stamps = stamps
        edited = frozenset(
            m.slug
            for m in await self.programme.meetings()
            if m.slug in before and m != before[m.slug]
        )
        for listener in self._listeners:
            try:
                await listener()
            except Exception:
                log.exception("After a programme change, %r failed", listener)
        return Refresh(edited)
