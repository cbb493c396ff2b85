"""The seat rule and its companions: pure functions, tested without a store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.i18n import Translator
from bot.programme.files import load_meeting_file
from bot.registration.model import (
    CHANGE_LIMIT_WINDOW,
    Mode,
    RegistrationClosed,
    RemoteFull,
    Room,
    Status,
    TooManyChanges,
    check_changes,
    place,
    registration_open,
    room_capacity,
    seats_to_give,
)
from tests.support.paths import SHIPPED_MEETING


@pytest.fixture(scope="module")
def meeting():
    return load_meeting_file(SHIPPED_MEETING)


@pytest.mark.parametrize(
    ("seated", "capacity", "expected"),
    [
        (0, 600, Status.CONFIRMED),
        (599, 600, Status.CONFIRMED),
        (600, 600, Status.WAITLISTED),
        (650, 600, Status.WAITLISTED),
        (0, 0, Status.WAITLISTED),
    ],
)
def test_in_person_gets_a_seat_while_the_room_has_one(seated, capacity, expected) -> None:
    status = place(
        Mode.IN_PERSON, seated=seated, capacity=capacity, remote=10**6, remote_capacity=1
    )
    assert status is expected


def test_remote_is_confirmed_without_a_limit_and_refused_once_the_places_are_taken() -> None:
    assert place(Mode.REMOTE, seated=600, capacity=600, remote=10**6, remote_capacity=None) is (
        Status.CONFIRMED
    )
    assert place(Mode.REMOTE, seated=0, capacity=0, remote=49, remote_capacity=50) is (
        Status.CONFIRMED
    )
    with pytest.raises(RemoteFull):
        place(Mode.REMOTE, seated=0, capacity=600, remote=50, remote_capacity=50)


def test_freed_seats_go_to_the_waitlist_and_a_lowered_capacity_bumps_nobody() -> None:
    assert seats_to_give(seated=598, capacity=600) == 2
    assert seats_to_give(seated=600, capacity=600) == 0
    assert seats_to_give(seated=600, capacity=500) == 0


def test_a_room_seats_first_come_then_queues_in_order() -> None:
    room = Room(capacity=2, remote_capacity=None, seated=1, waiting=0, last_queue_number=7)
    room, first = room.join(Mode.IN_PERSON)
    room, second = room.join(Mode.IN_PERSON)
    room, third = room.join(Mode.IN_PERSON)
    assert first.status is Status.CONFIRMED and first.queue_number is None
    assert (second.status, second.queue_number, second.position) == (Status.WAITLISTED, 8, 1)
    assert (third.status, third.queue_number, third.position) == (Status.WAITLISTED, 9, 2)
    assert (room.seated, room.waiting, room.remote) == (2, 2, 0)


def test_a_room_refuses_remote_once_its_places_are_taken_and_changes_nothing() -> None:
    room = Room(capacity=0, remote_capacity=1)
    room, seat = room.join(Mode.REMOTE)
    assert seat.status is Status.CONFIRMED and room.remote == 1
    with pytest.raises(RemoteFull):
        room.join(Mode.REMOTE)
    assert room.remote == 1


def test_a_freed_seat_goes_to_the_first_in_line_and_never_more() -> None:
    room = Room(capacity=2, remote_capacity=None, seated=2, waiting=3)
    room = room.leave(Mode.IN_PERSON, Status.CONFIRMED)
    room, chosen = room.promote(["first", "second", "third"])
    assert chosen == ["first"]
    assert (room.seated, room.waiting) == (2, 2)
    room, chosen = room.with_capacity(5).promote(["second", "third"])
    assert chosen == ["second", "third"] and (room.seated, room.waiting) == (4, 0)


def test_a_lowered_capacity_bumps_nobody() -> None:
    room = Room(capacity=3, remote_capacity=None, seated=3, waiting=2).with_capacity(1)
    room, chosen = room.promote(["waiting"])
    assert chosen == [] and (room.seated, room.waiting) == (3, 2)
    room, seat = room.leave(Mode.IN_PERSON, Status.CONFIRMED).join(Mode.IN_PERSON)
    assert seat.status is Status.WAITLISTED  # 2 seated in a room of 1: still full


def test_leaving_frees_what_was_held() -> None:
    room = Room(capacity=1, remote_capacity=1, seated=1, waiting=1, remote=1)
    assert room.leave(Mode.IN_PERSON, Status.WAITLISTED).waiting == 0
    assert room.leave(Mode.REMOTE, Status.CONFIRMED).remote == 0
    assert room.leave(Mode.IN_PERSON, Status.CONFIRMED).free_seats == 1


def test_the_organizers_capacity_wins_over_the_files(meeting) -> None:
    assert room_capacity(meeting, override=None) == meeting.capacity
    assert room_capacity(meeting, override=12) == 12
    assert room_capacity(meeting, override=0) == 0


def test_registration_follows_the_organizers_then_the_deadline(meeting) -> None:
    deadline = meeting.registration_deadline
    before, after = deadline - timedelta(minutes=1), deadline + timedelta(minutes=1)
    assert registration_open(meeting, state="auto", now=before)
    assert not registration_open(meeting, state="auto", now=deadline)
    assert registration_open(meeting, state="open", now=after)
    assert not registration_open(meeting, state="closed", now=before)


def test_the_closed_refusal_shows_the_closing_time_as_a_discord_timestamp(meeting) -> None:
    closed = meeting.registration_deadline
    text = RegistrationClosed(closed).user_message(Translator("en"))
    assert f"<t:{int(closed.timestamp())}:f>" in text


def test_the_change_limit_counts_the_last_ten_minutes_only() -> None:
    now = datetime(2021, 6, 1, 9, 30, tzinfo=UTC)
    four = [now - timedelta(minutes=m) for m in (3, 1, 4, 2)]
    check_changes(four, now=now)
    check_changes([*four, now - CHANGE_LIMIT_WINDOW], now=now)  # that one just left the window
    with pytest.raises(TooManyChanges) as refused:
        check_changes([now - timedelta(minutes=9), *four, now - timedelta(hours=1)], now=now)
    retry_at = now + timedelta(minutes=1)  # when the change of 9 minutes ago leaves the window
    text = refused.value.user_message(Translator("fr"))
    assert "5 fois ces 10 dernières minutes" in text and "/mon-inscription" in text
    assert f"à <t:{int(retry_at.timestamp())}:t> (<t:{int(retry_at.timestamp())}:R>)" in text
