"""The engine and the one way to use it: `await db.run(fn, ...)` in a worker thread.

The store is synchronous SQLAlchemy run in a small thread pool rather than an async engine: the
command line, Alembic and the bot then share one code path, SQLite has a single writer anyway,
and the event loop never waits on the database.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Engine, Insert, Result, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError, OperationalError
from sqlmodel import Session, SQLModel

from bot.core.errors import StoreUnavailable

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 15_000
PG_CONNECT_TIMEOUT = 10  # seconds

#: The name every worker thread of a `Database` starts with.
STORE_THREADS = "amphi-db"


@contextmanager
def unavailable_as_such() -> Iterator[None]:
    """The driver's "could not reach the database" (or "busy past the timeout") raised as the
    store's own StoreUnavailable, so callers need not know SQLAlchemy's exceptions."""
    try:
        yield
    except (OperationalError, InterfaceError) as error:
        raise StoreUnavailable(str(error).splitlines()[0]) from error
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
        raise StoreUnavailable(str(error).splitlines()[0]) from error


def normalize_url(url: str) -> str:
    """Use the psycopg 3 driver for PostgreSQL URLs that name no driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def shown_url(url: str) -> str:
    """`url` for messages, its password hidden."""
    try:
        return make_url(normalize_url(url)).render_as_string(hide_password=True)
    except ArgumentError:
        return "(an unreadable URL)"


def sqlite_file_missing(url: str) -> bool:
    """Whether `url` is a SQLite store whose file does not exist (opening it would create it)."""
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() != "sqlite":
        return False
    database = parsed.database or ":memory:"
    return database == ":memory:" or not Path(database).is_file()


def silent_line_limits(seconds: float) -> dict[str, object]:
    """libpq's limits on a line gone silent (a partition): a request unacknowledged for
    `seconds`, or an answer awaited on a line that stopped answering TCP's probes (sent each
    second after a third of `seconds`, three times), fails the connection instead of hanging
    its thread until the network heals."""
    return {
        "tcp_user_timeout": max(1000, int(seconds * 1000)),
        "keepalives": 1,
        "keepalives_idle": max(1, round(seconds / 3)),
        "keepalives_interval": 1,
        "keepalives_count": 3,
    }


