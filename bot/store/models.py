"""The tables of the store. Later capabilities add theirs here (and a migration)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.store.types import UTCDateTime


class MeetingRow(SQLModel, table=True):
    """A meeting as loaded from its file; `reminders` and `organizers` are kept as JSON text."""

    __tablename__ = "meeting"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(unique=True, max_length=100)
    title: str
    day: date
    timezone: str = Field(max_length=64)
    venue: str = ""
    url: str = ""
    capacity: int
    remote_capacity: int | None = None
    registration_closes: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reminders_json: str = "{}"
    organizers_json: str = "[]"
    events_json: str = "{}"  # the [events] table: scope, image
    follow_json: str = "{}"  # the schedule export followed: source, format, refresh_minutes
    announced_json: str = ""  # the programme as its last change notice told it ("" before any)
    call_json: str = ""  # the [call] table ("" when the meeting has no call for contributions)
    source: str = ""
    updated_at: datetime = Field(sa_type=UTCDateTime)


class SessionRow(SQLModel, table=True):
    """A session of a meeting, in programme order."""

    __tablename__ = "meeting_session"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(
        sa_column=Column(Integer, ForeignKey("meeting.id", ondelete="CASCADE"), nullable=False)
    )
    position: int
    title: str
    start_at: datetime = Field(sa_type=UTCDateTime)
    end_at: datetime = Field(sa_type=UTCDateTime)
    room: str = ""
    uid: str = ""


class TalkRow(SQLModel, table=True):
    """A talk; (meeting, key) is its identity across edits of the meeting file.

    A talk gone from the file while questions, a Q&A thread or a linked speaker hang on it is kept,
    with `removed_at` set, out of the programme until the file brings it back.
    """

    __tablename__ = "talk"
    __table_args__ = (UniqueConstraint("meeting_id", "key", name="uq_talk_meeting_key"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(
        sa_column=Column(Integer, ForeignKey("meeting.id", ondelete="CASCADE"), nullable=False)
    )
    session_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("meeting_session.id", ondelete="CASCADE"), nullable=False
        )
    )
    key: str = Field(max_length=64)
    position: int
    title: str
    start_at: datetime = Field(sa_type=UTCDateTime)
    end_at: datetime = Field(sa_type=UTCDateTime)
    invited: bool = False
    abstract: str = ""
    room: str = ""
    uid: str = ""  # the source's id: an imported talk keeps its row by it, whatever its title
    proposal: str = ""  # the call's proposal it came from ("P-12"): its proposer speaks
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SpeakerRow(SQLModel, table=True):
    """A speaker of a talk; `discord_user_id` is set by `/speaker link`."""

    __tablename__ = "speaker"
    __table_args__ = (UniqueConstraint("talk_id", "name", name="uq_speaker_talk_name"),)

    id: int | None = Field(default=None, primary_key=True)
    talk_id: int = Field(
        sa_column=Column(Integer, ForeignKey("talk.id", ondelete="CASCADE"), nullable=False)
    )
    position: int
    name: str
    affiliation: str = ""
    discord_user_id: int | None = Field(default=None, sa_type=BigInteger)


class ScheduledEventRow(SQLModel, table=True):
    """A Discord scheduled event that mirrors a session (or the day) of a meeting.

    Claimed (`creating`) before Discord is asked to create it, so a crash in between finds the
    event again instead of making a second one.
    """

    __tablename__ = "scheduled_event"

    meeting_id: int = Field(
        sa_column=Column(Integer, ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True)
    )
    key: str = Field(primary_key=True, max_length=20)  # "s1", "s2"… or "day"
    event_id: int | None = Field(default=None, sa_type=BigInteger)
    # creating → live → done; live → lost (deleted by hand) | cancelled (left the programme)
    status: str = Field(default="creating", max_length=10)
    digest: str = Field(default="", max_length=64)  # of what Discord was last sent
    name: str = Field(default="", max_length=100)
    start_at: datetime = Field(sa_type=UTCDateTime)
    end_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class AppStateRow(SQLModel, table=True):
    """Small named values the bot keeps between runs (the synced command-schema hash, …)."""

    __tablename__ = "app_state"

    key: str = Field(primary_key=True, max_length=100)
    value: str


class RegistrationControlRow(SQLModel, table=True):
    """Per meeting: the row every registration change locks first, and the organizers' overrides."""

    __tablename__ = "registration_control"

    meeting_id: int = Field(
        sa_column=Column(Integer, ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True)
    )
    capacity: int | None = None  # None: the meeting file's capacity
    state: str = Field(default="auto", max_length=10)  # auto (until the deadline), open, closed
    changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    changed_by: int | None = Field(default=None, sa_type=BigInteger)
    panel_channel_id: int | None = Field(default=None, sa_type=BigInteger)
    panel_message_id: int | None = Field(default=None, sa_type=BigInteger)


