"""Programme queries on the shipped meeting: /now at five moments, search, active meeting; and
what saving an edited meeting does to the questions, threads and links that hang on its talks."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.programme import queries as store
from bot.programme.files import load_meeting_file
from bot.programme.model import (
    DayPhase,
    HeldTalk,
    Meeting,
    Person,
    ProgrammeEdit,
    Talk,
    UnmatchedLink,
    choose_active,
    now_and_next,
    search_talks,
)
from bot.programme.service import ProgrammeService
from bot.questions import talks
from bot.store.db import Database
from bot.store.models import (
    QuestionRow,
    QuestionVoteRow,
    SessionRow,
    SpeakerRow,
    TalkQaRow,
    TalkRow,
)
from tests.support.paths import SHIPPED_MEETING

SAVED = datetime(2021, 6, 1, 12, 0, tzinfo=UTC)
LATER = datetime(2021, 6, 2, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def meeting():
    return load_meeting_file(SHIPPED_MEETING)


def utc(hour: int, minute: int = 0) -> datetime:
    return datetime(2021, 6, 28, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("instant", "phase", "current", "upcoming"),
    [
        (utc(6), DayPhase.BEFORE, None, "Some Theoretical Insights into Wasserstein GANs"),
        (
            utc(8, 50),  # 10:50 Paris
            DayPhase.IN_SESSION,
            "Existence, Stability And Scalability Of Orthogonal Convolutional Neural Networks",
            "A Neural Tangent Kernel Perspective of GANs",
        ),
        (
            utc(10, 25),  # 12:25 Paris: Session 1 has just ended
            DayPhase.BETWEEN,
            None,
            "Tensor-based approaches for learning flexible neural networks",
        ),
        (
            utc(15, 10),  # 17:10 Paris, Belkin's invited talk
            DayPhase.IN_SESSION,
            "From classical statistics to modern machine learning",
            "Spherical Perspective on Learning with Batch Normalization",
        ),
        (utc(16, 5), DayPhase.AFTER, None, None),  # 18:05 Paris: over
    ],
)
def test_now_and_next(meeting, instant, phase, current, upcoming) -> None:
    state = now_and_next(meeting, instant)
    assert state.phase is phase
    assert (state.current.title if state.current else None) == current
    assert (state.next.title if state.next else None) == upcoming


def test_search_ignores_accents_and_case(meeting) -> None:
    assert [t.speakers[0].name for t in search_talks(meeting, "GERARD")] == ["Gérard Biau"]
    assert [t.speakers[0].name for t in search_talks(meeting, "leon zheng")] == ["Léon Zheng"]
    assert len(search_talks(meeting, "gans")) == 2
    assert len(search_talks(meeting, "")) == 11
    assert search_talks(meeting, "quantum chromodynamics") == []
    assert len(search_talks(meeting, "", limit=3)) == 3


def test_active_meeting_is_the_current_or_next(meeting) -> None:
    later = replace(
        meeting,
        slug="later",
        sessions=tuple(
            replace(s, start=s.start + timedelta(days=30), end=s.end + timedelta(days=30))
            for s in meeting.sessions
        ),
    )
    assert choose_active([later, meeting], utc(9)) is meeting
    assert choose_active([later, meeting], utc(20)) is later
    assert choose_active([later, meeting], utc(20) + timedelta(days=60)) is later
    assert choose_active([], utc(9)) is None


# What saving an edited meeting does to what hangs on its talks (SQLite and PostgreSQL).


def save(db: Database, meeting: Meeting, now: datetime = SAVED) -> ProgrammeEdit:
    return db.call(store.save_meeting, meeting=meeting, source="test", now=now, write=True)


def hang_on(
    db: Database,
    key: str,
    *,
    question: bool = True,
    thread: int | None = None,
    link: int | None = None,
) -> int:
    """Give the talk a question with a vote, a Q&A thread, a linked first speaker; its row id."""

    def write(session: Session) -> int:
        talk = session.exec(select(TalkRow).where(TalkRow.key == key)).one()
        assert talk.id is not None
        if question:
            asked = QuestionRow(
                meeting_id=talk.meeting_id,
                talk_id=talk.id,
                author_id=7,
                text="Why?",
                created_at=SAVED,
            )
            session.add(asked)
            session.flush()
            assert asked.id is not None
            session.add(QuestionVoteRow(question_id=asked.id, user_id=8))
        session.add(TalkQaRow(talk_id=talk.id, state="open", thread_id=thread))
        if link is not None:
            speaker = session.exec(
                select(SpeakerRow)
                .where(SpeakerRow.talk_id == talk.id)
                .where(SpeakerRow.position == 0)
            ).one()
            speaker.discord_user_id = link
            session.add(speaker)
        return talk.id

    return db.call(write, write=True)


def talk_row(db: Database, key: str) -> TalkRow | None:
    return db.call(lambda s: s.exec(select(TalkRow).where(TalkRow.key == key)).first())


def count(db: Database, table, *where) -> int:
    return db.call(lambda s: s.exec(select(func.count()).select_from(table).where(*where)).one())


def swapped(meeting: Meeting, old: Talk, new: Talk | None) -> Meeting:
    """`meeting` with `old` replaced by `new` (or dropped)."""
    return replace(
        meeting,
        sessions=tuple(
            replace(
                s, talks=tuple(t for t in (new if t.key == old.key else t for t in s.talks) if t)
            )
            for s in meeting.sessions
        ),
    )


def retitled_and_moved(talk: Talk) -> Talk:
    return replace(
        talk,
        key=talk.key + "-revised",
        title=talk.title + " (revised)",
        start=talk.start + timedelta(minutes=5),
    )


def test_a_talk_retitled_and_moved_keeps_its_questions_out_of_the_programme(
    db: Database, meeting: Meeting
) -> None:
    save(db, meeting)
    ntk = meeting.sessions[0].talks[2]
    talk_id = hang_on(db, ntk.key, thread=555, link=4242)
    edited = swapped(meeting, ntk, retitled_and_moved(ntk))

    edit = save(db, edited)

    assert edit.kept_removed == (HeldTalk(ntk.key, ntk.title, 1, thread=True, linked_speakers=1),)
    assert edit.brought_back == () and edit.unmatched_links == () and edit.still_removed == ()
    [loaded] = db.call(store.load_meetings)
    assert loaded == edited
    assert ntk.key not in {t.key for t in loaded.talks}
    kept = talk_row(db, ntk.key)
    assert kept is not None and kept.id == talk_id and kept.removed_at == SAVED
    assert count(db, QuestionRow, QuestionRow.talk_id == talk_id) == 1
    assert count(db, QuestionVoteRow) == 1
    assert db.call(lambda s: s.get(TalkQaRow, talk_id)).thread_id == 555
    assert (
        count(db, SpeakerRow, SpeakerRow.talk_id == talk_id, SpeakerRow.discord_user_id == 4242)
        == 1
    )
    revised = talk_row(db, ntk.key + "-revised")
    assert revised is not None and revised.id != talk_id and revised.removed_at is None


def test_a_removed_talk_stays_removed_then_comes_back_by_its_key(
    db: Database, meeting: Meeting
) -> None:
    save(db, meeting)
    ntk = meeting.sessions[0].talks[2]
    talk_id = hang_on(db, ntk.key)
    edited = swapped(meeting, ntk, retitled_and_moved(ntk))
    save(db, edited)

    again = save(db, edited, LATER)
    assert again.kept_removed == () and again.still_removed == (HeldTalk(ntk.key, ntk.title, 1),)
    kept = talk_row(db, ntk.key)
    assert kept is not None and kept.removed_at == SAVED  # when it left the file, not LATER

    back = save(db, meeting, LATER)
    assert back.brought_back == (HeldTalk(ntk.key, ntk.title, 1),)
    assert back.kept_removed == ()  # the revised talk held nothing: simply deleted
    assert talk_row(db, ntk.key + "-revised") is None
    [loaded] = db.call(store.load_meetings)
    assert loaded == meeting
    live = talk_row(db, ntk.key)
    assert live is not None and live.id == talk_id and live.removed_at is None
    assert count(db, QuestionRow, QuestionRow.talk_id == talk_id) == 1
    assert save(db, meeting, LATER) == ProgrammeEdit(meeting_id=back.meeting_id, slug=meeting.slug)


def test_a_removed_talk_is_not_revived_by_another_talk_at_its_time(
    db: Database, meeting: Meeting
) -> None:
    save(db, meeting)
    ntk = meeting.sessions[0].talks[2]
    talk_id = hang_on(db, ntk.key)
    save(db, swapped(meeting, ntk, retitled_and_moved(ntk)))
    other = replace(ntk, key="another-talk", title="Another talk")  # at the removed talk's time
    with_other = swapped(meeting, ntk, other)

    edit = save(db, with_other, LATER)

    assert edit.still_removed == (HeldTalk(ntk.key, ntk.title, 1),) and edit.brought_back == ()
    new = talk_row(db, "another-talk")
    assert new is not None and new.id != talk_id
    assert db.call(store.load_meetings) == [with_other]


def test_a_talk_that_holds_nothing_is_deleted(db: Database, meeting: Meeting) -> None:
    save(db, meeting)
    ntk = meeting.sessions[0].talks[2]
    talk_id = hang_on(db, ntk.key, question=False)  # an "open" override, no thread, no link
    edited = swapped(meeting, ntk, None)

    edit = save(db, edited)

    assert edit == ProgrammeEdit(meeting_id=edit.meeting_id, slug=meeting.slug)
    assert talk_row(db, ntk.key) is None
    assert db.call(lambda s: s.get(TalkQaRow, talk_id)) is None
    assert db.call(store.load_meetings) == [edited]


def test_a_speaker_spelled_differently_keeps_their_link_until_the_name_comes_back(
    db: Database, meeting: Meeting
) -> None:
    save(db, meeting)
    biau = meeting.sessions[0].talks[0]
    hang_on(db, biau.key, question=False, link=4242)
    renamed = replace(biau, speakers=(Person("Dr. Gérard Biau", "Sorbonne Université"),))
    talk_id = talk_row(db, biau.key).id

    edit = save(db, swapped(meeting, biau, renamed))

    assert edit.unmatched_links == (UnmatchedLink(biau.key, biau.title, "Gérard Biau", 4242),)
    assert edit.kept_removed == ()
    # The link stays with the talk (its speaker keeps their rights), off the programme.
    assert db.call(talks.speaker_accounts, talk_id=talk_id) == [4242]
    [shown] = [t for t in db.call(store.load_meetings)[0].talks if t.key == biau.key]
    assert [p.name for p in shown.speakers] == ["Dr. Gérard Biau"]
    # Told once: the next refresh with the same spelling reports nothing new.
    assert save(db, swapped(meeting, biau, renamed)).unmatched_links == ()

    back = save(db, meeting)

    assert back.unmatched_links == ()
    linked = count(db, SpeakerRow, col(SpeakerRow.discord_user_id).is_not(None))
    assert linked == 1 and count(db, SpeakerRow, SpeakerRow.name == "Dr. Gérard Biau") == 0
    assert db.call(store.load_meetings) == [meeting]


def test_an_unlisted_link_goes_once_its_account_is_linked_again(
    db: Database, meeting: Meeting
) -> None:
    save(db, meeting)
    biau = meeting.sessions[0].talks[0]
    hang_on(db, biau.key, question=False, link=4242)
    renamed = replace(biau, speakers=(Person("Dr. Gérard Biau", "Sorbonne Université"),))
    save(db, swapped(meeting, biau, renamed))
    talk_id = talk_row(db, biau.key).id
    db.call(
        talks.link_speaker,
        talk_id=talk_id,
        speaker_name="Dr. Gérard Biau",
        user_id=4242,
        write=True,
    )

    save(db, swapped(meeting, biau, renamed))

    assert count(db, SpeakerRow, SpeakerRow.name == "Gérard Biau") == 0
    assert db.call(talks.speaker_accounts, talk_id=talk_id) == [4242]


def test_a_removed_talk_outlives_its_session(db: Database, meeting: Meeting) -> None:
    save(db, meeting)
    belkin = meeting.sessions[1].talks[3]
    talk_id = hang_on(db, belkin.key, thread=777)
    morning_only = replace(meeting, sessions=meeting.sessions[:1])

    edit = save(db, morning_only)

    assert [t.key for t in edit.kept_removed] == [belkin.key]
    assert count(db, SessionRow) == 1
    first = db.call(lambda s: s.exec(select(SessionRow)).one())
    kept = talk_row(db, belkin.key)
    assert kept is not None and kept.session_id == first.id and kept.removed_at == SAVED
    assert count(db, QuestionRow, QuestionRow.talk_id == talk_id) == 1
    assert db.call(store.load_meetings) == [morning_only]
    assert count(db, TalkRow) == 6 + 1  # the morning's talks and the kept one

    back = save(db, meeting, LATER)
    assert [t.key for t in back.brought_back] == [belkin.key]
    assert db.call(store.load_meetings) == [meeting]
    live = talk_row(db, belkin.key)
    assert live is not None and live.id == talk_id and live.session_id != first.id
    assert db.call(lambda s: s.get(TalkQaRow, talk_id)).thread_id == 777


def test_import_warns_and_a_preview_changes_nothing(
    db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "meeting.toml"
    text = SHIPPED_MEETING.read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    programme = ProgrammeService(db, lambda: SAVED)
    [meeting] = programme.import_files(path)
    ntk = meeting.sessions[0].talks[2]
    hang_on(db, ntk.key, thread=555)
    hang_on(db, meeting.sessions[0].talks[0].key, question=False, link=4242)
    edited = text.replace('start = "11:05"', 'start = "11:10"').replace(
        "A Neural Tangent Kernel Perspective of GANs", "A Neural Tangent Kernel View of GANs"
    )
    edited = edited.replace('name = "Gérard Biau"', 'name = "G. Biau"')
    path.write_text(edited, encoding="utf-8")

    [preview] = programme.preview_files(path)
    assert [t.key for t in preview.kept_removed] == [ntk.key]
    row = talk_row(db, ntk.key)
    assert row is not None and row.removed_at is None  # the preview was rolled back
    assert count(db, SpeakerRow, SpeakerRow.discord_user_id == 4242) == 1
    assert db.call(store.load_meetings) == [meeting]

    with caplog.at_level(logging.WARNING, logger="bot.programme.service"):
        programme.import_files(path)
    assert programme.edits == [preview]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        f'Talk "{ntk.title}" (key {ntk.key}) is no longer in {path}; kept as removed with its 1 '
        "question(s) and its Q&A thread. Put it back in the file, under the same title, to bring "
        "it back.",
        f'Speaker "Gérard Biau" is no longer listed for talk "{meeting.talks[0].title}" (key '
        f"{meeting.talks[0].key}) in {path}; their link to Discord account 4242 is kept with "
        "the talk until the name comes back. If they still speak under another name, link "
        "them again with /speaker link.",
    ]
    [loaded] = db.call(store.load_meetings)
    assert ntk.key not in {t.key for t in loaded.talks}


def with_uids(meeting: Meeting) -> Meeting:
    """The meeting as an import gives it: every talk carries the source's id."""
    return replace(
        meeting,
        sessions=tuple(
            replace(s, talks=tuple(replace(t, uid=f"guid-{t.key}") for t in s.talks))
            for s in meeting.sessions
        ),
    )


