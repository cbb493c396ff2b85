"""A message as a member reads it: resolved markup, laid-out embeds, named buttons, pings."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.core.i18n import Translator
from bot.rehearsal.reading import buttons_of, pings, relative, resolve, text_of
from fake_discord.messages import FakeMessage
from fake_discord.state import FakeMember, GuildState, Snowflakes

PARIS = ZoneInfo("Europe/Paris")
FRENCH = Translator("fr")
NOW = datetime(2021, 6, 28, 7, 45, tzinfo=UTC)  # 09:45 in Paris
TEN = int(datetime(2021, 6, 28, 8, 0, tzinfo=UTC).timestamp())


@pytest.fixture
def state() -> GuildState:
    ids = Snowflakes()
    guild = GuildState(ids, ids.next(), "en-US", FakeMember(ids.next(), "Amphi", bot=True))
    guild.members[7] = FakeMember(7, "Léa M.")
    guild.add_channel("thread-title", 11, parent_id=guild.channel("questions").id)
    return guild


def message(**fields) -> FakeMessage:
    return FakeMessage(1, 2, {"id": "3"}, **fields)


def test_people_roles_channels_and_threads_read_by_name(state: GuildState) -> None:
    role = state.role("In person").id
    thread = state.channel("thread-title").id
    text = f"<@7> <@!7> <@&{role}> <#{state.channel('general').id}> <#{thread}> <@99>"
    assert resolve(text, state, PARIS, NOW) == (
        "@Léa M. @Léa M. @In person #general #questions › thread-title @user 99"
    )


def test_a_message_link_names_its_channel(state: GuildState) -> None:
    thread = state.channel("thread-title").id
    link = f"https://discord.com/channels/{state.guild_id}/{thread}/123456789012"
    assert resolve(f"Approved: {link}", state, PARIS, NOW) == (
        "Approved: [link to a message in #questions › thread-title]"
    )


@pytest.mark.parametrize(
    ("style", "read"),
    [
        ("", "28 June 2021 10:00"),
        (":t", "10:00"),
        (":T", "10:00:00"),
        (":d", "28/06/2021"),
        (":D", "28 June 2021"),
        (":F", "Monday, 28 June 2021 10:00"),
        (":R", "in 15 minutes"),
    ],
)
def test_times_read_in_the_meetings_zone(state: GuildState, style: str, read: str) -> None:
    assert resolve(f"<t:{TEN}{style}>", state, PARIS, NOW) == read


@pytest.mark.parametrize(
    ("style", "read"),
    [
        ("", "28 juin 2021 10:00"),
        (":t", "10:00"),
        (":T", "10:00:00"),
        (":d", "28/06/2021"),
        (":D", "28 juin 2021"),
        (":F", "lundi 28 juin 2021 10:00"),
        (":R", "dans 15 minutes"),
    ],
)
def test_times_read_as_a_french_discord_client_shows_them(
    state: GuildState, style: str, read: str
) -> None:
    assert resolve(f"<t:{TEN}{style}>", state, PARIS, NOW, FRENCH) == read


def test_a_french_reader_reads_the_frame_in_french(state: GuildState) -> None:
    thread = state.channel("thread-title").id
    link = f"https://discord.com/channels/{state.guild_id}/{thread}/123456789012"
    assert resolve(f"Approuvée\u202f: {link} <@99>", state, PARIS, NOW, FRENCH) == (
        "Approuvée\u202f: [lien vers un message dans #questions › thread-title] @utilisateur 99"
    )
    assert relative(NOW - datetime(2021, 6, 28, 9, 45, tzinfo=UTC), FRENCH) == "il y a 2 heures"
    capacity = message(embeds=[{"fields": [{"name": "Capacité de la salle", "value": "600"}]}])
    assert text_of(capacity, FRENCH) == "Capacité de la salle\u202f: 600"
    more = {"type": 2, "style": 2, "label": "Suite", "custom_id": "b", "disabled": True}
    assert buttons_of(message(components=[{"type": 1, "components": [more]}]), FRENCH) == (
        "Suite (désactivé)",
    )


def test_relative_times_round_to_the_largest_unit() -> None:
    assert relative(NOW - NOW) == "in 0 seconds"
    assert relative(datetime(2021, 6, 28, 9, 45, tzinfo=UTC) - NOW) == "in 2 hours"
    assert relative(NOW - datetime(2021, 6, 28, 7, 44, tzinfo=UTC)) == "in 1 minute"
    assert relative(datetime(2021, 6, 26, 7, 45, tzinfo=UTC) - NOW) == "2 days ago"


def test_embeds_text_components_and_files_are_laid_out() -> None:
    shown = message(
        content="Hello",
        embeds=[
            {
                "title": "Session 1",
                "description": "Starts soon",
                "fields": [{"name": "Room", "value": "Amphi A"}],
                "footer": {"text": "See you"},
            }
        ],
        components=[{"type": 10, "content": "A text display"}],
        attachments=[("programme.ics", b"", "text/calendar")],
    )
    assert text_of(shown).splitlines() == [
        "Hello",
        "**Session 1**",
        "Starts soon",
        "Room: Amphi A",
        "See you",
        "A text display",
        "📎 programme.ics",
    ]


def test_buttons_links_and_menus_are_named() -> None:
    row = {
        "type": 1,
        "components": [
            {"type": 2, "style": 1, "label": "Upvote · 3", "custom_id": "a"},
            {"type": 2, "style": 5, "label": "Event", "url": "https://example.org"},
            {"type": 2, "style": 2, "label": "More", "custom_id": "b", "disabled": True},
            {"type": 3, "custom_id": "c", "placeholder": "Pick a talk", "options": []},
        ],
    }
    assert buttons_of(message(components=[row])) == (
        "Upvote · 3",
        "Event ↗ https://example.org",
        "More (disabled)",
        "Pick a talk ▾",
    )


def test_only_the_mentions_allowed_ping(state: GuildState) -> None:
    role = state.role("In person").id
    content = f"<@&{role}> <@7> @everyone"
    assert pings(message(content=content, allowed_mentions={"parse": []}), state) == []
    allowed = {"parse": [], "roles": [str(role)]}
    assert pings(message(content=content, allowed_mentions=allowed), state) == ["@In person"]
    everything = {"parse": ["users", "roles", "everyone"]}
    assert pings(message(content=content, allowed_mentions=everything), state) == [
        "@everyone",
        "@In person",
        "@Léa M.",
    ]
    assert pings(message(content=content), state) == ["@everyone", "@In person", "@Léa M."]
