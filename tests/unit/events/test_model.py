"""Which scheduled events a programme calls for, and what a sync pass does (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.events.model import (
    DESCRIPTION_LIMIT,
    LOCATION_LIMIT,
    EntityType,
    EventStatus,
    ListedEvent,
    Place,
    StoredEvent,
    plan_events,
)
from bot.events.steps import Adopt, Cancel, Create, Done, Lost, Update, reconcile
from bot.programme.files import load_meeting_file
from bot.programme.model import EventScope, EventSettings, Person, Talk
from tests.support.paths import SHIPPED_MEETING
from tests.unit.programme.test_render import TWO_DAYS

MEETING = load_meeting_file(SHIPPED_MEETING)
BOT = 42
BEFORE = datetime(2021, 6, 1, tzinfo=UTC)
PLANS = plan_events(MEETING, Place())


def stored(plan, event_id=1, status="live", digest=None) -> StoredEvent:
    return StoredEvent(
        plan.key,
        event_id,
        status,
        plan.digest if digest is None else digest,
        plan.name,
        plan.start,
        plan.end,
    )


def listed(plan, event_id=1, status=EventStatus.SCHEDULED, creator=BOT) -> ListedEvent:
    """The plan's event as Discord lists it once made."""
    location = None if plan.place.live else plan.location
    return ListedEvent(
        event_id, plan.name, plan.start, status, creator, end=plan.end,
        description=plan.description, kind=plan.place.kind, channel_id=plan.place.channel_id,
        location=location,
    )  # fmt: skip


def test_sessions_and_the_day() -> None:
    assert [p.key for p in PLANS] == ["s-session-1", "s-session-2"]
    assert PLANS[0].payload()["entity_metadata"] == {"location": "Distanciel et présentiel"}
    day = replace(MEETING, events=EventSettings(EventScope.DAY))
    [whole] = plan_events(day, Place(EntityType.STAGE_INSTANCE, 7))
    assert (whole.key, whole.start, whole.end) == ("day", MEETING.start, MEETING.end)
    assert whole.payload()["channel_id"] == "7" and "entity_metadata" not in whole.payload()
    assert plan_events(replace(MEETING, events=EventSettings(EventScope.NONE)), Place()) == []


def test_a_long_session_is_described_within_discords_limit() -> None:
    session = MEETING.sessions[0]
    talks = tuple(
        Talk(f"t{i}", "A rather long title about deep networks " * 3, session.start, session.end,
             speakers=(Person("Somebody Withalongname"),))
        for i in range(40)
    )  # fmt: skip
    crowded = replace(MEETING, sessions=(replace(session, talks=talks),))
    [plan] = plan_events(crowded, Place())
    assert len(plan.description) <= DESCRIPTION_LIMIT
    shown = plan.description.count("\n") - 1  # the heading and the "… and N more" line
    assert plan.description.endswith(f"… and {40 - shown} more")


def test_a_first_pass_creates_what_is_still_to_come() -> None:
    assert reconcile(PLANS, {}, {}, now=BEFORE, bot_id=BOT) == [Create(p) for p in PLANS]
    between = MEETING.sessions[0].end
    assert reconcile(PLANS, {}, {}, now=between, bot_id=BOT) == [Create(PLANS[1])]


def test_an_unchanged_event_is_left_and_a_changed_one_edited() -> None:
    first, second = PLANS
    rows = {first.key: stored(first, 1), second.key: stored(second, 2, digest="old")}
    before = replace(second, description="old")
    events = {1: listed(first, 1), 2: listed(before, 2, EventStatus.ACTIVE)}
    assert reconcile(PLANS, rows, events, now=BEFORE, bot_id=BOT) == [
        Update(second, 2, {"description": second.description})
    ]


@pytest.mark.parametrize("recreate", [False, True])
def test_an_event_deleted_by_hand(recreate: bool) -> None:
    first, second = PLANS
    rows = {first.key: stored(first, 1), second.key: stored(second, 2)}
    actions = reconcile(
        PLANS, rows, {2: listed(second, 2)}, now=BEFORE, bot_id=BOT, recreate=recreate
    )
    assert actions == ([Create(first)] if recreate else [Lost(rows[first.key])])
    lost = {**rows, first.key: stored(first, 1, status="lost")}
    again = reconcile(
        PLANS, lost, {2: listed(second, 2)}, now=BEFORE, bot_id=BOT, recreate=recreate
    )
    assert again == ([Create(first)] if recreate else [])


def test_an_event_gone_after_its_end_is_done() -> None:
    first, second = PLANS
    rows = {first.key: stored(first, 1), second.key: stored(second, 2)}
    after_first = MEETING.sessions[0].end + timedelta(minutes=1)
    actions = reconcile(PLANS, rows, {2: listed(second, 2)}, now=after_first, bot_id=BOT)
    assert actions == [Done(rows[first.key])]


def test_a_session_gone_from_the_programme_is_cancelled_or_ended() -> None:
    first, second = PLANS
    rows = {first.key: stored(first, 1), second.key: stored(second, 2)}
    events = {1: listed(first, 1), 2: listed(second, 2, EventStatus.ACTIVE)}
    assert reconcile([], rows, events, now=BEFORE, bot_id=BOT) == [
        Cancel(rows[first.key], 1, False),
        Cancel(rows[second.key], 2, True),
    ]