def test_an_imported_talk_retitled_and_moved_keeps_its_row_by_the_sources_id(
    db: Database, meeting: Meeting
) -> None:
    imported = with_uids(meeting)
    save(db, imported)
    ntk = imported.sessions[0].talks[2]
    talk_id = hang_on(db, ntk.key, thread=555, link=4242)

    edit = save(db, swapped(imported, ntk, retitled_and_moved(ntk)))

    assert edit.kept_removed == () and edit.unmatched_links == ()
    revised = talk_row(db, ntk.key + "-revised")
    assert revised is not None and revised.id == talk_id and revised.removed_at is None
    assert revised.start_at == ntk.start + timedelta(minutes=5)
    assert talk_row(db, ntk.key) is None
    assert count(db, QuestionRow, QuestionRow.talk_id == talk_id) == 1
    assert db.call(lambda s: s.get(TalkQaRow, talk_id)).thread_id == 555


def test_two_imported_talks_swapping_titles_keep_their_own_rows(
    db: Database, meeting: Meeting
) -> None:
    imported = with_uids(meeting)
    save(db, imported)
    first, second = imported.sessions[0].talks[1:3]
    first_id, second_id = hang_on(db, first.key), hang_on(db, second.key)
    exchanged = {
        first.key: replace(first, key=second.key, title=second.title),
        second.key: replace(second, key=first.key, title=first.title),
    }
    swapped_titles = replace(
        imported,
        sessions=tuple(
            replace(s, talks=tuple(exchanged.get(t.key, t) for t in s.talks))
            for s in imported.sessions
        ),
    )

    save(db, swapped_titles)

    now_second = talk_row(db, second.key)
    now_first = talk_row(db, first.key)
    assert now_second is not None and now_second.id == first_id
    assert now_first is not None and now_first.id == second_id
    assert now_second.uid == first.uid and now_second.start_at == first.start
    [loaded] = db.call(store.load_meetings)
    assert loaded == swapped_titles


