"""Kept commands in the store: written before the acknowledgement, marked as they progress."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.commands.model import Command, CommandState, dumps
from bot.store.models import CommandRow


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
    """Write `commands` down as received (a command already kept stays as it is)."""
    known = set(
        session.exec(
            select(CommandRow.id).where(
                col(CommandRow.id).in_([c.interaction_id for c in commands])
            )
        )
    )
    for command in commands:
        if command.interaction_id in known:
            continue
        known.add(command.interaction_id)
        session.add(
            CommandRow(
                id=command.interaction_id,
                application_id=command.application_id,
                token=command.token,
                kind=command.kind,
                user_id=command.user_id,
                options=dumps(command.options),
                locale=command.locale,
                guild_locale=command.guild_locale,
                state=CommandState.RECEIVED.value,
                result="",
                received_at=command.received_at,
            )
        )


def get(session: Session, *, interaction_id: int) -> Command | None:
    """One kept command."""
    row = session.get(CommandRow, interaction_id)
    return None if row is None else _command(row)


def load(session: Session, *, interaction_ids: Sequence[int]) -> None:
    """Read these commands with one statement, so marking each applied costs no query."""
    if interaction_ids:
        session.exec(select(CommandRow).where(col(CommandRow.id).in_(list(interaction_ids)))).all()


def mark_applied(session: Session, *, interaction_id: int, result: dict[str, Any]) -> None:
    """In the transaction of its effect: the command is applied, with what to answer."""
    row = session.get(CommandRow, interaction_id)  # from `load`, when the batch read it
    if row is None:  # never kept (the command line, a test): nothing to mark
        return
    row.state, row.result = CommandState.APPLIED.value, dumps(result)
    session.add(row)


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
