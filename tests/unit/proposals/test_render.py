"""The call's texts: cards hiding authors in an anonymous review, escaped, paged; the member's
acknowledgement, the decision DMs, the reminder, in English and French."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.core.i18n import Translator
from bot.programme.files import load_meeting_file
from bot.proposals.model import Author, NotifyPreview, ProposalStatus
from bot.proposals.render import (
    call_reminder,
    decision_dm,
    export_toml,
    my_proposals,
    notify_preview,
    proposal_answer,
    proposal_card,
    ranked_list,
)
from tests.support.paths import SHIPPED_MEETING
from tests.unit.proposals.test_model import proposal

EN, FR = Translator("en"), Translator("fr")
MEETING = load_meeting_file(SHIPPED_MEETING)
CLOSES = "<t:1622498340:f>"  # 31 May 2021, 23:59 in Paris
SHOUTING = replace(
    proposal(12, 4.25),
    title="*Bold* <@1> @everyone",
    authors=(Author("Ada_Lovelace", "UCL"),),
    display_name="`ada`",
    note="Please put it in the morning",
)


def test_the_card_shows_the_proposal_escaped() -> None:
    card = proposal_card(SHOUTING, EN, anonymous=False)
    assert card.title == r"P-12 · \*Bold\* \<@1\> @everyone"
    fields = dict(card.fields)
    assert fields["Authors"] == r"Ada\_Lovelace (UCL)"
    assert fields["Proposed by"] == r"\`ada\`"
    assert fields["Note to the organizers"] == "Please put it in the morning"
    assert fields["Score"] == "4.2 / 5 (2 reviews)"
    assert fields["Status"] == "submitted"


def test_an_anonymous_card_hides_who_wrote_it() -> None:
    card = proposal_card(SHOUTING, EN, anonymous=True)
    fields = dict(card.fields)
    assert fields["Authors"] == fields["Proposed by"] == "hidden for an anonymous review"
    assert "Ada" not in str(card) and "ada" not in str(card)


def test_the_answer_gives_the_reference_and_until_when_it_can_change() -> None:
    text = proposal_answer(SHOUTING, MEETING, EN)
    assert "**P-12**" in text and r"\*Bold\*" in text
    assert f"/my-proposals until the call closes {CLOSES}" in text
    french = proposal_answer(SHOUTING, MEETING, FR)
    assert french.startswith("Merci\u202f! Votre proposition **P-12** «\u202f")
    assert "/mes-propositions" in french


def test_my_proposals_lists_each_with_its_status() -> None:
    accepted = replace(proposal(3), status=ProposalStatus.ACCEPTED)
    card = my_proposals(MEETING, [proposal(1), accepted], EN)
    assert "**P-1** · Title 1 — submitted" in card.description
    assert "**P-3** · Title 3 — accepted (awaiting the author's confirmation)" in card.description
    assert CLOSES in card.description
    empty = my_proposals(MEETING, [], FR)
    assert "Vous n'avez encore aucune proposition. Utilisez /proposer" in empty.description


def test_the_ranked_list_is_paged_and_may_hide_the_authors() -> None:
    proposals = [proposal(n, 5 - n / 10) for n in range(1, 24)]
    first = ranked_list(proposals, EN, anonymous=False, page=1)
    assert first.title == "23 proposals" and first.footer == "Page 1 of 3"
    assert first.description.count("**P-") == 10 and "Ada Lovelace (London)" in first.description
    last = ranked_list(proposals, EN, anonymous=True, page=9)
    assert last.footer == "Page 3 of 3" and last.description.count("**P-") == 3
    assert "Ada" not in last.description
    assert ranked_list([], EN, anonymous=False).description == "No proposal yet."


def test_the_notify_preview_and_the_decision_dms() -> None:
    preview = NotifyPreview(accepted=1, declined=2, sample_accepted=None, sample_declined=None)
    assert notify_preview(preview, EN).startswith("Send 1 acceptance and 2 declines by DM?")
    assert "personne" in notify_preview(NotifyPreview(0, 0, None, None), FR)
    accepted = replace(proposal(1), status=ProposalStatus.ACCEPTED)
    assert decision_dm(accepted, MEETING, EN).startswith("Good news: your proposal **P-1**")
    declined = replace(proposal(2), status=ProposalStatus.DECLINED)
    assert "could not take it" in decision_dm(declined, MEETING, EN)
    assert decision_dm(accepted, MEETING, FR).startswith("Bonne nouvelle\u202f: votre proposition")


def test_the_call_reminder_says_when_it_closes() -> None:
    text = call_reminder(MEETING, EN)
    assert "Théorie du deep learning closes <t:1622498340:R>" in text and "/propose" in text
    assert "/proposer" in call_reminder(MEETING, FR)


def test_the_talk_blocks_follow_each_other_and_carry_their_reference() -> None:
    text = export_toml([proposal(1), proposal(2)])
    assert text.count("[[sessions.talks]]") == 2
    assert 'start = "09:00"' in text and 'start = "09:20"' in text
    assert 'speakers = [{ name = "Ada Lovelace", affiliation = "London" }]' in text
    assert export_toml([]) == ""


def test_a_call_reopened_past_its_date_names_no_closing_date_gone_by() -> None:
    assert MEETING.call is not None
    later = MEETING.call.closes + timedelta(days=28)  # the organizers reopened it
    text = proposal_answer(replace(SHOUTING, updated_at=later), MEETING, EN)
    assert "until the organizers close the call" in text and CLOSES not in text
    card = my_proposals(MEETING, [proposal(1)], EN, now=later)
    assert "Until the organizers close the call" in card.description
    assert CLOSES not in card.description
    french = my_proposals(MEETING, [proposal(1)], FR, now=later)
    assert "ferment l'appel" in french.description