def test_a_different_talk_under_a_removed_talks_title_does_not_take_its_questions(
    db: Database, meeting: Meeting
) -> None:
    imported = with_uids(meeting)
    save(db, imported)
    ntk = imported.sessions[0].talks[2]
    talk_id = hang_on(db, ntk.key)
    replacement = replace(ntk, uid="guid-someone-else", start=ntk.start + timedelta(minutes=1))

    edit = save(db, swapped(imported, ntk, replacement))

    assert [held.title for held in edit.kept_removed] == [ntk.title]
    live = talk_row(db, ntk.key)
    assert live is not None and live.id != talk_id and live.uid == "guid-someone-else"
    kept = db.call(lambda s: s.get(TalkRow, talk_id))
    assert kept.removed_at == SAVED and kept.uid == ntk.uid
    assert count(db, QuestionRow, QuestionRow.talk_id == live.id) == 0


def test_parallel_talks_retitled_at_one_start_keep_their_own_questions(
    db: Database, meeting: Meeting
) -> None:
    first = meeting.sessions[0]
    a = replace(first.talks[0], room="A")
    b = replace(first.talks[1], start=a.start, end=a.end, room="B")
    parallel = replace(meeting, sessions=(replace(first, talks=(a, b)), *meeting.sessions[1:]))
    save(db, parallel)
    b_id = hang_on(db, b.key, thread=77)
    renamed = replace(
        parallel,
        sessions=(
            replace(
                first,
                talks=(
                    replace(a, key=a.key + "-v2", title=a.title + " v2"),
                    replace(b, key=b.key + "-v2", title=b.title + " v2"),
                ),
            ),
            *meeting.sessions[1:],
        ),
    )

    save(db, renamed)

    kept = talk_row(db, b.key + "-v2")
    assert kept is not None and kept.id == b_id and kept.room == "B"
    other = talk_row(db, a.key + "-v2")
    assert other is not None and count(db, QuestionRow, QuestionRow.talk_id == other.id) == 0
