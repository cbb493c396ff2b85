"""Values the bot keeps between runs (the last command sync, the organizers' chosen meeting)."""

from __future__ import annotations

from sqlmodel import Session

from bot.store.models import AppStateRow


def get_state(session: Session, *, key: str) -> str | None:
    """A value the bot kept between runs."""
    row = session.get(AppStateRow, key)
    return row.value if row else None


def set_state(session: Session, *, key: str, value: str) -> None:
    """Keep a value between runs."""
    row = session.get(AppStateRow, key) or AppStateRow(key=key, value=value)
    row.value = value
    session.add(row)
