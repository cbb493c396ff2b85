"""The rules of change notices (pure): what attendees are owed, given what they were last told
and the programme now; when a notice is planned (a burst of edits makes one); what a notice
being sent says, frozen at its first attempt so a resumed one says the same.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from bot.posts.model import PlannedPost, PostKind, PostRecord
from bot.programme.diff import (
    ProgrammeDiff,
    TalkState,
    diff_states,
    dump_states,
    load_states,
    programme_state,
)
from bot.programme.model import Meeting

#: How long a notice waits for more edits before it is posted.
NOTICE_DELAY = timedelta(minutes=3)
#: The least time between two notices of a meeting (each one DMs every opted-in attendee).
NOTICE_MIN_GAP = timedelta(minutes=30)
#: A re-import that would remove more than this share of the talks waits for an organizer.
MOST_REMOVED_SHARE = 0.25


def what_changed(told: str, programme: tuple[TalkState, ...], at: datetime) -> ProgrammeDiff:
    """The one answer to "what changed": from what attendees were last told (`told`, as the
    store keeps it) to `programme`, the talks still to come at `at` (the past is not worth a
    notice). The preview, `/meeting refresh`'s reply and the notice itself all ask this."""
    return diff_states(load_states(told), programme).upcoming(at)


def first_told(meeting: Meeting) -> str:
    """What attendees know of a meeting seen for the first time: its programme as it is (so
    there is nothing to tell them yet)."""
    return dump_states(programme_state(meeting))


def notice_to_plan(
    meeting: Meeting,
    owed: ProgrammeDiff,
    *,
    held: bool,
    planned: PlannedPost | None,
    count: int,
    due: datetime,
) -> PlannedPost | None:
    """The notice to plan for what is `owed`: none when nothing is, when the organizers hold
    notices, or when one is `planned` already (a burst of edits joins it: it says what stands
    when it goes). Each notice's key takes the next number of the meeting's `count`."""
    if not owed or held or planned is not None:
        return None
    return PlannedPost.make(meeting.slug, PostKind.PROGRAMME_CHANGES, f"n{count + 1}", due)


def notice_due(due: datetime, last_told: datetime | None, gap: timedelta) -> datetime:
    """When a notice planned for `due` goes: not within `gap` of the last notice that told
    attendees something (`last_told`), so a source that keeps changing DMs them at most once
    per gap, each notice telling everything that stands by then."""
    if last_told is None:
        return due
    return max(due, last_told + gap)


def notice_number(post: PlannedPost) -> int:
    """The notice's number among its meeting's (1 for the first)."""
    return int(post.target.removeprefix("n"))


@dataclass(frozen=True)
class FrozenNotice:
    """What a notice says, frozen at its first attempt: what attendees knew (`told`), the
    programme then (`states`) and that instant; and how far its channel message got."""

    told: str
    states: str
    at: datetime
    message_id: int | None = None
    posting: bool = False  # its channel message was about to be sent (and may have been)

    @classmethod
    def first_attempt(cls, told: str, meeting: Meeting, now: datetime) -> FrozenNotice:
        """The notice as it stands at its first attempt."""
        return cls(told, dump_states(programme_state(meeting)), now)

    @property
    def diff(self) -> ProgrammeDiff:
        """What the notice tells."""
        return what_changed(self.told, load_states(self.states), self.at)

    def marked(self, *, posting: bool | None = None, message_id: int | None = None) -> FrozenNotice:
        """The same notice, with its channel message about to go (`posting`) or gone."""
        return replace(
            self,
            posting=self.posting if posting is None else posting,
            message_id=self.message_id if message_id is None else message_id,
        )

    def to_dict(self) -> dict[str, Any]:
        """As the store keeps it."""
        return {
            "before": self.told,
            "states": self.states,
            "at": self.at.isoformat(),
            "message_id": self.message_id,
            "posting": self.posting,
        }

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> FrozenNotice:
        """As the store kept it (a notice frozen before `posting` was kept has none)."""
        return cls(
            value["before"],
            value["states"],
            datetime.fromisoformat(value["at"]),
            value.get("message_id"),
            bool(value.get("posting")),
        )


@dataclass(frozen=True)
class Notice:
    """A notice being sent: what it tells, and how far its channel message got."""

    meeting: Meeting
    frozen: FrozenNotice
    claimed_at: datetime | None  # when its post was claimed for sending

    @property
    def diff(self) -> ProgrammeDiff:
        """What the notice tells."""
        return self.frozen.diff

    @property
    def states(self) -> tuple[TalkState, ...]:
        """The programme it tells of: what attendees know once it is told."""
        return load_states(self.frozen.states)

    @property
    def message_id(self) -> int | None:
        """Its channel message, once posted."""
        return self.frozen.message_id

    def may_post(self, now: datetime, nonce_window: timedelta) -> bool:
        """Whether its channel message is to be sent: never tried yet, or tried so recently
        (within `nonce_window`) that Discord still knows its nonce (and drops a copy)."""
        if self.frozen.message_id is not None:
            return False
        return not self.frozen.posting or (
            self.claimed_at is not None and now - self.claimed_at <= nonce_window
        )


@dataclass(frozen=True)
class NoticePreview:
    """What `/meeting changes` shows: the changes a notice would tell, and when."""

    meeting: Meeting
    diff: ProgrammeDiff
    due: datetime | None  # None: no notice planned
    held: bool


@dataclass(frozen=True)
class NoticeTurn:
    """What an organizer's button did: the preview as it now stands, the notice it planned
    (to schedule) and the one it cancelled (to unschedule)."""

    preview: NoticePreview
    planned: PostRecord | None = None
    cancelled: str | None = None


@dataclass(frozen=True)
class ImportCut:
    """What a re-import would take out of a programme: the talks gone (by title) and the days
    left without any talk. A source that suddenly drops much (a half-published schedule, a stale
    cache) is not followed blindly: an organizer approves or drops it."""

    removed: tuple[str, ...]
    days: tuple[str, ...]  # the meeting-local dates, ISO, left without a talk
    before: int  # how many talks there were

    @property
    def too_much(self) -> bool:
        """Whether an organizer must approve it: more than a quarter of the talks, or a day."""
        return bool(self.days) or len(self.removed) > self.before * MOST_REMOVED_SHARE


def import_cut(before: Meeting, after: Meeting) -> ImportCut:
    """What going from `before` to `after` removes; talks are matched by the source's id, else
    by key (as the store matches them)."""
    kept = {t.uid for t in after.talks if t.uid} | {t.key for t in after.talks}
    removed = tuple(t.title for t in before.talks if (t.uid or t.key) not in kept)
    days_after = {after.local_day(t.start) for t in after.talks}
    days = sorted({before.local_day(t.start) for t in before.talks} - days_after)
    return ImportCut(removed, tuple(d.isoformat() for d in days), len(before.talks))


@dataclass(frozen=True)
class HeldImport:
    """A version of a followed export that would remove too much, held (the programme stays
    as it was) until an organizer applies or drops it."""

    slug: str
    version: str  # the export's digest: the buttons act on this version only
    data: bytes
    cut: ImportCut
    told: bool = False  # the organizers were told of it in the moderation channel
    dropped: bool = False  # an organizer dropped it: the same version is not held again

    @property
    def waiting(self) -> bool:
        """Whether it waits for an organizer."""
        return not self.dropped
