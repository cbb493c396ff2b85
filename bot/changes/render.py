"""The change notice: one post that tells attendees what changed in the programme (pure)."""

from __future__ import annotations

from datetime import datetime

from bot.core.i18n import Translator
from bot.core.markup import escape, timestamp
from bot.programme.diff import ProgrammeDiff, TalkChange, TalkState
from bot.programme.model import Meeting
from bot.schedule_import.sources import shown_source

#: Discord's limit for a message's content.
MESSAGE_LIMIT = 2000


def _when(meeting: Meeting, instant: datetime) -> str:
    """`11:30`, in the meeting's time (with the date when the meeting spans days), and the
    reader's own time."""
    return f"`{_local(meeting, instant)}` ({timestamp(instant, 'f' if meeting.multi_day else 't')})"


def _title(state: TalkState) -> str:
    return f"**{escape(state.title)}**"


def change_lines(meeting: Meeting, change: TalkChange, tr: Translator) -> list[str]:
    """One line for each thing that changed in a talk."""
    now, was = change.after, change.before
    if now is None:
        assert was is not None
        return [tr.gettext("Cancelled: {title}", title=_title(was))]
    if was is None:
        room = tr.gettext(", in {room}", room=escape(now.room)) if now.room else ""
        line = tr.gettext(
            "New: {title} at {when}", title=_title(now), when=_when(meeting, now.start)
        )
        return [line + room]
    lines = []
    if change.moved:
        lines.append(
            tr.gettext(
                "Moved: {title} now {when} (was {before})",
                title=_title(now),
                when=_when(meeting, now.start),
                before=f"`{_local(meeting, was.start)}`",
            )
        )
    if change.retitled:
        lines.append(
            tr.gettext("Retitled: {before} is now {title}", before=_title(was), title=_title(now))
        )
    if change.rehoused:
        lines.append(
            tr.gettext(
                "Room: {title} now in {room} (was {before})",
                title=_title(now),
                room=escape(now.room) or "—",
                before=escape(was.room) or "—",
            )
        )
    if change.speakers_changed:
        speakers = ", ".join(escape(name) for name in now.speakers) or "—"
        lines.append(
            tr.gettext("Speakers: {title} now by {speakers}", title=_title(now), speakers=speakers)
        )
    if not lines:  # only its end moved
        lines.append(
            tr.gettext(
                "Now ends at {when}: {title}", title=_title(now), when=_when(meeting, now.end)
            )
        )
    return lines


def _local(meeting: Meeting, instant: datetime) -> str:
    local = instant.astimezone(meeting.tz)
    return local.strftime("%d/%m %H:%M") if meeting.multi_day else local.strftime("%H:%M")


def render_notice(meeting: Meeting, diff: ProgrammeDiff, tr: Translator) -> str:
    """The notice, within Discord's 2,000 characters: past that, the rest is counted."""
    heading = tr.gettext("**Programme changes** · {title}", title=escape(meeting.title))
    lines = [line for change in diff.changes for line in change_lines(meeting, change, tr)]
    footer = tr.gettext("The whole programme: /programme")

    def more(count: int) -> list[str]:
        return [tr.ngettext("… and {count} more change", "… and {count} more changes", count)]

    shown: list[str] = []
    for line in lines:
        remaining = len(lines) - len(shown) - 1
        candidate = [heading, *shown, line, *(more(remaining) if remaining else []), footer]
        if len("\n".join(candidate)) > MESSAGE_LIMIT:
            break
        shown.append(line)
    hidden = len(lines) - len(shown)
    return "\n".join([heading, *shown, *(more(hidden) if hidden else []), footer])


def render_preview(
    meeting: Meeting, diff: ProgrammeDiff, due: datetime | None, held: bool, tr: Translator
) -> str:
    """What `/meeting changes` shows an organizer: the notice as it stands, and its fate."""
    if not diff:
        return tr.gettext(
            "Nothing to announce: attendees know the programme of {title} as it is.",
            title=escape(meeting.title),
        )
    if held:
        fate = tr.gettext("Held: no notice goes out until you let it go.")
    elif due is not None:
        fate = tr.gettext(
            "It will be posted {relative}, with any other edit made until then.",
            relative=timestamp(due, "R"),
        )
    else:
        fate = tr.gettext("It is being posted.")
    return truncate_preview(f"{fate}\n\n{render_notice(meeting, diff, tr)}")


def truncate_preview(text: str) -> str:
    """An ephemeral reply's content stays within Discord's limit."""
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def render_refresh(
    meeting: Meeting,
    diff: ProgrammeDiff,
    error: str,
    tr: Translator,
    warnings: tuple[str, ...] = (),
) -> str:
    """`/meeting refresh`: what re-reading the programme did, and what the import warned of."""
    said = _refreshed(meeting, diff, error, tr)
    if error or not warnings:
        return said
    heading = tr.ngettext("{count} warning:", "{count} warnings:", len(warnings))
    lines = [f"- {escape(warning)}" for warning in warnings]
    return truncate_preview("\n".join([said, heading, *lines]))


def _refreshed(meeting: Meeting, diff: ProgrammeDiff, error: str, tr: Translator) -> str:
    source = meeting.follow.source
    if error:
        return truncate_preview(
            tr.gettext(
                "The programme could not be refreshed, so it stays as it was:\n{error}",
                error=escape(error),
            )
        )
    where = (
        tr.gettext("from {source}", source=escape(shown_source(source)))
        if source
        else tr.gettext("from its meeting file")
    )
    if not diff:
        return tr.gettext("Refreshed {where}: the programme is unchanged.", where=where)
    count = tr.ngettext("{count} talk changed", "{count} talks changed", len(diff.changes))
    return tr.gettext(
        "Refreshed {where}: {count}. /meeting changes shows the notice attendees will get.",
        where=where,
        count=count,
    )


def render_correction(meeting: Meeting, title: str, start: datetime, tr: Translator) -> str:
    """The correction of a reminder or "now on" already posted, after its time moved."""
    return tr.gettext(
        "Correction: **{title}** now starts at {when} ({relative}).",
        title=escape(title),
        when=f"`{_local(meeting, start)}`",
        relative=timestamp(start, "R"),
    )
