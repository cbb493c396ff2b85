"""A network partition between the active `amphi run` and its PostgreSQL store, the standby
still reaching it: the active steps down before the standby connects, and nothing the deposed
active still had in flight lands after the new epoch began."""

from __future__ import annotations

import asyncio
import re
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.support.harness import eventually
from tests.support.processes import kill, meeting_file, run_env
from tests.support.tcp_proxy import TcpProxy

LEASE = 3.0
IN_PERSON = {"mode": "in_person", "member": True}
RENEWAL = ("amphi-a", "lease_renewal")
#: The tables Amphi writes while members register and it runs: each write is audited with the
#: application name of the connection that made it. (`instance` is left out: an instance says
#: what it is doing without the fence, and a late word about itself harms nobody.)
AUDITED = (
    "registration",
    "command",
    "app_state",
    "planned_post",
    "dm_delivery",
    "dm_channel",
    "announcement",
    "lease",
    "lease_renewal",
)


def connect(url: str) -> psycopg.Connection:
    parsed = make_url(url)
    return psycopg.connect(
        host=parsed.host,
        port=parsed.port,
        user=parsed.username,
        dbname=parsed.database,
        autocommit=True,
        application_name="partition-test",
    )


def install_audit(url: str) -> None:
    with connect(url) as conn:
        conn.execute(
            "CREATE TABLE audit (at double precision DEFAULT extract(epoch FROM clock_timestamp()),"
            " app text, tbl text, op text)"
        )
        conn.execute(
            """CREATE FUNCTION audit_write() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              INSERT INTO audit (app, tbl, op)
              VALUES (current_setting('application_name'), TG_TABLE_NAME, TG_OP);
              RETURN NULL;
            END $$"""
        )
        for table in AUDITED:
            conn.execute(
                f"CREATE TRIGGER audit_{table} AFTER INSERT OR UPDATE OR DELETE ON {table}"
                " FOR EACH ROW EXECUTE FUNCTION audit_write()"
            )


def audit(url: str) -> list[tuple[float, str, str, str]]:
    with connect(url) as conn:
        return [tuple(r) for r in conn.execute("SELECT at, app, tbl, op FROM audit ORDER BY at")]


def lease(url: str) -> tuple[int, float]:
    with connect(url) as conn:
        epoch, since = conn.execute("SELECT epoch, since FROM lease WHERE id = 1").fetchone()
        return epoch, since


def sessions_of(url: str, app: str) -> list[tuple[str, str]]:
    """(state, query) of each server session of `app` on the test database."""
    with connect(url) as conn:
        rows = conn.execute(
            "SELECT state, left(query, 60) FROM pg_stat_activity"
            " WHERE application_name = %s AND datname = current_database()",
            (app,),
        )
        return [tuple(r) for r in rows]


def registered(url: str) -> list[int]:
    with connect(url) as conn:
        return [r[0] for r in conn.execute("SELECT user_id FROM registration")]


def waiting_on_locks(url: str, app: str) -> int:
    with connect(url) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s"
            " AND datname = current_database() AND wait_event_type = 'Lock'",
            (app,),
        ).fetchone()[0]


def identified(fake) -> list[tuple[int, float]]:
    return [(e.connection, e.at) for e in fake.gateway.timeline if e.kind == "identified"]


def two_instances(
    fake, folder: Path, postgres_url: str, proxy: TcpProxy
) -> tuple[dict[str, str], dict[str, str]]:
    """The environments of the active (amphi-a, through the proxy) and of the standby (amphi-b,
    straight to the store), on a meeting half an hour away."""
    now = datetime.now(UTC)
    start = (now + timedelta(minutes=30)).replace(second=0, microsecond=0)
    meetings = meeting_file(folder, start, start - timedelta(minutes=5), start)
    behind_proxy = make_url(postgres_url).set(port=proxy.port)
    lease_seconds = {"AMPHI_LEASE_SECONDS": str(int(LEASE))}
    env_a = run_env(
        fake,
        meetings,
        behind_proxy.render_as_string(hide_password=False),
        PGAPPNAME="amphi-a",
        **lease_seconds,
    )
    env_b = run_env(fake, meetings, postgres_url, PGAPPNAME="amphi-b", **lease_seconds)
    return env_a, env_b


