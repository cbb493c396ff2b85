"""The change notice: one post that tells attendees what changed in the programme (pure)."""

from __future__ import annotations

from datetime import datetime

from bot.changes.model import HeldImport
from bot.core.i18n import Translator
from bot.core.markup import escape, timestamp
from bot.programme.diff import ProgrammeDiff, TalkChange, TalkState
from bot.programme.model import Meeting, UnmatchedLink
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


def render_waiting(tr: Translator) -> str:
    """`/meeting refresh`, when the source gave two different versions in a row."""
    return tr.gettext(
        "The source gave two different versions in a row, so the programme stays as it was: "
        "a version is applied once two fetches agree. Refresh again in a moment."
    )


def render_held(meeting: Meeting, held: HeldImport, tr: Translator) -> str:
    """A version of the source held for an organizer: what it would remove, and what to do."""
    cut = held.cut
    lines = [
        tr.gettext(
            "**Held for an organizer** · {title}: the new version of {source} would remove "
            "{removed} of its {total} talks.",
            title=escape(meeting.title),
            source=escape(shown_source(meeting.follow.source)),
            removed=len(cut.removed),
            total=cut.before,
        )
    ]
    if cut.days:
        lines.append(
            tr.gettext(
                "Days left without any talk: {days}.", days=", ".join(f"`{d}`" for d in cut.days)
            )
        )
    shown = [f"- {escape(title)}" for title in cut.removed[:10]]
    if len(cut.removed) > len(shown):
        shown.append(
            tr.ngettext(
                "… and {count} more talk", "… and {count} more talks", len(cut.removed) - 10
            )
        )
    lines += shown
    lines.append(
        tr.gettext(
            "The programme stays as it was until an organizer applies or drops this version: "
            "/meeting changes."
        )
    )
    return truncate_preview("\n".join(lines))


def render_held_outcome(outcome: str, tr: Translator) -> str:
    """What Apply or Drop under a held version did (`applied`, `dropped` or `gone`)."""
    if outcome == "applied":
        return tr.gettext(
            "Applied: the programme now follows this version of its source. "
            "/meeting changes shows the notice attendees will get."
        )
    if outcome == "dropped":
        return tr.gettext(
            "Dropped: the programme stays as it was, and this version of the source will not "
            "be held again."
        )
    return tr.gettext(
        "This version is no longer the one held; /meeting changes shows where things stand."
    )


def render_unmatched(link: UnmatchedLink, tr: Translator) -> str:
    """For the organizers: a speaker link that no longer matches a speaker name of its talk."""
    return tr.gettext(
        "**Speaker link**: {name} is no longer listed as a speaker of {talk}; the link to "
        "<@{user}> is kept with the talk until the name comes back. If they still speak under "
        "another name, link them again with /speaker link.",
        name=f"**{escape(link.speaker_name)}**",
        talk=f"**{escape(link.talk_title)}**",
        user=link.discord_user_id,
    )
