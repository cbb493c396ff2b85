"""The programme commands through the real discord.py client and the fake Discord."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from icalendar import Calendar

from tests.support.harness import running_amphi, test_settings
from tests.support.paths import SHIPPED_MEETING

EPHEMERAL = 64


async def test_start_syncs_the_commands_with_french_names(amphi, fake) -> None:
    assert fake.sync_count == 1
    names = {c["name"] for c in fake.commands}
    assert {"programme", "now", "calendar"} <= names
    now = next(c for c in fake.commands if c["name"] == "now")
    assert now["name_localizations"]["fr"] == "maintenant"
    assert now["description_localizations"]["fr"] == "L'exposé en cours et le suivant"
    assert fake.unhandled == []


async def test_restart_does_not_sync_unchanged_commands(fake, clock, sqlite_url) -> None:
    settings = test_settings(fake, sqlite_url)
    async with running_amphi(fake, settings, clock):
        pass
    async with running_amphi(fake, settings, clock):
        pass
    assert fake.sync_count == 1


async def test_programme_lists_the_day(amphi, fake) -> None:
    user = fake.add_member("ada")
    result = await fake.invoke("programme", user=user)
    reply = await result.message()
    assert result.ephemeral
    text = reply.text()
    assert [e["title"] for e in reply.embeds] == [
        "Théorie du deep learning",
        "Session 1 · 10:00–12:25",
        "Session 2 · 16:00–18:05",
    ]
    assert text.count("<t:") >= 13
    assert "`10:00` <t:1624867200:t> **Some Theoretical Insights into Wasserstein GANs**" in text
    assert "`17:00` <t:1624892400:t>" in text  # Belkin, 17:00 Paris = 15:00 UTC
    assert "Spherical Perspective on Learning with Batch Normalization" in text
    assert reply.allowed_mentions == {"parse": []}


async def test_programme_in_french(amphi, fake) -> None:
    user = fake.add_member("anne")
    reply = await (await fake.invoke("programme", user=user, locale="fr")).message()
    assert "11 exposés" in reply.text()
    assert "exposé invité" in reply.text()


async def test_talk_autocomplete_and_abstract(amphi, fake) -> None:
    user = fake.add_member("bob")
    choices = await fake.autocomplete("programme", {"talk": "gerard"}, focused="talk", user=user)
    assert len(choices) == 1
    assert choices[0]["name"].startswith("Some Theoretical Insights into Wasserstein GANs — ")
    many = await fake.autocomplete("programme", {"talk": ""}, focused="talk", user=user)
    assert len(many) == 11 and all(len(c["name"]) <= 100 for c in many)

    reply = await (
        await fake.invoke("programme", {"talk": choices[0]["value"]}, user=user)
    ).message()
    text = reply.text()
    assert "Gérard Biau (Sorbonne Université)" in text
    assert "Generative Adversarial Networks (GANs) have been successful" in text
    assert "<t:1624867200:t>" in text


async def test_talk_typed_without_autocomplete(amphi, fake) -> None:
    user = fake.add_member("carl")
    reply = await (await fake.invoke("programme", {"talk": "belkin"}, user=user)).message()
    assert "From classical statistics to modern machine learning" in reply.text()
    assert "No abstract has been published" in reply.text()


async def test_unknown_talk_is_refused_politely(amphi, fake) -> None:
    user = fake.add_member("dora")
    result = await fake.invoke("programme", {"talk": "quantum gravity"}, user=user)
    reply = await result.message()
    assert result.ephemeral
    assert "No talk matches “quantum gravity”" in reply.content
    assert "/programme" in reply.content


async def test_a_very_long_talk_option_is_echoed_short_and_escaped(amphi, fake) -> None:
    user = fake.add_member("dora")
    query = "**" + "x" * 1900  # passed 2,000 characters in the refusal when echoed whole
    result = await fake.invoke("programme", {"talk": query}, user=user)
    reply = await result.message()
    assert result.rejected == []  # Discord took the answer
    assert "No talk matches “\\*\\*xxx" in reply.content and len(reply.content) < 400


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (datetime(2021, 6, 27, 12, 0, tzinfo=UTC), ["The meeting starts <t:1624867200:R>"]),
        (
            datetime(2021, 6, 28, 8, 30, tzinfo=UTC),
            ["**Now:** Some Theoretical Insights", "**Next:** Existence, Stability"],
        ),
        (
            datetime(2021, 6, 28, 11, 0, tzinfo=UTC),
            ["Break: the next session starts <t:1624888800:R>", "**Next:** Tensor-based"],
        ),
        (
            datetime(2021, 6, 28, 15, 50, tzinfo=UTC),
            ["**Now:** Spherical Perspective", "until <t:1624896300:t>"],
        ),
        (datetime(2021, 6, 28, 17, 0, tzinfo=UTC), ["The meeting is over."]),
    ],
)
async def test_now_at_five_moments(amphi, fake, clock, instant, expected) -> None:
    clock.now = instant
    user = fake.add_member("eve")
    result = await fake.invoke("now", user=user)
    reply = await result.message()
    assert result.ephemeral
    for fragment in expected:
        assert fragment in reply.text()


async def test_now_in_french(amphi, fake, clock) -> None:
    clock.now = datetime(2021, 6, 28, 8, 30, tzinfo=UTC)
    user = fake.add_member("fanny")
    reply = await (await fake.invoke("now", user=user, locale="fr")).message()
    assert "**En ce moment\u202f:** Some Theoretical Insights" in reply.text()
    assert "**Ensuite\u202f:**" in reply.text()


async def test_calendar_attachment_parses_back(amphi, fake) -> None:
    user = fake.add_member("gus")
    result = await fake.invoke("calendar", user=user)
    reply = await result.message()
    assert result.ephemeral
    [(filename, data, _type)] = reply.attachments
    assert filename == "theorie-du-deep-learning-2021.ics"
    events = Calendar.from_ical(data).walk("VEVENT")
    assert len(events) == 11
    assert events[0].decoded("DTSTART") == datetime(2021, 6, 28, 8, 0, tzinfo=UTC)
    assert events[-1].decoded("DTEND") == datetime(2021, 6, 28, 16, 5, tzinfo=UTC)
    assert all(e.walk("VALARM") for e in events)


async def test_unexpected_error_gets_an_apology_with_an_id(amphi, fake, caplog) -> None:
    _bot, services = amphi

    async def broken():
        raise RuntimeError("database on fire")

    services.programme.active_meeting = broken
    user = fake.add_member("hal")
    with caplog.at_level(logging.ERROR):
        reply = await (await fake.invoke("calendar", user=user, locale="fr")).message()
    assert "Désolé" in reply.content
    error_id = reply.content.split("erreur ")[1].split(")")[0]
    assert len(error_id) == 8
    logged = [r for r in caplog.records if error_id in r.getMessage()]
    assert logged and "database on fire" in str(logged[0].exc_info[1])
    assert "database on fire" not in reply.content


async def test_missing_channels_and_roles_are_named_once(fake, clock, sqlite_url, caplog) -> None:
    fake.remove_channel("moderation")
    fake.remove_role("Remote")
    with caplog.at_level(logging.WARNING, logger="bot.client"):
        async with running_amphi(fake, test_settings(fake, sqlite_url), clock):
            pass
    # Only the bot's own: discord.py warns once per process of voice libraries it lacks.
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and r.name.startswith("bot.")
    ]
    assert len(warnings) == 1
    assert "MODERATION_CHANNEL='moderation'" in warnings[0]
    assert "REMOTE_ROLE='Remote'" in warnings[0]


async def test_organizers_switch_the_active_meeting(fake, clock, sqlite_url, tmp_path) -> None:
    folder = tmp_path / "meetings"
    folder.mkdir()
    shipped = SHIPPED_MEETING.read_text(encoding="utf-8")
    (folder / "a.toml").write_text(shipped, encoding="utf-8")
    later = (
        shipped.replace("2021-06-28", "2022-06-27")
        .replace('slug = "theorie-du-deep-learning-2021"', 'slug = "theorie-du-deep-learning-2022"')
        .replace('title = "Théorie du deep learning"', 'title = "Théorie du deep learning II"')
    )
    (folder / "b.toml").write_text(later, encoding="utf-8")
    settings = test_settings(fake, sqlite_url, AMPHI_MEETINGS=str(folder))
    async with running_amphi(fake, settings, clock):
        olga = fake.add_member("olga", roles=["Organizer"])
        reader = fake.add_member("ann")

        async def programme_title() -> str:
            reply = await (await fake.invoke("programme", user=reader)).message()
            return reply.embeds[0]["title"]

        assert await programme_title() == "Théorie du deep learning"
        choices = await fake.autocomplete(
            "meeting switch", {"meeting": "II"}, focused="meeting", user=olga
        )
        assert [c["value"] for c in choices] == ["automatic", "theorie-du-deep-learning-2022"]
        assert choices[1]["name"] == "Théorie du deep learning II — 2022-06-27"
        result = await fake.invoke(
            "meeting switch", {"meeting": "theorie-du-deep-learning-2022"}, user=olga
        )
        reply = await result.message()
        assert result.ephemeral and "Théorie du deep learning II" in reply.content
        assert await programme_title() == "Théorie du deep learning II"

        refused = await (
            await fake.invoke("meeting switch", {"meeting": "automatic"}, user=reader)
        ).message()
        assert "Only organizers can do this." in refused.content
        unknown = await (
            await fake.invoke("meeting switch", {"meeting": "nope"}, user=olga)
        ).message()
        assert "No meeting “nope” is loaded." in unknown.content
        await (await fake.invoke("meeting switch", {"meeting": "automatic"}, user=olga)).message()
        assert await programme_title() == "Théorie du deep learning"


TWO_DAYS_TWO_ROOMS = """
slug = "two-days-2021"
title = "Deux jours, deux salles"
date = 2021-06-28
timezone = "Europe/Paris"
venue = "Campus Nord"
capacity = 80

