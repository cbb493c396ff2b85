"""The election as `amphi status`, `health` and `doctor` show it: ages on the store's clock."""

from __future__ import annotations

from bot.doctor.checks import OK, WARN, instance_findings
from bot.standby.model import Holder, Instance, Role
from bot.standby.render import active_line, ago, duration, instance_lines, stamp, status_block

#: The store's clock when it was read: 2024-05-06 07:08:09 UTC. The machine reading it may be
#: anywhere in time; the render never asks it.
NOW = 1_714_979_289.0
ACTIVE_ID = "alpha:101:aaaaaa"


def holding(**changes) -> Holder:
    values = {
        "epoch": 7,
        "holder": ACTIVE_ID,
        "host": "alpha",
        "pid": 101,
        "since": NOW - 3600,
        "renewed_at": NOW - 3,
        "expires_at": NOW + 7,
        "now": NOW,
    }
    return Holder(**(values | changes))


def instance(id: str, role: Role, *, started: float = 600, seen: float = 2) -> Instance:
    host, pid, _ = id.split(":")
    return Instance(
        id=id, host=host, pid=int(pid), role=role, started_at=NOW - started, seen_at=NOW - seen
    )


ACTIVE = instance(ACTIVE_ID, Role.ACTIVE, started=4000)
STANDBY = instance("beta:202:bbbbbb", Role.STANDBY, started=600, seen=1)


def test_stamps_are_utc_and_ages_read_in_seconds_then_minutes() -> None:
    assert stamp(NOW) == "2024-05-06 07:08:09 UTC"
    assert stamp(None) == "never"
    assert duration(3.4) == "3 s" and duration(119) == "119 s"
    assert duration(600) == "10 min" and duration(7200) == "2 h" and duration(7500) == "2 h 5 min"
    assert duration(5 * 86400) == "5 days"
    assert ago(NOW - 3, NOW) == "3 s ago"
    assert ago(NOW + 2, NOW) == "just now"  # a store's clock set back: no negative age


def test_the_active_and_the_standby_each_get_a_line() -> None:
    lines = instance_lines(holding(), [ACTIVE, STANDBY])
    assert lines == [
        "active: alpha pid 101 (epoch 7), since 2024-05-06 06:08:09 UTC, lease renewed 3 s ago, "
        "good for 7 s more",
        "standby: beta pid 202, standing by since 2024-05-06 06:58:09 UTC, last heard 1 s ago",
    ]


def test_an_active_alone_is_told_nothing_takes_over() -> None:
    lines = instance_lines(holding(), [ACTIVE])
    assert lines[0].startswith("active: alpha pid 101 (epoch 7)")
    assert lines[1:] == ["No instance stands by: if the active stops, nothing takes over."]


def test_the_holder_listed_as_a_standby_a_moment_ago_is_shown_once_as_active() -> None:
    just_took = instance(ACTIVE_ID, Role.STANDBY)
    lines = instance_lines(holding(), [just_took, STANDBY])
    assert [line.split(":")[0] for line in lines] == ["active", "standby"]


def test_none_running_on_a_released_lease() -> None:
    released = holding(holder=None, expires_at=NOW - 65)
    stopped = instance(ACTIVE_ID, Role.STOPPED, seen=65)
    lines = instance_lines(released, [stopped])
    assert lines == [
        "No instance is running (the lease is free: released 65 s ago).",
        "stopped: alpha pid 101, stopped 65 s ago",
    ]


def test_none_running_on_a_store_where_no_instance_ever_ran() -> None:
    never = holding(epoch=0, holder=None, host="", pid=0, since=None, renewed_at=None,
                    expires_at=None)  # fmt: skip
    assert instance_lines(never, []) == ["No instance is running (the lease was never taken)."]
    assert status_block(never, []).splitlines() == [
        "instances:",
        "  No instance is running (the lease was never taken).",
    ]


def test_a_lapsed_lease_says_since_when_and_that_a_standby_takes_it() -> None:
    lapsed = holding(renewed_at=NOW - 14, expires_at=NOW - 4)
    killed = instance(ACTIVE_ID, Role.ACTIVE, seen=14)
    lines = instance_lines(lapsed, [killed, STANDBY])
    assert lines[0] == (
        "No instance is active (the lease lapsed 4 s ago): a standby takes it at its next look."
    )
    assert "gone:    alpha pid 101, last heard as active 14 s ago" in lines
    assert any(line.startswith("standby: beta pid 202") for line in lines)
    assert active_line(lapsed) == "No instance is active (the lease lapsed 4 s ago)."


def test_a_lapsed_lease_with_no_standby_is_no_instance_running() -> None:
    lapsed = holding(renewed_at=NOW - 200, expires_at=NOW - 190)
    lines = instance_lines(lapsed, [instance(ACTIVE_ID, Role.ACTIVE, seen=25)])
    assert lines[0] == "No instance is running (the lease lapsed 3 min ago)."


def test_the_doctor_finds_the_active_and_the_standbys_ok() -> None:
    [finding] = instance_findings(holding(), [ACTIVE, STANDBY], sqlite=False)
    assert (finding.check, finding.status) == ("instances", OK)
    assert finding.detail == (
        "active: alpha pid 101 (epoch 7), lease renewed 3 s ago; standing by: beta pid 202"
    )


def test_the_doctor_warns_when_no_instance_is_active() -> None:
    lapsed = holding(renewed_at=NOW - 14, expires_at=NOW - 4)
    [waiting] = instance_findings(lapsed, [STANDBY], sqlite=False)
    assert waiting.status == WARN
    assert waiting.detail.startswith("no instance is active (the lease lapsed 4 s ago)")
    assert "standby takes the lease" in waiting.fix
    [nobody] = instance_findings(holding(holder=None, expires_at=NOW - 1), [], sqlite=False)
    assert nobody.status == WARN and "amphi run" in nobody.fix


def test_on_sqlite_the_doctor_says_a_standby_runs_on_this_machine_only() -> None:
    findings = instance_findings(holding(), [ACTIVE, STANDBY], sqlite=True)
    assert [f.status for f in findings] == [OK, OK]
    assert "this machine only" in findings[1].detail and "PostgreSQL" in findings[1].detail
