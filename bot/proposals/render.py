"""Pure rendering of the call for contributions: review cards, a member's proposals, the
ranked list, the decision DMs, the call reminder, and the exports (TOML talk blocks, CSV)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from bot.core.errors import N_
from bot.core.i18n import Translator
from bot.core.markup import TITLE_LIMIT, Card, escape, timestamp, truncate
from bot.programme.model import Meeting
from bot.proposals.model import (
    Confirmation,
    NotifyPreview,
    Proposal,
    ProposalStatus,
    Review,
    format_authors,
)

#: A card's abstract is cut here: the card has the reviewers' fields to hold too.
CARD_ABSTRACT_CHARS = 3000
FIELD_CHARS = 1024
PAGE_SIZE = 10

STATUS_LABELS = {
    ProposalStatus.SUBMITTED: N_("submitted"),
    ProposalStatus.WITHDRAWN: N_("withdrawn"),
    ProposalStatus.ACCEPTED: N_("accepted"),
    ProposalStatus.DECLINED: N_("declined"),
}
CONFIRMATION_LABELS = {
    Confirmation.PENDING: N_("awaiting the author's confirmation"),
    Confirmation.CONFIRMED: N_("confirmed by the author"),
    Confirmation.WITHDRAWN: N_("withdrawn by the author"),
}


def status_label(p: Proposal, tr: Translator) -> str:
    """Where it stands, in words; an accepted one says what its author answered."""
    label = tr.gettext(STATUS_LABELS[p.status])
    if p.status is ProposalStatus.ACCEPTED:
        label += f" ({tr.gettext(CONFIRMATION_LABELS[p.confirmation])})"
    return label


def score_label(p: Proposal, tr: Translator) -> str:
    """ "4.3 / 5 (3 reviews)", or that nobody reviewed it yet."""
    if p.mean_score is None:
        return tr.gettext("no review yet")
    reviews = tr.ngettext("{count} review", "{count} reviews", p.reviews)
    return f"{p.mean_score:.1f} / 5 ({reviews})"


def _authors(p: Proposal) -> str:
    return escape(format_authors(p.authors).replace("\n", ", "))


def proposal_card(p: Proposal, tr: Translator, *, anonymous: bool) -> Card:
    """The reviewers' card: the abstract, then kind, authors, proposer, note, score, status.

    `anonymous` hides who wrote it (an anonymous review, until its decision is told).
    """
    hidden = tr.gettext("hidden for an anonymous review")
    fields = [
        (tr.gettext("Kind"), escape(p.kind)),
        (tr.gettext("Authors"), hidden if anonymous else truncate(_authors(p), FIELD_CHARS)),
        (tr.gettext("Proposed by"), hidden if anonymous else escape(p.display_name)),
    ]
    if p.note:
        fields.append((tr.gettext("Note to the organizers"), truncate(escape(p.note), FIELD_CHARS)))
    fields.append((tr.gettext("Score"), score_label(p, tr)))
    fields.append((tr.gettext("Status"), status_label(p, tr)))
    received = p.submitted_at.astimezone(UTC)
    return Card(
        title=truncate(f"{p.reference} · {escape(p.title)}", TITLE_LIMIT),
        description=truncate(escape(p.abstract), CARD_ABSTRACT_CHARS),
        fields=fields,
        footer=tr.gettext("Received {when} UTC", when=received.strftime("%Y-%m-%d %H:%M")),
    )


def proposal_answer(p: Proposal, meeting: Meeting, tr: Translator) -> str:
    """The member's acknowledgement: the reference, what happens next, until when to change it."""
    values = {"reference": p.reference, "title": escape(p.title), "meeting": escape(meeting.title)}
    text = tr.gettext(
        "Thank you! Your proposal **{reference}** “{title}” to {meeting} is with the organizers. "
        "They will tell you their decision by DM.",
        **values,
    )
    if meeting.call is not None and p.updated_at >= meeting.call.closes:
        # Open past the file's date: the organizers reopened it, and they will close it.
        text += "\n" + tr.gettext(
            "You can change or withdraw it with /my-proposals until the organizers close the call."
        )
    elif meeting.call is not None:
        closes = meeting.call.closes
        text += "\n" + tr.gettext(
            "You can change or withdraw it with /my-proposals until the call closes {when} "
            "({relative}).",
            when=timestamp(closes, "f"),
            relative=timestamp(closes, "R"),
        )
    return text


