"""The call's forms (Discord modals): a proposal's and a review's, shown and read back.

A form is only a description sent to Discord: its answer is read from the submitted
interaction by its custom_id (`FORM`), so a form filled in across a restart still arrives.
"""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.core.i18n import Translator
from bot.core.markup import truncate
from bot.proposals.model import Draft, Proposal

#: What a form's custom_id says: a new proposal of a kind, an edit or a review of a proposal.
FORM = re.compile(r"amphi:pf:(?P<action>new|edit|review):(?P<target>[\w-]{1,60})")

TITLE_MAX = 200
AUTHORS_MAX = 1000
NOTE_MAX = 1000
COMMENT_MAX = 1000
FORM_TITLE_MAX = 45  # Discord's limit on a modal's title
MESSAGE_MAX = 2000


def _form(title: str, custom_id: str) -> discord.ui.Modal:
    form = discord.ui.Modal(title=truncate(title, FORM_TITLE_MAX), custom_id=custom_id)
    # Stopped: discord.py then does not wait for its answer, which `read_form` takes instead.
    form.stop()
    return form


def proposal_form(
    tr: Translator, custom_id: str, max_chars: int, draft: Draft | Proposal | None = None
) -> discord.ui.Modal:
    """Title, Abstract, Authors and a Note to the organizers; filled in from `draft`."""
    form = _form(tr.gettext("Propose a contribution"), custom_id)
    filled = _filled(draft)
    paragraph = discord.TextStyle.paragraph
    fields = (
        ("title", tr.gettext("Title"), discord.TextStyle.short, TITLE_MAX, True, None),
        ("abstract", tr.gettext("Abstract"), paragraph, max_chars, True, None),
        (
            "authors",
            tr.gettext("Authors"),
            paragraph,
            AUTHORS_MAX,
            True,
            tr.gettext("One per line: Name (Affiliation)"),
        ),
        ("note", tr.gettext("Note to the organizers"), paragraph, NOTE_MAX, False, None),
    )
    for name, label, style, most, required, placeholder in fields:
        form.add_item(
            discord.ui.TextInput(
                label=label,
                custom_id=name,
                style=style,
                max_length=most,
                required=required,
                placeholder=placeholder,
                default=truncate(filled[name], most) if filled.get(name) else None,
            )
        )
    return form


def _filled(draft: Draft | Proposal | None) -> dict[str, str]:
    if draft is None:
        return {}
    if isinstance(draft, Proposal):
        authors = "\n".join(
            f"{a.name} ({a.affiliation})" if a.affiliation else a.name for a in draft.authors
        )
    else:
        authors = draft.authors
    return {
        "title": draft.title,
        "abstract": draft.abstract,
        "authors": authors,
        "note": draft.note,
    }


def review_form(
    tr: Translator, proposal: Proposal, score: int | None, comment: str
) -> discord.ui.Modal:
    """A score from 1 to 5 and a comment; filled in with the organizer's earlier review."""
    form = _form(
        tr.gettext("Review {reference}", reference=proposal.reference),
        f"amphi:pf:review:{proposal.id}",
    )
    form.add_item(
        discord.ui.TextInput(
            label=tr.gettext("Score from 1 to 5"),
            custom_id="score",
            min_length=1,
            max_length=1,
            default=str(score) if score else None,
        )
    )
    form.add_item(
        discord.ui.TextInput(
            label=tr.gettext("Comment (for the organizers)"),
            custom_id="comment",
            style=discord.TextStyle.paragraph,
            max_length=COMMENT_MAX,
            required=False,
            default=comment or None,
        )
    )
    return form


def read_form(interaction: discord.Interaction) -> tuple[re.Match[str] | None, dict[str, str]]:
    """A submitted form's custom_id (parsed, None if not the call's) and its values by field."""
    data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
    match = FORM.fullmatch(str(data.get("custom_id", "")))
    values: dict[str, str] = {}

    def note(component: dict[str, Any]) -> None:
        if "custom_id" in component and "value" in component:
            values[component["custom_id"]] = str(component["value"])

    for top in data.get("components") or []:
        for child in top.get("components") or []:
            note(child)
        if isinstance(top.get("component"), dict):
            note(top["component"])
    return match, values


def draft_of(kind: str, values: dict[str, str]) -> Draft:
    """The form's answer, raw."""
    return Draft(
        kind=kind,
        title=values.get("title", "").strip(),
        abstract=values.get("abstract", "").strip(),
        authors=values.get("authors", "").strip(),
        note=values.get("note", "").strip(),
    )


def text_back(refusal: str, draft: Draft, tr: Translator) -> str:
    """A refusal followed by what the member typed, to copy (in a code block, within 2,000
    characters; the abstract is cut first)."""
    intro = tr.gettext("Here is what you wrote, to copy:")
    head = f"{refusal}\n\n{intro}\n```\n"
    tail = "\n```"
    others = sum(len(p) + 2 for p in (draft.title, draft.authors, draft.note))
    room = max(MESSAGE_MAX - len(head) - len(tail) - others, 0)
    parts = (draft.title, truncate(draft.abstract, room) if room else "", draft.authors, draft.note)
    body = "\n\n".join(p for p in parts if p).replace("`" * 3, "'" * 3)  # one code block
    return head + truncate(body, MESSAGE_MAX - len(head) - len(tail)) + tail
