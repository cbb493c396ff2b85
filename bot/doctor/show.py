"""The doctor's table: check, status, how to fix."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from bot.doctor.checks import FAIL, OK, WARN, Finding

STYLES = {OK: "green", WARN: "yellow", FAIL: "bold red"}
HEADINGS = ("check", "status", "detail", "how to fix")


def table(findings: Sequence[Finding], console: Console | None = None) -> None:
    """Print the findings, then one line that says whether the set-up is ready.

    At a terminal they make a table; elsewhere (a file, a pipe, a pasted report) one plain row
    each, since a table there wraps its words across lines ("Manage" above "Roles").
    """
    console = console or Console(highlight=False)
    if console.is_terminal:
        shown = Table(*HEADINGS, show_lines=False)
        for finding in findings:
            status = f"[{STYLES[finding.status]}]{finding.status}[/]"
            shown.add_row(finding.check, status, finding.detail, finding.fix, end_section=False)
        console.print(shown)
    else:
        for row in (HEADINGS, *((f.check, f.status, f.detail, f.fix) for f in findings)):
            console.out(" | ".join(row).removesuffix(" | "), highlight=False)
    failed = sum(f.status == FAIL for f in findings)
    warned = sum(f.status == WARN for f in findings)
    if failed:
        console.out(
            f"{failed} check(s) failed, {warned} warning(s): fix them, then run again.",
            highlight=False,
        )
    else:
        console.out(f"Ready: every check passed ({warned} warning(s)).", highlight=False)