@pytest.mark.postgres
@pytest.mark.parametrize("partition", ["stall", "cut"])
async def test_a_partitioned_active_steps_down_before_the_standby_takes_over(
    fake, tmp_path: Path, postgres_url: str, runs, partition: str
) -> None:
    install_audit(postgres_url)
    loop = asyncio.get_running_loop()
    with TcpProxy(make_url(postgres_url).port or 5432) as proxy:
        env_a, env_b = two_instances(fake, tmp_path, postgres_url, proxy)
        active = await runs.start(fake, env_a)
        standby = await runs.start_standby(env_b)
        try:
            [(a_connection, _)] = identified(fake)
            before = [fake.add_member(f"before{i}") for i in range(4)]
            for member in before:
                reply = await (await fake.invoke("register", IN_PERSON, user=member)).message()
                assert "You are registered" in reply.content

            # Commands arrive, and the active's store goes away in the middle of them: another
            # writer holds the seats, so the active's registrations are past the fence (the
            # lease locked for sharing) and wait, in flight, when the line goes.
            seats = connect(postgres_url)
            seats.execute("BEGIN")
            seats.execute("SELECT 1 FROM registration_control FOR UPDATE")
            during = [fake.add_member(f"during{i}") for i in range(12)]
            burst = [
                asyncio.create_task(fake.invoke("register", IN_PERSON, user=m)) for m in during
            ]
            await eventually(lambda: waiting_on_locks(postgres_url, "amphi-a") > 0, timeout=15)
            getattr(proxy, partition)()
            partitioned_at, partitioned_wall = loop.time(), time.time()
            in_flight = sessions_of(postgres_url, "amphi-a")
            await asyncio.sleep(0.3)
            seats.execute("ROLLBACK")  # the active's writes go on, their answers held
            seats.close()
            await asyncio.sleep(0.3)
            early = sessions_of(postgres_url, "amphi-a")

            await eventually(lambda: len(identified(fake)) >= 2, timeout=30)
            [(b_connection, b_identified)] = identified(fake)[1:]
            a_closed = fake.gateway.closed_at(a_connection)
            taken_over = sessions_of(postgres_url, "amphi-a")
            epoch, since = lease(postgres_url)

            # A write of the active was under way at the partition (past the fence, the lease
            # locked for sharing); by the takeover the store had ended it (idle in transaction
            # past half a lease, or its connection reset), and its locks with it.
            assert any(s == "active" and "registration_control" in q for s, q in in_flight)
            if partition == "stall":  # no byte crossed: the store itself ended it
                assert any(s == "idle in transaction" for s, _ in early)
            assert [s for s, _ in taken_over if s != "idle"] == []
            # The active closed its gateway before the standby's session began: never two. It
            # did so before its lease could expire in the store, by its margin.
            assert a_closed is not None and a_closed < b_identified
            offset = partitioned_wall - partitioned_at  # the fake's loop time -> store's clock
            renewals = [at for at, app, tbl, _ in audit(postgres_url) if (app, tbl) == RENEWAL]
            last_renewal = max(at for at in renewals if at <= partitioned_wall)
            assert a_closed + offset < last_renewal + LEASE
            assert fake.gateway.most_live_sessions == 1
            assert epoch == 2
            assert "Lost the lease (epoch 1)" in runs.log_of(1)
            assert "Active: instance" in runs.log_of(2)

            # The new active answers new commands.
            after = [fake.add_member(f"after{i}") for i in range(3)]
            for member in after:
                reply = await (await fake.invoke("register", IN_PERSON, user=member)).message(
                    timeout=15
                )
                assert "You are registered" in reply.content

            # Deposed, the active stands by at once, though its store is still out of reach:
            # nothing of it waits for the store (its last run's work is the new active's).
            await eventually(
                lambda: re.search(
                    r"Lost the lease.*did not answer the standby's look", runs.log_of(1), re.S
                ),
                timeout=4 * LEASE,
            )

            # The partition heals: what it held reaches the store now.
            proxy.restore()
            await asyncio.sleep(LEASE + 2)
            await eventually(
                lambda: re.search(r"Lost the lease.*Standing by", runs.log_of(1), re.S), timeout=30
            )
            # A command of the burst was answered, or never acknowledged: nothing promised.
            outcomes = []
            for task in burst:
                result = await task
                if result.acknowledged:
                    outcomes.append((await result.message(timeout=15)).content[:40])
                else:
                    outcomes.append("not acknowledged")
            assert all(
                o == "not acknowledged"
                or o.startswith(("You are registered", "The database is briefly unavailable"))
                for o in outcomes
            ), outcomes
            rows = audit(postgres_url)

            # Nothing the deposed active wrote landed once the new epoch had begun.
            late = [r for r in rows if r[1] == "amphi-a" and r[0] > since]
            assert late == []
            assert any(r[1] == "amphi-a" and r[2] == "registration" for r in rows)
            assert any(r[1] == "amphi-b" and r[2] == "registration" for r in rows)
            # One session all along: the deposed process stands by and never connects again.
            assert len(identified(fake)) == 2
            assert fake.gateway.closed_at(b_connection) is None
            assert fake.already_acknowledged == []
            stored = registered(postgres_url)
            assert len(stored) == len(set(stored))
            assert {m.id for m in before + after} <= set(stored)
            assert standby.returncode is None and active.returncode is None
            assert epoch == lease(postgres_url)[0]
        finally:
            await kill(active)
            await kill(standby)

    # The timeline, on the store's clock, from the partition.
    a_writes = [r for r in rows if r[1] == "amphi-a" and r[2] != "lease_renewal"]
    print(f"\n--- partition by {partition}() at t=0 (lease {LEASE:g} s)")
    print(f"active's last renewal        t={last_renewal - partitioned_wall:+.3f}")
    print(f"active's gateway closed      t={a_closed + offset - partitioned_wall:+.3f}")
    print(f"lease expiry (store)         t={last_renewal + LEASE - partitioned_wall:+.3f}")
    print(f"standby's claim (since)      t={since - partitioned_wall:+.3f}")
    print(f"standby's session live       t={b_identified + offset - partitioned_wall:+.3f}")
    print(f"active's last write landed   t={max(r[0] for r in a_writes) - partitioned_wall:+.3f}")
    print(f"amphi-a sessions at t=0:     {in_flight}")
    print(f"amphi-a sessions at t=0.6:   {early}")
    print(f"amphi-a sessions at takeover: {taken_over}")
    print(f"writes of amphi-a after t=0: {[r for r in a_writes if r[0] > partitioned_wall]}")
    print(f"burst: {outcomes}")
    log_a = runs.log_of(1)
    for line in log_a.splitlines():
        if re.search(r"Lost the lease|Standing by|Could not renew|standby's look", line):
            print("A:", line[:220])


