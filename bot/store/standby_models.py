"""The tables of the election of the active instance: the lease, its renewal, the instances."""

from __future__ import annotations

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel


class LeaseRow(SQLModel, table=True):
    """Who is the active instance, and since which epoch (one row, id 1). Written only when the
    lease changes hands: every fenced write reads it (locked for sharing), so a takeover waits for
    the writes of the last holder under way and any later one is refused."""

    __tablename__ = "lease"

    id: int = Field(primary_key=True)
    epoch: int = Field(default=0, sa_type=BigInteger)
    holder: str | None = Field(default=None, max_length=200)
    host: str = Field(default="", max_length=200)
    pid: int = 0
    since: float | None = None  # the store's clock, in seconds since 1970


class LeaseRenewalRow(SQLModel, table=True):
    """Until when the holder's lease runs (one row, id 1): renewed every few seconds, apart from
    `lease` so that a renewal never waits for the holder's own writes."""

    __tablename__ = "lease_renewal"

    id: int = Field(primary_key=True)
    epoch: int = Field(default=0, sa_type=BigInteger)
    holder: str | None = Field(default=None, max_length=200)
    renewed_at: float | None = None
    expires_at: float | None = None


class InstanceRow(SQLModel, table=True):
    """Each `amphi run` on this store, as it last said: active or standing by, and when."""

    __tablename__ = "instance"

    id: str = Field(primary_key=True, max_length=200)
    host: str = Field(max_length=200)
    pid: int
    state: str = Field(max_length=10)  # standby, active, stopped
    started_at: float
    seen_at: float
