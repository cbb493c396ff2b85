"""The sample exports under tests/data/schedules, and small helpers over parsed schedules."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.schedule_import.sources import SourceSchedule, SourceTalk, parse_schedule
from tests.support.paths import ROOT

SAMPLES = ROOT / "tests" / "data" / "schedules"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def parsed(name: str, **options: str) -> SourceSchedule:
    return parse_schedule(sample(name), **options)


def talk(schedule: SourceSchedule, uid: str) -> SourceTalk:
    found = [t for t in schedule.talks if t.uid == uid]
    assert len(found) == 1, f"{len(found)} talks with uid {uid}"
    return found[0]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def names(entry: SourceTalk) -> list[str]:
    return [p.name for p in entry.speakers]
