"""The rehearsal's transcript: what members see, in order, on the meeting's clock.

Every message the bot posts in a channel or a thread, and every DM, is taken as the Discord double
stores it. The replies only one member sees (ephemeral) are many; the day's script shows the ones
worth reading. Identical DMs to many members are shown once, with a count.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.clock import Clock
from bot.core.i18n import Translator
from bot.rehearsal.reading import (
    ENGLISH,
    buttons_of,
    channel_label,
    name_of_user,
    pings,
    resolve,
    text_of,
)
from fake_discord.messages import FakeMessage
from fake_discord.server import FakeDiscord

POST, DM_KIND, REPLY, NOTE = "post", "dm", "reply", "note"
#: A DM broadcast idle this long (wall-clock seconds) has its count reported.
BROADCAST_PAUSE = 0.5


@dataclass
class Entry:
    """One message (or one line of the rehearsal's own narration) as a member reads it."""

    at: datetime  # meeting-local
    kind: str  # POST, DM_KIND, REPLY or NOTE
    place: (
        str  # "#announcements", "DM to Léa M.", "Léa M.: /register · only Léa M. sees the answer"
    )
    text: str
    buttons: tuple[str, ...] = ()
    pings: tuple[str, ...] = ()
    also: int = 0  # the same DM went to this many more members


class Transcript:
    """Collects the entries as the bot sends its messages; `show` sees each as it comes."""

    def __init__(
        self,
        fake: FakeDiscord,
        clock: Clock,
        tz: ZoneInfo,
        show: Callable[[Entry], None] | None = None,
        tr: Translator = ENGLISH,
    ) -> None:
        self.fake = fake
        self.tr = tr  # the rehearsal's language, the members' and the transcript's
        self.clock = clock
        self.tz = tz
        self.show = show
        self.entries: list[Entry] = []
        self.posts = 0
        self.dms = 0
        self._placeholders: set[int] = set()
        self._dm_texts: dict[str, Entry] = {}
        self._last_copy: dict[int, float] = {}  # id(entry) → when its DM last went to someone
        self._reported_also: dict[int, int] = {}  # id(entry) → the count last shown
        self.repeats_shown: Callable[[Entry], None] | None = None

    def watch(self) -> None:
        """Follow what the double stores from now on."""
        self.fake.watchers.append(self._message_changed)

    def now(self) -> datetime:
        return self.clock().astimezone(self.tz)

    def note(self, text: str) -> Entry:
        """A line of the rehearsal's own narration: what the simulated members do."""
        return self._add(Entry(self.now(), NOTE, self.tr.gettext("rehearsal"), text))

    def reply(self, message: FakeMessage, place: str) -> Entry:
        """A reply only its member sees, shown because the script says it is worth reading."""
        return self._add(self._entry(message, REPLY, place))

    def place_of(self, channel_id: int) -> tuple[str, str]:
        """(kind, place) of a channel: a DM names its member, a thread its channel."""
        state = self.fake.state
        label = channel_label(state, channel_id)
        if label is not None:
            return POST, label
        for member_id, dm in state.dm_channels.items():
            if dm.id == channel_id:
                name = name_of_user(state, member_id, self.tr)
                return DM_KIND, self.tr.gettext("DM to {name}", name=name)
        return POST, self.tr.gettext("channel {id}", id=channel_id)

    def _message_changed(self, message: FakeMessage, edited: bool) -> None:
        if message.ephemeral:
            return
        if message.loading:  # "thinking…": read once the answer fills it
            self._placeholders.add(message.id)
            return
        if edited and message.id not in self._placeholders:
            return
        self._placeholders.discard(message.id)
        kind, place = self.place_of(message.channel_id)
        if message.interaction_metadata:
            user = int(message.interaction_metadata["user"]["id"])
            name = name_of_user(self.fake.state, user, self.tr)
            place = self.tr.gettext("{place} · answer to {name}", place=place, name=name)
        entry = self._entry(message, kind, place)
        if kind == DM_KIND:
            self.dms += 1
            # The same DM as sent: relative times ("in 5 minutes") read differently as it goes.
            raw = text_of(message)
            same = self._dm_texts.get(raw)
            if same is not None:
                same.also += 1
                self._last_copy[id(same)] = time.monotonic()
                return
            self._dm_texts[raw] = entry
        else:
            self.posts += 1
        self._add(entry)

    def _entry(self, message: FakeMessage, kind: str, place: str) -> Entry:
        now = self.now()
        state = self.fake.state
        text = resolve(text_of(message, self.tr), state, self.tz, now, self.tr)
        buttons, pinged = buttons_of(message, self.tr), tuple(pings(message, state, self.tr))
        return Entry(now, kind, place, text, buttons, pinged)

    def _add(self, entry: Entry) -> Entry:
        self.report_repeats()
        self.entries.append(entry)
        if self.show is not None:
            self.show(entry)
        return entry

    def report_repeats(self, *, final: bool = False) -> None:
        """Say how many members got a DM shown once, when its broadcast has paused (or at the
        end): a count after each message would drown the transcript."""
        now = time.monotonic()
        for entry in self._dm_texts.values():
            if entry.also <= self._reported_also.get(id(entry), 0):
                continue
            if final or now - self._last_copy[id(entry)] >= BROADCAST_PAUSE:
                self._reported_also[id(entry)] = entry.also
                if self.repeats_shown is not None:
                    self.repeats_shown(entry)
