"""The call for contributions: proposals, their reviews and decisions, and the rules they follow.

A member proposes a talk (or another kind the meeting file names) while the call is open; the
organizers review it, score it and decide; each proposer is told their decision once, and an
accepted author confirms. Refusals say what to do instead.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.programme.model import Call
from bot.proposals.refusals import (
    TITLE_MAX_CHARS,
    AbstractTooLong,
    BadScore,
    CallClosed,
    CallNotOpen,
    FieldTooLong,
    MissingField,
    NoCall,
    TitleTooLong,
    UnknownKind,
)

AUTHORS_MAX_CHARS = 1000
NOTE_MAX_CHARS = 1000
SCORES = range(1, 6)
COMMENT_MAX_CHARS = 1000
#: "P-12": a proposal's reference, numbered within its meeting.
REFERENCE_RE = re.compile(r"\s*[Pp]-?([1-9][0-9]{0,8})\s*")


class ProposalStatus(StrEnum):
    """Where a proposal stands."""

    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"  # by its proposer, while the call was open
    ACCEPTED = "accepted"
    DECLINED = "declined"


class Confirmation(StrEnum):
    """An accepted author's answer."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    WITHDRAWN = "withdrawn"


class CallState(StrEnum):
    """The organizers' override of the call's dates."""

    AUTO = "auto"  # the meeting file's opens and closes
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class Author:
    """One author of a proposal, as the proposer typed them."""

    name: str
    affiliation: str = ""


@dataclass(frozen=True)
class Draft:
    """What the form gives, raw."""

    kind: str
    title: str
    abstract: str
    authors: str
    note: str = ""


@dataclass(frozen=True)
class Proposal:
    """A proposal with where it stands and what its reviews say."""

    id: int
    reference: str  # "P-12"
    meeting_slug: str
    user_id: int
    display_name: str
    kind: str
    title: str
    abstract: str
    authors: tuple[Author, ...]
    note: str
    status: ProposalStatus
    confirmation: Confirmation
    told: bool  # its decision was DMed
    reviews: int
    mean_score: float | None
    card_channel_id: int | None
    card_message_id: int | None
    submitted_at: datetime
    updated_at: datetime
    locale: str = ""  # the language of the proposer's DMs

    @property
    def decided(self) -> bool:
        """Whether the organizers accepted or declined it."""
        return self.status in (ProposalStatus.ACCEPTED, ProposalStatus.DECLINED)

    @property
    def standing(self) -> bool:
        """Whether it may still be on the programme: not withdrawn, declined or given up."""
        return self.status in (
            ProposalStatus.SUBMITTED,
            ProposalStatus.ACCEPTED,
        ) and (self.confirmation is not Confirmation.WITHDRAWN)


@dataclass(frozen=True)
class Review:
    """One organizer's score (1–5) and comment."""

    proposal_id: int
    reviewer_id: int
    score: int
    comment: str


@dataclass(frozen=True)
class NotifyPreview:
    """What `/proposals notify` would send: decisions not yet told, with one of each."""

    accepted: int
    declined: int
    sample_accepted: Proposal | None
    sample_declined: Proposal | None


# ----- rules ------------------------------------------------------------------------------------
def reference(number: int) -> str:
    """A proposal's reference: "P-12"."""
    return f"P-{number}"


def parse_reference(text: str) -> int | None:
    """The number of "P-12" (or "p12"); None when it is not a reference."""
    match = REFERENCE_RE.fullmatch(text)
    return int(match[1]) if match else None


def is_open(call: Call, state: CallState, now: datetime) -> bool:
    """Whether the call takes proposals at `now`: the organizers' override, else its dates."""
    if state is CallState.AUTO:
        return call.open_at(now)
    return state is CallState.OPEN


def check_open(
    call: Call | None, state: CallState, now: datetime, *, closed_at: datetime | None = None
) -> Call:
    """The call, when it is open at `now`; otherwise the refusal that says why.

    `closed_at` is when the organizers closed it, if they did.
    """
    if call is None:
        raise NoCall()
    if is_open(call, state, now):
        return call
    if state is CallState.CLOSED:
        raise CallClosed(closed_at or now)
    if call.opens is not None and now < call.opens:
        raise CallNotOpen(call.opens)
    raise CallClosed(call.closes)


