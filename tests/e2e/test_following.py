"""A meeting that follows its schedule export: an organizer's edit at the source reaches the
attendees as one change notice (and by DM to those who opted in), the moved talk keeping its
questions and its thread, a reminder already sent put right; meeting files edited on disk are
loaded without a restart; a bad source changes nothing."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from sqlmodel import select

from bot.posts.model import PostKind
from bot.posts.queries import timeline
from bot.programme.files import load_meeting_file
from bot.questions.talks import speaker_accounts
from bot.registration.model import Mode
from bot.schedule_import.merge import import_schedule, write_meeting_file
from bot.store.models import QuestionRow, TalkQaRow, TalkRow
from tests.support.harness import eventually, register, running_amphi, test_settings

SLUG = "journees-deep-learning"
START = datetime(2024, 5, 2, 8, 1, tzinfo=UTC)  # 10:01 in Paris: the opening talk is on


@dataclass(frozen=True)
class Entry:
    guid: str
    title: str
    start: str  # "HH:MM", Paris
    minutes: int
    room: str = "Amphi A"
    persons: tuple[str, ...] = ("Gérard Biau",)


FIRST = (
    Entry("0a1b2c3d-0000-4000-8000-00000000000a", "Opening talk", "10:00", 30),
    Entry("0a1b2c3d-0000-4000-8000-00000000000b", "Second talk", "10:30", 30),
    Entry("0a1b2c3d-0000-4000-8000-00000000000c", "Third talk", "11:00", 30),
    Entry("0a1b2c3d-0000-4000-8000-00000000000e", "Parallel talk", "10:00", 45, "Salle B"),
)
OPENING, SECOND, THIRD, PARALLEL = FIRST
EDITED = (
    replace(OPENING, start="11:30"),  # moved, while it is on
    replace(SECOND, title="Second talk, revised"),
    # THIRD cancelled
    PARALLEL,
    Entry("0a1b2c3d-0000-4000-8000-00000000000d", "Fourth talk", "12:00", 30),
)


def frab(entries: tuple[Entry, ...]) -> str:
    """A frab schedule XML (the form with a date on each event) of one day in Paris."""
    rooms: dict[str, list[str]] = {}
    for n, e in enumerate(entries, start=1):
        persons = "".join(
            f'<person id="{i}">{escape(p)}</person>' for i, p in enumerate(e.persons, 1)
        )
        rooms.setdefault(e.room, []).append(
            f'<event guid="{e.guid}" id="{n}"><date>2024-05-02T{e.start}:00+02:00</date>'
            f"<start>{e.start}</start><duration>00:{e.minutes:02d}</duration>"
            f"<room>{escape(e.room)}</room><slug>t{n}</slug><title>{escape(e.title)}</title>"
            f"<subtitle/><track/><type>lecture</type><language>en</language><abstract/>"
            f"<description/><persons>{persons}</persons><links/></event>"
        )
    body = "".join(
        f'<room name="{escape(room)}">{"".join(events)}</room>' for room, events in rooms.items()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><schedule><version>1</version><conference>'
        "<acronym>jdl</acronym><title>Journées deep learning</title><start>2024-05-02</start>"
        "<end>2024-05-02</end><days>1</days><timeslot_duration>00:05</timeslot_duration>"
        "<time_zone_name>Europe/Paris</time_zone_name></conference>"
        '<day index="1" date="2024-05-02" start="2024-05-02T08:00:00+02:00" '
        f'end="2024-05-02T20:00:00+02:00">{body}</day></schedule>'
    )


HEADER = f"""slug = "{SLUG}"
title = "Journées deep learning"
date = 2024-05-02
timezone = "Europe/Paris"
venue = "Campus"
capacity = 120
registration_closes = 2024-05-02T18:00:00+02:00
source = "schedule.xml"