def test_a_creation_a_crash_cut_short_is_adopted_not_repeated() -> None:
    first, _second = PLANS
    claimed = {first.key: stored(first, None, status="creating", digest="")}
    mine = {9: listed(first, 9)}
    actions = reconcile(PLANS[:1], claimed, mine, now=BEFORE, bot_id=BOT)
    assert actions == [Adopt(first, 9), Update(first, 9, {})]  # what it has is not sent again
    # Someone else's event of the same name is not the bot's to take.
    theirs = {9: listed(first, 9, creator=7)}
    assert reconcile(PLANS[:1], claimed, theirs, now=BEFORE, bot_id=BOT) == [Create(first)]


def test_an_event_of_the_bots_is_adopted_only_for_its_claim() -> None:
    """Another meeting's event of the same name (a series) is never taken over."""
    first, _second = PLANS
    elsewhere = {9: listed(first, 9)}
    assert reconcile(PLANS[:1], {}, elsewhere, now=BEFORE, bot_id=BOT) == [Create(first)]


def test_a_session_inserted_leaves_the_others_events_where_they_are() -> None:
    keynote = replace(MEETING.sessions[0], title="Keynote", talks=())
    edited = replace(MEETING, sessions=(keynote, *MEETING.sessions))
    plans = plan_events(edited, Place())
    assert [p.key for p in plans] == ["s-keynote", "s-session-1", "s-session-2"]
    rows = {p.key: stored(p, i) for i, p in enumerate(PLANS, start=1)}
    events = {i: listed(p, i) for i, p in enumerate(PLANS, start=1)}
    assert reconcile(plans, rows, events, now=BEFORE, bot_id=BOT) == [Create(plans[0])]


def test_an_edit_clears_what_the_other_kind_of_place_had() -> None:
    first = PLANS[0]
    assert first.payload(edit=True)["channel_id"] is None
    staged = plan_events(MEETING, Place(EntityType.STAGE_INSTANCE, 7))[0]
    assert staged.payload(edit=True)["entity_metadata"] is None
    assert "channel_id" not in first.payload() and "entity_metadata" not in staged.payload()


def test_a_session_in_a_room_is_at_the_venue_and_room() -> None:
    plans = plan_events(TWO_DAYS, Place())
    locations = [p.payload()["entity_metadata"] for p in plans]
    assert locations == [
        {"location": "Campus Nord — Amphi A"},
        {"location": "Campus Nord — Salle B"},
        {"location": "Campus Nord"},  # the posters' session has no room of its own
        {"location": "Campus Nord — Amphi A"},
        {"location": "Campus Nord — Salle B"},
    ]
    posters = plans[2].description.split("\n")
    assert posters[1:] == [
        "14:00 Talk p1 — Speaker p1 (Amphi A)",
        "14:00 Talk p2 — Speaker p2 (Salle B)",
    ]
    assert "(Amphi A)" not in plans[0].description  # the talks are in the session's room
    assert [p.start for p in plans[3:]] == [s.start for s in TWO_DAYS.sessions[3:]]
    roomless = plan_events(replace(TWO_DAYS, venue=""), Place())
    assert roomless[0].location == "Amphi A" and roomless[2].location == "Two days"


def test_a_long_venue_is_cut_before_the_room() -> None:
    far = replace(TWO_DAYS, venue="Centre international de rencontres mathématiques " * 4)
    plan = plan_events(far, Place())[0]
    assert len(plan.location) <= LOCATION_LIMIT
    assert plan.location.endswith("… — Amphi A")
    long_room = replace(TWO_DAYS.sessions[0], room="R" * 300)
    crowded = replace(far, sessions=(long_room,))
    assert len(plan_events(crowded, Place())[0].location) <= LOCATION_LIMIT


def test_the_day_of_two_days_lists_each_day_and_room() -> None:
    [whole] = plan_events(replace(TWO_DAYS, events=EventSettings(EventScope.DAY)), Place())
    lines = whole.description.split("\n")
    assert lines[:3] == ["Two days", "2021-06-28", "Morning A · Amphi A · 09:00–12:00"]
    assert "2021-06-29" in lines and "Evening · Salle B · 19:00–21:00" in lines
    assert "Posters · 14:00–16:00" in lines
    assert whole.location == "Campus Nord"
    assert (whole.start, whole.end) == (TWO_DAYS.start, TWO_DAYS.end)


def test_sessions_of_several_days_and_of_a_source_keep_their_own_keys() -> None:
    from bot.events.model import session_keys

    keys = session_keys(TWO_DAYS)
    assert len(set(keys)) == len(keys) and all(len(key) <= 20 for key in keys)
    days = [TWO_DAYS.local_day(s.start).day for s in TWO_DAYS.sessions]
    assert [key.endswith("-0629") for key in keys] == [day == 29 for day in days]
    # The same title on two days: each day's key is its own, whatever comes before it.
    first_day = [s for s in TWO_DAYS.sessions if TWO_DAYS.local_day(s.start).day == 28]
    later = session_keys(replace(TWO_DAYS, sessions=tuple(TWO_DAYS.sessions[len(first_day) :])))
    assert later == keys[len(first_day) :]
    with_id = replace(TWO_DAYS.sessions[0], uid="block-7@2021-06-28")
    keyed = session_keys(replace(TWO_DAYS, sessions=(with_id, *TWO_DAYS.sessions[1:])))
    assert keyed[0].startswith("s-") and len(keyed[0]) == 14 and keyed[1:] == keys[1:]
