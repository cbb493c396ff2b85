"""What backups of either store share: the error they raise, private files, the schema check and
the copy kept aside before a restore."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import CommandError

from bot.store.migrate import alembic_config, head_revision

#: Amphi's own table, which a backup of its store holds.
MARKER = "alembic_version"


class BackupError(Exception):
    """A backup or a restore that cannot be done; the message says what to do instead."""


def create_private(path: Path) -> int:
    """Create `path` for writing, readable by its owner only (it holds members' data), and
    return its descriptor; never overwrite a file that exists."""
    try:
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BackupError(
            f"{path} exists already: choose a new file name, nothing is overwritten"
        ) from None
    except OSError as error:
        raise BackupError(f"{path} cannot be created: {error.strerror}") from None


def aside_name(directory: Path, stem: str, suffix: str) -> Path:
    """A new file in `directory` for the store a restore replaces, named by when it was kept."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"{stem}.before-restore-{stamp}{suffix}"
    count = 1
    while path.exists():  # two restores in the same second keep both copies
        count += 1
        path = directory / f"{stem}.before-restore-{stamp}-{count}{suffix}"
    return path


def check_schema(revision: str | None, source: Path) -> None:
    """Refuse a backup whose schema this Amphi does not know: it was made by a newer one, and the
    bot would not start on it (an older schema is fine: the bot migrates it at start)."""
    if revision is None:
        raise BackupError(f"{source} holds no schema revision: it is not a backup of Amphi's store")
    try:
        known = ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    except CommandError:
        known = None
    if known is None:
        raise BackupError(
            f"{source} was made by a newer Amphi (schema revision {revision}; this one knows up "
            f"to {head_revision()}): upgrade Amphi first, then restore; nothing was changed"
        )
