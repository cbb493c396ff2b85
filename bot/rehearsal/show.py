"""The transcript for people: live in the terminal, and as a Markdown or HTML file to share."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.text import Text

from bot.rehearsal.transcript import DM_KIND, NOTE, REPLY, Entry

STYLES = {DM_KIND: "magenta", REPLY: "yellow", NOTE: "dim italic"}
INDENT = 6


class Live:
    """Prints each entry as it comes: the meeting's time, where, then the message."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def entry(self, entry: Entry) -> None:
        head = Text.assemble(
            (f"{entry.at:%H:%M}  ", "dim"), (entry.place, STYLES.get(entry.kind, "cyan bold"))
        )
        if entry.pings:
            head.append(f"  (pings {', '.join(entry.pings)})", "red")
        if entry.kind == NOTE:
            self.console.print(
                Text.assemble((f"{entry.at:%H:%M}  ", "dim"), (entry.text, "dim italic"))
            )
            return
        self.console.print(head)
        self.indented(Text(entry.text))
        if entry.buttons:
            self.indented(Text("  ".join(f"[ {label} ]" for label in entry.buttons), "bold"))

    def repeats(self, entry: Entry) -> None:
        note = f"↳ the DM of {entry.at:%H:%M} ({entry.place}) went to {entry.also + 1} members"
        self.indented(Text(note, "dim"))

    def indented(self, text: Text) -> None:
        """`text` wrapped to the terminal, each line indented, none padded with spaces."""
        width = max(self.console.width - INDENT, 20)
        for line in text.wrap(self.console, width):
            line.rstrip()
            self.console.print(Text(" " * INDENT) + line, soft_wrap=True)


def markdown(title: str, entries: Sequence[Entry], summary: Sequence[str]) -> str:
    """The transcript as Markdown: a heading per message, its text quoted."""
    out = [f"# {title}", ""]
    for entry in entries:
        if entry.kind == NOTE:
            out += [f"*{entry.at:%H:%M} — {entry.text}*", ""]
            continue
        pinged = f" (pings {', '.join(entry.pings)})" if entry.pings else ""
        out += [f"**{entry.at:%H:%M} · {entry.place}**{pinged}", ""]
        out += [f"> {line}" if line else ">" for line in entry.text.splitlines()]
        if entry.buttons:
            out += [">", "> " + " ".join(f"`[ {b} ]`" for b in entry.buttons)]
        if entry.also:
            out += ["", f"*The same DM went to {entry.also + 1} members in all.*"]
        out.append("")
    out += ["## Summary", ""] + [line if line.startswith("  ") else f"- {line}" for line in summary]
    return "\n".join(out) + "\n"


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; color: #222; }}
.entry {{ margin: 0 0 1rem; }} .head {{ font-weight: 600; }}
.time {{ color: #777; margin-right: .6rem; }}
.post .head {{ color: #2a5db0; }} .dm .head {{ color: #8a2ba0; }}
.reply .head {{ color: #9a6a00; }} .note {{ color: #666; font-style: italic; }}
.ping {{ color: #b00020; font-weight: 400; }}
.text {{ white-space: pre-wrap; border-left: 3px solid #ddd; padding: .2rem .8rem;
  margin: .3rem 0; }}
.button {{ display: inline-block; border: 1px solid #999; border-radius: 4px;
  padding: .1rem .5rem; margin-right: .4rem; font-size: .9rem; }}
</style></head><body>
<h1>{title}</h1>
{entries}
<h2>Summary</h2>
<ul>{summary}</ul>
</body></html>
"""


def page(title: str, entries: Sequence[Entry], summary: Sequence[str]) -> str:
    """The transcript as a standalone HTML page."""
    parts = []
    for entry in entries:
        time = f'<span class="time">{entry.at:%H:%M}</span>'
        if entry.kind == NOTE:
            parts.append(f'<p class="entry note">{time}{html.escape(entry.text)}</p>')
            continue
        pinged = (
            f' <span class="ping">pings {html.escape(", ".join(entry.pings))}</span>'
            if entry.pings
            else ""
        )
        buttons = "".join(f'<span class="button">{html.escape(b)}</span>' for b in entry.buttons)
        also = (
            f"<p><em>The same DM went to {entry.also + 1} members in all.</em></p>"
            if entry.also
            else ""
        )
        parts.append(
            f'<div class="entry {entry.kind}"><div class="head">{time}{html.escape(entry.place)}'
            f'{pinged}</div><div class="text">{html.escape(entry.text)}</div>{buttons}{also}</div>'
        )
    items = "".join(f"<li>{html.escape(line.strip().removeprefix('- '))}</li>" for line in summary)
    return PAGE.format(title=html.escape(title), entries="\n".join(parts), summary=items)


def write(path: Path, title: str, entries: Sequence[Entry], summary: Sequence[str]) -> None:
    """Markdown, or HTML when the file's name ends in .html or .htm."""
    if path.suffix.lower() in (".html", ".htm"):
        path.write_text(page(title, entries, summary), encoding="utf-8")
    else:
        path.write_text(markdown(title, entries, summary), encoding="utf-8")
