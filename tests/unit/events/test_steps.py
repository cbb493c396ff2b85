"""What a sync pass does through the meeting day (pure): events started and ended when due,
the stops first, sessions under way, removed claims, and edits that send only what changed."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.events.model import EntityType, EventStatus, Place, plan_events
from bot.events.steps import LEAD, Cancel, Create, End, Start, Update, changes, reconcile
from bot.programme.model import EventScope, EventSettings
from tests.unit.events.test_model import BOT, MEETING, PLANS, listed, stored

STAGE = Place(EntityType.STAGE_INSTANCE, 7)
STAGED = plan_events(MEETING, STAGE)
FIRST, SECOND = STAGED
ACTIVE, SCHEDULED = EventStatus.ACTIVE, EventStatus.SCHEDULED


def test_a_stage_event_is_started_once_under_way_and_ended_once_over() -> None:
    rows = {p.key: stored(p, i) for i, p in enumerate(STAGED, start=1)}
    late = FIRST.start + timedelta(minutes=20)  # whatever became of the start post
    events = {1: listed(FIRST, 1), 2: listed(SECOND, 2)}
    assert reconcile(STAGED, rows, events, now=late, bot_id=BOT) == [Start(FIRST, 1)]
    over = FIRST.end + timedelta(minutes=20)
    events = {1: listed(FIRST, 1, ACTIVE), 2: listed(SECOND, 2)}
    assert reconcile(STAGED, rows, events, now=over, bot_id=BOT) == [End(FIRST, 1, True)]
    never_started = {1: listed(FIRST, 1), 2: listed(SECOND, 2)}
    assert reconcile(STAGED, rows, never_started, now=over, bot_id=BOT) == [End(FIRST, 1, False)]


def test_back_to_back_the_end_comes_before_the_start() -> None:
    first = replace(FIRST, end=SECOND.start)
    plans = [first, SECOND]
    rows = {p.key: stored(p, i) for i, p in enumerate(plans, start=1)}
    events = {1: listed(first, 1, ACTIVE), 2: listed(SECOND, 2)}
    actions = reconcile(plans, rows, events, now=SECOND.start, bot_id=BOT)
    assert actions == [End(first, 1, True), Start(SECOND, 2)]


def test_events_at_the_venue_are_left_to_discord_to_start_and_end() -> None:
    rows = {p.key: stored(p, i) for i, p in enumerate(PLANS, start=1)}
    events = {1: listed(PLANS[0], 1), 2: listed(PLANS[1], 2)}
    during = PLANS[0].start + timedelta(minutes=5)
    assert reconcile(PLANS, rows, events, now=during, bot_id=BOT) == []


def test_a_session_under_way_without_an_event_gets_one_starting_now() -> None:
    during = FIRST.start + timedelta(minutes=30)
    assert reconcile(STAGED, {}, {}, now=during, bot_id=BOT) == [
        Create(FIRST, during + LEAD),
        Create(SECOND),
    ]
    nearly_over = FIRST.end - LEAD
    assert reconcile(STAGED, {}, {}, now=nearly_over, bot_id=BOT) == [Create(SECOND)]


def test_on_a_fast_clock_a_session_under_way_starts_as_far_ahead_as_a_request_takes() -> None:
    during = FIRST.start + timedelta(minutes=30)
    lead = timedelta(minutes=20)  # two seconds of a rehearsal at 600 times real speed
    assert reconcile(STAGED, {}, {}, now=during, bot_id=BOT, lead=lead) == [
        Create(FIRST, during + lead),
        Create(SECOND),
    ]
    # Within the lead of its end, no event is made for it.
    assert reconcile(STAGED, {}, {}, now=FIRST.end - lead, bot_id=BOT, lead=lead) == [
        Create(SECOND)
    ]


def test_a_claim_whose_session_was_removed_cancels_the_event_it_made() -> None:
    claimed = {FIRST.key: stored(FIRST, None, status="creating", digest="")}
    made = {9: listed(FIRST, 9)}
    assert reconcile([], claimed, made, now=FIRST.start - LEAD * 60, bot_id=BOT) == [
        Cancel(claimed[FIRST.key], 9, False)
    ]
    assert reconcile([], claimed, {}, now=FIRST.start, bot_id=BOT) == [
        Cancel(claimed[FIRST.key], None, False)
    ]


def test_an_edit_sends_only_what_changed_and_no_start_in_the_past() -> None:
    before = FIRST.start - timedelta(hours=2)
    moved = replace(FIRST, start=FIRST.start + timedelta(hours=1), description="new")
    sent = changes(moved, listed(FIRST, 1), before)
    assert sent == {"description": "new", "scheduled_start_time": moved.start.isoformat()}
    during = FIRST.start + timedelta(minutes=10)
    earlier = replace(FIRST, start=FIRST.start - timedelta(hours=1))
    later_event = listed(replace(FIRST, start=FIRST.start + timedelta(hours=1)), 1)
    assert changes(earlier, later_event, during) == {
        "scheduled_start_time": (during + LEAD).isoformat()
    }
    assert changes(earlier, listed(FIRST, 1), during) == {}  # its start is past: left
    assert changes(moved, listed(FIRST, 1, ACTIVE), during) == {"description": "new"}


def test_an_edit_under_way_comes_before_the_start() -> None:
    rows = {FIRST.key: stored(FIRST, 1, digest="old")}
    renamed = replace(FIRST, name="Renamed")
    during = FIRST.start + timedelta(minutes=10)
    actions = reconcile([renamed], rows, {1: listed(FIRST, 1)}, now=during, bot_id=BOT)
    assert actions == [Update(renamed, 1, {"name": "Renamed"}), Start(renamed, 1)]


def test_a_change_of_scope_under_way_ends_the_old_events_and_makes_the_new_one() -> None:
    day_meeting = replace(MEETING, events=EventSettings(EventScope.DAY))
    [day] = plan_events(day_meeting, STAGE)
    rows = {p.key: stored(p, i) for i, p in enumerate(STAGED, start=1)}
    events = {1: listed(FIRST, 1, ACTIVE), 2: listed(SECOND, 2)}
    during = FIRST.start + timedelta(minutes=30)
    assert reconcile([day], rows, events, now=during, bot_id=BOT) == [
        Cancel(rows[FIRST.key], 1, True),
        Cancel(rows[SECOND.key], 2, False),
        Create(day, during + LEAD),
    ]
