"""What changed between two versions of a programme, keyed on the source's ids (pure).

A talk is the same talk across versions when it has the same source id (frab/pretalx guid,
Indico id); talks without one are matched by key. The diff is what a change notice tells
attendees: moved, retitled, in another room, speakers changed, new, cancelled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from bot.programme.model import Meeting, Talk


@dataclass(frozen=True)
class TalkState:
    """What attendees were told of a talk: enough to say later what changed."""

    identity: str  # "uid:<source id>" or "key:<talk key>"
    title: str
    start: datetime
    end: datetime
    room: str = ""
    speakers: tuple[str, ...] = ()

    @classmethod
    def of(cls, talk: Talk) -> TalkState:
        """The state of a talk of the programme."""
        identity = f"uid:{talk.uid}" if talk.uid else f"key:{talk.key}"
        names = tuple(p.name for p in talk.speakers)
        return cls(identity, talk.title, talk.start, talk.end, talk.room, names)


@dataclass(frozen=True)
class TalkChange:
    """One talk's change; `before` is None for a new talk, `after` None for a cancelled one."""

    before: TalkState | None
    after: TalkState | None

    @property
    def added(self) -> bool:
        """A new talk."""
        return self.before is None

    @property
    def cancelled(self) -> bool:
        """A talk gone from the programme."""
        return self.after is None

    @property
    def moved(self) -> bool:
        """Its start moved."""
        return bool(self.before and self.after and self.before.start != self.after.start)

    @property
    def retitled(self) -> bool:
        """Its title changed."""
        return bool(self.before and self.after and self.before.title != self.after.title)

    @property
    def rehoused(self) -> bool:
        """It is in another room."""
        return bool(self.before and self.after and self.before.room != self.after.room)

    @property
    def speakers_changed(self) -> bool:
        """Its speakers changed."""
        return bool(self.before and self.after and self.before.speakers != self.after.speakers)

    @property
    def latest(self) -> TalkState:
        """The talk as it is now, or as it was when cancelled."""
        state = self.after or self.before
        assert state is not None
        return state

    def touches_future(self, now: datetime) -> bool:
        """Whether the talk was, or is, still to come at `now`."""
        return any(state.end > now for state in (self.before, self.after) if state)


@dataclass(frozen=True)
class ProgrammeDiff:
    """The talks that changed, in the order of the new programme (cancelled ones last)."""

    changes: tuple[TalkChange, ...] = field(default_factory=tuple)

    def __bool__(self) -> bool:
        return bool(self.changes)

    def upcoming(self, now: datetime) -> ProgrammeDiff:
        """Only the changes of talks still to come (the past is not worth a notice)."""
        return ProgrammeDiff(tuple(c for c in self.changes if c.touches_future(now)))

    @property
    def counts(self) -> dict[str, int]:
        """How many talks moved, were retitled, added, cancelled... (for logs and previews)."""
        kinds = ("added", "cancelled", "moved", "retitled", "rehoused", "speakers_changed")
        return {kind: sum(getattr(c, kind) for c in self.changes) for kind in kinds}


def programme_state(meeting: Meeting) -> tuple[TalkState, ...]:
    """The programme as attendees see it, talk by talk."""
    return tuple(TalkState.of(talk) for talk in meeting.talks)


def diff_states(old: tuple[TalkState, ...], new: tuple[TalkState, ...]) -> ProgrammeDiff:
    """What changed from `old` to `new`. A talk without a source id whose title changed is the
    same talk when it is the only one gone from its start and room, and the only one new there
    (as the store keeps it)."""
    before = {state.identity: state for state in old}
    gone = [s for s in old if s.identity.startswith("key:") and s.identity not in _ids(new)]
    came = [s for s in new if s.identity.startswith("key:") and s.identity not in before]
    retitled: dict[str, TalkState] = {}
    for state in came:
        slot = (state.start, state.room)
        left = [s for s in gone if (s.start, s.room) == slot]
        rivals = [s for s in came if (s.start, s.room) == slot]
        if len(left) == 1 and len(rivals) == 1:
            retitled[state.identity] = left[0]
    changes = []
    for state in new:
        previous = before.pop(state.identity, None) or retitled.get(state.identity)
        if previous is not None:
            before.pop(previous.identity, None)
        if previous != state:
            changes.append(TalkChange(previous, state))
    changes += [TalkChange(state, None) for state in before.values()]
    return ProgrammeDiff(tuple(changes))


def _ids(states: tuple[TalkState, ...]) -> set[str]:
    return {state.identity for state in states}


def diff_meetings(old: Meeting, new: Meeting) -> ProgrammeDiff:
    """What changed in the programme from `old` to `new`."""
    return diff_states(programme_state(old), programme_state(new))


def dump_states(states: tuple[TalkState, ...]) -> str:
    """The states as JSON, for the store."""
    return json.dumps(
        [
            {
                "identity": s.identity,
                "title": s.title,
                "start": s.start.isoformat(),
                "end": s.end.isoformat(),
                "room": s.room,
                "speakers": list(s.speakers),
            }
            for s in states
        ],
        ensure_ascii=False,
    )


def load_states(raw: str) -> tuple[TalkState, ...]:
    """States stored by `dump_states`."""
    return tuple(
        TalkState(
            identity=item["identity"],
            title=item["title"],
            start=datetime.fromisoformat(item["start"]),
            end=datetime.fromisoformat(item["end"]),
            room=item["room"],
            speakers=tuple(item["speakers"]),
        )
        for item in json.loads(raw or "[]")
    )


def plain_lines(meeting: Meeting, diff: ProgrammeDiff) -> list[str]:
    """The changes for the command line: one line a talk, times meeting-local."""

    def at(instant: datetime) -> str:
        return instant.astimezone(meeting.tz).strftime("%Y-%m-%d %H:%M")

    lines = []
    for change in diff.changes:
        now, was = change.after, change.before
        if now is None:
            assert was is not None
            lines.append(f"cancelled: {was.title} ({at(was.start)})")
            continue
        if was is None:
            where = f", {now.room}" if now.room else ""
            lines.append(f"new: {now.title} ({at(now.start)}{where})")
            continue
        parts = []
        if change.moved:
            parts.append(f"moved {at(was.start)} → {at(now.start)}")
        if change.retitled:
            parts.append(f"retitled from {was.title!r}")
        if change.rehoused:
            parts.append(f"room {was.room or '-'} → {now.room or '-'}")
        if change.speakers_changed:
            parts.append(f"speakers now {', '.join(now.speakers) or '-'}")
        if not parts:
            parts.append(f"now ends {at(now.end)}")
        lines.append(f"changed: {now.title}: {'; '.join(parts)}")
    return lines
