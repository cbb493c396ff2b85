"""DM deliveries of broadcasts, and the DM channels they reuse."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.store.db import insert_or_ignore, rows_changed
from bot.store.models import DmChannelRow, DmDeliveryRow


def add_recipients(session: Session, *, key: str, user_ids: list[int]) -> None:
    """A pending delivery for each recipient not already in broadcast `key`."""
    known = set(
        session.exec(select(DmDeliveryRow.user_id).where(DmDeliveryRow.broadcast_key == key))
    )
    for user_id in dict.fromkeys(user_ids):
        if user_id not in known:
            session.add(DmDeliveryRow(broadcast_key=key, user_id=user_id))


def deliveries(session: Session, *, key: str) -> list[DmDeliveryRow]:
    """Every delivery of broadcast `key`, in the order they were added."""
    return list(
        session.exec(
            select(DmDeliveryRow)
            .where(DmDeliveryRow.broadcast_key == key)
            .order_by(col(DmDeliveryRow.user_id))
        )
    )


def unfinished_broadcasts(session: Session, *, prefix: str) -> list[str]:
    """The broadcasts whose key starts with `prefix` and that still owe a delivery."""
    return list(
        session.exec(
            select(DmDeliveryRow.broadcast_key)
            .where(col(DmDeliveryRow.broadcast_key).startswith(prefix))
            .where(col(DmDeliveryRow.status).in_(("pending", "sending")))
            .distinct()
            .order_by(col(DmDeliveryRow.broadcast_key))
        )
    )


def claim(session: Session, *, key: str, user_id: int, now: datetime) -> bool:
    """Take a pending delivery for sending."""
    result = session.execute(
        update(DmDeliveryRow)
        .where(col(DmDeliveryRow.broadcast_key) == key)
        .where(col(DmDeliveryRow.user_id) == user_id)
        .where(col(DmDeliveryRow.status) == "pending")
        .values(status="sending", claimed_at=now)
    )
    return rows_changed(result) == 1


def finish(
    session: Session, *, key: str, user_id: int, status: str, detail: str, now: datetime
) -> None:
    """Record how a delivery ended."""
    row = session.get(DmDeliveryRow, (key, user_id))
    if row is not None:
        row.status, row.detail, row.done_at = status, detail, now
        session.add(row)


def dm_channel(session: Session, *, user_id: int) -> int | None:
    """The DM channel opened with a user before, if any."""
    row = session.get(DmChannelRow, user_id)
    return None if row is None else row.channel_id


def remember_dm_channel(session: Session, *, user_id: int, channel_id: int) -> None:
    """Keep a user's DM channel for the next DM (two DMs opening it at once both succeed)."""
    session.execute(
        insert_or_ignore(session, DmChannelRow).values(user_id=user_id, channel_id=channel_id)
    )
    session.execute(
        update(DmChannelRow)
        .where(col(DmChannelRow.user_id) == user_id)
        .values(channel_id=channel_id)
    )
