"""The budget for answering in the first response follows the round trips it sees."""

from __future__ import annotations

import pytest

from bot.core.answer_budget import AnswerBudget


def test_the_budget_starts_at_the_floor_and_follows_round_trips() -> None:
    budget = AnswerBudget()
    assert budget.seconds() == budget.floor
    budget.observe(0.120)
    assert budget.seconds() == pytest.approx(0.090)
    for _ in range(100):
        budget.observe(0.001)  # Discord next door: the floor
    assert budget.seconds() == budget.floor


def test_the_budget_never_nears_discords_deadline() -> None:
    budget = AnswerBudget()
    for _ in range(50):
        budget.observe(2.5)
    assert budget.seconds() == budget.ceiling < 0.5


def test_one_slow_round_trip_moves_the_average_a_little() -> None:
    budget = AnswerBudget()
    budget.observe(0.100)
    budget.observe(1.100)
    assert budget.round_trip == pytest.approx(0.200)
