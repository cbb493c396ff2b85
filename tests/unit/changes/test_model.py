"""The rules of change notices (pure): what attendees are owed, when a notice is planned, what
a notice froze at its first attempt, and whether its channel message may go."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.changes.model import (
    FrozenNotice,
    ImportCut,
    Notice,
    first_told,
    import_cut,
    notice_due,
    notice_number,
    notice_to_plan,
    what_changed,
)
from bot.posts.model import PostKind
from bot.programme.diff import programme_state
from tests.unit.programme.test_diff import T0, meeting_of, talk

OLD = meeting_of(talk(1, 0, uid="a"), talk(2, 30, uid="b"), talk(3, 60, uid="c"))
#: The first talk is retitled (past by `LATER`), the second moved, the third cancelled.
NEW = meeting_of(talk(1, 0, uid="a", title="Opening"), talk(2, 90, uid="b"))
LATER = T0 + timedelta(minutes=25)  # the first talk is over


def test_what_changed_is_told_from_what_attendees_know_to_the_programme_still_to_come() -> None:
    told = first_told(OLD)
    assert not what_changed(told, programme_state(OLD), T0)  # a first sight owes nothing
    before = what_changed(told, programme_state(NEW), T0)
    assert [c.latest.title for c in before.changes] == ["Opening", "Talk 2", "Talk 3"]
    later = what_changed(told, programme_state(NEW), LATER)
    assert [(c.moved, c.cancelled) for c in later.changes] == [(True, False), (False, True)]


def test_a_notice_is_planned_once_for_what_is_owed_unless_held() -> None:
    owed = what_changed(first_told(OLD), programme_state(NEW), T0)
    due = T0 + timedelta(minutes=3)
    post = notice_to_plan(NEW, owed, held=False, planned=None, count=2, due=due)
    assert post is not None and post.kind is PostKind.PROGRAMME_CHANGES
    assert (post.target, post.due, notice_number(post)) == ("n3", due, 3)
    # A burst of edits joins the notice planned; held, or with nothing owed, none is planned.
    assert notice_to_plan(NEW, owed, held=False, planned=post, count=3, due=due) is None
    assert notice_to_plan(NEW, owed, held=True, planned=None, count=2, due=due) is None
    nothing = what_changed(first_told(NEW), programme_state(NEW), T0)
    assert notice_to_plan(NEW, nothing, held=False, planned=None, count=2, due=due) is None


def test_a_frozen_notice_says_the_same_when_resumed_after_more_edits() -> None:
    frozen = FrozenNotice.first_attempt(first_told(OLD), NEW, T0)
    kept = FrozenNotice.from_dict(frozen.to_dict())
    assert kept == frozen and len(kept.diff.changes) == 3
    marked = kept.marked(posting=True).marked(message_id=42)
    assert (marked.posting, marked.message_id, marked.diff) == (True, 42, frozen.diff)
    # A notice frozen before `posting` was kept reads as not posting.
    older = {k: v for k, v in frozen.to_dict().items() if k != "posting"}
    assert FrozenNotice.from_dict(older) == frozen


def test_a_notice_posts_its_message_once_or_within_the_nonce_window() -> None:
    window = timedelta(minutes=4)
    frozen = FrozenNotice.first_attempt(first_told(OLD), NEW, T0)
    fresh = Notice(NEW, frozen, claimed_at=T0)
    assert fresh.may_post(T0 + timedelta(hours=1), window)  # never tried
    tried = replace(fresh, frozen=frozen.marked(posting=True))
    assert tried.may_post(T0 + timedelta(minutes=3), window)
    assert not tried.may_post(T0 + timedelta(minutes=5), window)
    assert not replace(tried, claimed_at=None).may_post(T0, window)
    posted = replace(fresh, frozen=frozen.marked(posting=True, message_id=7))
    assert not posted.may_post(T0, window) and posted.message_id == 7


def test_a_notice_goes_no_sooner_than_the_gap_after_the_last() -> None:
    gap = timedelta(minutes=30)
    due = T0 + timedelta(minutes=3)
    assert notice_due(due, None, gap) == due  # no notice yet
    assert notice_due(due, T0 - timedelta(minutes=10), gap) == T0 + timedelta(minutes=20)
    assert notice_due(due, T0 - timedelta(hours=1), gap) == due


def test_an_import_that_removes_a_quarter_of_the_talks_or_a_day_is_too_much() -> None:
    four = meeting_of(*(talk(n, 30 * n, uid=f"u{n}") for n in range(4)))
    one_gone = meeting_of(*(talk(n, 30 * n, uid=f"u{n}") for n in range(3)))
    assert import_cut(four, one_gone) == ImportCut(("Talk 3",), (), 4)
    assert not import_cut(four, one_gone).too_much  # a quarter exactly: the source's call
    two_gone = meeting_of(talk(0, 0, uid="u0"), talk(1, 30, uid="u1"))
    assert import_cut(four, two_gone).too_much
    # Matched by the source's id: a retitled talk is not removed.
    retitled = meeting_of(*(talk(n, 30 * n, uid=f"u{n}", title=f"New {n}") for n in range(4)))
    assert import_cut(four, retitled).removed == ()
    next_day = meeting_of(*(talk(n, 30 * n, uid=f"u{n}") for n in range(3)), talk(9, 24 * 60))
    cut = import_cut(next_day, meeting_of(*(talk(n, 30 * n, uid=f"u{n}") for n in range(3))))
    assert cut.days and cut.too_much  # one talk of four, but a whole day
