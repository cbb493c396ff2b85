"""A schedule export made into a meeting: talks grouped into sessions, with what the meeting file
keeps of its own (capacity, reminders, events, organizers...) when it is updated. Pure, but for
`write_meeting_file`.

Sessions come from the source where it has them (Indico's session blocks); otherwise each room's
talks of a day make a session, titled with the room's name.
"""

from __future__ import annotations

import os
import tempfile
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from bot.programme.files import load_meeting_file, slugify, unique_key
from bot.programme.model import Meeting, Session, Talk
from bot.schedule_import.sources import (
    SourceError,
    SourceSchedule,
    SourceTalk,
    parse_schedule,
    shown_source,
)
from bot.schedule_import.writer import meeting_toml

#: How long a talk lasts when the source gives no duration and no talk follows it.
DEFAULT_LENGTH = timedelta(minutes=15)


@dataclass(frozen=True)
class Imported:
    """A meeting read from a schedule export, and what the organizer should know of it."""

    meeting: Meeting
    warnings: tuple[str, ...] = ()


def import_schedule(
    data: bytes, *, base: Meeting | None = None, format: str = "", timezone: str = ""
) -> Imported:
    """The meeting a schedule export describes (see `to_meeting`); raises SourceError."""
    fallback = timezone or (base.timezone if base else "")
    schedule = parse_schedule(data, format=format or None, timezone=fallback or None)
    return to_meeting(schedule, base=base, timezone=fallback)


def to_meeting(
    schedule: SourceSchedule, *, base: Meeting | None = None, timezone: str = ""
) -> Imported:
    """The meeting of `schedule`; `base` (the meeting file being updated) gives what the
    source does not carry. Raises SourceError when it has no talks or no timezone."""
    warnings = list(schedule.warnings)
    all_day = [t for t in schedule.talks if t.all_day and not t.is_break]
    if all_day:
        names = ", ".join(f'"{t.title}"' for t in all_day[:3]) + ("…" if len(all_day) > 3 else "")
        warnings.append(
            f"{len(all_day)} all-day item(s) left out ({names}): they are not talks, and a "
            "session from midnight to midnight would ping attendees in the night."
        )
    talks = _unique_ids([t for t in schedule.talks if not (t.is_break or t.all_day)], warnings)
    if not talks:
        raise SourceError("The schedule has no talks (breaks aside): there is nothing to import.")
    zone_name = schedule.timezone or timezone or (base.timezone if base else "")
    zone_name = zone_name or _fixed_zone(talks, warnings)
    draft = Meeting(
        slug=base.slug if base else slugify(schedule.title) or "meeting",
        title=schedule.title or (base.title if base else "Meeting"),
        day=date.min,
        timezone=zone_name,
        venue=(base.venue if base else "") or schedule.venue,
        url=(base.url if base else "") or schedule.url,
        capacity=base.capacity if base else 0,
        sessions=(),
    )
    sessions = _sessions(draft, talks, warnings)
    draft = replace(draft, sessions=tuple(sessions), day=draft.local_day(sessions[0].start))
    if base is not None:
        draft = replace(
            draft,
            remote_capacity=base.remote_capacity,
            registration_closes=base.registration_closes,
            reminders=base.reminders,
            organizers=base.organizers,
            events=base.events,
            follow=base.follow,
        )
    return Imported(draft, tuple(warnings))


def _unique_ids(talks: list[SourceTalk], warnings: list[str]) -> list[SourceTalk]:
    """Talks whose ids are unique (a talk is known by its id across edits): a repeated id
    gets "#2", "#3"... in the export's order."""
    seen: dict[str, int] = {}
    unique = []
    for talk in talks:
        seen[talk.uid] = seen.get(talk.uid, 0) + 1
        count = seen[talk.uid]
        unique.append(replace(talk, uid=f"{talk.uid}#{count}") if count > 1 else talk)
    repeated = [uid for uid, count in seen.items() if count > 1]
    if repeated:
        warnings.append(
            f"{len(repeated)} id(s) are used by several talks ({', '.join(repeated[:3])}): "
            "those talks are told apart by their order, so moving one may confuse them."
        )
    return unique


def _fixed_zone(talks: list[SourceTalk], warnings: list[str]) -> str:
    """For times with an offset but no zone named: the offset's fixed zone (Etc/GMT-2 is
    UTC+02:00), when every talk has the same whole-hour one."""
    offsets = {talk.start.utcoffset() for talk in talks}
    offset = offsets.pop() if len(offsets) == 1 else None
    if offset is None or offset % timedelta(hours=1):
        raise SourceError(
            "The schedule names no timezone and its times have none, or several, offsets: "
            "pass --timezone (an IANA name such as Europe/Paris)."
        )
    hours = int(offset / timedelta(hours=1))
    zone = f"Etc/GMT{-hours:+d}" if hours else "UTC"
    warnings.append(
        f"The schedule names no timezone; its times are at UTC{hours:+03d}:00, so the meeting "
        f"is in {zone}. Pass --timezone with the meeting's own zone (such as Europe/Paris)."
    )
    return zone


