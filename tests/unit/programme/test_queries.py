"""Pure programme queries on the shipped meeting: /now at five moments, search, active meeting."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.programme.files import load_meeting_file
from bot.programme.model import DayPhase, choose_active, now_and_next, search_talks
from tests.support.paths import SHIPPED_MEETING


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
