"""The transcript follows what the double stores; Markdown and HTML carry it out."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from rich.console import Console

from bot.core.i18n import Translator
from bot.rehearsal.show import Live, markdown, page
from bot.rehearsal.transcript import DM_KIND, NOTE, POST, REPLY, Entry, Transcript
from fake_discord import FakeDiscord, FakeMessage

PARIS = ZoneInfo("Europe/Paris")
NOON = datetime(2021, 6, 28, 10, 0, tzinfo=UTC)


async def test_posts_dms_and_filled_placeholders_are_taken_ephemeral_ones_are_not() -> None:
    fake = FakeDiscord()
    shown: list[Entry] = []
    transcript = Transcript(fake, lambda: NOON, PARIS, shown.append)
    transcript.watch()
    lea = fake.add_member("Léa M.")
    general = fake.state.channel("general")
    await fake.create_message(general, {"content": f"Hello <@{lea.id}>"}, [])
    # An ephemeral reply, as an interaction leaves it (the double stores it before telling).
    secret = FakeMessage(fake.ids.next(), general.id, fake.bot_user, content="secret", flags=64)
    fake.message_changed(secret, edited=False)
    await fake.create_message(fake.state.dm_channel(lea), {"content": "Your seat"}, [])
    thinking = await fake.create_message(general, {"flags": 128}, [])
    assert [e.text for e in shown] == ["Hello @Léa M.", "Your seat"]
    thinking.edit({"content": "Answered"}, [], fake.ids.next)
    fake.message_changed(thinking, edited=True)
    thinking.edit({"content": "Edited again"}, [], fake.ids.next)
    fake.message_changed(thinking, edited=True)
    assert [(e.kind, e.place, e.text) for e in shown] == [
        (POST, "#general", "Hello @Léa M."),
        (DM_KIND, "DM to Léa M.", "Your seat"),
        (POST, "#general", "Answered"),
    ]
    assert shown[0].at == datetime(2021, 6, 28, 12, 0, tzinfo=PARIS)
    assert (transcript.posts, transcript.dms) == (2, 1)


async def test_the_same_dm_to_many_is_shown_once_and_counted() -> None:
    fake = FakeDiscord()
    shown: list[Entry] = []
    counted: list[int] = []
    transcript = Transcript(fake, lambda: NOON, PARIS, shown.append)
    transcript.repeats_shown = lambda entry: counted.append(entry.also + 1)
    transcript.watch()
    members = [fake.add_member(f"m{i}") for i in range(5)]
    for member in members:
        # A relative time reads differently as the broadcast goes: it is still the same DM.
        text = {"content": "The link, <t:1624867200:R>"}
        await fake.create_message(fake.state.dm_channel(member), text, [])
    assert len(shown) == 1 and shown[0].also == 4 and transcript.dms == 5
    transcript.report_repeats(final=True)
    transcript.report_repeats(final=True)
    assert counted == [5]


def test_markdown_quotes_each_message_and_ends_with_the_summary() -> None:
    at = datetime(2021, 6, 28, 9, 45, tzinfo=PARIS)
    entries = [
        Entry(at, NOTE, "rehearsal", "742 members register"),
        Entry(at, POST, "#announcements", "Session 1\nstarts soon", ("Get the video link",)),
        Entry(at, DM_KIND, "DM to Léa M.", "The link", also=62),
    ]
    text = markdown("Rehearsal", entries, ["Failures: none."])
    assert "*09:45 — 742 members register*" in text
    assert (
        "**09:45 · #announcements**\n\n> Session 1\n> starts soon\n>\n> `[ Get the video link ]`"
        in text
    )
    assert "*The same DM went to 63 members in all.*" in text
    assert text.endswith("## Summary\n\n- Failures: none.\n")


def test_html_escapes_what_members_typed() -> None:
    at = datetime(2021, 6, 28, 9, 45, tzinfo=PARIS)
    entries = [Entry(at, REPLY, "Léa: /ask", "<script>alert(1)</script> & co", pings=("@Remote",))]
    html = page("A <day>", entries, ["Pinged: @Remote ×1."])
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
    assert "<title>A &lt;day&gt;</title>" in html
    assert '<span class="ping">pings @Remote</span>' in html
    assert "<li>Pinged: @Remote ×1.</li>" in html


async def test_a_french_transcript_reads_in_french() -> None:
    fake = FakeDiscord()
    shown: list[Entry] = []
    transcript = Transcript(fake, lambda: NOON, PARIS, shown.append, Translator("fr"))
    transcript.watch()
    lea = fake.add_member("Léa M.")
    closes = int(datetime(2021, 6, 28, 8, 0, tzinfo=UTC).timestamp())
    await fake.create_message(
        fake.state.dm_channel(lea), {"content": f"Ouvertes jusqu'au <t:{closes}:f>"}, []
    )
    transcript.note("742 membres s'inscrivent")
    assert [(e.place, e.text) for e in shown] == [
        ("Message privé à Léa M.", "Ouvertes jusqu'au 28 juin 2021 10:00"),
        ("répétition", "742 membres s'inscrivent"),
    ]


def test_the_french_files_frame_the_transcript_in_french() -> None:
    at = datetime(2021, 6, 28, 9, 45, tzinfo=PARIS)
    french = Translator("fr")
    entries = [Entry(at, DM_KIND, "Message privé à Léa M.", "Le lien", pings=("@Remote",), also=62)]
    text = markdown("Répétition", entries, ["Échecs\u202f: aucun."], french)
    assert "(mentionne @Remote)" in text
    assert "*Le même message privé est parti à 63 membres en tout.*" in text
    assert text.endswith("## Bilan\n\n- Échecs\u202f: aucun.\n")
    html = page("Répétition", entries, ["Échecs\u202f: aucun."], french)
    assert html.startswith('<!doctype html>\n<html lang="fr">') and "<h2>Bilan</h2>" in html


def test_the_terminal_never_breaks_a_line_at_a_no_break_space() -> None:
    console = Console(width=24, record=True, color_system=None)
    live = Live(console, Translator("fr"))
    live.paragraph("Capacité de la salle\u202f: 600 et liste d'attente\u202f: 12")
    shown = console.export_text()
    lines = shown.splitlines()
    assert len(lines) > 1 and not any(line.lstrip().startswith(":") for line in lines)
    assert shown.count("\u202f") == 2