def _sessions(meeting: Meeting, talks: list[SourceTalk], warnings: list[str]) -> list[Session]:
    """Group the talks into sessions, in order of start, never crossing a day."""
    groups: dict[tuple[date, str, str], list[SourceTalk]] = defaultdict(list)
    for source in talks:
        day = meeting.local_day(source.start)
        group = source.session_uid or source.session
        groups[(day, group, source.room if not group else "")].append(source)
    sessions = []
    for (day, group, room), members in groups.items():
        built = _talks(meeting, day, members, warnings)
        rooms = {talk.room for talk in built}
        session_room = room or (rooms.pop() if len(rooms) == 1 else "")
        title = members[0].session if group else (room or meeting.title)
        sessions.append(
            Session(
                title=title or meeting.title,
                start=min(t.start for t in built),
                end=max(t.end for t in built),
                talks=tuple(built),
                room=session_room,
                # A stable id keeps the session's posts and event across edits.
                uid=f"{members[0].session_uid or session_room or title}@{day}",
            )
        )
    sessions.sort(key=lambda s: (s.start, s.room, s.title))
    return _keyed(_no_clash(meeting, sessions, warnings))


def _keyed(sessions: list[Session]) -> list[Session]:
    """The talks' keys, as the loader derives them from the titles in file order."""
    used: set[str] = set()
    return [
        replace(
            session,
            talks=tuple(
                replace(talk, key=unique_key(slugify(talk.title) or "talk", used))
                for talk in session.talks
            ),
        )
        for session in sessions
    ]


def _talks(
    meeting: Meeting, day: date, members: list[SourceTalk], warnings: list[str]
) -> list[Talk]:
    """The talks of one session: whole minutes, each within its day, each with an end."""
    members = sorted(members, key=lambda t: (t.start, t.room, t.title))
    midnight = datetime.combine(day + timedelta(days=1), time(0), meeting.tz).astimezone(UTC)
    last_minute = midnight - timedelta(minutes=1)  # 23:59, as late as a meeting file goes
    starts = [_minute(t.start) for t in members]
    built = []
    for index, source in enumerate(members):
        start = starts[index]
        end = _minute(source.end) if source.end else None
        if end is None or end <= start:
            later = [s for s in starts[index + 1 :] if s > start]
            end = later[0] if later else start + DEFAULT_LENGTH
            warnings.append(
                f'"{source.title}" has no duration in the source: '
                f"it is shown until {_clock(meeting, end)}."
            )
        if end > last_minute or start >= last_minute:
            start, end = min(start, last_minute - timedelta(minutes=1)), last_minute
            warnings.append(
                f'"{source.title}" runs past midnight: it is shown ending at 23:59 on {day}.'
            )
        built.append(
            Talk(
                key="",
                title=source.title,
                start=start,
                end=end,
                speakers=source.speakers,
                abstract=source.abstract,
                room=source.room,
                uid=source.uid,
            )
        )
    return built


def _no_clash(meeting: Meeting, sessions: list[Session], warnings: list[str]) -> list[Session]:
    """Merge a session that overlaps an earlier one in the same room into it (the meeting file
    keeps one room's sessions apart)."""
    merged: list[Session] = []
    for session in sessions:
        same_room = [
            s
            for s in merged
            if s.room == session.room
            and s.end > session.start
            and meeting.local_day(s.start) == meeting.local_day(session.start)
        ]
        if not same_room:
            merged.append(session)
            continue
        host = same_room[-1]
        warnings.append(
            f'Session "{session.title}" overlaps "{host.title}" in the same room: '
            "their talks are listed together."
        )
        talks = tuple(sorted(host.talks + session.talks, key=lambda t: (t.start, t.title)))
        merged[merged.index(host)] = replace(host, end=max(host.end, session.end), talks=talks)
    return merged


def _minute(instant: datetime) -> datetime:
    return instant.astimezone(UTC).replace(second=0, microsecond=0)


def _clock(meeting: Meeting, instant: datetime) -> str:
    return instant.astimezone(meeting.tz).strftime("%H:%M")


def imported_comment(source: str) -> str:
    """The comment heading a meeting file written from a schedule export."""
    return (
        f"Imported from {shown_source(source)} by amphi import.\n"
        "The programme comes from there: edit it at its source (a meeting with `source` set is\n"
        "re-imported by the bot). Capacity, reminders, organizers and [events] are this file's own."
    )


def write_meeting_file(
    path: Path, meeting: Meeting, *, source: str = "", dry_run: bool = False
) -> Meeting:
    """Write `meeting` as the meeting file `path` (whole, atomically) and return it as the file
    reads; a result the loader refuses raises MeetingFileError and leaves the file as it was,
    and a folder that cannot be written raises SourceError. `dry_run` writes nothing there."""
    comment = imported_comment(source) if source else ""
    if dry_run:  # checked in a folder of its own, every path written whole
        with tempfile.TemporaryDirectory() as folder:
            temp = Path(folder) / path.name
            temp.write_text(meeting_toml(meeting, comment=comment), encoding="utf-8")
            return load_meeting_file(temp)
    text = meeting_toml(meeting, comment=comment, folder=path.parent)
    temp = path.with_name(f".{path.name}.tmp")  # not *.toml: a folder's loader skips it
    try:
        with temp.open("w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())  # the new file whole on disk before it replaces the old
    except OSError as error:
        raise SourceError(f"The meeting file {path} cannot be written: {error.strerror}.") from None
    try:
        written = load_meeting_file(temp)
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            return written  # unchanged: the file keeps its time stamp
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    return written