class RegistrationRow(SQLModel, table=True):
    """One person's registration; one per meeting and Discord user."""

    __tablename__ = "registration"
    __table_args__ = (
        UniqueConstraint("meeting_id", "user_id", name="uq_registration_meeting_user"),
        Index("ix_registration_seats", "meeting_id", "status", "mode", "queue_number"),
    )

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(
        sa_column=Column(Integer, ForeignKey("meeting.id", ondelete="CASCADE"), nullable=False)
    )
    user_id: int = Field(sa_type=BigInteger)
    display_name: str = Field(max_length=100)
    mode: str = Field(max_length=10)  # in_person, remote
    status: str = Field(max_length=10)  # confirmed, waitlisted
    queue_number: int | None = None  # the waitlist order while waitlisted
    member: bool = False
    affiliation: str = Field(default="", max_length=200)
    dm: bool = False
    locale: str = Field(default="", max_length=10)  # the language of their DMs
    notice_pending: bool = False  # promoted, and not yet told
    role_problem: str = ""
    registered_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class PlannedPostRow(SQLModel, table=True):
    """A post the bot will make, or made: the row is the truth the scheduler works from."""

    __tablename__ = "planned_post"

    key: str = Field(primary_key=True, max_length=200)
    meeting_id: int = Field(
        sa_column=Column(Integer, ForeignKey("meeting.id", ondelete="CASCADE"), nullable=False)
    )
    kind: str = Field(max_length=30)
    target: str = Field(max_length=200)  # a correction's is the key of the post it corrects
    lead_minutes: float | None = None
    due_at: datetime = Field(sa_type=UTCDateTime, index=True)
    # pending → sending (claimed) → sent | late | failed; or skipped | cancelled
    status: str = Field(default="pending", max_length=10)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    message_id: int | None = Field(default=None, sa_type=BigInteger)
    detail: str = ""


class DmDeliveryRow(SQLModel, table=True):
    """One DM of a broadcast; claimed before it is sent, so nobody gets it twice."""

    __tablename__ = "dm_delivery"

    broadcast_key: str = Field(primary_key=True, max_length=200)
    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    status: str = Field(default="pending", max_length=10)  # pending, sending, sent, failed
    detail: str = ""
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DmChannelRow(SQLModel, table=True):
    """The DM channel of a user, reused rather than opened again for each DM."""

    __tablename__ = "dm_channel"

    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    channel_id: int = Field(sa_type=BigInteger)


class AnnouncementRow(SQLModel, table=True):
    """An organizer's announcement: drafted (previewed), then sent now or at a time."""

    __tablename__ = "announcement"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(
        sa_column=Column(Integer, ForeignKey("meeting.id", ondelete="CASCADE"), nullable=False)
    )
    author_id: int = Field(sa_type=BigInteger)
    text: str = Field(max_length=2000)
    channel_id: int | None = Field(default=None, sa_type=BigInteger)  # None: announcements
    audience: str = Field(default="none", max_length=10)  # none, registered, in_person, remote
    dm: bool = False
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # None: at once
    status: str = Field(default="draft", max_length=10)  # draft, scheduled, sent, cancelled
    created_at: datetime = Field(sa_type=UTCDateTime)
    message_id: int | None = Field(default=None, sa_type=BigInteger)  # once posted


class QuestionRow(SQLModel, table=True):
    """An audience question about a talk, from `/ask` through moderation to the chair."""

    __tablename__ = "question"
    __table_args__ = (
        Index("ix_question_talk_status", "talk_id", "status"),
        Index("ix_question_talk_author", "talk_id", "author_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(
        sa_column=Column(Integer, ForeignKey("meeting.id", ondelete="CASCADE"), nullable=False)
    )
    talk_id: int = Field(
        sa_column=Column(Integer, ForeignKey("talk.id", ondelete="CASCADE"), nullable=False)
    )
    author_id: int = Field(sa_type=BigInteger)
    author_name: str = Field(default="", max_length=100)  # as shown when it was asked
    anonymous: bool = False
    text: str = Field(max_length=500)
    locale: str = Field(default="", max_length=10)  # the language of the asker's DM
    status: str = Field(default="pending", max_length=10)  # pending, approved, rejected
    decided_by: int | None = Field(default=None, sa_type=BigInteger)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    moderation_channel_id: int | None = Field(default=None, sa_type=BigInteger)
    moderation_message_id: int | None = Field(default=None, sa_type=BigInteger)
    public_channel_id: int | None = Field(default=None, sa_type=BigInteger)
    public_message_id: int | None = Field(default=None, sa_type=BigInteger)
    #: When publishing the approved question last failed (its next Approve publishes it).
    publication_failed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)


