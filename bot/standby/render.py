"""The election as the operator reads it (`amphi status`, `amphi health`, `amphi doctor`).

Every age is measured on the store's clock (`Holder.now`), the one the lease is kept on: the
machine that asks may be another, with a clock of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from bot.standby.model import Holder, Instance, Role


def stamp(seconds: float | None) -> str:
    """A moment of the store's clock as a UTC stamp."""
    if seconds is None:
        return "never"
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(seconds: float) -> str:
    """`seconds` for a person: "12 s", "5 min", "3 h 20 min", "2 days"."""
    seconds = max(seconds, 0.0)
    if seconds < 120:
        return f"{seconds:.0f} s"
    minutes = int(seconds // 60)
    if minutes < 120:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} days"


def ago(moment: float | None, now: float) -> str:
    """How long before `now` (the store's clock) `moment` was: "3 s ago"."""
    if moment is None:
        return "never"
    if moment > now:  # written by a store whose clock has since been set back
        return "just now"
    return duration(now - moment) + " ago"


def no_active(holder: Holder) -> str:
    """Why no instance holds the lease: released, never taken, or lapsed some time ago."""
    if holder.since is None:
        return "the lease was never taken"
    if holder.holder is None:
        return f"the lease is free: released {ago(holder.expires_at, holder.now)}"
    return f"the lease lapsed {ago(holder.expires_at, holder.now)}"


def active_line(holder: Holder) -> str:
    """The active instance in one line, or why there is none."""
    if holder.lapsed:
        return f"No instance is active ({no_active(holder)})."
    return (
        f"active: {holder.host} pid {holder.pid} (epoch {holder.epoch}), since "
        f"{stamp(holder.since)}, lease renewed {ago(holder.renewed_at, holder.now)}, "
        f"good for {duration((holder.expires_at or holder.now) - holder.now)} more"
    )


def _other_line(instance: Instance, now: float) -> str:
    where = f"{instance.host} pid {instance.pid}"
    if instance.role == Role.STANDBY:
        return (
            f"standby: {where}, standing by since {stamp(instance.started_at)}, "
            f"last heard {ago(instance.seen_at, now)}"
        )
    if instance.role == Role.STOPPED:
        return f"stopped: {where}, stopped {ago(instance.seen_at, now)}"
    # Said it was active, and no longer holds the lease: killed, or stepping down.
    return f"gone:    {where}, last heard as active {ago(instance.seen_at, now)}"


def instance_lines(holder: Holder, instances: Sequence[Instance]) -> list[str]:
    """Who is active and who stands by, as `amphi status` prints them after a heading."""
    now = holder.now
    standbys = [i for i in instances if i.role == Role.STANDBY and i.id != holder.holder]
    running = not holder.lapsed or standbys
    if not running:
        lines = [f"No instance is running ({no_active(holder)})."]
    else:
        lines = [active_line(holder)]
        if holder.lapsed:
            lines[0] = lines[0].removesuffix(".") + ": a standby takes it at its next look."
    # The holder is the line above while it holds; once its lease lapsed, it is one of these.
    lines += [_other_line(i, now) for i in instances if holder.lapsed or i.id != holder.holder]
    if running and not standbys:
        lines.append("No instance stands by: if the active stops, nothing takes over.")
    return lines


def status_block(holder: Holder, instances: Sequence[Instance]) -> str:
    """The instances' part of `amphi status`."""
    return "\n".join(["instances:", *("  " + line for line in instance_lines(holder, instances))])


def summary(holder: Holder, instances: Sequence[Instance]) -> str:
    """The election in a few words, for the doctor's table."""
    standbys = [i for i in instances if i.role == Role.STANDBY and i.id != holder.holder]
    waiting = ", ".join(f"{i.host} pid {i.pid}" for i in standbys) or "none"
    if holder.lapsed:
        return f"no instance is active ({no_active(holder)}); standing by: {waiting}"
    return (
        f"active: {holder.host} pid {holder.pid} (epoch {holder.epoch}), lease renewed "
        f"{ago(holder.renewed_at, holder.now)}; standing by: {waiting}"
    )
