"""The rehearsal's closing figures: what was sent and how late, who registered, the questions,
who was pinged, and anything that failed or could not be rehearsed."""

from __future__ import annotations

import logging
import re
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from babel.numbers import format_decimal

from bot.core.i18n import Translator
from bot.posts.model import PostKind
from bot.programme.model import Meeting
from bot.registration.model import CapacityFigures
from bot.rehearsal.reading import ENGLISH, client_locale, pings
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

    def lines(self, tr: Translator = ENGLISH) -> list[str]:
        """The summary as text, one figure a line, in the rehearsal's language."""
        locale = client_locale(tr)
        sent = sum(self.posts[s] for s in SENT)
        out = []
        if self.ready is not None:
            ready = f"{self.ready:%H:%M:%S}"
            out.append(
                tr.gettext("The bot was ready at {time} on the rehearsal's clock.", time=ready)
            )
        out.append(
            tr.gettext(
                "Planned posts: {sent} of {planned} sent ({statuses}).",
                sent=sent,
                planned=sum(self.posts.values()),
                statuses=describe(self.posts, post_status, tr),
            )
        )
        if self.lateness:
            real = max(self.posted) / self.speed
            out.append(
                tr.gettext(
                    "Lateness on the meeting's clock: sent a median {median} s after their time, "
                    "at most {most} s, {beyond} beyond the {grace}-minute grace; delivered (DMs "
                    "included) a median {delivered} s after, at most {delivered_most} s ({real} s "
                    "of real time).",
                    median=f"{statistics.median(self.lateness):.0f}",
                    most=f"{max(self.lateness):.0f}",
                    beyond=self.late_beyond_grace,
                    grace=format_decimal(self.grace.total_seconds() / 60, locale=locale),
                    delivered=f"{statistics.median(self.posted):.0f}",
                    delivered_most=f"{max(self.posted):.0f}",
                    real=format_decimal(real, "0.0", locale=locale),
                )
            )
        out.append(
            tr.gettext(
                "Messages: {posts} in channels and threads, {dms} DMs, {replies} replies only "
                "their member saw.",
                posts=self.channel_posts,
                dms=self.dms,
                replies=self.replies,
            )
        )
        if self.figures is not None:
            f = self.figures
            out.append(
                tr.gettext(
                    "Registrations: {in_person} in the room (of {capacity} seats), {remote} "
                    "remote, {waitlist} on the waitlist; {members} network members.",
                    in_person=f.in_person,
                    capacity=f.capacity,
                    remote=f.remote,
                    waitlist=f.waitlist,
                    members=f.members,
                )
            )
        if any(self.questions.values()):
            shown = describe(Counter(self.questions), question_status, tr)
            out.append(
                tr.gettext("Questions: {shown}; {votes} votes.", shown=shown, votes=self.votes)
            )
        pinged = ", ".join(f"{who} ×{n}" for who, n in self.pings.most_common())
        out.append(tr.gettext("Pinged: {who}.", who=pinged or tr.gettext("nobody")))
        if self.failures:
            out.append(tr.gettext("Failures: {count}:", count=len(self.failures)))
        else:
            out.append(tr.gettext("Failures: none."))
        out += [f"  - {failure}" for failure in self.failures]
        if self.warnings:
            out.append(tr.gettext("Warnings logged: {count}:", count=sum(self.warnings.values())))
            out += [
                f"  - {self.warning_examples[kind]}"
                + (tr.gettext(" (and {count} more like it)", count=n - 1) if n > 1 else "")
                for kind, n in self.warnings.most_common(5)
            ]
        if self.not_rehearsed:
            out.append(tr.gettext("Not rehearsed:"))
            out += [f"  - {part}" for part in self.not_rehearsed]
        return out


def post_status(status: str, count: int, tr: Translator) -> str:
    """ "40 sent": a count of planned posts in one status (French agrees the word with it)."""
    words = {
        "sent": tr.ngettext("{count} sent", "{count} sent", count),
        "late": tr.ngettext("{count} sent late", "{count} sent late", count),
        "pending": tr.ngettext("{count} pending", "{count} pending", count),
        "sending": tr.ngettext("{count} sending", "{count} sending", count),
        "skipped": tr.ngettext("{count} skipped", "{count} skipped", count),
        "cancelled": tr.ngettext("{count} cancelled", "{count} cancelled", count),
        "failed": tr.ngettext("{count} failed", "{count} failed", count),
    }
    return words.get(status, f"{count} {status}")


def question_status(status: str, count: int, tr: Translator) -> str:
    """ "2 approved": a count of questions in one status."""
    words = {
        "pending": tr.ngettext("{count} pending", "{count} pending", count),
        "approved": tr.ngettext("{count} approved", "{count} approved", count),
        "rejected": tr.ngettext("{count} rejected", "{count} rejected", count),
        "answered": tr.ngettext("{count} answered", "{count} answered", count),
    }
    return words.get(status, f"{count} {status}")


def describe(
    counts: Counter[str], word: Callable[[str, int, Translator], str], tr: Translator
) -> str:
    shown = ", ".join(word(status, n, tr) for status, n in sorted(counts.items()))
    return shown or tr.gettext("none")


async def summarize(
    services: Services,
    meeting: Meeting,
    fake: FakeDiscord,
    log: list[logging.LogRecord],
    tr: Translator = ENGLISH,
    since: datetime | None = None,
) -> Summary:
    """The figures from the store, the double's records and the bot's own error log; `since`
    is when the rehearsal started."""
    summary = Summary(
        grace=timedelta(minutes=meeting.reminders.grace_minutes),
        speed=getattr(services.clock, "speed", 1.0),
    )
    for record in await services.posts.timeline(meeting.slug):
        if record.post.kind is PostKind.ANNOUNCEMENT and record.status == "cancelled":
            continue
        if (
            record.post.kind is PostKind.CALL_REMINDER
            and since is not None
            and (record.post.due < since)
        ):
            continue  # the call's reminders, weeks before the day: not the day's to rehearse
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
        summary.pings.update(pings(message, fake.state, tr))
    summary.figures = await services.registration.figures(meeting)
    summary.questions = await services.questions.tally()
    refused = Counter(
        (r.method, NUMBER.sub("{id}", r.path), r.status)
        for r in fake.requests
        if r.status >= 400 and r.status != 429
    )
    summary.failures += [
        tr.gettext(
            "Discord answered {status} to {count} × {method} {path}",
            status=status,
            count=n,
            method=method,
            path=path,
        )
        for (method, path, status), n in sorted(refused.items())
    ]
    summary.failures += [
        tr.gettext("the bot logged: {message}", message=r.getMessage())
        for r in log
        if r.levelno >= logging.ERROR
    ]
    # Amphi's own warnings; discord.py's (no voice support, say) are not the day's business.
    for logged in log:
        ours = logged.name.split(".")[0] in ("bot", "cogs")
        if logged.levelno < logging.ERROR and ours and not logged.name.startswith("bot.rehearsal"):
            kind = str(logged.msg)
            summary.warnings[kind] += 1
            summary.warning_examples.setdefault(kind, logged.getMessage())
    return summary
