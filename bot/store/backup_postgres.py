"""Backups of a PostgreSQL store through pg_dump and pg_restore, in their custom format.

The password goes to the tools in their environment (PGPASSWORD), never on their command line,
where any user of the machine could read it. A restore checks that the dump is Amphi's before
pg_restore drops anything, keeps a dump of the current database first, and runs in one
transaction: it restores everything or nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import IO

from sqlalchemy.engine import URL, make_url

from bot.store.backup_files import MARKER, BackupError, aside_name, check_schema, create_private
from bot.store.db import normalize_url

#: A table of Amphi's in `pg_restore --list`: "… TABLE public alembic_version owner".
MARKER_ENTRY = re.compile(rf"^\d+; \d+ \d+ TABLE \S+ {MARKER} ", re.MULTILINE)


def backup(url: str, target: Path) -> None:
    command = ["pg_dump", "--format=custom", "--no-owner", f"--dbname={libpq(url)}"]
    with os.fdopen(create_private(target), "wb") as out:
        try:
            run_tool(command, env=tool_environment(url), stdout=out)
        except BaseException:
            target.unlink(missing_ok=True)
            raise


def check_backup(source: Path) -> None:
    """Refuse anything but a dump of an Amphi store this Amphi knows, before pg_restore --clean
    drops the database's tables."""
    try:
        listing = run_tool(["pg_restore", "--list", str(source)])
    except BackupError:
        raise BackupError(
            f"{source} is not a dump made by amphi db backup (pg_dump's custom format); "
            "nothing was changed"
        ) from None
    if MARKER_ENTRY.search(listing) is None:
        raise BackupError(f"{source} is not a backup of Amphi's store; nothing was changed")
    check_schema(dumped_revision(source), source)


def dumped_revision(source: Path) -> str | None:
    """The schema revision the dump's alembic_version table holds."""
    data = run_tool(
        ["pg_restore", "--data-only", f"--table={MARKER}", "--file=-", str(source)]
    ).splitlines()
    for index, line in enumerate(data):
        if line.startswith("COPY ") and index + 1 < len(data) and data[index + 1] != "\\.":
            return data[index + 1].strip()
    return None


def restore(url: str, source: Path) -> Path:
    """Replace the database at `url` with the dump `source`; where the replaced one was kept."""
    aside = aside_name(source.resolve().parent, "amphi", ".dump")
    backup(url, aside)
    run_tool(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={libpq(url)}",
            str(source),
        ],
        env=tool_environment(url),
    )
    return aside


def parsed(url: str) -> URL:
    return make_url(normalize_url(url))


def libpq(url: str) -> str:
    """The URL as the tools read it: no SQLAlchemy driver name, no password."""
    address = parsed(url)
    without_password = URL.create(
        "postgresql",
        username=address.username,
        host=address.host,
        port=address.port,
        database=address.database,
        query={key: value for key, value in address.query.items() if key != "password"},
    )
    return without_password.render_as_string(hide_password=False)


def tool_environment(url: str) -> dict[str, str]:
    """This process's environment, with the URL's password as libpq's PGPASSWORD."""
    address = parsed(url)
    password = address.password or address.query.get("password")
    environment = dict(os.environ)
    if isinstance(password, str) and password:
        environment["PGPASSWORD"] = password
    return environment


def run_tool(
    command: list[str], *, env: dict[str, str] | None = None, stdout: IO[bytes] | None = None
) -> str:
    """Run one of PostgreSQL's client tools; what it printed, unless `stdout` takes it."""
    tool = command[0]
    if shutil.which(tool) is None:
        raise BackupError(
            f"{tool} is not installed: install PostgreSQL's client tools (Debian: apt install "
            "postgresql-client), of the server's major version or newer"
        )
    done = subprocess.run(  # noqa: S603 - a fixed tool and its options; no shell, no password
        command,
        env=env,
        stdout=stdout if stdout is not None else subprocess.PIPE,
        stderr=subprocess.PIPE,
        check=False,
    )
    if done.returncode != 0:
        error = done.stderr.decode(errors="replace").strip()
        raise BackupError(f"{tool} failed: {error or done.returncode}")
    return done.stdout.decode(errors="replace") if stdout is None else ""
