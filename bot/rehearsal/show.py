"""The transcript for people: live in the terminal, and as a Markdown or HTML file to share."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.text import Text

from bot.core.i18n import Translator
from bot.rehearsal.reading import ENGLISH
from bot.rehearsal.transcript import DM_KIND, NOTE, REPLY, Entry

STYLES = {DM_KIND: "magenta", REPLY: "yellow", NOTE: "dim italic"}
INDENT = 6
#: Rich wraps lines at any whitespace, no-break spaces included, and French puts one before
#: ":", ";", "!" and "?": while it wraps, they stand as characters it keeps together.
GLUED = str.maketrans({"\u202f": "\ue000", "\u00a0": "\ue001"})
UNGLUED = str.maketrans({"\ue000": "\u202f", "\ue001": "\u00a0"})


def wrap(console: Console, text: Text, width: int) -> list[Text]:
    """`text` in lines of at most `width` cells, never broken at a no-break space."""
    glued = text.copy()
    glued.plain = text.plain.translate(GLUED)  # as long as before: the styles stay in place
    lines = list(glued.wrap(console, width))
    for line in lines:
        line.plain = line.plain.translate(UNGLUED)
        line.rstrip()
    return lines


class Live:
    """Prints each entry as it comes: the meeting's time, where, then the message."""

    def __init__(self, console: Console, tr: Translator = ENGLISH) -> None:
        self.console = console
        self.tr = tr

    def entry(self, entry: Entry) -> None:
        head = Text.assemble(
            (f"{entry.at:%H:%M}  ", "dim"), (entry.place, STYLES.get(entry.kind, "cyan bold"))
        )
        if entry.pings:
            head.append(f"  ({pinged(entry, self.tr)})", "red")
        if entry.kind == NOTE:
            self.paragraph(
                Text.assemble((f"{entry.at:%H:%M}  ", "dim"), (entry.text, "dim italic"))
            )
            return
        self.paragraph(head)
        self.indented(Text(entry.text))
        if entry.buttons:
            self.indented(Text("  ".join(f"[ {label} ]" for label in entry.buttons), "bold"))

    def repeats(self, entry: Entry) -> None:
        note = "↳ " + self.tr.gettext(
            "the DM of {time} ({place}) went to {count} members",
            time=f"{entry.at:%H:%M}",
            place=entry.place,
            count=entry.also + 1,
        )
        self.indented(Text(note, "dim"))

    def indented(self, text: Text) -> None:
        """`text` wrapped to the terminal, each line indented, none padded with spaces."""
        width = max(self.console.width - INDENT, 20)
        for line in wrap(self.console, text, width):
            self.console.print(Text(" " * INDENT) + line, soft_wrap=True)

    def paragraph(self, text: Text | str) -> None:
        """`text` wrapped to the terminal (a string is printed as it is, without markup)."""
        for line in wrap(
            self.console, Text(text) if isinstance(text, str) else text, self.console.width
        ):
            self.console.print(line, soft_wrap=True)


def pinged(entry: Entry, tr: Translator) -> str:
    return tr.gettext("pings {who}", who=", ".join(entry.pings))


def same_dm(entry: Entry, tr: Translator) -> str:
    return tr.gettext("The same DM went to {count} members in all.", count=entry.also + 1)


def markdown(
    title: str, entries: Sequence[Entry], summary: Sequence[str], tr: Translator = ENGLISH
) -> str:
    """The transcript as Markdown: a heading per message, its text quoted."""
    out = [f"# {title}", ""]
    for entry in entries:
        if entry.kind == NOTE:
            out += [f"*{entry.at:%H:%M} — {entry.text}*", ""]
            continue
        pings = f" ({pinged(entry, tr)})" if entry.pings else ""
        out += [f"**{entry.at:%H:%M} · {entry.place}**{pings}", ""]
        out += [f"> {line}" if line else ">" for line in entry.text.splitlines()]
        if entry.buttons:
            out += [">", "> " + " ".join(f"`[ {b} ]`" for b in entry.buttons)]
        if entry.also:
            out += ["", f"*{same_dm(entry, tr)}*"]
        out.append("")
    out += [f"## {tr.gettext('Summary')}", ""] + [
        line if line.startswith("  ") else f"- {line}" for line in summary
    ]
    return "\n".join(out) + "\n"


PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
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
<h2>{summary_title}</h2>
<ul>{summary}</ul>
</body></html>
"""


def page(
    title: str, entries: Sequence[Entry], summary: Sequence[str], tr: Translator = ENGLISH
) -> str:
    """The transcript as a standalone HTML page."""
    parts = []
    for entry in entries:
        time = f'<span class="time">{entry.at:%H:%M}</span>'
        if entry.kind == NOTE:
            parts.append(f'<p class="entry note">{time}{html.escape(entry.text)}</p>')
            continue
        pings = (
            f' <span class="ping">{html.escape(pinged(entry, tr))}</span>' if entry.pings else ""
        )
        buttons = "".join(f'<span class="button">{html.escape(b)}</span>' for b in entry.buttons)
        also = f"<p><em>{html.escape(same_dm(entry, tr))}</em></p>" if entry.also else ""
        parts.append(
            f'<div class="entry {entry.kind}"><div class="head">{time}{html.escape(entry.place)}'
            f'{pings}</div><div class="text">{html.escape(entry.text)}</div>{buttons}{also}</div>'
        )
    items = "".join(f"<li>{html.escape(line.strip().removeprefix('- '))}</li>" for line in summary)
    return PAGE.format(
        lang=tr.language,
        title=html.escape(title),
        entries="\n".join(parts),
        summary_title=html.escape(tr.gettext("Summary")),
        summary=items,
    )


def write(
    path: Path,
    title: str,
    entries: Sequence[Entry],
    summary: Sequence[str],
    tr: Translator = ENGLISH,
) -> None:
    """Markdown, or HTML when the file's name ends in .html or .htm."""
    if path.suffix.lower() in (".html", ".htm"):
        path.write_text(page(title, entries, summary, tr), encoding="utf-8")
    else:
        path.write_text(markdown(title, entries, summary, tr), encoding="utf-8")
