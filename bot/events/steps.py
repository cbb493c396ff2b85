"""What one sync pass does, event by event, to bring Discord in step with the programme (pure).

A pass is the one place where events are created, edited, cancelled, and, in a stage or voice
channel, started and ended: it runs at start, every 10 minutes, and at each session's start and
end, so a bot that was down at a session's start still starts its event on its next pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.events.model import EventPlan, EventStatus, ListedEvent, StoredEvent

#: How far ahead an event starts when its session is already under way (made late, or moved
#: into the past): Discord takes no start in the past, and a request takes a moment to reach it.
LEAD = timedelta(minutes=1)


@dataclass(frozen=True)
class Create:
    plan: EventPlan
    start: datetime | None = None  # for a session under way: soon, not its past start


@dataclass(frozen=True)
class Adopt:
    """An event a crash left unrecorded, found again: record it (then edit it if need be)."""

    plan: EventPlan
    event_id: int


@dataclass(frozen=True)
class Update:
    """An event whose session changed: `changes` is what Discord's event lacks, JSON-ready."""

    plan: EventPlan
    event_id: int
    changes: dict[str, object]


@dataclass(frozen=True)
class Start:
    """A stage or voice event whose session is under way: Discord leaves starting it to us."""

    plan: EventPlan
    event_id: int


@dataclass(frozen=True)
class End:
    """A stage or voice event whose session is over: ended, or cancelled if never started."""

    plan: EventPlan
    event_id: int
    active: bool


@dataclass(frozen=True)
class Cancel:
    """An event whose session left the programme."""

    stored: StoredEvent
    event_id: int | None
    active: bool  # an active event is ended, a scheduled one cancelled


@dataclass(frozen=True)
class Lost:
    """An event deleted in Discord by hand: not recreated unless an organizer asks."""

    stored: StoredEvent


@dataclass(frozen=True)
class Done:
    """An event past its end that Discord no longer lists."""

    stored: StoredEvent


Action = Create | Adopt | Update | Start | End | Cancel | Lost | Done


def reconcile(
    plans: Iterable[EventPlan],
    stored: Mapping[str, StoredEvent],
    listed: Mapping[int, ListedEvent],
    *,
    now: datetime,
    bot_id: int,
    recreate: bool = False,
    lead: timedelta = LEAD,
) -> list[Action]:
    """What one pass does. The events that stop (ended or cancelled) come first: a stage
    channel holds one active event at a time, so the next session's cannot start before.
    `lead`: how far ahead of `now` a session under way has its event start."""
    stops: list[Action] = []
    steps: list[Action] = []
    plans = list(plans)
    held = {s.event_id for s in stored.values() if s.event_id is not None}
    wanted = {plan.key for plan in plans}
    for plan in plans:
        row = stored.get(plan.key)
        if row is not None and row.status == "done":
            continue
        if row is not None and row.status == "live" and row.event_id is not None:
            event = listed.get(row.event_id)
            if event is None:
                if row.end <= now or plan.end <= now:
                    steps.append(Done(row))
                elif recreate and creatable(plan, now, lead):
                    steps.append(create(plan, now, lead))
                else:
                    steps.append(Lost(row))
            else:
                stops += _stop(plan, event, now)
                steps += _keep(plan, row.digest, event, now, lead)
            continue
        if row is not None and row.status == "lost" and not recreate:
            continue
        orphan = _orphan(row, listed, held, bot_id)
        if orphan is not None:
            held.add(orphan.id)
            steps.append(Adopt(plan, orphan.id))
            stops += _stop(plan, orphan, now)
            steps += _keep(plan, "", orphan, now, lead)
        elif creatable(plan, now, lead):
            steps.append(create(plan, now, lead))
    for row in stored.values():
        if row.key in wanted or row.status not in ("live", "creating"):
            continue
        if row.event_id is not None:
            event = listed.get(row.event_id)
        else:  # a claim whose creation a crash cut short: its event may be there all the same
            event = _orphan(row, listed, held, bot_id)
        active = event is not None and event.status is EventStatus.ACTIVE
        stops.append(Cancel(row, event.id if event else None, active))
    return stops + steps


def creatable(plan: EventPlan, now: datetime, lead: timedelta = LEAD) -> bool:
    """Whether an event can still be made for the plan: its session is not (nearly) over."""
    return plan.end > max(plan.start, now + lead)


def create(plan: EventPlan, now: datetime, lead: timedelta = LEAD) -> Create:
    """The creation of a plan's event; one whose session is under way starts soon instead."""
    return Create(plan) if plan.start > now + lead else Create(plan, now + lead)


def _live(plan: EventPlan, event: ListedEvent) -> bool:
    """Whether the bot starts and ends this event (Discord does so at the venue)."""
    return event.live if event.kind is not None else plan.place.live


def _stop(plan: EventPlan, event: ListedEvent, now: datetime) -> list[Action]:
    if plan.end <= now and _live(plan, event):
        return [End(plan, event.id, event.status is EventStatus.ACTIVE)]
    return []


def _keep(
    plan: EventPlan, digest: str, event: ListedEvent, now: datetime, lead: timedelta
) -> list[Action]:
    """An event of a session not over yet: edited if its session changed, started once it is
    under way."""
    if plan.end <= now:
        return []
    steps: list[Action] = []
    if digest != plan.digest:
        steps.append(Update(plan, event.id, changes(plan, event, now, lead)))
    if _live(plan, event) and event.status is EventStatus.SCHEDULED and plan.start <= now:
        steps.append(Start(plan, event.id))
    return steps


def changes(
    plan: EventPlan, event: ListedEvent, now: datetime, lead: timedelta = LEAD
) -> dict[str, object]:
    """What of the plan Discord's event lacks: only that is sent, and never a start in the
    past (Discord refuses it, as it refuses any change of start or place once under way). The
    cover image is not in the list; the service adds it."""
    wanted = plan.payload(edit=True)
    sent: dict[str, object] = {}
    if event.name != plan.name:
        sent["name"] = wanted["name"]
    if event.description != plan.description:
        sent["description"] = wanted["description"]
    if event.end != plan.end:
        sent["scheduled_end_time"] = wanted["scheduled_end_time"]
    if event.status is EventStatus.ACTIVE:
        return sent
    live = plan.place.live
    place = (plan.place.kind, plan.place.channel_id if live else None)
    if (event.kind, event.channel_id) != place or (not live and event.location != plan.location):
        for name in ("entity_type", "channel_id", "entity_metadata"):
            sent[name] = wanted[name]
    soon = now + lead
    if event.start != plan.start:
        if plan.start > soon:
            sent["scheduled_start_time"] = wanted["scheduled_start_time"]
        elif event.start > soon:  # moved to a time already past: it starts now
            sent["scheduled_start_time"] = soon.isoformat()
    return sent


def _orphan(
    row: StoredEvent | None,
    listed: Mapping[int, ListedEvent],
    held: set[int],
    bot_id: int,
) -> ListedEvent | None:
    """The bot's event that a pass a crash cut short created for this claim: no row holds it,
    and it has the name and start that were claimed (another meeting's events never do)."""
    if row is None or row.status != "creating":
        return None
    return next(
        (
            event
            for event in listed.values()
            if event.creator_id == bot_id
            and event.id not in held
            and event.name == row.name
            and event.start == row.start
        ),
        None,
    )
