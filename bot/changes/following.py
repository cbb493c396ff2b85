"""Following the organizers' own schedule: meeting files reloaded when they change on disk, and
a meeting with `source = "…"` re-imported from its export on a schedule or on request.

A re-import is written back into the meeting file (keeping what the source does not carry), so
the file stays the one truth the bot loads at start; then the files are loaded as after an
edit. A bad source, or a file with problems, changes nothing and says why.

A source is a guest, not an organizer: a version is applied once two fetches in a row agree
(a source flapping between two versions changes nothing), and one that would remove more than a
quarter of the talks, or a day, is held next to the meeting file until an organizer applies or
drops it. Downloads happen outside the lock, so a slow source delays no other meeting.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from bot.changes.held import (
    clear_held,
    held_path,
    mark_held,
    read_held,
    version_of,
    write_held,
)
from bot.changes.model import HeldImport, import_cut
from bot.core.clock import Clock
from bot.programme.files import MeetingFileError, load_meeting_file
from bot.programme.model import Meeting, UnmatchedLink
from bot.programme.service import ProgrammeService
from bot.schedule_import.merge import import_schedule, write_meeting_file
from bot.schedule_import.sources import SourceError, fetch_source, shown_source

log = logging.getLogger(__name__)

#: The longest a download of a followed export may take, all of it.
FETCH_DEADLINE = 60.0


def fetch_export(source: str) -> bytes:
    """The export at `source`, cut off past FETCH_DEADLINE (blocking)."""
    return fetch_source(source, deadline=FETCH_DEADLINE)


@dataclass(frozen=True)
class Refresh:
    """What one refresh did: the meetings it edited, or why nothing changed. What changed in
    them is the change notices' to say (`ChangeNotices.preview`), from what attendees know."""

    edited: frozenset[str] = frozenset()  # the slugs of the meetings whose file now differs
    error: str = ""
    warnings: tuple[str, ...] = ()
    waiting: bool = False  # a new version, applied once a second fetch agrees
    held: HeldImport | None = None  # a version that waits for an organizer
    unmatched: tuple[UnmatchedLink, ...] = ()  # speaker links that no longer match a name

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
        fetch: Callable[[str], bytes] = fetch_export,
    ) -> None:
        self.programme = programme
        self.path = Path(path)
        self.clock = clock
        self.fetch = fetch
        self._stamps = self._scan()
        self._fetched: dict[str, datetime] = {}
        self._versions: dict[str, str] = {}  # the last version fetched of each meeting
        self._fetching: set[str] = set()  # the meetings whose source is being fetched
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
            due = last is None or now - last >= every
            # One fetch of a source at a time: two at once would agree with each other.
            if follow.enabled and due and meeting.slug not in self._fetching:
                done.append(await self.refresh(meeting.slug))
        if self._scan() != self._stamps:
            done.append(await self.reload())
        return done

    async def refresh(self, slug: str, *, asked: bool = False) -> Refresh:
        """Re-import the meeting's source (when it follows one) and load the files. A new
        version waits for a second fetch that agrees: at the next round, or at once when an
        organizer `asked` (a source flapping between versions still changes nothing)."""
        self._fetched[slug] = self.clock()
        self._fetching.add(slug)
        try:
            return await self._refresh(slug, asked)
        finally:
            self._fetching.discard(slug)

    async def _refresh(self, slug: str, asked: bool) -> Refresh:
        meeting = await self.programme.meeting(slug)
        if not meeting.follow.enabled:
            return await self.reload()
        try:
            file = await asyncio.to_thread(self._writable_file_of, slug)
            data = await asyncio.to_thread(self.fetch, meeting.follow.source)
            if asked and version_of(data) != self._versions.get(slug):
                self._versions[slug] = version_of(data)
                data = await asyncio.to_thread(self.fetch, meeting.follow.source)
        except (SourceError, MeetingFileError, OSError, ValueError) as error:
            return self._failed(meeting, error)
        version = version_of(data)
        agreed = self._versions.get(slug) == version
        self._versions[slug] = version
        if not agreed:
            log.info("%s: a new version of %s, applied once fetched again", slug, _shown(meeting))
            return Refresh(waiting=True)
        async with self._lock:
            try:
                warnings, held = await asyncio.to_thread(self._reimport, meeting, file, data)
            except (SourceError, MeetingFileError, OSError, ValueError) as error:
                return self._failed(meeting, error)
            if held is not None:  # the programme stays as it is
                return Refresh(warnings=warnings, held=held if held.waiting else None)
            result = await self._reload()
            return replace(result, warnings=warnings)

    def _failed(self, meeting: Meeting, error: Exception) -> Refresh:
        log.error("Could not follow %s from %s: %s", meeting.slug, _shown(meeting), error)
        return Refresh(error=str(error))

    async def reload(self) -> Refresh:
        """Load the meeting files again (after an edit on disk)."""
        async with self._lock:
            return await self._reload()

    async def held(self, slug: str) -> HeldImport | None:
        """The version of the meeting's source waiting for an organizer, if any."""
        held = await asyncio.to_thread(self._held_of, slug)
        return held if held is not None and held.waiting else None

    async def untold(self) -> list[HeldImport]:
        """The held versions the organizers were not told of yet."""

        def scan() -> list[HeldImport]:
            kept = [read_held(f) for f in self._files() if held_path(f).exists()]
            return [h for h in kept if h is not None and h.waiting and not h.told]

        return await asyncio.to_thread(scan)

    async def told(self, held: HeldImport) -> None:
        """The organizers were told of `held`: not again at the next round, nor after a restart."""
        file = await asyncio.to_thread(self._file_of, held.slug)
        async with self._lock:
            await asyncio.to_thread(mark_held, file, held.version, told=True)

    async def apply_held(self, slug: str, version: str) -> Refresh | None:
        """An organizer applies the held `version`; None when it is no longer the one held."""
        meeting = await self.programme.meeting(slug)
        async with self._lock:
            try:
                file = await asyncio.to_thread(self._writable_file_of, slug)
                held = await asyncio.to_thread(read_held, file)
                if held is None or held.version != version or not held.waiting:
                    return None
                warnings, _ = await asyncio.to_thread(
                    self._reimport, meeting, file, held.data, approved=True
                )
            except (SourceError, MeetingFileError, OSError, ValueError) as error:
                return self._failed(meeting, error)
            result = await self._reload()
            return replace(result, warnings=warnings)

    async def drop_held(self, slug: str, version: str) -> bool:
        """An organizer drops the held `version`: the programme stays, and the same version is
        not held (nor told) again; False when it is no longer the one held."""
        file = await asyncio.to_thread(self._file_of, slug)
        async with self._lock:
            return await asyncio.to_thread(mark_held, file, version, dropped=True)

    def _held_of(self, slug: str) -> HeldImport | None:
        try:
            return read_held(self._file_of(slug))
        except SourceError:
            return None

    def _reimport(
        self, meeting: Meeting, file: Path, data: bytes, *, approved: bool = False
    ) -> tuple[tuple[str, ...], HeldImport | None]:
        """Write the export `data` into the meeting's file (blocking); unless `approved`, one
        that would remove too much is held instead, and the file stays as it is."""
        base = load_meeting_file(file)
        imported = import_schedule(data, base=base, format=meeting.follow.format)
        cut = import_cut(base, imported.meeting)
        if cut.too_much and not approved:
            version = version_of(data)
            held = read_held(file)
            if held is None or held.version != version:
                held = HeldImport(meeting.slug, version, data, cut)
                write_held(file, held)
                log.warning(
                    "%s: the new version of %s would remove %d of %d talks; held for the "
                    "organizers (/meeting changes)",
                    meeting.slug,
                    _shown(meeting),
                    len(cut.removed),
                    cut.before,
                )
            return imported.warnings, held
        write_meeting_file(file, imported.meeting, source=meeting.follow.source)
        clear_held(file)
        return imported.warnings, None

    def _writable_file_of(self, slug: str) -> Path:
        file = self._file_of(slug)
        if not (os.access(file, os.W_OK) and os.access(file.parent, os.W_OK)):
            raise SourceError(
                f"The meeting file {file} cannot be written (a read-only folder?), and the bot "
                "writes each re-import of its source into it: make it writable, or run "
                "amphi import yourself and reload."
            )
        return file

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
        unmatched = tuple(link for edit in self.programme.edits for link in edit.unmatched_links)
        for listener in self._listeners:
            try:
                await listener()
            except Exception:
                log.exception("After a programme change, %r failed", listener)
        return Refresh(edited, unmatched=unmatched)


def _shown(meeting: Meeting) -> str:
    return shown_source(meeting.follow.source)