def my_proposals(
    meeting: Meeting, proposals: Sequence[Proposal], tr: Translator, *, now: datetime | None = None
) -> Card:
    """A member's proposals to the meeting's call, with where each stands (`now`, to tell a call
    the organizers reopened past its date from one that closes on it)."""
    title = truncate(tr.gettext("Your proposals to {meeting}", meeting=meeting.title), TITLE_LIMIT)
    lines = [
        f"**{p.reference}** · {escape(p.title)} — {status_label(p, tr)}" for p in proposals
    ] or [tr.gettext("You have no proposal yet. Use /propose to make one.")]
    if meeting.call is not None and now is not None and now >= meeting.call.closes:
        lines.append(
            "\n"
            + tr.gettext(
                "Until the organizers close the call, you can edit or withdraw a proposal "
                "they have not decided on."
            )
        )
    elif meeting.call is not None:
        lines.append(
            "\n"
            + tr.gettext(
                "The call closes {when}: until then you can edit or withdraw a proposal "
                "the organizers have not decided on.",
                when=timestamp(meeting.call.closes, "f"),
            )
        )
    return Card(title=title, description=truncate("\n".join(lines), 4096))


def ranked_list(
    proposals: Sequence[Proposal], tr: Translator, *, anonymous: bool, page: int = 1
) -> Card:
    """One page (from 1) of the ranked list: reference, score, title, authors, status."""
    pages = max(1, -(-len(proposals) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    shown = proposals[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    lines = []
    for p in shown:
        who = "" if anonymous else f" — {truncate(_authors(p), 200)}"
        lines.append(
            f"**{p.reference}** · {truncate(escape(p.title), 200)}{who}\n"
            f"  {score_label(p, tr)} · {status_label(p, tr)}"
        )
    return Card(
        title=tr.ngettext("{count} proposal", "{count} proposals", len(proposals)),
        description="\n".join(lines) or tr.gettext("No proposal yet."),
        footer=tr.gettext("Page {page} of {pages}", page=page, pages=pages),
    )


def notify_preview(preview: NotifyPreview, tr: Translator) -> str:
    """What pressing Send will do: how many of each decision, each told once."""
    if not (preview.accepted or preview.declined):
        return tr.gettext("Every decision has been told already: there is nobody to notify.")
    accepted = tr.ngettext("{count} acceptance", "{count} acceptances", preview.accepted)
    declined = tr.ngettext("{count} decline", "{count} declines", preview.declined)
    return tr.gettext(
        "Send {accepted} and {declined} by DM? Each proposer is told their decision once; "
        "accepted authors are asked to confirm.",
        accepted=accepted,
        declined=declined,
    )


def decision_dm(p: Proposal, meeting: Meeting, tr: Translator) -> str:
    """The DM that tells a proposer the organizers' decision."""
    values = {"reference": p.reference, "title": escape(p.title), "meeting": escape(meeting.title)}
    if p.status is ProposalStatus.ACCEPTED:
        return tr.gettext(
            "Good news: your proposal **{reference}** “{title}” is accepted for {meeting}! "
            "Please confirm below that you will present it, or withdraw it if you no longer can.",
            **values,
        )
    return tr.gettext(
        "Thank you for your proposal **{reference}** “{title}” to {meeting}. The organizers "
        "could not take it into the programme this time.",
        **values,
    )


def call_reminder(meeting: Meeting, tr: Translator) -> str:
    """The call reminder's post: when the call closes, and how to propose."""
    assert meeting.call is not None  # planned only for a meeting with a call
    closes = meeting.call.closes
    return tr.gettext(
        "The call for contributions of {meeting} closes {relative} ({when}). Use /propose to "
        "send your proposal, and /my-proposals to see or change yours.",
        meeting=escape(meeting.title),
        relative=timestamp(closes, "R"),
        when=timestamp(closes, "f"),
    )


# ----- exports ----------------------------------------------------------------------------------
def _toml(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's; DEL is escaped as TOML wants)."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def export_toml(
    proposals: Sequence[Proposal], *, first_start: time = time(9, 0), minutes: int = 20
) -> str:
    """`[[sessions.talks]]` blocks, one per proposal, to paste under a session of the meeting
    file: title, speakers from the authors, abstract and the `proposal` reference. Their starts
    follow each other from `first_start`, `minutes` apart: placeholders to set in the session."""
    blocks = []
    moment = datetime.combine(date(2000, 1, 1), first_start)
    last = datetime.combine(moment.date(), time(23, 59))
    for p in proposals:
        speakers = ", ".join(
            f"{{ name = {_toml(a.name)}, affiliation = {_toml(a.affiliation)} }}"
            if a.affiliation
            else f"{{ name = {_toml(a.name)} }}"
            for a in p.authors
        )
        blocks.append(
            "\n".join(
                [
                    "[[sessions.talks]]",
                    f'start = "{min(moment, last):%H:%M}"  # set its time in the session',
                    f"title = {_toml(p.title)}",
                    f"speakers = [{speakers}]",
                    f"abstract = {_toml(p.abstract)}",
                    f'proposal = "{p.reference}"',
                ]
            )
        )
        moment += timedelta(minutes=minutes)
    return "\n\n".join(blocks) + ("\n" if blocks else "")


EXPORT_COLUMNS = (
    "reference",
    "status",
    "confirmation",
    "kind",
    "title",
    "authors",
    "proposer",
    "proposer_id",
    "submitted_at",
    "reviews",
    "mean_score",
    "scores",
    "comments",
    "abstract",
    "note",
)


def _cell(text: str) -> str:
    # Spreadsheets run cells that start with these as formulas.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_csv(rows: Sequence[tuple[Proposal, Sequence[Review]]]) -> str:
    """Every proposal with its reviews, mean score and decision; UTC ISO 8601 times."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for p, reviews in rows:
        writer.writerow(
            [
                p.reference,
                p.status.value,
                p.confirmation.value if p.status is ProposalStatus.ACCEPTED else "",
                _cell(p.kind),
                _cell(p.title),
                _cell(format_authors(p.authors).replace("\n", "; ")),
                _cell(p.display_name),
                str(p.user_id),
                p.submitted_at.astimezone(UTC).isoformat(),
                str(p.reviews),
                "" if p.mean_score is None else f"{p.mean_score:.2f}",
                "; ".join(str(r.score) for r in reviews),
                _cell(" | ".join(f"{r.reviewer_id}: {r.comment}" for r in reviews if r.comment)),
                _cell(p.abstract),
                _cell(p.note),
            ]
        )
    return out.getvalue()


def reference_warnings(
    meetings: Sequence[Meeting], found: dict[tuple[str, str], Proposal | None]
) -> list[str]:
    """`amphi check`: each talk naming a proposal the store does not know, or one declined or
    withdrawn (its proposer is then no speaker of the talk)."""
    lines = []
    for meeting in meetings:
        for talk in meeting.talks:
            if not talk.proposal or (meeting.slug, talk.proposal) not in found:
                continue
            p = found[(meeting.slug, talk.proposal)]
            where = f'{meeting.slug}: "{talk.title}" names proposal {talk.proposal}'
            if p is None:
                lines.append(f"{where}, which this meeting does not have")
            elif p.status is ProposalStatus.DECLINED:
                lines.append(f"{where}, which was declined")
            elif p.status is ProposalStatus.WITHDRAWN or p.confirmation is Confirmation.WITHDRAWN:
                lines.append(f"{where}, which its author withdrew")
    return lines
