"""Pure rendering of registration: replies, capacity figures, the export, promotion notices."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

from bot.core.i18n import Translator
from bot.core.markup import Card, escape, timestamp
from bot.registration.model import (
    CapacityFigures,
    Change,
    Mode,
    NotRegistered,
    Registration,
    RegistrationOutcome,
    Status,
)


def describe_status(registration: Registration, tr: Translator) -> str:
    """'Confirmed, in person.' / 'Waitlisted at position 3 …' / 'Confirmed, remote.'."""
    if registration.status is Status.WAITLISTED:
        return tr.gettext(
            "On the waitlist for a seat in the room, at position {position}. Meanwhile you can "
            "follow remotely; you will get a DM when a seat is yours.",
            position=registration.position,
        )
    if registration.mode is Mode.IN_PERSON:
        return tr.gettext("Confirmed: you have a seat in the room.")
    return tr.gettext("Confirmed: you follow the meeting remotely.")


def describe_details(registration: Registration, tr: Translator) -> str:
    """Member, affiliation and DM choice, one line."""
    parts = [
        tr.gettext("member of the network") if registration.member else tr.gettext("not a member"),
        escape(registration.affiliation) if registration.affiliation else "",
        tr.gettext("reminders by DM") if registration.dm else tr.gettext("no DMs"),
    ]
    return " · ".join(p for p in parts if p)


def promotion_notice(tr: Translator) -> str:
    """Told once to a person promoted from the waitlist."""
    return tr.gettext("Good news: a seat in the room is now yours. See you there!")


def render_outcome(outcome: RegistrationOutcome, meeting_title: str, tr: Translator) -> str:
    """The reply to `/register`."""
    registration = outcome.registration
    if outcome.change is Change.CREATED:
        head = tr.gettext("You are registered for {title}.", title=escape(meeting_title))
    elif outcome.change is Change.UPDATED:
        head = tr.gettext("Your registration is updated.")
    else:
        head = tr.gettext(
            "You were already registered with exactly these details; nothing changed."
        )
    lines = [head, describe_status(registration, tr), describe_details(registration, tr)]
    if outcome.notice:
        lines.insert(0, promotion_notice(tr))
    if outcome.change is not Change.UNCHANGED:
        lines.append(
            tr.gettext("Run /register again to change your details, /unregister to cancel.")
        )
    return "\n".join(lines)


def render_kept_registration(
    registration: Registration | None,
    result: Mapping[str, Any],
    meeting_title: str,
    tr: Translator,
) -> str:
    """The reply to a `/register` finished after a restart: what it did, as the store has it now."""
    if registration is None:  # cancelled since: the store is what the member must read
        return NotRegistered().user_message(tr)
    outcome = RegistrationOutcome(
        registration=registration,
        change=Change(result.get("change", Change.UNCHANGED.value)),
        previous=None,
        notice=bool(result.get("notice")),
    )
    return render_outcome(outcome, meeting_title, tr)


def render_mine(
    registration: Registration, notice: bool, meeting_title: str, tr: Translator
) -> str:
    """The reply to `/my-registration`."""
    lines = [
        tr.gettext(
            "Your registration for {title} (since {since}):",
            title=escape(meeting_title),
            since=timestamp(registration.registered_at, "f"),
        ),
        describe_status(registration, tr),
        describe_details(registration, tr),
    ]
    if notice:
        lines.insert(0, promotion_notice(tr))
    return "\n".join(lines)


def render_cancellation(tr: Translator) -> str:
    """The reply to `/unregister`."""
    return tr.gettext(
        "Your registration is cancelled and your details are deleted. You can register again "
        "with /register while registration is open."
    )


def render_capacity(
    figures: CapacityFigures,
    tr: Translator,
    *,
    for_organizer: bool = False,
    interested: Sequence[tuple[str, int]] = (),
) -> Card:
    """The figures of the meeting page; organizers also read the Interested counts of the
    meeting's Discord events (`interested`: name, count), which are not registrations."""
    if figures.is_open and figures.closes_at is not None:
        state = tr.gettext("Open until {time}", time=timestamp(figures.closes_at, "f"))
    elif figures.is_open:
        state = tr.gettext("Open")
    elif figures.closes_at is not None:
        state = tr.gettext("Closed since {time}", time=timestamp(figures.closes_at, "f"))
    else:
        state = tr.gettext("Closed")
    remote = str(figures.remote)
    if figures.remote_capacity is not None:
        remote = f"{figures.remote} / {figures.remote_capacity}"
    fields = [
        (tr.gettext("Room capacity"), str(figures.capacity)),
        (tr.gettext("Registered in person"), str(figures.in_person)),
        (tr.gettext("Registered remote"), remote),
        (tr.gettext("Seats left"), str(figures.seats_left)),
        (tr.gettext("Waitlist"), str(figures.waitlist)),
        (tr.gettext("Members of the network"), str(figures.members)),
        (tr.gettext("Non-members"), str(figures.non_members)),
        (tr.gettext("Registration"), state),
    ]
    if for_organizer and figures.role_problems:
        fields.append(
            (
                tr.gettext("Role changes that failed"),
                tr.gettext(
                    "{count}: see the role_problem column of /registrations export.",
                    count=figures.role_problems,
                ),
            )
        )
    if for_organizer and interested:
        lines = [
            tr.gettext("{name}: {count}", name=escape(name), count=count)
            for name, count in interested
        ]
        lines.append(tr.gettext("(Interested is not registered: only /register takes a seat.)"))
        fields.append((tr.gettext("Interested in the Events tab"), "\n".join(lines)))
    return Card(title=escape(figures.meeting_title), fields=fields)


EXPORT_COLUMNS = (
    "name",
    "discord_id",
    "mode",
    "member",
    "affiliation",
    "status",
    "waitlist_position",
    "registered_at",
    "role_problem",
)


def _cell(text: str) -> str:
    # Spreadsheets run cells that start with these as formulas.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def registrations_csv(registrations: list[Registration]) -> str:
    """The export: one row per registration, UTC ISO 8601 times."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for r in registrations:
        writer.writerow(
            [
                _cell(r.display_name),
                str(r.user_id),
                r.mode.value,
                "yes" if r.member else "no",
                _cell(r.affiliation),
                r.status.value,
                r.position or "",
                r.registered_at.isoformat(),
                _cell(r.role_problem),
            ]
        )
    return out.getvalue()


def render_status(figures: CapacityFigures) -> str:
    """`amphi status`: the figures as plain text for the operator."""
    state = "open" if figures.is_open else "closed"
    closes = f" (closes {figures.closes_at.isoformat()})" if figures.closes_at else ""
    remote = f"{figures.remote}" + (
        f" / {figures.remote_capacity}" if figures.remote_capacity is not None else ""
    )
    return "\n".join(
        [
            figures.meeting_title,
            f"room capacity:        {figures.capacity}",
            f"registered in person: {figures.in_person}",
            f"registered remote:    {remote}",
            f"seats left:           {figures.seats_left}",
            f"waitlist:             {figures.waitlist}",
            f"members:              {figures.members}",
            f"non-members:          {figures.non_members}",
            f"registration:         {state}{closes}",
            f"role problems:        {figures.role_problems}",
        ]
    )
