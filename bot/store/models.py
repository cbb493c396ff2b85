"""The tables of the store. Later capabilities add theirs here (and a migration)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, UniqueConstraint
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


class TalkRow(SQLModel, table=True):
    """A talk; (meeting, key) is its identity across edits of the meeting file."""

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


class AppStateRow(SQLModel, table=True):
    """Small named values the bot keeps between runs (the synced command-schema hash, …)."""

    __tablename__ = "app_state"

    key: str = Field(primary_key=True, max_length=100)
    value: str
