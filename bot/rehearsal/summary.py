"""The rehearsal's closing figures: what was sent and how late, who registered, the questions,
who was pinged, and anything that failed or could not be rehearsed."""

from __future__ import annotations

import logging
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.posts.model import PostKind
from bot.programme.model import Meeting
from bot.registration.model import CapacityFigures
from bot.rehearsal.reading import pings
from bot.services import Services
from fake_discord.server import FakeDiscord

SENT = ("sent", "late")
NUMBER = re.compile(r"\d{5,}")


@dataclass
class Summary:
    """What the summary says; `lines` writes it."""

    posts: Counter[str] = field(default_factory=Counter)  # planned posts by status
    lateness: list[float] = field(default_factory=list)  # seconds late at the claim, meeting clock
    posted: list[float] = field(default_factory=list)  # seconds late once delivered, meeting clock
    grace: timedelta = timedelta(minutes=5)
    speed: float = 1.0  # of the rehearsal's clock, to tell its seconds in real ones
    channel_posts: int = 0
    dms: int = 0
    replies: int = 0
    figures: CapacityFigures | None = None
    questions: dict[str, int] = field(default_factory=dict)
    votes: int = 0
    pings: Counter[str] = field(default_factory=Counter)
    # Amphi's own warnings: how many of each kind (the message before formatting), and the first
    warnings: Counter[str] = field(default_factory=Counter)
    warning_examples: dict[str, str] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    ready: datetime | None = None  # when the bot was ready, on the meeting's clock (local)
    not_rehearsed: list[str] = field(default_factory=list)

    @property
    def late_beyond_grace(self) -> int:
        return sum(1 for s in self.lateness if s > self.grace.total_seconds())

    def lines(self) -> list[str]:
        """The summary as text, one figure a line."""
        sent = sum(self.posts[s] for s in SENT)
        out = []
        if self.ready is not None:
            out.append(f"The bot was ready at {self.ready:%H:%M:%S} on the rehearsal's clock.")
        out += [
            f"Planned posts: {sent} of {sum(self.posts.values())} sent ({describe(self.posts)})."
        ]
        if self.lateness:
            sent_at, done_at = statistics.median(self.lateness), statistics.median(self.posted)
            out.append(
                f"Lateness on the meeting's clock: sent a median {sent_at:.0f} s after their time, "
                f"at most {max(self.lateness):.0f} s, {self.late_beyond_grace} beyond the "
                f"{self.grace.total_seconds() / 60:g}-minute grace; delivered (DMs included) a "
                f"median {done_at:.0f} s after, at most {max(self.posted):.0f} s "
                f"({max(self.posted) / self.speed:.1f} s of real time)."
            )
        out.append(
            f"Messages: {self.channel_posts} in channels and threads, {self.dms} DMs, "
            f"{self.replies} replies only their member saw."
        )
        if self.figures is not None:
            f = self.figures
            out.append(
                f"Registrations: {f.in_person} in the room (of {f.capacity} seats), {f.remote} "
                f"remote, {f.waitlist} on the waitlist; {f.members} network members."
            )
        if any(self.questions.values()):
            shown = ", ".join(f"{n} {status}" for status, n in sorted(self.questions.items()))
            out.append(f"Questions: {shown}; {self.votes} votes.")
        pinged = ", ".join(f"{who} ×{n}" for who, n in self.pings.most_common()) or "nobody"
        out.append(f"Pinged: {pinged}.")
        out.append("Failures: " + ("none." if not self.failures else f"{len(self.failures)}:"))
        out += [f"  - {failure}" for failure in self.failures]
        if self.warnings:
            out.append(f"Warnings logged: {sum(self.warnings.values())}:")
            out += [
                f"  - {self.warning_examples[kind]}"
                + (f" (and {n - 1} more like it)" if n > 1 else "")
                for kind, n in self.warnings.most_common(5)
            ]
        if self.not_rehearsed:
            out.append("Not rehearsed:")
            out += [f"  - {part}" for part in self.not_rehearsed]
        return out


def describe(counts: Counter[str]) -> str:
    return ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "none"


async def summarize(
    services: Services,
    meeting: Meeting,
    fake: FakeDiscord,
    log: list[logging.LogRecord],
) -> Summary:
    """The figures from the store, the double's records and the bot's own error log."""
    summary = Summary(
        grace=timedelta(minutes=meeting.reminders.grace_minutes),
        speed=getattr(services.clock, "speed", 1.0),
    )
    for record in await services.posts.timeline(meeting.slug):
        if record.post.kind is PostKind.ANNOUNCEMENT and record.status == "cancelled":
            continue
        summary.posts[record.status] += 1
        if record.status in SENT:
            claimed = await services.posts.claimed_at(record.post.key)
            if claimed is not None and record.done_at is not None:
                summary.lateness.append(max((claimed - record.post.due).total_seconds(), 0.0))
                summary.posted.append(max((record.done_at - record.post.due).total_seconds(), 0.0))
    dms = {dm.id for dm in fake.state.dm_channels.values()}
    for message in fake.all_messages():
        if message.deleted:
            continue
        if message.ephemeral:
            summary.replies += 1
            continue
        elif message.channel_id in dms:
            summary.dms += 1
        else:
            summary.channel_posts += 1
        summary.pings.update(pings(message, fake.state))
    summary.figures = await services.registration.figures(meeting)
    summary.questions = await services.questions.tally()
    refused = Counter(
        (r.method, NUMBER.sub("{id}", r.path), r.status)
        for r in fake.requests
        if r.status >= 400 and r.status != 429
    )
    summary.failures += [
        f"Discord answered {status} to {n} × {method} {path}"
        for (method, path, status), n in sorted(refused.items())
    ]
    summary.failures += [
        f"the bot logged: {r.getMessage()}" for r in log if r.levelno >= logging.ERROR
    ]
    # Amphi's own warnings; discord.py's (no voice support, say) are not the day's business.
    for logged in log:
        ours = logged.name.split(".")[0] in ("bot", "cogs")
        if logged.levelno < logging.ERROR and ours and not logged.name.startswith("bot.rehearsal"):
            kind = str(logged.msg)
            summary.warnings[kind] += 1
            summary.warning_examples.setdefault(kind, logged.getMessage())
    return summary