[[sessions]]
title = "To be imported"
start = "09:00"
end = "10:00"
"""


@pytest.fixture
def meeting_file(tmp_path: Path) -> Path:
    """A meeting file made by `amphi import` from the first version of the export."""
    (tmp_path / "schedule.xml").write_text(frab(FIRST), encoding="utf-8")
    path = tmp_path / "meeting.toml"
    path.write_text(HEADER, encoding="utf-8")
    base = load_meeting_file(path)
    imported = import_schedule((tmp_path / "schedule.xml").read_bytes(), base=base)
    write_meeting_file(path, imported.meeting, source="schedule.xml")
    return path


@pytest.fixture
def settings(fake, sqlite_url, meeting_file: Path):
    return test_settings(fake, sqlite_url, AMPHI_MEETINGS=str(meeting_file))


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def talk_id(services, title: str) -> int:
    row = services.db.call(lambda s: s.exec(select(TalkRow).where(TalkRow.title == title)).one())
    return row.id


def notice_statuses(services) -> list[str]:
    """Where each change notice planned for the meeting stands."""
    return [
        r.status
        for r in services.db.call(timeline, slug=SLUG)
        if r.post.kind is PostKind.PROGRAMME_CHANGES
    ]


def notices(fake) -> list[str]:
    return [m.content for m in fake.messages("announcements") if "Programme changes" in m.content]


async def test_an_edit_at_the_source_reaches_attendees_as_one_notice(
    fake, clock, settings, meeting_file: Path
) -> None:
    clock.now = START
    async with running_amphi(fake, settings, clock) as (_bot, services):
        olga = fake.add_member("olga", roles=["Organizer"])
        ada = fake.add_member("ada")
        await register(services.registration, ada.id, Mode.REMOTE, dm=True)
        # The opening talk is on: its Q&A thread is open and its "now on" posted.
        opening_id = talk_id(services, "Opening talk")
        await eventually(
            lambda: services.db.call(lambda s: s.get(TalkQaRow, opening_id)) is not None
        )
        await eventually(
            lambda: any("Opening talk" in m.content for m in fake.messages("announcements"))
        )
        for title in ("Opening talk", "Third talk"):
            asked = await fake.invoke(
                "ask", {"question": f"A question on {title}?", "talk": title}, user=ada
            )
            await asked.message()
        thread = services.db.call(lambda s: s.get(TalkQaRow, opening_id)).thread_id

        write(meeting_file.parent / "schedule.xml", frab(EDITED))
        refreshed = await (await fake.invoke("meeting refresh", user=olga)).message()
        assert "4 talks changed" in refreshed.content
        # A second edit within minutes joins the same notice.
        speakers = (*EDITED[:2], replace(PARALLEL, persons=("Léa Ørsted", "Ana")), EDITED[3])
        write(meeting_file.parent / "schedule.xml", frab(speakers))
        again = await (await fake.invoke("meeting refresh", user=olga)).message()
        assert "5 talks changed" in again.content  # what the notice will tell, both edits

        preview = await (await fake.invoke("meeting changes", user=olga)).message()
        assert "It will be posted" in preview.content and "Fourth talk" in preview.content
        planned = [
            r
            for r in services.db.call(timeline, slug=SLUG)
            if r.post.kind is PostKind.PROGRAMME_CHANGES
        ]
        assert [r.status for r in planned] == ["pending"]
        assert notices(fake) == []

        clock.now = START + timedelta(minutes=3)
        await services.posts.fire(planned[0].post.key)

        [notice] = notices(fake)
        assert "Moved: **Opening talk** now `11:30`" in notice and "(was `10:00`)" in notice
        assert "Retitled: **Second talk** is now **Second talk, revised**" in notice
        assert "Cancelled: **Third talk**" in notice
        assert "New: **Fourth talk** at `12:00`" in notice and "Amphi A" in notice
        assert "Speakers: **Parallel talk** now by Léa Ørsted, Ana" in notice
        await eventually(lambda: any("Programme changes" in m.content for m in fake.dms(ada)))
        # The moved talk kept its row, so its question and its thread.
        assert talk_id(services, "Opening talk") == opening_id
        assert services.db.call(lambda s: s.get(TalkQaRow, opening_id)).thread_id == thread
        questions = services.db.call(
            lambda s: s.exec(select(QuestionRow).where(QuestionRow.talk_id == opening_id)).all()
        )
        assert [q.text for q in questions] == ["A question on Opening talk?"]
        # The cancelled talk had a question: it is kept, out of the programme.
        third = services.db.call(
            lambda s: s.exec(select(TalkRow).where(TalkRow.title == "Third talk")).one()
        )
        assert third.removed_at is not None
        # The "now on" of the opening talk went out: it is put right.
        await eventually(
            lambda: any(
                "Correction: **Opening talk** now starts at `11:30`" in m.content
                for m in fake.messages("announcements")
            )
        )
        await services.notices.reconcile()  # nothing left to tell
        assert len(notices(fake)) == 1


@pytest.mark.parametrize(
    ("export", "said"),
    [
        ("<schedule><conference>", "XML"),
        (frab(()), "no talks"),
    ],
    ids=["malformed", "every-talk-dropped"],
)
async def test_a_bad_source_changes_nothing_and_says_why(
    fake, clock, settings, meeting_file: Path, export: str, said: str
) -> None:
    clock.now = START
    before = read(meeting_file)
    async with running_amphi(fake, settings, clock) as (_bot, services):
        olga = fake.add_member("olga", roles=["Organizer"])
        programme = await services.programme.active_meeting()
        write(meeting_file.parent / "schedule.xml", export)

        reply = await (await fake.invoke("meeting refresh", user=olga)).message()

        assert "could not be refreshed, so it stays as it was" in reply.content
        assert said in reply.content
        assert await services.programme.active_meeting() == programme
        assert read(meeting_file) == before
        kinds = {r.post.kind for r in services.db.call(timeline, slug=SLUG)}
        assert PostKind.PROGRAMME_CHANGES not in kinds


async def test_refresh_and_changes_are_for_organizers(fake, clock, settings) -> None:
    clock.now = START
    async with running_amphi(fake, settings, clock):
        mallory = fake.add_member("mallory")
        for command in ("meeting refresh", "meeting changes"):
            result = await fake.invoke(command, user=mallory)
            reply = await result.message()
            assert result.ephemeral and "organizers" in reply.content.lower()


async def test_a_meeting_file_edited_on_disk_is_loaded_without_a_restart(
    fake, clock, sqlite_url, tmp_path: Path
) -> None:
    clock.now = START
    path = tmp_path / "meeting.toml"
    write(
        path,
        HEADER.replace('source = "schedule.xml"\n', "").replace(
            'end = "10:00"\n',
            'end = "12:00"\n\n  [[sessions.talks]]\n  start = "11:00"\n'
            '  title = "Hand-written talk"\n',
        ),
    )
    settings = test_settings(fake, sqlite_url, AMPHI_MEETINGS=str(path), AMPHI_WATCH_SECONDS="0.1")
    async with running_amphi(fake, settings, clock) as (_bot, services):
        ada = fake.add_member("ada")
        write(path, read(path).replace('start = "11:00"', 'start = "11:15"'))

        async def moved() -> bool:
            meeting = await services.programme.active_meeting()
            return meeting.talks[0].start == datetime(2024, 5, 2, 9, 15, tzinfo=UTC)

        await eventually(moved, timeout=10)
        programme = await (await fake.invoke("programme", user=ada)).message()
        assert "`11:15`" in str(programme.embeds)
        # A file with a problem is not loaded: the programme stays as it was.
        write(path, read(path).replace("capacity = 120", "capacity = -1"))
        refreshed = await services.follower.reload()
        assert "capacity" in refreshed.error
        assert (await services.programme.active_meeting()).talks[0].start.minute == 15


async def test_an_organizer_holds_the_notice_then_posts_it_at_once(
    fake, clock, settings, meeting_file: Path
) -> None:
    clock.now = START
    async with running_amphi(fake, settings, clock) as (_bot, services):
        olga = fake.add_member("olga", roles=["Organizer"])
        write(meeting_file.parent / "schedule.xml", frab(EDITED))
        await (await fake.invoke("meeting refresh", user=olga)).message()
        shown = await (await fake.invoke("meeting changes", user=olga)).message()
        assert shown.custom_ids() == ["amphi:changes:hold", "amphi:changes:now"]

        await (await fake.click(shown, "amphi:changes:hold", user=olga)).message()
        await eventually(lambda: shown.content.startswith("Held:"))
        assert shown.custom_ids() == ["amphi:changes:release", "amphi:changes:now"]
        assert notice_statuses(services) == ["cancelled"]
        # Held, an edit plans nothing either.
        write(meeting_file.parent / "schedule.xml", frab(EDITED[:-1]))
        await (await fake.invoke("meeting refresh", user=olga)).message()
        await services.notices.reconcile()
        kinds = [r.post.kind for r in services.db.call(timeline, slug=SLUG)]
        assert kinds.count(PostKind.PROGRAMME_CHANGES) == 1  # nothing planned while held
        # Let go, a notice is planned again; held once more, it is off again.
        await (await fake.click(shown, "amphi:changes:release", user=olga)).message()
        await eventually(lambda: shown.content.startswith("It will be posted"))
        assert shown.custom_ids() == ["amphi:changes:hold", "amphi:changes:now"]
        assert notice_statuses(services) == ["cancelled", "pending"]
        await (await fake.click(shown, "amphi:changes:hold", user=olga)).message()
        await eventually(lambda: shown.content.startswith("Held:"))
        mallory = fake.add_member("mallory")
        refused = await (await fake.click(shown, "amphi:changes:now", user=mallory)).message()
        assert "organizers" in refused.content.lower()
        assert notices(fake) == []

        await (await fake.click(shown, "amphi:changes:now", user=olga)).message()

        await eventually(lambda: len(notices(fake)) == 1)
        [notice] = notices(fake)
        assert "Moved: **Opening talk**" in notice and "Fourth talk" not in notice

        # Once the notice is told (after its DMs), nothing is left to announce.
        async def told() -> bool:
            preview = await services.notices.preview()
            return not preview.diff and preview.due is None

        await eventually(told)
        after = await (await fake.invoke("meeting changes", user=olga)).message()
        assert after.content.startswith("Nothing to announce") and after.custom_ids() == []


def moderation(fake, said: str) -> list[str]:
    return [m.content for m in fake.messages("moderation") if said in m.content]


async def test_an_export_cut_down_waits_for_an_organizer(
    fake, clock, settings, meeting_file: Path
) -> None:
    clock.now = START
    before = read(meeting_file)
    async with running_amphi(fake, settings, clock) as (_bot, services):
        olga = fake.add_member("olga", roles=["Organizer"])
        ada = fake.add_member("ada")
        await register(services.registration, ada.id, Mode.REMOTE, dm=True)
        programme = await services.programme.active_meeting()
        # Half-published: the talks under way stay (their Q&A threads are opening), the rest go.
        write(meeting_file.parent / "schedule.xml", frab((OPENING, PARALLEL)))

        reply = await (await fake.invoke("meeting refresh", user=olga)).message()

        assert "would remove 2 of its 4 talks" in reply.content and "Third talk" in reply.content
        assert await services.programme.active_meeting() == programme
        assert read(meeting_file) == before
        assert PostKind.PROGRAMME_CHANGES not in {
            r.post.kind for r in services.db.call(timeline, slug=SLUG)
        }
        # Told once in the moderation channel, not at every refresh.
        await (await fake.invoke("meeting refresh", user=olga)).message()
        await services.follower.tick()
        assert len(moderation(fake, "Held for an organizer")) == 1

        shown = await (await fake.invoke("meeting changes", user=olga)).message()
        assert "would remove 2 of its 4 talks" in shown.content
        [apply, drop] = shown.custom_ids()
        assert apply.startswith("amphi:held:apply:") and drop.startswith("amphi:held:drop:")
        mallory = fake.add_member("mallory")
        refused = await (await fake.click(shown, apply, user=mallory)).message()
        assert "organizers" in refused.content.lower()
        assert await services.programme.active_meeting() == programme

        applied = await (await fake.click(shown, apply, user=olga)).message()

        assert applied.content.startswith("Applied")
        titles = [t.title for t in (await services.programme.active_meeting()).talks]
        assert sorted(titles) == ["Opening talk", "Parallel talk"]
        assert notice_statuses(services) == ["pending"]
        again = await (await fake.click(shown, apply, user=olga)).message()
        assert "no longer the one held" in again.content
        assert fake.dms(ada) == []


async def test_a_speaker_spelled_differently_keeps_their_link_and_organizers_are_told(
    fake, clock, settings, meeting_file: Path
) -> None:
    clock.now = START
    async with running_amphi(fake, settings, clock) as (_bot, services):
        olga = fake.add_member("olga", roles=["Organizer"])
        gerard = fake.add_member("gerard")
        linked = await fake.invoke(
            "speaker link", {"talk": "Third talk", "user": gerard}, user=olga
        )
        await linked.message()
        third = talk_id(services, "Third talk")
        assert services.db.call(speaker_accounts, talk_id=third) == [gerard.id]
        doctor = replace(THIRD, persons=("Dr. Gérard Biau",))
        write(meeting_file.parent / "schedule.xml", frab((OPENING, SECOND, doctor, PARALLEL)))

        await (await fake.invoke("meeting refresh", user=olga)).message()

        [told] = moderation(fake, "Speaker link")
        assert "**Gérard Biau**" in told and "**Third talk**" in told and f"<@{gerard.id}>" in told
        assert services.db.call(speaker_accounts, talk_id=third) == [gerard.id]
        # The old spelling comes back: the link is the speaker's again, and nothing more is said.
        write(meeting_file.parent / "schedule.xml", frab(FIRST))
        await (await fake.invoke("meeting refresh", user=olga)).message()
        assert services.db.call(speaker_accounts, talk_id=third) == [gerard.id]
        assert len(moderation(fake, "Speaker link")) == 1


async def test_a_source_flapping_between_two_versions_tells_nobody(
    fake, clock, sqlite_url, meeting_file: Path
) -> None:
    clock.now = START
    # The bot's own round runs once at start and not again: the test's rounds are the only ones
    # (a round of the bot's between two of the test's would fetch each version twice).
    settings = test_settings(
        fake, sqlite_url, AMPHI_MEETINGS=str(meeting_file), AMPHI_WATCH_SECONDS="3600"
    )
    async with running_amphi(fake, settings, clock) as (_bot, services):
        follower = services.follower
        await eventually(lambda: follower._fetched and not follower._fetching)
        ada = fake.add_member("ada")
        await register(services.registration, ada.id, Mode.REMOTE, dm=True)
        programme = await services.programme.active_meeting()
        # A cache in front of the source answers the old and the new version in turn.
        for flip in range(8):
            write(meeting_file.parent / "schedule.xml", frab(FIRST if flip % 2 else EDITED))
            clock.now += timedelta(minutes=5)
            await services.follower.tick()
            await services.notices.reconcile()

        assert await services.programme.active_meeting() == programme
        assert notice_statuses(services) == []
        assert notices(fake) == [] and fake.dms(ada) == []
