"""The lease and the instances in the store, on the store's clock."""

from __future__ import annotations

from sqlalchemy import delete, text, update
from sqlmodel import Session, col, select

from bot.core.errors import Deposed
from bot.standby.model import Holder, Instance, Role
from bot.store.db import rows_changed, upsert
from bot.store.standby_models import InstanceRow, LeaseRenewalRow, LeaseRow

#: The store's clock in seconds since 1970, in each dialect.
_NOW = {
    "postgresql": "SELECT extract(epoch FROM clock_timestamp())::float8",
    "sqlite": "SELECT (julianday('now') - 2440587.5) * 86400.0",
}


def store_now(session: Session) -> float:
    """The store's clock: the one every instance's lease is measured on."""
    return float(session.execute(text(_NOW[session.get_bind().dialect.name])).scalar_one())


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def read_holder(session: Session) -> Holder:
    """Who holds the lease, until when, and the store's time now."""
    lease = session.get_one(LeaseRow, 1)
    renewal = session.get_one(LeaseRenewalRow, 1)
    return Holder(
        epoch=lease.epoch,
        holder=renewal.holder,
        host=lease.host,
        pid=lease.pid,
        since=lease.since,
        renewed_at=renewal.renewed_at,
        expires_at=renewal.expires_at,
        now=store_now(session),
    )


def claim(session: Session, *, me: str, host: str, pid: int, seconds: float) -> int | None:
    """Take the lease if it has lapsed: its new epoch, or None while another holds it.

    The renewal row is locked first, so two standbys claiming at once take turns; the lease row
    is then locked for update, which waits for the writes of the last holder under way (they
    hold it for sharing, see `check_epoch`).
    """
    renewal = session.exec(
        select(LeaseRenewalRow).where(col(LeaseRenewalRow.id) == 1).with_for_update()
    ).one()
    now = store_now(session)
    if renewal.holder is not None and renewal.expires_at is not None and renewal.expires_at > now:
        return None
    lease = session.exec(select(LeaseRow).where(col(LeaseRow.id) == 1).with_for_update()).one()
    # The new epoch starts once that lock is ours, after the last holder's writes under way: a
    # time read before the wait would date the takeover before writes of the last epoch.
    now = store_now(session)
    epoch = lease.epoch + 1
    lease.epoch, lease.holder, lease.host, lease.pid, lease.since = epoch, me, host, pid, now
    renewal.epoch, renewal.holder = epoch, me
    renewal.renewed_at, renewal.expires_at = now, now + seconds
    session.add_all([lease, renewal])
    return epoch


def renew(session: Session, *, me: str, epoch: int, seconds: float) -> bool:
    """Extend the lease of `me` at `epoch`; False when it is no longer theirs."""
    now = store_now(session)
    result = session.execute(
        update(LeaseRenewalRow)
        .where(
            col(LeaseRenewalRow.id) == 1,
            col(LeaseRenewalRow.holder) == me,
            col(LeaseRenewalRow.epoch) == epoch,
        )
        .values(renewed_at=now, expires_at=now + seconds)
    )
    return rows_changed(result) == 1


def release(session: Session, *, me: str) -> bool:
    """Give up the lease `me` holds, whatever its epoch (even one claimed by a transaction
    whose answer never came back): a standby takes it at its next look."""
    now = store_now(session)
    result = session.execute(
        update(LeaseRenewalRow)
        .where(col(LeaseRenewalRow.id) == 1, col(LeaseRenewalRow.holder) == me)
        .values(holder=None, expires_at=now)
    )
    return rows_changed(result) == 1


def check_epoch(session: Session, *, epoch: int) -> None:
    """The fence, first in every writing transaction of the active: raises Deposed once another
    instance has taken the lease. On PostgreSQL the lease row is locked for sharing until the
    transaction ends, so a takeover waits for this write; SQLite has one writer at a time."""
    query = select(col(LeaseRow.epoch)).where(col(LeaseRow.id) == 1)
    if _is_postgresql(session):
        query = query.with_for_update(read=True)
    current = session.exec(query).one()
    if current != epoch:
        raise Deposed(f"the lease is at epoch {current}; this instance held epoch {epoch}")


def say(session: Session, *, me: str, host: str, pid: int, role: Role, started_at: float) -> None:
    """Tell the others what this instance is doing now."""
    now = store_now(session)
    row = {
        "id": me,
        "host": host[:200],
        "pid": pid,
        "state": role.value,
        "started_at": started_at,
        "seen_at": now,
    }
    session.execute(upsert(session, InstanceRow, key="id", replace=("state", "seen_at")), [row])


def instances(session: Session, *, within: float) -> tuple[Holder, list[Instance]]:
    """The lease, and the instances heard of in the last `within` seconds, oldest first."""
    holder = read_holder(session)
    rows = session.exec(
        select(InstanceRow)
        .where(col(InstanceRow.seen_at) >= holder.now - within)
        .order_by(col(InstanceRow.started_at))
    ).all()
    return holder, [
        Instance(
            id=r.id,
            host=r.host,
            pid=r.pid,
            role=Role(r.state),
            started_at=r.started_at,
            seen_at=r.seen_at,
        )
        for r in rows
    ]


def forget_instances(session: Session, *, older_than: float) -> int:
    """Delete the instances unheard of for `older_than` seconds; how many."""
    now = store_now(session)
    return rows_changed(
        session.execute(delete(InstanceRow).where(col(InstanceRow.seen_at) < now - older_than))
    )
