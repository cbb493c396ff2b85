"""Kept commands in the store: written before the acknowledgement, marked as they progress."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.core.errors import AmphiError
from bot.kept.model import KeptCommand, KeptState, dumps, refusal_result
from bot.store.db import insert_or_ignore, upsert
from bot.store.models import CommandRow

_APPLIED = "amphi.applied_commands"

T = TypeVar("T")


def _command(row: CommandRow) -> KeptCommand:
    return KeptCommand(
        interaction_id=row.id,
        application_id=row.application_id,
        token=row.token,
        kind=row.kind,
        user_id=row.user_id,
        received_at=row.received_at,
        options=json.loads(row.options),
        locale=row.locale,
        guild_locale=row.guild_locale,
        state=KeptState(row.state),
        result=json.loads(row.result or "{}"),
    )


def _row(command: KeptCommand, state: KeptState, result: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": command.interaction_id,
        "application_id": command.application_id,
        "token": command.token,
        "kind": command.kind,
        "user_id": command.user_id,
        "options": dumps(command.options),
        "locale": command.locale,
        "guild_locale": command.guild_locale,
        "state": state.value,
        "result": "" if state is KeptState.RECEIVED else dumps(result),
        "received_at": command.received_at,
    }


def record(session: Session, *, commands: Sequence[KeptCommand]) -> None:
    """Write `commands` down as received (a command already kept, or applied, stays as it is).

    One INSERT for them all, no ORM objects: it runs while a burst is still arriving, in a thread
    that shares the interpreter with the event loop, so it must cost little.
    """
    rows = [_row(c, KeptState.RECEIVED, {}) for c in commands]
    # An executemany of one statement, compiled once and cached, whatever the batch's size.
    session.execute(insert_or_ignore(session, CommandRow), rows)


def get(session: Session, *, interaction_id: int) -> KeptCommand | None:
    """One kept command."""
    row = session.get(CommandRow, interaction_id)
    return None if row is None else _command(row)


def mark_applied(session: Session, *, command: KeptCommand, result: dict[str, Any]) -> None:
    """In the transaction of its effect: the command is applied, with what to answer.

    The command need not be written down yet: one answered in its first response never is, and
    one written down while its effect commits must not be left "received". So the row is
    written whole, or marked if it is there. Collected, and written by `write_applied` at the
    end of the transaction in one statement.
    """
    session.info.setdefault(_APPLIED, []).append(_row(command, KeptState.APPLIED, result))


def write_applied(session: Session) -> None:
    """Write what `mark_applied` collected in this transaction (an executemany upsert)."""
    applied = session.info.pop(_APPLIED, [])
    if applied:
        statement = upsert(session, CommandRow, key="id", replace=("state", "result"))
        session.execute(statement, applied)


def apply_kept(
    session: Session,
    *,
    effect: Callable[[], T],
    command: KeptCommand | None,
    result: Callable[[T], dict[str, Any]],
) -> T | AmphiError:
    """Run `effect` and mark the kept command applied with `result(outcome)`, in this transaction.

    A refusal undoes the effect's writes (a savepoint) but is kept with the command and
    returned, not raised, so the transaction commits it: a restart tells the same refusal.
    Without a command, `effect` simply runs.
    """
    if command is None:
        return effect()
    try:
        with session.begin_nested():
            outcome = effect()
    except AmphiError as refusal:
        mark_applied(session, command=command, result=refusal_result(refusal))
        write_applied(session)
        return refusal
    mark_applied(session, command=command, result=result(outcome))
    write_applied(session)
    return outcome


def mark_answered(session: Session, *, interaction_ids: Sequence[int], now: datetime) -> None:
    """Nothing is left to do for these commands."""
    session.exec(
        update(CommandRow)
        .where(col(CommandRow.id).in_(list(interaction_ids)))
        .values(state=KeptState.ANSWERED.value, answered_at=now)
    )


def unfinished(session: Session) -> list[KeptCommand]:
    """Commands received or applied but not answered, oldest first."""
    rows = session.exec(
        select(CommandRow)
        .where(col(CommandRow.state) != KeptState.ANSWERED.value)
        .order_by(col(CommandRow.received_at), col(CommandRow.id))
    )
    return [_command(row) for row in rows]