def clean_text(text: str, *, lines: bool) -> str:
    """Trimmed, without control or invisible formatting characters; `lines` keeps line breaks."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    kept = []
    for ch in text:
        if ch == "\n":
            kept.append(ch if lines else " ")
        elif unicodedata.category(ch) not in {"Cc", "Cf", "Co", "Cs", "Zl", "Zp"}:
            kept.append(ch)
    cleaned = "".join(kept).strip()
    return cleaned if lines else " ".join(cleaned.split())


_AUTHOR_RE = re.compile(r"(?P<name>[^()]*?)\s*\((?P<affiliation>.*)\)\s*")


def parse_authors(text: str) -> tuple[Author, ...]:
    """One author a line, "Name (Affiliation)" or just "Name"; MissingField when none."""
    authors = []
    for line in clean_text(text, lines=True).splitlines():
        line = " ".join(line.split()).strip(" ,;")
        if not line:
            continue
        match = _AUTHOR_RE.fullmatch(line)
        if match and match["name"].strip():
            authors.append(Author(match["name"].strip(), match["affiliation"].strip()))
        else:
            authors.append(Author(line))
    if not authors:
        raise MissingField("authors")
    return tuple(authors)


def format_authors(authors: Iterable[Author]) -> str:
    """The authors as the form takes them back: one a line, "Name (Affiliation)"."""
    return "\n".join(f"{a.name} ({a.affiliation})" if a.affiliation else a.name for a in authors)


@dataclass(frozen=True)
class CleanDraft:
    """A draft that passed the call's rules, ready to keep."""

    kind: str
    title: str
    abstract: str
    authors: tuple[Author, ...]
    note: str


def clean_draft(draft: Draft, call: Call) -> CleanDraft:
    """The draft cleaned and held to the call's rules, or the first refusal it meets."""
    kind = clean_text(draft.kind, lines=False) or call.kinds[0]
    if kind not in call.kinds:
        raise UnknownKind(call.kinds)
    title = clean_text(draft.title, lines=False)
    abstract = clean_text(draft.abstract, lines=True)
    note = clean_text(draft.note, lines=True)
    if not title:
        raise MissingField("title")
    if len(title) > TITLE_MAX_CHARS:
        raise TitleTooLong(len(title))
    if not abstract:
        raise MissingField("abstract")
    if len(abstract) > call.abstract_max_chars:
        raise AbstractTooLong(call.abstract_max_chars, len(abstract))
    if len(draft.authors) > AUTHORS_MAX_CHARS or len(note) > NOTE_MAX_CHARS:
        raise FieldTooLong(max(AUTHORS_MAX_CHARS, NOTE_MAX_CHARS))
    return CleanDraft(kind, title, abstract, parse_authors(draft.authors), note)


def check_score(score: int) -> int:
    """A score from 1 to 5, or BadScore."""
    if score not in SCORES:
        raise BadScore()
    return score


def mean_score(scores: Iterable[int]) -> float | None:
    """The mean of the scores; None without any."""
    values = list(scores)
    return sum(values) / len(values) if values else None


def ranked(proposals: Iterable[Proposal], sort: str = "score") -> list[Proposal]:
    """By mean score, best first (unreviewed last, then in order of arrival); or as received."""
    if sort == "received":
        return sorted(proposals, key=lambda p: (p.submitted_at, p.id))
    return sorted(
        proposals,
        key=lambda p: (p.mean_score is None, -(p.mean_score or 0), p.submitted_at, p.id),
    )


def hides_authors(call: Call | None, proposal: Proposal) -> bool:
    """Whether its card hides who wrote it: an anonymous review, until its decision is told."""
    return bool(call and call.anonymous_review) and not proposal.told


def notify_preview(untold: Iterable[Proposal]) -> NotifyPreview:
    """How many accepted and declined proposers `/proposals notify` would tell, with a sample."""
    proposals = list(untold)
    accepted = [p for p in proposals if p.status is ProposalStatus.ACCEPTED]
    declined = [p for p in proposals if p.status is ProposalStatus.DECLINED]
    return NotifyPreview(
        accepted=len(accepted),
        declined=len(declined),
        sample_accepted=accepted[0] if accepted else None,
        sample_declined=declined[0] if declined else None,
    )
