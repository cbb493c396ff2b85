"""The doctor's findings as a pasted report reads them: one plain row each, no word wrapped."""

from __future__ import annotations

import io

from rich.console import Console

from bot.doctor.checks import FAIL, OK, Finding
from bot.doctor.show import table

FINDINGS = [
    Finding("token", OK, "valid: the bot is Amphi#1234 (application 1012345678901234)"),
    Finding(
        "permissions",
        FAIL,
        "the bot's role lacks Manage Roles, Mention Everyone and Create Public Threads",
        "Server Settings → Roles → Amphi: turn on Manage Roles, Mention Everyone and Create "
        "Public Threads",
    ),
]


def test_without_a_terminal_each_finding_is_one_plain_row() -> None:
    out = io.StringIO()
    table(FINDINGS, Console(file=out, width=80, highlight=False))
    lines = out.getvalue().splitlines()
    assert lines[0] == "check | status | detail | how to fix"
    assert lines[1] == f"token | {OK} | {FINDINGS[0].detail}"  # no fix: no empty cell
    assert lines[2] == " | ".join(("permissions", FAIL, FINDINGS[1].detail, FINDINGS[1].fix))
    assert lines[3].startswith("1 check(s) failed")
    assert len(lines) == 4


def test_at_a_terminal_the_findings_make_a_table() -> None:
    out = io.StringIO()
    table(FINDINGS, Console(file=out, width=200, force_terminal=True, highlight=False))
    assert out.getvalue().startswith("┏━")  # a framed table, not rows