class QuestionVoteRow(SQLModel, table=True):
    """One member's upvote; the primary key allows one per member and question."""

    __tablename__ = "question_vote"

    question_id: int = Field(
        sa_column=Column(Integer, ForeignKey("question.id", ondelete="CASCADE"), primary_key=True)
    )
    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))


class TalkQaRow(SQLModel, table=True):
    """Per talk: the moderators' override of the Q&A window, and the talk's Q&A thread."""

    __tablename__ = "talk_qa"

    talk_id: int = Field(
        sa_column=Column(Integer, ForeignKey("talk.id", ondelete="CASCADE"), primary_key=True)
    )
    state: str = Field(default="auto", max_length=10)  # auto (by the window), open, closed
    thread_id: int | None = Field(default=None, sa_type=BigInteger)


class CommandRow(SQLModel, table=True):
    """A state-changing command, kept from before its acknowledgement until it is answered."""

    __tablename__ = "command"
    __table_args__ = (
        # The sweep's unfinished commands, and the pruning of answered ones by date.
        Index("ix_command_state_answered", "state", "answered_at"),
        Index("ix_command_user_received", "user_id", "received_at"),
    )

    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    application_id: int = Field(sa_type=BigInteger)
    token: str  # the interaction's token: edits its original response for 15 minutes
    kind: str = Field(max_length=40)
    user_id: int = Field(sa_type=BigInteger)
    options: str = "{}"  # JSON
    locale: str = Field(default="", max_length=10)
    guild_locale: str = Field(default="", max_length=10)
    state: str = Field(default="received", max_length=10)  # received, applied, answered
    result: str = ""  # JSON: what to answer
    received_at: datetime = Field(sa_type=UTCDateTime)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ProposalCallRow(SQLModel, table=True):
    """Per meeting: the row each new proposal locks for its number, and the organizers'
    override of the call's dates."""

    __tablename__ = "proposal_call"

    meeting_id: int = Field(
        sa_column=Column(Integer, ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True)
    )
    state: str = Field(default="auto", max_length=10)  # auto (by the file's dates), open, closed
    changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    changed_by: int | None = Field(default=None, sa_type=BigInteger)
    last_number: int = 0  # the number of the meeting's latest proposal (P-<n>)


class ProposalRow(SQLModel, table=True):
    """A member's proposal to the call for contributions, and the organizers' decision on it."""

    __tablename__ = "proposal"
    __table_args__ = (
        UniqueConstraint("meeting_id", "number", name="uq_proposal_meeting_number"),
        Index("ix_proposal_meeting_user", "meeting_id", "user_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(
        sa_column=Column(Integer, ForeignKey("meeting.id", ondelete="CASCADE"), nullable=False)
    )
    number: int  # its reference is P-<number>, within its meeting
    user_id: int = Field(sa_type=BigInteger)
    display_name: str = Field(max_length=100)
    locale: str = Field(default="", max_length=10)  # the language of their DMs
    kind: str = Field(max_length=40)
    title: str = Field(max_length=200)
    abstract: str
    authors_json: str = "[]"  # [{"name": ..., "affiliation": ...}]
    note: str = ""
    status: str = Field(
        default="submitted", max_length=10
    )  # submitted, withdrawn, accepted, declined
    confirmation: str = Field(default="pending", max_length=10)  # pending, confirmed, withdrawn
    told: bool = False  # its decision was DMed to the proposer
    decided_by: int | None = Field(default=None, sa_type=BigInteger)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    card_channel_id: int | None = Field(default=None, sa_type=BigInteger)
    card_message_id: int | None = Field(default=None, sa_type=BigInteger)
    submitted_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class ProposalReviewRow(SQLModel, table=True):
    """One organizer's review of a proposal; the primary key allows one each, changeable."""

    __tablename__ = "proposal_review"

    proposal_id: int = Field(
        sa_column=Column(Integer, ForeignKey("proposal.id", ondelete="CASCADE"), primary_key=True)
    )
    reviewer_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    score: int
    comment: str = ""
    updated_at: datetime = Field(sa_type=UTCDateTime)
