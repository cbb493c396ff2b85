"""The doctor's table: check, status, how to fix."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from bot.doctor.checks import FAIL, OK, WARN, Finding

STYLES = {OK: "green", WARN: "yellow", FAIL: "bold red"}


def table(findings: Sequence[Finding], console: Console | None = None) -> None:
    """Print the findings, then one line that says whether the set-up is ready."""
    console = console or Console(highlight=False)
    shown = Table("check", "status", "detail", "how to fix", show_lines=False)
    for finding in findings:
        status = f"[{STYLES[finding.status]}]{finding.status}[/]"
        shown.add_row(finding.check, status, finding.detail, finding.fix, end_section=False)
    console.print(shown)
    failed = sum(f.status == FAIL for f in findings)
    warned = sum(f.status == WARN for f in findings)
    if failed:
        console.print(f"{failed} check(s) failed, {warned} warning(s): fix them, then run again.")
    else:
        console.print(f"Ready: every check passed ({warned} warning(s)).")
