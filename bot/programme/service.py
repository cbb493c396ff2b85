"""The programme service: meeting files into the store, and the queries commands make."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from bot.core.clock import Clock
from bot.core.errors import NoMeeting, UnknownTalk
from bot.programme import queries as store
from bot.programme.files import load_meetings as load_meeting_files
from bot.programme.model import (
    HeldTalk,
    Meeting,
    NowAndNext,
    ProgrammeEdit,
    Talk,
    choose_active,
    fold,
    now_and_next,
    overlap_warnings,
    search_talks,
)
from bot.store.db import Database

log = logging.getLogger(__name__)


class ProgrammeService:
    """Reads the meetings kept in the store; the store is written only by `import_files`."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._meetings: list[Meeting] | None = None
        self._chosen: str | None = None  # an organizer's choice of meeting ("" for none)
        self._reading = asyncio.Lock()
        #: What the last `import_files` did to what hangs on talks, one edit per meeting file.
        self.edits: list[ProgrammeEdit] = []

    def import_files(self, path: Path) -> list[Meeting]:
        """Load the meeting files at `path` and save them (blocking: for start-up and the CLI).

        Each talk kept as removed and each speaker link left unmatched is logged as a warning, and
        `edits` keeps what each meeting's save did.
        """
        meetings = load_meeting_files(path)
        now = self.clock()
        edits = []
        for meeting in meetings:
            for warning in overlap_warnings(meeting):
                log.info("%s", warning)
            edit = self.db.call(
                store.save_meeting, meeting=meeting, source=str(path), now=now, write=True
            )
            _log_edit(edit, path)
            edits.append(edit)
        self.edits = edits
        self._meetings = self.db.call(store.load_meetings)
        return meetings

    def preview_files(self, path: Path) -> list[ProgrammeEdit]:
        """What `import_files(path)` would do to what hangs on talks; the store stays as it is."""
        now = self.clock()
        return [
            self.db.dry_run(store.save_meeting, meeting=meeting, source=str(path), now=now)
            for meeting in load_meeting_files(path)
        ]

    async def meetings(self) -> list[Meeting]:
        """Every loaded meeting."""
        meetings, _ = await self._programme()
        return meetings

    async def active_meeting(self) -> Meeting:
        """The meeting commands act on: the organizers' choice, else the current or next one."""
        return self._active(*await self._programme())

    async def choose(self, slug: str | None) -> Meeting:
        """Make `slug` the active meeting; None goes back to the current or next one."""
        meetings = await self.db.run(store.choose_meeting, slug=slug, write=True)
        self._chosen = slug or ""
        if self._meetings is None:
            self._meetings = meetings
        return self._active(self._meetings, self._chosen)

    async def reload(self) -> None:
        """Read the meetings and the organizers' choice again (another instance, active until
        now, may have changed them)."""
        self._meetings, self._chosen = await self.db.run(store.load_programme)

    async def _programme(self) -> tuple[list[Meeting], str]:
        """The meetings and the organizers' choice, read from the store the first time only."""
        if self._meetings is None or self._chosen is None:
            # One read for every caller, who then go on in the order they asked (commands
            # finished after a restart reach the registration desk first come, first served).
            async with self._reading:
                if self._meetings is None or self._chosen is None:
                    meetings, chosen = await self.db.run(store.load_programme)
                    # Keep what an import or a choice made meanwhile: it is newer than this.
                    if self._meetings is None:
                        self._meetings = meetings
                    if self._chosen is None:
                        self._chosen = chosen
        assert self._meetings is not None and self._chosen is not None
        return self._meetings, self._chosen

    def _active(self, meetings: list[Meeting], chosen: str) -> Meeting:
        """The chosen meeting if it is still loaded, else the current or next one."""
        meeting = next((m for m in meetings if m.slug == chosen), None)
        meeting = meeting or choose_active(meetings, self.clock())
        if meeting is None:
            raise NoMeeting()
        return meeting

    async def meeting(self, slug: str) -> Meeting:
        """A loaded meeting by its slug."""
        for meeting in await self.meetings():
            if meeting.slug == slug:
                return meeting
        raise NoMeeting()

    async def now_and_next(self) -> tuple[Meeting, NowAndNext]:
        """The active meeting and what is on now."""
        meeting = await self.active_meeting()
        return meeting, now_and_next(meeting, self.clock())

    async def suggest_talks(self, query: str, limit: int = 25) -> list[Talk]:
        """Talks matching what the user typed so far."""
        return search_talks(await self.active_meeting(), query, limit)

    async def find_talk(self, query: str) -> tuple[Meeting, Talk]:
        """The talk a `talk` option names: its key (from autocomplete) or a unique match."""
        meeting = await self.active_meeting()
        talk = meeting.talk(query.strip())
        if talk is None:
            matches = search_talks(meeting, query)
            exact = [t for t in matches if fold(t.title) == fold(query.strip())]
            if len(exact) == 1 or len(matches) == 1:
                talk = (exact or matches)[0]
        if talk is None:
            raise UnknownTalk(query)
        return meeting, talk


def _holdings(talk: HeldTalk) -> str:
    """'its 3 question(s) and its Q&A thread'."""
    parts = [f"its {talk.questions} question(s)"] if talk.questions else []
    parts += ["its Q&A thread"] if talk.thread else []
    if talk.linked_speakers:
        parts.append(f"{talk.linked_speakers} speaker link(s) to Discord accounts")
    if len(parts) > 1:
        return ", ".join(parts[:-1]) + " and " + parts[-1]
    return parts[0] if parts else ""


def _log_edit(edit: ProgrammeEdit, path: Path) -> None:
    """Tell the organizers, in the log, what the edit of a meeting file did to held data."""
    for talk in edit.kept_removed:
        log.warning(
            'Talk "%s" (key %s) is no longer in %s; kept as removed with %s. '
            "Put it back in the file, under the same title, to bring it back.",
            talk.title,
            talk.key,
            path,
            _holdings(talk),
        )
    for talk in edit.still_removed:
        log.info(
            'Talk "%s" (key %s), removed from %s, is still kept with %s.',
            talk.title,
            talk.key,
            path,
            _holdings(talk),
        )
    for talk in edit.brought_back:
        held = _holdings(talk)
        log.info(
            'Talk "%s" (key %s) is back in %s%s.',
            talk.title,
            talk.key,
            path,
            held and ", with " + held,
        )
    for link in edit.unmatched_links:
        log.warning(
            'Speaker "%s" is no longer listed for talk "%s" (key %s) in %s; their link to Discord '
            "account %d is kept with the talk until the name comes back. If they still speak "
            "under another name, link them again with /speaker link.",
            link.speaker_name,
            link.talk_title,
            link.talk_key,
            path,
            link.discord_user_id,
        )
