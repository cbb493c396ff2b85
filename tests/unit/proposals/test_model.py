"""The call's rules, pure: authors, drafts, the call's dates and override, the ranking."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.programme.model import Call
from bot.proposals.model import (
    Author,
    CallState,
    Confirmation,
    Draft,
    Proposal,
    ProposalStatus,
    check_open,
    check_score,
    clean_draft,
    hides_authors,
    mean_score,
    notify_preview,
    parse_authors,
    parse_reference,
    ranked,
)
from bot.proposals.refusals import (
    AbstractTooLong,
    CallClosed,
    CallNotOpen,
    MissingField,
    NoCall,
    TitleTooLong,
    UnknownKind,
)

OPENS = datetime(2021, 4, 15, 7, 0, tzinfo=UTC)
CLOSES = datetime(2021, 5, 31, 21, 59, tzinfo=UTC)
CALL = Call(closes=CLOSES, opens=OPENS, kinds=("talk", "poster"), abstract_max_chars=100)


def proposal(number: int, mean: float | None = None, **changes) -> Proposal:
    made = Proposal(
        id=number,
        reference=f"P-{number}",
        meeting_slug="m",
        user_id=number,
        display_name=f"user{number}",
        kind="talk",
        title=f"Title {number}",
        abstract="Abstract",
        authors=(Author("Ada Lovelace", "London"),),
        note="",
        status=ProposalStatus.SUBMITTED,
        confirmation=Confirmation.PENDING,
        told=False,
        reviews=0 if mean is None else 2,
        mean_score=mean,
        card_channel_id=None,
        card_message_id=None,
        submitted_at=OPENS + timedelta(hours=number),
        updated_at=OPENS + timedelta(hours=number),
    )
    return replace(made, **changes)


def test_authors_are_one_a_line_with_their_affiliation() -> None:
    text = " Ada Lovelace (University of London)\n\n Gérard Biau (Sorbonne (LPSM))\nAlan Turing,\n"
    assert parse_authors(text) == (
        Author("Ada Lovelace", "University of London"),
        Author("Gérard Biau", "Sorbonne (LPSM)"),
        Author("Alan Turing"),
    )


def test_no_authors_is_refused() -> None:
    with pytest.raises(MissingField):
        parse_authors(" \n\u200b\n")


def test_a_draft_is_cleaned_and_held_to_the_call() -> None:
    draft = Draft("poster", " A  title\u200b ", " Line one\r\nline two ", "Ada (UCL)", " note ")
    clean = clean_draft(draft, CALL)
    assert (clean.kind, clean.title, clean.abstract) == ("poster", "A title", "Line one\nline two")
    assert clean.authors == (Author("Ada", "UCL"),) and clean.note == "note"
    assert clean_draft(replace(draft, kind=""), CALL).kind == "talk"  # the call's first kind


@pytest.mark.parametrize(
    ("changes", "refusal"),
    [
        ({"kind": "workshop"}, UnknownKind),
        ({"title": "  "}, MissingField),
        ({"title": "x" * 201}, TitleTooLong),
        ({"abstract": ""}, MissingField),
        ({"abstract": "é" * 101}, AbstractTooLong),
        ({"authors": "\n"}, MissingField),
    ],
)
def test_a_draft_breaking_a_rule_is_refused(changes, refusal) -> None:
    with pytest.raises(refusal):
        clean_draft(replace(Draft("talk", "T", "A", "Ada"), **changes), CALL)


def test_the_abstract_limit_is_the_calls() -> None:
    assert len(clean_draft(Draft("talk", "T", "é" * 100, "Ada"), CALL).abstract) == 100
    with pytest.raises(AbstractTooLong) as refused:
        clean_draft(Draft("talk", "T", "é" * 101, "Ada"), CALL)
    assert refused.value.values == {"limit": 100, "length": 101}


def test_the_call_is_open_between_its_dates_unless_the_organizers_say_otherwise() -> None:
    before, during, after = OPENS - timedelta(minutes=1), OPENS, CLOSES
    assert check_open(CALL, CallState.AUTO, during) is CALL
    with pytest.raises(CallNotOpen):
        check_open(CALL, CallState.AUTO, before)
    with pytest.raises(CallClosed) as closed:
        check_open(CALL, CallState.AUTO, after)
    assert "<t:1622498340:f>" in str(closed.value)  # the date it closed
    assert check_open(CALL, CallState.OPEN, after) is CALL
    early = during + timedelta(days=1)
    with pytest.raises(CallClosed) as closed:
        check_open(CALL, CallState.CLOSED, early + timedelta(days=2), closed_at=early)
    assert f"<t:{int(early.timestamp())}:f>" in str(closed.value)
    with pytest.raises(NoCall):
        check_open(None, CallState.OPEN, during)


def test_a_call_without_opens_is_open_until_it_closes() -> None:
    call = Call(closes=CLOSES)
    assert call.open_at(datetime(2000, 1, 1, tzinfo=UTC))
    assert not call.open_at(CLOSES)


def test_references() -> None:
    assert parse_reference("P-12") == 12
    assert parse_reference(" p12 ") == 12
    assert parse_reference("P-0") is None
    assert parse_reference("12") is None


def test_scores_and_their_mean() -> None:
    assert check_score(1) == 1 and check_score(5) == 5
    for bad in (0, 6, -1):
        with pytest.raises(Exception, match="1 to 5"):
            check_score(bad)
    assert mean_score([4, 5]) == 4.5
    assert mean_score([]) is None


def test_ranking_puts_the_best_mean_first_and_the_unreviewed_last() -> None:
    proposals = [proposal(1, None), proposal(2, 3.0), proposal(3, 4.5), proposal(4, 3.0)]
    assert [p.reference for p in ranked(proposals)] == ["P-3", "P-2", "P-4", "P-1"]
    assert [p.reference for p in ranked(proposals, "received")] == ["P-1", "P-2", "P-3", "P-4"]


def test_an_anonymous_review_hides_the_authors_until_the_decision_is_told() -> None:
    anonymous = replace(CALL, anonymous_review=True)
    assert hides_authors(anonymous, proposal(1))
    assert not hides_authors(anonymous, proposal(1, told=True))
    assert not hides_authors(CALL, proposal(1))


def test_the_notify_preview_counts_each_decision() -> None:
    accepted = proposal(1, status=ProposalStatus.ACCEPTED)
    declined = [proposal(n, status=ProposalStatus.DECLINED) for n in (2, 3)]
    preview = notify_preview(iter([accepted, *declined]))
    assert (preview.accepted, preview.declined) == (1, 2)
    assert preview.sample_accepted == accepted and preview.sample_declined == declined[0]
