"""Pure rendering of announcements: the preview, the list, progress and the delivery report."""

from __future__ import annotations

from bot.announcements.model import Announcement, Audience
from bot.core.errors import N_
from bot.core.i18n import Translator
from bot.core.markup import timestamp, truncate
from bot.dms.model import DeliveryReport

AUDIENCE_LABELS = {
    Audience.NONE: N_("nobody"),
    Audience.REGISTERED: N_("everyone registered"),
    Audience.IN_PERSON: N_("the in-person attendees"),
    Audience.REMOTE: N_("the remote attendees"),
}


def when(announcement: Announcement, tr: Translator) -> str:
    """'now' or the Discord timestamp of its time."""
    if announcement.due is None:
        return tr.gettext("now")
    return tr.gettext(
        "at {time} ({relative})",
        time=timestamp(announcement.due, "f"),
        relative=timestamp(announcement.due, "R"),
    )


def render_preview(announcement: Announcement, channel: str, dm_count: int, tr: Translator) -> str:
    """What the organizer checks before pressing Send."""
    lines = [
        tr.gettext("**Preview of announcement #{id}**", id=announcement.id),
        tr.gettext("Posted in {channel}, {when}.", channel=channel, when=when(announcement, tr)),
        tr.gettext(
            "Pings: {audience}.", audience=tr.gettext(AUDIENCE_LABELS[announcement.audience])
        ),
    ]
    if announcement.dm:
        lines.append(
            tr.ngettext(
                "DMs: {count} member who opted in to DMs.",
                "DMs: {count} members who opted in to DMs.",
                dm_count,
            )
        )
    else:
        lines.append(tr.gettext("DMs: none."))
    quoted = "\n".join("> " + line for line in announcement.text.splitlines() or [""])
    return truncate("\n".join(lines) + "\n\n" + quoted, 2000)


def render_progress(report: DeliveryReport, tr: Translator) -> str:
    """DMs delivered so far."""
    return tr.gettext(
        "Sending DMs: {done} of {total} ({sent} sent, {failed} failed)…",
        done=report.done,
        total=report.total,
        sent=report.sent,
        failed=report.failed,
    )


def render_report(announcement: Announcement, report: DeliveryReport | None, tr: Translator) -> str:
    """The delivery report at the end."""
    lines = [tr.gettext("Announcement #{id} is posted.", id=announcement.id)]
    if report is not None:
        lines.append(
            tr.gettext(
                "DMs: {sent} sent, {failed} failed, of {total}.",
                sent=report.sent,
                failed=report.failed,
                total=report.total,
            )
        )
        for reason, count in report.failures.most_common():
            lines.append(f"- {reason}: {count}")
    return truncate("\n".join(lines), 2000)


def render_scheduled(announcements: list[Announcement], tr: Translator) -> str:
    """`/announcements list`."""
    if not announcements:
        return tr.gettext("No announcement is scheduled.")
    lines = [tr.gettext("Scheduled announcements:")]
    for a in announcements:
        preview = truncate(" ".join(a.text.split()), 80)
        lines.append(
            f"**#{a.id}** · {when(a, tr)} · {tr.gettext(AUDIENCE_LABELS[a.audience])} · {preview}"
        )
    return truncate("\n".join(lines), 2000)


def announcement_dm(meeting_title: str, text: str, tr: Translator) -> str:
    """The DM that carries an announcement, within Discord's 2,000 characters."""
    header = tr.gettext(
        "Announcement from the organizers of {meeting}:", meeting=truncate(meeting_title, 60)
    )
    return truncate(f"{header}\n\n{text}", 2000)