def pending_tasks_of_the_bot() -> list[str]:
    return sorted(
        task.get_name()
        for task in asyncio.all_tasks()
        if not task.done() and task.get_name().startswith("amphi-")
    )


async def test_stepping_down_stops_every_task_of_the_run(amphi, fake) -> None:
    """A deposed run leaves nothing going beside the next one: the gateway closes and the cogs'
    background work (the capacity panel, the roles, the Events tab…) stops, without waiting
    for the store."""
    bot, _services = amphi
    olga = fake.add_member("olga", roles=["Organizer"])
    await (await fake.invoke("registrations panel", user=olga)).message()
    await (await fake.invoke("register", IN_PERSON, user=fake.add_member("ada"))).message()
    assert "amphi-capacity-panel" in pending_tasks_of_the_bot()
    await bot.step_down(1.0)
    assert fake.gateway.live_sessions() == 0
    assert not bot.may_send()
    # A write under way finishes (or is refused); nothing goes on for good.
    await asyncio.sleep(1.0)
    assert pending_tasks_of_the_bot() == []


@pytest.mark.postgres
async def test_a_deposed_instance_still_cut_off_from_its_store_stops_when_told(
    fake, tmp_path: Path, postgres_url: str, runs
) -> None:
    """SIGTERM to an instance deposed by a partition that has not healed: it stops, though its
    last run's transactions still hang on the silent line."""
    with TcpProxy(make_url(postgres_url).port or 5432) as proxy:
        env_a, env_b = two_instances(fake, tmp_path, postgres_url, proxy)
        active = await runs.start(fake, env_a)
        standby = await runs.start_standby(env_b)
        try:
            seats = connect(postgres_url)
            seats.execute("BEGIN")
            seats.execute("SELECT 1 FROM registration_control FOR UPDATE")
            burst = [
                asyncio.create_task(
                    fake.invoke("register", IN_PERSON, user=fake.add_member(f"s{i}"))
                )
                for i in range(6)
            ]
            await eventually(lambda: waiting_on_locks(postgres_url, "amphi-a") > 0, timeout=15)
            proxy.stall()
            seats.execute("ROLLBACK")
            seats.close()
            await eventually(
                lambda: re.search(
                    r"Lost the lease.*did not answer the standby's look", runs.log_of(1), re.S
                ),
                timeout=4 * LEASE,
            )
            active.send_signal(signal.SIGTERM)
            # A supervisor's stop: well within the time it gives before SIGKILL.
            await asyncio.wait_for(active.wait(), 4 * LEASE)
            assert active.returncode == 0
            assert fake.gateway.most_live_sessions == 1
            await asyncio.gather(*burst)
        finally:
            proxy.restore()
            await kill(active)
            await kill(standby)
