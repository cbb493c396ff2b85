"""Kept commands in the store: written before the acknowledgement, marked as they progress."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.commands.model import Command, CommandState, dumps
from bot.store.db import insert_or_ignore
from bot.store.models import CommandRow

_APPLIED = "amphi.applied_commands"


def _command(row: CommandRow) -> Command:
    return Command(
        interaction_id=row.id,
        application_id=row.application_id,
        token=row.token,
        kind=row.kind,
        user_id=row.user_id,
        received_at=row.received_at,
        options=json.loads(row.options),
        locale=row.locale,
        guild_locale=row.guild_locale,
        state=CommandState(row.state),
        result=json.loads(row.result or "{}"),
    )


def record(session: Session, *, commands: Sequence[Command]) -> None:
    """Write `commands` down as received (a command already kept stays as it is).

    One INSERT for them all, no ORM objects: it runs while a burst is still arriving, in a thread
    that shares the interpreter with the event loop, so it must cost little.
    """
    rows = [
        {
            "id": c.interaction_id,
            "application_id": c.application_id,
            "token": c.token,
            "kind": c.kind,
            "user_id": c.user_id,
            "options": dumps(c.options),
            "locale": c.locale,
            "guild_locale": c.guild_locale,
            "state": CommandState.RECEIVED.value,
            "result": "",
            "received_at": c.received_at,
        }
        for c in commands
    ]
    # An executemany of one statement, compiled once and cached, whatever the batch's size.
    session.execute(insert_or_ignore(session, CommandRow), rows)


def get(session: Session, *, interaction_id: int) -> Command | None:
    """One kept command."""
    row = session.get(CommandRow, interaction_id)
    return None if row is None else _command(row)


def mark_applied(session: Session, *, interaction_id: int, result: dict[str, Any]) -> None:
    """In the transaction of its effect: the command is applied, with what to answer.

    Collected, and written by `write_applied` at the end of the transaction in one statement.
    """
    session.info.setdefault(_APPLIED, []).append(
        {"id": interaction_id, "state": CommandState.APPLIED.value, "result": dumps(result)}
    )


def write_applied(session: Session) -> None:
    """Write what `mark_applied` collected in this transaction (an executemany by key)."""
    applied = session.info.pop(_APPLIED, [])
    if applied:
        session.execute(update(CommandRow), applied)


def mark_answered(session: Session, *, interaction_ids: Sequence[int], now: datetime) -> None:
    """Nothing is left to do for these commands."""
    session.exec(
        update(CommandRow)
        .where(col(CommandRow.id).in_(list(interaction_ids)))
        .values(state=CommandState.ANSWERED.value, answered_at=now)
    )


def unfinished(session: Session) -> list[Command]:
    """Commands received or applied but not answered, oldest first."""
    rows = session.exec(
        select(CommandRow)
        .where(col(CommandRow.state) != CommandState.ANSWERED.value)
        .order_by(col(CommandRow.received_at), col(CommandRow.id))
    )
    return [_command(row) for row in rows]
