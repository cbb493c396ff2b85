"""Kept commands in the store: written before the acknowledgement, marked as they progress."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import and_, delete, or_, update
from sqlmodel import Session, col, select

from bot.core.errors import AmphiError
from bot.kept.model import KeptCommand, KeptState, dumps, forgettable, refusal_result
from bot.store.db import insert_or_ignore, rows_changed, upsert
from bot.store.models import CommandRow

_APPLIED = "amphi.applied_commands"
_TOGETHER = "amphi.applied_together"

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


def apply_kept(
    session: Session,
    *,
    effect: Callable[[], T],
    command: KeptCommand | None,
    result: Callable[[T], dict[str, Any]],
    savepoint: bool = True,
) -> T | AmphiError:
    """Run `effect` and mark the kept command applied with `result(outcome)`, in this transaction.

    The one way a kept command is applied (registration and questions alike). The command need
    not be written down yet: one answered in its first response never is, and one written down
    while its effect commits must not be left "received"; so its row is written whole, or
    marked if it is there.

    A refusal is kept with the command and returned, not raised, so the transaction commits it:
    a restart tells the same refusal. Its writes are undone (a savepoint), unless `savepoint`
    is False: for effects that refuse before they write anything, such as the registration
    desk's, whose batch of a hundred would otherwise pay a savepoint each. Without a command,
    `effect` simply runs (a refusal is raised). Inside `applied_together`, the mark is written
    with the others at its end; otherwise at once.
    """
    if command is None:
        return effect()
    outcome: T | AmphiError
    try:
        if savepoint:
            with session.begin_nested():
                outcome = effect()
        else:
            outcome = effect()
    except AmphiError as refusal:
        outcome = refusal
        marked = refusal_result(refusal)
    else:
        marked = result(outcome)
    session.info.setdefault(_APPLIED, []).append(_row(command, KeptState.APPLIED, marked))
    if not session.info.get(_TOGETHER):
        _write_applied(session)
    return outcome


@contextmanager
def applied_together(session: Session) -> Iterator[None]:
    """Within: the commands `apply_kept` marks applied are written at the end, in one
    statement (a batch of the registration desk); nothing is written if it fails."""
    session.info[_TOGETHER] = True
    try:
        yield
    except BaseException:
        session.info.pop(_APPLIED, None)
        raise
    finally:
        session.info.pop(_TOGETHER, None)
    _write_applied(session)


def _write_applied(session: Session) -> None:
    """Write the marks `apply_kept` collected (an executemany upsert)."""
    applied = session.info.pop(_APPLIED, [])
    if applied:
        statement = upsert(session, CommandRow, key="id", replace=("state", "result"))
        session.execute(statement, applied)


def mark_answered(
    session: Session,
    *,
    interaction_ids: Sequence[int],
    now: datetime,
    told_refused: Collection[int] = (),
) -> None:
    """Nothing is left to do for these commands.

    Those of `told_refused`, whose member was told their refusal, are deleted instead when
    nothing need be kept of them (`bot.kept.model.forgettable`): a restart has nothing to do.
    """
    refused = [i for i in interaction_ids if i in told_refused]
    forgotten = []
    if refused:
        rows = session.exec(select(CommandRow).where(col(CommandRow.id).in_(refused)))
        forgotten = [row.id for row in rows if forgettable(_command(row))]
    if forgotten:
        session.exec(delete(CommandRow).where(col(CommandRow.id).in_(forgotten)))
    gone = set(forgotten)
    answered = [i for i in interaction_ids if i not in gone]
    if answered:
        session.exec(
            update(CommandRow)
            .where(col(CommandRow.id).in_(answered))
            .values(state=KeptState.ANSWERED.value, answered_at=now)
        )


def prune(session: Session, *, before: datetime, limit: int) -> int:
    """Delete at most `limit` commands finished before `before` (`bot.kept.model.prune_before`):
    answered then, or applied and received then; how many. One statement."""
    finished = or_(
        and_(
            col(CommandRow.state) == KeptState.ANSWERED.value,
            col(CommandRow.answered_at) < before,
        ),
        and_(
            col(CommandRow.state) == KeptState.APPLIED.value,
            col(CommandRow.received_at) < before,
        ),
    )
    batch = select(CommandRow.id).where(finished).limit(limit)
    return rows_changed(session.execute(delete(CommandRow).where(col(CommandRow.id).in_(batch))))


def unfinished(session: Session) -> list[KeptCommand]:
    """Commands received or applied but not answered, oldest first."""
    rows = session.exec(
        select(CommandRow)
        .where(col(CommandRow.state) != KeptState.ANSWERED.value)
        .order_by(col(CommandRow.received_at), col(CommandRow.id))
    )
    return [_command(row) for row in rows]
