"""The diff between two versions of a programme, keyed on the source's ids, and the notice and
command-line lines that tell it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.changes.render import MESSAGE_LIMIT, render_notice, render_preview
from bot.core.i18n import Translator
from bot.programme.diff import (
    ProgrammeDiff,
    diff_meetings,
    dump_states,
    load_states,
    plain_lines,
    programme_state,
)
from bot.programme.model import Meeting, Person, Session, Talk

T0 = datetime(2024, 5, 2, 7, 0, tzinfo=UTC)  # 09:00 in Paris


def talk(n: int, minutes: int, *, uid: str = "", room: str = "", **more) -> Talk:
    title = more.pop("title", f"Talk {n}")
    start = T0 + timedelta(minutes=minutes)
    return Talk(
        key=f"talk-{n}",
        title=title,
        start=start,
        end=start + timedelta(minutes=20),
        uid=uid,
        room=room,
        speakers=more.pop("speakers", (Person(f"Speaker {n}"),)),
    )


def meeting_of(*talks: Talk, slug: str = "m") -> Meeting:
    start = min(t.start for t in talks)
    end = max(t.end for t in talks)
    return Meeting(
        slug=slug,
        title="Réunion",
        day=start.date(),
        timezone="Europe/Paris",
        venue="Amphi",
        capacity=10,
        sessions=(Session("Morning", start, end, tuple(sorted(talks, key=lambda t: t.start))),),
    )


def test_a_talk_moved_retitled_rehoused_and_given_other_speakers_is_one_change() -> None:
    old = meeting_of(talk(1, 0, uid="a"), talk(2, 30, uid="b", room="A"))
    moved = replace(
        talk(2, 65, uid="b", room="B", title="Talk two"),
        key="talk-two",
        speakers=(Person("Zoé Ünal"), Person("Ola")),
    )
    new = meeting_of(talk(1, 0, uid="a"), moved)

    [change] = diff_meetings(old, new).changes

    assert (change.moved, change.retitled, change.rehoused, change.speakers_changed) == (
        True,
        True,
        True,
        True,
    )
    assert change.before is not None and change.before.title == "Talk 2"
    assert not change.added and not change.cancelled


def test_source_ids_not_titles_say_which_talk_is_which() -> None:
    old = meeting_of(talk(1, 0, uid="a"), talk(2, 30, uid="b"))
    # The same slots, titles and speakers exchanged: by their ids, the talks were retitled
    # (a diff by title would have said they swapped times).
    new = meeting_of(talk(1, 30, uid="b"), talk(2, 0, uid="a"))
    diff = diff_meetings(old, new)
    assert {c.latest.identity for c in diff.changes} == {"uid:a", "uid:b"}
    assert all(c.retitled and c.speakers_changed and not c.moved for c in diff.changes)


def test_new_and_cancelled_talks_and_an_unchanged_programme() -> None:
    old = meeting_of(talk(1, 0, uid="a"), talk(2, 30, uid="b"))
    new = meeting_of(talk(1, 0, uid="a"), talk(3, 60, uid="c"))
    diff = diff_meetings(old, new)
    assert [(c.added, c.cancelled, c.latest.title) for c in diff.changes] == [
        (True, False, "Talk 3"),
        (False, True, "Talk 2"),
    ]
    assert not diff_meetings(old, old)
    assert diff.counts == {
        "added": 1,
        "cancelled": 1,
        "moved": 0,
        "retitled": 0,
        "rehoused": 0,
        "speakers_changed": 0,
    }


def test_talks_without_a_source_id_are_matched_by_key() -> None:
    old = meeting_of(talk(1, 0), talk(2, 30))
    new = meeting_of(talk(1, 0), talk(2, 45))
    [change] = diff_meetings(old, new).changes
    assert change.moved and change.latest.identity == "key:talk-2"


def test_only_changes_still_to_come_are_upcoming() -> None:
    old = meeting_of(talk(1, 0, uid="a"), talk(2, 120, uid="b"))
    new = meeting_of(talk(1, 5, uid="a"), talk(2, 130, uid="b"))
    diff = diff_meetings(old, new)
    assert len(diff.upcoming(T0 - timedelta(hours=1)).changes) == 2
    # Talk 1 is over (it ended at 09:25 at the latest); talk 2 is still to come.
    later = diff.upcoming(T0 + timedelta(minutes=60))
    assert [c.latest.identity for c in later.changes] == ["uid:b"]
    assert not diff.upcoming(T0 + timedelta(hours=5))


def test_states_survive_the_store() -> None:
    meeting = meeting_of(talk(1, 0, uid="a", room="Salle Fermat"), talk(2, 30))
    states = programme_state(meeting)
    assert load_states(dump_states(states)) == states
    assert load_states("") == ()


def test_the_notice_says_each_change_in_the_meetings_language() -> None:
    old = meeting_of(talk(1, 0, uid="a"), talk(2, 30, uid="b"), talk(3, 60, uid="c"))
    new = meeting_of(
        talk(1, 0, uid="a", title="Talk one"), talk(2, 150, uid="b"), talk(4, 90, uid="d")
    )
    diff = diff_meetings(old, new)
    english = render_notice(new, diff, Translator("en"))
    assert "Moved: **Talk 2** now `11:30`" in english and "(was `09:30`)" in english
    assert "Retitled: **Talk 1** is now **Talk one**" in english
    assert "New: **Talk 4** at `10:30`" in english
    assert "Cancelled: **Talk 3**" in english
    french = render_notice(new, diff, Translator("fr"))
    assert "Déplacé" in french and "Annulé" in french and "Nouveau" in french


def test_a_long_notice_stays_within_discords_limit_and_counts_the_rest() -> None:
    many = [
        talk(n, n, uid=f"u{n}", title=f"A rather long title number {n} " * 3) for n in range(80)
    ]
    old = meeting_of(*many)
    new = meeting_of(*(replace(t, start=t.start + timedelta(hours=1)) for t in many))
    text = render_notice(new, diff_meetings(old, new), Translator("en"))
    assert len(text) <= MESSAGE_LIMIT
    assert "more changes" in text and text.endswith("/programme")


def test_the_preview_says_when_the_notice_goes_or_that_it_is_held() -> None:
    old = meeting_of(talk(1, 0, uid="a"))
    new = meeting_of(talk(1, 10, uid="a"))
    diff = diff_meetings(old, new)
    tr = Translator("en")
    due = T0 - timedelta(hours=1)
    assert f"<t:{int(due.timestamp())}:R>" in render_preview(new, diff, due, False, tr)
    assert render_preview(new, diff, None, True, tr).startswith("Held:")
    assert render_preview(new, ProgrammeDiff(), None, False, tr).startswith("Nothing to announce")


@pytest.mark.parametrize("multi_day", [False, True])
def test_plain_lines_for_the_command_line(multi_day: bool) -> None:
    old = meeting_of(talk(1, 0, uid="a"), talk(2, 30, uid="b"))
    shift = timedelta(days=1 if multi_day else 0, minutes=15)
    new = meeting_of(talk(1, 0, uid="a"), replace(talk(2, 30, uid="b"), start=T0 + shift))
    [line] = plain_lines(new, diff_meetings(old, new))
    day = "2024-05-03" if multi_day else "2024-05-02"
    assert line == f"changed: Talk 2: moved 2024-05-02 09:30 → {day} 09:15"


def test_a_hand_written_talk_retitled_at_the_same_time_is_retitled_not_replaced() -> None:
    old = meeting_of(talk(1, 0), talk(2, 30))
    new = meeting_of(talk(1, 0), replace(talk(2, 30, title="Talk two"), key="talk-two"))
    [change] = diff_meetings(old, new).changes
    assert change.retitled and not change.added and not change.cancelled
    assert change.before is not None and change.before.title == "Talk 2"


def test_two_talks_retitled_at_one_start_in_two_rooms_are_not_confused() -> None:
    old = meeting_of(talk(1, 0, room="A", title="Alpha"), talk(2, 0, room="B", title="Beta"))
    new = meeting_of(
        replace(talk(1, 0, room="A", title="Alpha v2"), key="alpha-v2"),
        replace(talk(2, 0, room="B", title="Beta v2"), key="beta-v2"),
    )
    diff = diff_meetings(old, new)
    assert [(c.before and c.before.title, c.latest.title) for c in diff.changes] == [
        ("Alpha", "Alpha v2"),
        ("Beta", "Beta v2"),
    ]
    assert not any(c.rehoused or c.cancelled for c in diff.changes)


def test_a_refresh_says_what_changed_and_what_the_import_warned_of() -> None:
    from bot.changes.render import render_refresh

    old = meeting_of(talk(1, 0, uid="a"))
    new = meeting_of(talk(1, 10, uid="a"))
    tr = Translator("en")
    text = render_refresh(new, diff_meetings(old, new), "", tr, ("*Talk 9* has no duration",))
    assert text.startswith("Refreshed from its meeting file: 1 talk changed.")
    assert text.endswith("1 warning:\n- \\*Talk 9\\* has no duration")
    failed = render_refresh(new, ProgrammeDiff(), "HTTP 503", tr, ("ignored",))
    assert failed == "The programme could not be refreshed, so it stays as it was:\nHTTP 503"


def test_a_meeting_of_several_days_is_offered_with_its_dates() -> None:
    from cogs.programme import _dates

    one = meeting_of(talk(1, 0))
    assert _dates(one) == "2024-05-02"
    later = replace(
        one,
        sessions=(
            *one.sessions,
            replace(
                one.sessions[0], start=T0 + timedelta(days=2), end=T0 + timedelta(days=2, hours=1)
            ),
        ),
    )
    assert _dates(later) == "2024-05-02 – 2024-05-04"
