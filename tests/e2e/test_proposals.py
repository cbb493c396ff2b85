"""The call for contributions through the real discord.py client and the fake Discord: a member's
proposal, its review card, the organizers' decisions, the proposers told by DM."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.posts.model import PostKind, post_key
from bot.proposals.model import Confirmation, ProposalStatus
from cogs.proposals.cog import ProposalsCog
from tests.support.harness import eventually, running_amphi, test_settings
from tests.support.paths import SHIPPED_MEETING

CALL = """
[call]
opens = 2021-05-01T09:00:00
closes = 2021-06-10T23:59:00
kinds = ["talk", "poster"]
abstract_max_chars = 600
per_member = 2
"""
CLOSES = datetime(2021, 6, 10, 21, 59, tzinfo=UTC)
SLUG = "theorie-du-deep-learning-2021"
BIAU = "some-theoretical-insights-into-wasserstein-gans"
ABSTRACT = "We show that **Wasserstein GANs** generalise; @everyone should read it."
FORM = {
    "title": "Optimal transport for <@1> GANs",
    "abstract": ABSTRACT,
    "authors": "Ada Lovelace (University of London)\nAlan Turing (Manchester)",
    "note": "A Tuesday slot would suit us.",
}


def meeting_file(folder: Path, call: str = CALL) -> Path:
    """The shipped meeting with `call` for its own call for contributions."""
    shipped = SHIPPED_MEETING.read_text(encoding="utf-8")
    without = re.sub(r"(?ms)^\[call\].*?\n\n", "", shipped)
    path = folder / "meeting.toml"
    path.write_text(without + call, encoding="utf-8")
    return path


@pytest.fixture
def start(fake, clock, database_url, tmp_path):
    """Starts Amphi on a meeting with a call (the review channel exists), as often as needed."""
    fake.add_channel("proposals")
    settings = test_settings(fake, database_url, AMPHI_MEETINGS=str(meeting_file(tmp_path)))
    return lambda: running_amphi(fake, settings, clock)


async def show_form(fake, user, command="propose", options=None, *, locale="en-US"):
    shown = await fake.invoke(command, options or {}, user=user, locale=locale)
    refused = await shown.response()
    return shown, refused


async def propose(fake, user, values=None, *, kind=None, locale="en-US"):
    """/propose, the form filled in; (the form's result, the answer)."""
    shown, refused = await show_form(
        fake, user, options={"kind": kind} if kind else {}, locale=locale
    )
    assert shown.modal is not None, refused and refused.content
    submitted = await fake.submit_modal(shown, values or FORM, user=user)
    return shown, await submitted.message()


def cards(fake):
    return fake.messages("proposals")


def card_of(fake, reference: str):
    return next(m for m in cards(fake) if reference in m.text())


async def press(fake, message, action: str, user, locale="en-US"):
    custom_id = next(c for c in message.custom_ids() if c.startswith(f"amphi:pp:{action}:"))
    result = await fake.click(message, custom_id, user=user, locale=locale)
    await result.response()
    return result


async def review(fake, card, organizer, score: str, comment: str = ""):
    shown = await press(fake, card, "review", organizer)
    assert shown.modal is not None
    values = {"score": score, **({"comment": comment} if comment else {})}
    submitted = await fake.submit_modal(shown, values, user=organizer)
    return await submitted.message()


async def test_a_call_from_proposal_to_confirmed_talk(start, fake) -> None:
    ada, bea, cyril = (fake.add_member(n) for n in ("ada", "bea", "cyril"))
    olga = fake.add_member("olga", roles=["Organizer"])
    oscar = fake.add_member("oscar", roles=["Organizer"])
    async with start() as (_bot, services):
        shown, answer = await propose(fake, ada)
        assert shown.modal["components"][1]["components"][0]["max_length"] == 600
        assert "P-1" in answer.content and "Optimal transport" in answer.content
        assert "<@1>" not in answer.content.replace("\\<@1>", "")  # escaped, no ping
        await eventually(lambda: len(cards(fake)) == 1)
        card = card_of(fake, "P-1")
        assert card.allowed_mentions == {"parse": []}
        assert "Ada Lovelace" in card.text() and "Tuesday slot" in card.text()
        assert {c.split(":")[2] for c in card.custom_ids()} == {"review", "accept", "decline"}

        # Her own list, with Edit and Withdraw; Edit shows the form filled in.
        mine = await fake.invoke("my-proposals", user=ada)
        listed = await mine.message()
        assert mine.ephemeral and "P-1" in listed.text()
        edit = await press(fake, listed, "edit", ada)
        defaults = {
            c["custom_id"]: c.get("value")
            for row in edit.modal["components"]
            for c in row["components"]
        }
        assert defaults["title"] == FORM["title"]
        assert defaults["authors"] == FORM["authors"]
        edited = {**FORM, "title": "Optimal transport, revisited"}
        updated = await (await fake.submit_modal(edit, edited, user=ada)).message()
        assert "P-1" in updated.content and "revisited" in updated.content
        await eventually(lambda: "revisited" in card_of(fake, "P-1").text())

        # Bea proposes a poster, then withdraws it: its card says so, without buttons.
        _, answer = await propose(fake, bea, {**FORM, "title": "A poster"}, kind="poster")
        assert "P-2" in answer.content
        _, answer = await propose(fake, cyril, {**FORM, "title": "Cyril's talk"})
        assert "P-3" in answer.content
        await eventually(lambda: len(cards(fake)) == 3)
        listed = await (await fake.invoke("my-proposals", user=bea)).message()
        withdrawn = await press(fake, listed, "withdraw", bea)
        assert "withdrawn" in (await withdrawn.message()).content
        await eventually(lambda: card_of(fake, "P-2").custom_ids() == [])

        # A member cannot review or decide: refused, nothing changes.
        for action in ("accept", "decline", "review"):
            refused = await press(fake, card_of(fake, "P-1"), action, bea)
            assert "Only organizers" in (await refused.message()).content
        assert (await services.proposals.get(1)).status is ProposalStatus.SUBMITTED

        # Two organizers review; one changes their mind. The card shows two reviews.
        assert "recorded: 4/5" in (await review(fake, card_of(fake, "P-1"), olga, "4")).content
        await review(fake, card_of(fake, "P-1"), oscar, "1", "Too short")
        await review(fake, card_of(fake, "P-1"), oscar, "2", "Fine after all")
        refused = await review(fake, card_of(fake, "P-3"), olga, "9")
        assert "1 to 5" in refused.content
        first = await services.proposals.get(1)
        assert first.reviews == 2 and first.mean_score == 3.0

        await press(fake, card_of(fake, "P-1"), "accept", olga)
        await press(fake, card_of(fake, "P-3"), "decline", oscar)
        ranked = await (await fake.invoke("proposals list", user=olga)).message()
        assert "P-1" in ranked.text() and "P-3" in ranked.text()

        # Notify: a preview, then one DM per decision; a second notify sends nothing.
        preview = await fake.invoke("proposals notify", user=olga)
        shown = await preview.message()
        sent = await press(fake, shown, "send", olga)
        await eventually(lambda: "2 decisions sent" in shown.content)
        assert sent.response_type == 7
        [accepted] = fake.dms(ada)
        [declined] = fake.dms(cyril)
        assert fake.dms(bea) == []
        assert {c.split(":")[2] for c in accepted.custom_ids()} == {"confirm", "giveup"}
        assert declined.custom_ids() == []
        again = await (await fake.invoke("proposals notify", user=olga)).message()
        assert again.custom_ids() == []
        assert len(fake.dms(ada)) == 1 and len(fake.dms(cyril)) == 1

        confirmed = await press(fake, accepted, "confirm", ada)
        assert "confirmed" in (await confirmed.message()).content
        assert (await services.proposals.get(1)).confirmation is Confirmation.CONFIRMED
        await eventually(lambda: "confirmed by the author" in card_of(fake, "P-1").text())


async def test_a_refused_form_gives_its_text_back(start, fake, clock) -> None:
    ada = fake.add_member("ada")
    olga = fake.add_member("olga", roles=["Organizer"])
    async with start() as (_bot, _services):
        long = {**FORM, "abstract": "x" * 700}
        _, refused = await propose(fake, ada, long)
        assert "700 characters" in refused.content and "600 at most" in refused.content
        assert "```" in refused.content and FORM["authors"] in refused.content
        assert len(refused.content) <= 2000

        await propose(fake, ada)
        await propose(fake, ada, {**FORM, "title": "A second"})
        _, refused = await propose(fake, ada, {**FORM, "title": "A third"})
        assert "already have 2 proposals" in refused.content
        assert "A third" in refused.content

        # The call closes while a form is open: the form's text comes back.
        shown, _ = await show_form(fake, ada)
        await (await fake.invoke("proposals close", user=olga)).message()
        late = await (await fake.submit_modal(shown, FORM, user=ada)).message()
        assert "closed" in late.content and ABSTRACT.split()[0] in late.content
        _, closed = await show_form(fake, ada)
        assert closed is not None and "closed" in closed.content
        reopened = await (await fake.invoke("proposals open", user=olga)).message()
        assert "is open" in reopened.content


async def test_propose_before_and_after_the_call(start, fake, clock) -> None:
    ada = fake.add_member("ada")
    clock.now = datetime(2021, 4, 20, 9, 0, tzinfo=UTC)
    async with start() as (_bot, _services):
        shown, early = await show_form(fake, ada)
        assert shown.modal is None and "opens <t:1619852400:f>" in early.content
        clock.now = datetime(2021, 5, 20, 9, 0, tzinfo=UTC)
        await propose(fake, ada)
        clock.now = CLOSES.replace(day=11)
        shown, late = await show_form(fake, ada)
        assert shown.modal is None and f"closed <t:{int(CLOSES.timestamp())}:f>" in late.content
        mine = await (await fake.invoke("my-proposals", user=ada)).message()
        assert "P-1" in mine.text() and mine.custom_ids() == []  # no more edits


async def test_a_meeting_without_a_call(fake, clock, sqlite_url, tmp_path) -> None:
    ada = fake.add_member("ada")
    path = meeting_file(tmp_path, call="")
    settings = test_settings(fake, sqlite_url, AMPHI_MEETINGS=str(path))
    async with running_amphi(fake, settings, clock):
        shown, refused = await show_form(fake, ada)
        assert shown.modal is None and "no call for contributions" in refused.content


def hang(*_args, **_kwargs):
    """Stands in for a step the first run never finishes (the process is about to die)."""
    return asyncio.Event().wait()


async def test_a_proposal_acknowledged_then_the_bot_stops_is_kept(start, fake, monkeypatch):
    ada = fake.add_member("ada")
    async with start() as (_bot, services):
        monkeypatch.setattr(services.proposals, "propose", hang)
        shown, _ = await show_form(fake, ada)
        submitted = await fake.submit_modal(shown, FORM, user=ada)
        await submitted.response()
        assert submitted.thinking  # acknowledged: a promise
        await eventually(lambda: services.kept.state_of(submitted.id))
    monkeypatch.undo()
    async with start() as (_bot, services):
        reply = await submitted.message(timeout=10)
        assert "P-1" in reply.content and "Optimal transport" in reply.content
        await eventually(lambda: len(cards(fake)) == 1)
        _meeting, mine = await services.proposals.mine(user_id=ada.id)
        assert [p.reference for p in mine] == ["P-1"]


async def test_notify_resumed_after_a_restart_tells_each_proposer_once(
    start, fake, monkeypatch
) -> None:
    proposers = [fake.add_member(f"author{i}") for i in range(4)]
    olga = fake.add_member("olga", roles=["Organizer"])
    async with start() as (bot, _services):
        for member in proposers:
            await propose(fake, member, {**FORM, "title": f"Talk of {member.name}"})
        await eventually(lambda: len(cards(fake)) == 4)
        for index in range(4):
            action = "decline" if index == 2 else "accept"
            await press(fake, card_of(fake, f"P-{index + 1}"), action, olga)
        dms = bot.cog(ProposalsCog).decisions.dms
        real, sent = dms.send, []

        async def dies_on_the_third(user_id, text, nonce=None, **options):
            sent.append(user_id)
            if len(sent) == 3:
                await hang()  # the process dies while this DM is on its way
            await real(user_id, text, nonce, **options)

        monkeypatch.setattr(dms, "send", dies_on_the_third)
        preview = await (await fake.invoke("proposals notify", user=olga)).message()
        await press(fake, preview, "send", olga)
        await eventually(lambda: sum(len(fake.dms(m)) for m in proposers) == 2)
        await eventually(lambda: len(sent) == 3)  # the third on its way: two told, as recorded
    monkeypatch.undo()

    async with start() as (_bot, services):
        preview = await (await fake.invoke("proposals notify", user=olga)).message()
        await press(fake, preview, "send", olga)
        await eventually(lambda: "2 decisions sent." in preview.content)
        again = await (await fake.invoke("proposals notify", user=olga)).message()
        assert again.custom_ids() == []  # nothing left to tell
        assert [(await services.proposals.get(i)).told for i in range(1, 5)] == [True] * 4
    assert [len(fake.dms(m)) for m in proposers] == [1, 1, 1, 1]
    assert fake.dms(proposers[2])[0].custom_ids() == []  # declined: nothing to confirm


async def test_an_anonymous_review_hides_the_authors(fake, clock, sqlite_url, tmp_path) -> None:
    fake.add_channel("proposals")
    path = meeting_file(tmp_path, CALL + "anonymous_review = true\n")
    settings = test_settings(fake, sqlite_url, AMPHI_MEETINGS=str(path))
    ada = fake.add_member("ada")
    olga = fake.add_member("olga", roles=["Organizer"])
    async with running_amphi(fake, settings, clock):
        await propose(fake, ada)
        await eventually(lambda: len(cards(fake)) == 1)
        card = card_of(fake, "P-1")
        assert "Optimal transport" in card.text()
        assert "Ada Lovelace" not in card.text() and "ada" not in card.text()
        ranked = await (await fake.invoke("proposals list", user=olga)).message()
        assert "P-1" in ranked.text() and "Ada Lovelace" not in ranked.text()


async def test_the_call_reminders_a_week_and_a_day_before_it_closes(start, fake, clock) -> None:
    async with start() as (_bot, services):
        for days in (7, 1):
            clock.now = CLOSES - timedelta(days=days)
            await services.posts.fire(post_key(SLUG, PostKind.CALL_REMINDER, f"call-{days}d"))
        posts = fake.messages("announcements")
        assert len(posts) == 2
        assert all(
            "/propose" in p.content and f"<t:{int(CLOSES.timestamp())}" in p.content for p in posts
        )
        assert posts[0].allowed_mentions == {"parse": []}


async def test_the_call_in_french(start, fake) -> None:
    ada = fake.add_member("ada")
    olga = fake.add_member("olga", roles=["Organizer"])
    async with start() as (_bot, _services):
        shown, _ = await show_form(fake, ada, locale="fr")
        assert shown.modal["title"] == "Proposer une contribution"
        labels = [row["components"][0]["label"] for row in shown.modal["components"]]
        assert labels == ["Titre", "Résumé", "Auteurs", "Note aux organisateurs"]
        long = {**FORM, "abstract": "x" * 700}
        refused = await (await fake.submit_modal(shown, long, user=ada)).message()
        assert "Voici ce que vous aviez écrit, à copier\u202f:" in refused.content

        _, answer = await propose(fake, ada, locale="fr")
        assert answer.content.startswith("Merci\u202f! Votre proposition **P-1**")
        await eventually(lambda: len(cards(fake)) == 1)
        await press(fake, card_of(fake, "P-1"), "accept", olga)
        preview = await (await fake.invoke("proposals notify", user=olga)).message()
        await press(fake, preview, "send", olga)
        await eventually(lambda: len(fake.dms(ada)) == 1)
        [told] = fake.dms(ada)  # in the proposer's language, whoever sends it
        assert told.content.startswith("Bonne nouvelle\u202f: votre proposition **P-1**")
        labels = [b["label"] for row in told.components for b in row["components"]]
        assert labels == ["Confirmer", "Retirer"]


async def test_a_talk_from_a_proposal_has_its_proposer_for_speaker(
    fake, clock, database_url, tmp_path
) -> None:
    fake.add_channel("proposals")
    path = meeting_file(tmp_path)
    title = '  title = "Some Theoretical Insights into Wasserstein GANs"\n'
    path.write_text(path.read_text().replace(title, title + '  proposal = "P-1"\n'))
    settings = test_settings(fake, database_url, AMPHI_MEETINGS=str(path))
    ada, asker = fake.add_member("ada"), fake.add_member("asker")
    olga = fake.add_member("olga", roles=["Organizer"])
    mona = fake.add_member("mona", roles=["Moderator"])
    async with running_amphi(fake, settings, clock):
        await propose(fake, ada)
        await eventually(lambda: len(cards(fake)) == 1)
        await press(fake, card_of(fake, "P-1"), "accept", olga)
        clock.now = datetime(2021, 6, 28, 8, 10, tzinfo=UTC)  # during the talk
        question = {"question": "What about mode collapse?", "talk": BIAU}
        await (await fake.invoke("ask", question, user=asker)).message()
        await eventually(lambda: len(fake.messages("moderation")) == 1)
        [card] = fake.messages("moderation")
        approve = next(c for c in card.custom_ids() if c.startswith("amphi:q:approve:"))
        await (await fake.click(card, approve, user=mona)).response()
        await eventually(lambda: any("mode collapse" in m.content for m in fake.dms(ada)))
