"""Meeting → planned posts (pure); each has a stable key, so it is sent once whatever happens."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.events.model import EntityType, Place, plan_events, session_keys
from bot.programme.model import Meeting, Session, minutes

#: The call reminder is posted this many days before the call closes.
CALL_REMINDER_DAYS = (7, 1)


class PostKind(StrEnum):
    """What a planned post is."""

    SESSION_REMINDER = "session-reminder"  # in the announcements channel, pings the attendees
    TALK_START = "talk-start"  # "now on", in the announcements channel
    LINK_DMS = "link-dms"  # the video link by DM to remote registrants who opted in
    ANNOUNCEMENT = "announcement"  # an organizer's scheduled announcement
    QA_THREAD = "qa-thread"  # the talk's Q&A thread, opened at its start
    QA_DIGEST = "qa-digest"  # the unanswered questions, DMed to the speakers at the talk's end
    EVENT_START = "event-start"  # a stage or voice scheduled event started on time
    EVENT_END = "event-end"  # and ended
    PROGRAMME_CHANGES = "programme-changes"  # what changed in the programme, once per burst
    CORRECTION = "correction"  # a reminder already sent, put right after its session moved
    CALL_REMINDER = "call-reminder"  # the call for contributions closes soon

    @property
    def from_programme(self) -> bool:
        """Whether the planner derives it from the programme (announcements come from people,
        change notices and corrections from edits)."""
        return self not in (PostKind.ANNOUNCEMENT, PostKind.PROGRAMME_CHANGES, PostKind.CORRECTION)


@dataclass(frozen=True)
class PlannedPost:
    """One post the bot will make; `key` is its identity across restarts and programme edits."""

    key: str
    meeting_slug: str
    kind: PostKind
    target: str  # a session's key ("s-session-1"), a talk key, an announcement id...
    due: datetime
    lead_minutes: float | None = None

    @classmethod
    def make(
        cls, slug: str, kind: PostKind, target: str, due: datetime, lead: float | None = None
    ) -> PlannedPost:
        """A post with the key its meeting, kind, target and lead give it."""
        return cls(post_key(slug, kind, target, lead), slug, kind, target, due, lead)

    @property
    def nonce(self) -> str:
        """Discord's message nonce for this post: a retry after a crash is not posted twice."""
        return nonce_for(self.key)


def nonce_for(key: str) -> str:
    """A 25-character nonce (Discord's limit) derived from a stable key."""
    return hashlib.sha256(key.encode()).hexdigest()[:25]


def format_lead(lead: float) -> str:
    """15 → '15m', 0.5 → '0.5m'."""
    return f"{lead:g}m"


def post_key(slug: str, kind: PostKind, target: str, lead: float | None = None) -> str:
    """The stable key of a post."""
    parts = [slug, kind.value, target]
    if lead is not None:
        parts.append(format_lead(lead))
    return ":".join(parts)


def plan_posts(
    meeting: Meeting, *, remote_link: bool = True, live_events: bool = False
) -> list[PlannedPost]:
    """Every post the programme calls for, in time order; `remote_link` adds the link DMs,
    `live_events` the start and end of scheduled events held in a stage or voice channel."""
    settings = meeting.reminders
    slug = meeting.slug
    posts: list[PlannedPost] = []
    for target, session in zip(session_keys(meeting), meeting.sessions, strict=True):
        leads = [(PostKind.SESSION_REMINDER, lead) for lead in set(settings.session_leads_minutes)]
        if remote_link:
            leads.append((PostKind.LINK_DMS, settings.remote_link_lead_minutes))
        posts.extend(
            PlannedPost.make(slug, kind, target, session.start - minutes(lead), lead)
            for kind, lead in leads
        )
        for talk in session.talks:
            timed = [(PostKind.QA_THREAD, talk.start), (PostKind.QA_DIGEST, talk.end)]
            if settings.talk_start:
                timed.append((PostKind.TALK_START, talk.start))
            posts.extend(PlannedPost.make(slug, kind, talk.key, due) for kind, due in timed)
    if meeting.call is not None:
        # A week and a day before the call closes; the target names the call, so a call that
        # moves keeps its posts (their dues follow) and each is sent once.
        for days in CALL_REMINDER_DAYS:
            due = meeting.call.closes - timedelta(days=days)
            posts.append(PlannedPost.make(slug, PostKind.CALL_REMINDER, f"call-{days}d", due))
    if live_events:
        for event in plan_events(meeting, Place(EntityType.STAGE_INSTANCE)):
            posts.append(PlannedPost.make(slug, PostKind.EVENT_START, event.key, event.start))
            posts.append(PlannedPost.make(slug, PostKind.EVENT_END, event.key, event.end))
    return sorted(posts, key=lambda p: (p.due, p.key))


def session_index(meeting: Meeting, target: str) -> int | None:
    """The index in `meeting.sessions` of the session a post's target names, if it is there."""
    keys = session_keys(meeting)
    return keys.index(target) if target in keys else None


def session_at(meeting: Meeting, target: str) -> Session | None:
    """The session a post's target names, if it is still in the programme."""
    index = session_index(meeting, target)
    return None if index is None else meeting.sessions[index]


@dataclass(frozen=True)
class PostRecord:
    """A planned post with where it stands."""

    post: PlannedPost
    status: str
    done_at: datetime | None = None
    detail: str = ""