def make_engine(
    url: str, *, timeout: float | None = None, idle_in_transaction: float | None = None
) -> Engine:
    """An engine for `url`; SQLite gets WAL, a busy timeout, foreign keys and real transactions.

    With `timeout` (seconds), no statement, lock wait or connection attempt takes longer, and on
    PostgreSQL a transaction idle longer than `timeout` is ended (the lease's engine). With
    `idle_in_transaction` (seconds), PostgreSQL ends a transaction whose client went silent that
    long, and the locks it held with it (an instance cut off from the store cannot hold up the
    one taking over).
    """
    url = normalize_url(url)
    parsed = make_url(url)
    busy_ms = SQLITE_BUSY_TIMEOUT_MS if timeout is None else int(timeout * 1000)
    if parsed.get_backend_name() != "sqlite":
        if timeout is None:
            # A store out of reach is told in seconds, not after the system's TCP timeout.
            options: dict[str, object] = {
                "connect_timeout": PG_CONNECT_TIMEOUT,
                **silent_line_limits(PG_CONNECT_TIMEOUT),
            }
            if idle_in_transaction is not None:
                ms = int(idle_in_transaction * 1000)
                options["options"] = f"-c idle_in_transaction_session_timeout={ms}"
            return create_engine(
                url, pool_pre_ping=True, pool_size=8, max_overflow=4, connect_args=options
            )
        ms = int(timeout * 1000)
        # A transaction of this engine idle that long has lost its client: ended, its locks
        # with it (a lease renewal cut off before its COMMIT would lock out every claim).
        idle_ms = int((idle_in_transaction or timeout) * 1000)
        # One connection, kept: a renewal costs one round trip, not a new session of the
        # server's. The election runs one lease transaction at a time; a connection broken by
        # the network fails its transaction, and the next one connects anew.
        return create_engine(
            url,
            pool_size=1,
            max_overflow=0,
            pool_timeout=timeout,
            connect_args={
                "connect_timeout": max(1, round(timeout)),
                **silent_line_limits(timeout),
                "options": f"-c statement_timeout={ms} -c lock_timeout={ms}"
                f" -c idle_in_transaction_session_timeout={idle_ms}",
            },
        )

    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": busy_ms / 1000}
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record) -> None:
        # Let SQLAlchemy's BEGIN below open transactions (pysqlite's own would come too late).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        # A writing transaction takes the write lock up front, so two writers never deadlock
        # upgrading their read locks.
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Database:
    """The store's engine and the worker threads that use it."""

    def __init__(
        self,
        url: str,
        *,
        workers: int = 4,
        timeout: float | None = None,
        idle_in_transaction: float | None = None,
    ) -> None:
        self.url = normalize_url(url)
        self.engine = make_engine(
            self.url, timeout=timeout, idle_in_transaction=idle_in_transaction
        )
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._writer = self.engine.execution_options(sqlite_immediate=True)
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=STORE_THREADS)
        # SQLite has one writer: queueing our own writers here beats its busy handler's sleeps.
        self._sqlite_writer = _sqlite_writer_of(self.engine) if self.is_sqlite else None
        #: Run first in every writing transaction when set: the active instance's check that it
        #: still holds the lease (`bot.standby.queries.check_epoch`), which raises otherwise.
        self.fence: Callable[[Session], None] | None = None

    def call(self, fn: Callable[..., T], /, *args: Any, write: bool = False, **kwargs: Any) -> T:
        """Run `fn(session, *args, **kwargs)` in one transaction, here and now (blocking)."""
        if write and self.fence is not None:
            fn = _fenced(self.fence, fn)
        if write and self._sqlite_writer is not None:
            with self._sqlite_writer:
                return self._transaction(self._writer, fn, *args, **kwargs)
        return self._transaction(self._writer if write else self.engine, fn, *args, **kwargs)

    def dry_run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run the writing `fn(session, *args, **kwargs)` in a transaction that is rolled back.

        What `fn` returns is what the write would have done; the store is left as it was. The
        result must not be rows of the session (they are expired by the rollback).
        """
        if self._sqlite_writer is not None:
            with self._sqlite_writer:
                return self._rolled_back(fn, *args, **kwargs)
        return self._rolled_back(fn, *args, **kwargs)

    def _rolled_back(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        with unavailable_as_such(), Session(self._writer) as session:
            session.begin()
            try:
                return fn(session, *args, **kwargs)
            finally:
                session.rollback()

    @staticmethod
    def _transaction(bind: Engine, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        with (
            unavailable_as_such(),
            Session(bind, expire_on_commit=False) as session,
            session.begin(),
        ):
            return fn(session, *args, **kwargs)

    async def run(
        self, fn: Callable[..., T], /, *args: Any, write: bool = False, **kwargs: Any
    ) -> T:
        """Run `fn(session, *args, **kwargs)` in one transaction in a worker thread."""
        loop = asyncio.get_running_loop()
        job = functools.partial(self.call, fn, *args, write=write, **kwargs)
        return await loop.run_in_executor(self._executor, job)

    def close(self) -> None:
        """Stop the workers and close every connection."""
        self._executor.shutdown(wait=True)
        self.engine.dispose()

    def abandon(self) -> None:
        """Close without waiting: transactions under way may hang on a broken network, and
        whatever they would still write is refused by the fence. Queued ones never start."""
        self._executor.shutdown(wait=False, cancel_futures=True)
        self.engine.dispose(close=False)


#: One writer lock per SQLite file in this process, shared by every Database on it: the lease's
#: renewals then queue with the bot's writers instead of polling SQLite's busy handler.
_SQLITE_WRITERS: dict[str, threading.Lock] = {}
_SQLITE_WRITERS_LOCK = threading.Lock()


def _sqlite_writer_of(engine: Engine) -> threading.Lock:
    database = engine.url.database or ":memory:"
    key = database if database == ":memory:" else str(Path(database).resolve())
    if key == ":memory:":
        return threading.Lock()
    with _SQLITE_WRITERS_LOCK:
        return _SQLITE_WRITERS.setdefault(key, threading.Lock())


def _fenced(fence: Callable[[Session], None], fn: Callable[..., T]) -> Callable[..., T]:
    def fenced(session: Session, /, *args: Any, **kwargs: Any) -> T:
        fence(session)
        return fn(session, *args, **kwargs)

    return fenced


def rows_changed(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE changed (SQLAlchemy types its result as a plain Result)."""
    return cast(CursorResult[Any], result).rowcount


def insert_or_ignore(session: Session, table: type[SQLModel]) -> Insert:
    """An INSERT of `table` that skips rows whose key exists, in the session's SQL dialect."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


def upsert(session: Session, table: type[SQLModel], *, key: str, replace: Sequence[str]) -> Insert:
    """An INSERT of `table` that, where a row with the same `key` exists, sets its `replace`
    columns to the new values instead, in the session's SQL dialect."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    insert = dialect.insert(table)
    return insert.on_conflict_do_update(
        index_elements=[key], set_={name: insert.excluded[name] for name in replace}
    )