[[sessions]]
title = "Matin A"
room = "Amphi A"
start = "09:00"
end = "12:00"

  [[sessions.talks]]
  start = "09:00"
  end = "10:00"
  title = "Kernels and wide networks"
  speakers = [{ name = "Ada Lovelace", affiliation = "Cambridge" }]

  [[sessions.talks]]
  start = "10:00"
  end = "11:00"
  title = "Implicit bias of gradient descent"

[[sessions]]
title = "Matin B"
room = "Salle B"
start = "09:00"
end = "12:00"

  [[sessions.talks]]
  start = "09:30"
  end = "10:30"
  title = "Optimal transport for learning"
  speakers = [{ name = "Émilie du Châtelet" }]

[[sessions]]
title = "Jour deux"
date = 2021-06-29
room = "Amphi A"
start = "09:00"
end = "11:00"

  [[sessions.talks]]
  start = "09:00"
  title = "Scaling laws"

  [[sessions.talks]]
  start = "10:00"
  title = "Posters in the hall"
  room = "Hall"
"""


async def test_a_meeting_of_two_days_and_two_rooms(fake, clock, sqlite_url, tmp_path) -> None:
    path = tmp_path / "two-days.toml"
    path.write_text(TWO_DAYS_TWO_ROOMS, encoding="utf-8")
    settings = test_settings(fake, sqlite_url, AMPHI_MEETINGS=str(path))
    async with running_amphi(fake, settings, clock):
        anne = fake.add_member("anne")
        result = await fake.invoke("programme", user=anne, locale="fr")
        reply = await result.message()
        assert result.ephemeral and result.rejected == []
        assert [e["title"] for e in reply.embeds] == [
            "Deux jours, deux salles",
            "lundi 28 juin",
            "Matin A · Amphi A · 09:00–12:00",
            "Matin B · Salle B · 09:00–12:00",
            "mardi 29 juin",
            "Jour deux · Amphi A · 09:00–11:00",
        ]
        text = reply.text()
        assert "Salles\u202f: Amphi A, Salle B, Hall" in text and "2 jours" in text
        assert "`09:30` <t:1624865400:t> **Optimal transport for learning**" in text
        # Day two at its time (09:00 Paris = 07:00 UTC on the 29th), the posters in their room.
        assert "`09:00` <t:1624950000:t> **Scaling laws**" in text
        assert "**Posters in the hall** · Hall" in text

        clock.now = datetime(2021, 6, 28, 7, 45, tzinfo=UTC)  # 09:45 in Paris: both rooms on
        now = await (await fake.invoke("now", user=anne)).message()
        lines = now.text().split("\n")
        assert "**Now:**" in lines
        assert (
            "- **Amphi A:** Kernels and wide networks — Ada Lovelace (Cambridge), "
            "until <t:1624867200:t> (<t:1624867200:R>)."
        ) in lines
        assert (
            "- **Salle B:** Optimal transport for learning — Émilie du Châtelet, "
            "until <t:1624869000:t> (<t:1624869000:R>)."
        ) in lines
        assert "- **Amphi A:** Implicit bias of gradient descent" in lines
        french = await (await fake.invoke("now", user=anne, locale="fr")).message()
        assert "- **Salle B\u202f:** Optimal transport for learning" in french.text()
