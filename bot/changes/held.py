"""A re-import held for an organizer, kept next to its meeting file (`<file>.held.json`) so
it survives a restart: the export's bytes, what it would remove, whether the organizers were
told, and whether they dropped it."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import replace
from pathlib import Path

from bot.changes.model import HeldImport, ImportCut


def version_of(data: bytes) -> str:
    """A short digest of an export: two fetches agree when theirs are equal."""
    return hashlib.sha256(data).hexdigest()[:16]


def held_path(file: Path) -> Path:
    """Where the held re-import of the meeting in `file` is kept (not a `*.toml`: never
    loaded as a meeting)."""
    return file.with_name(file.stem + ".held.json")


def read_held(file: Path) -> HeldImport | None:
    """The re-import held for the meeting in `file`, if any (an unreadable one is none)."""
    try:
        raw = json.loads(held_path(file).read_text(encoding="utf-8"))
        cut = raw["cut"]
        return HeldImport(
            slug=raw["slug"],
            version=raw["version"],
            data=base64.b64decode(raw["data"]),
            cut=ImportCut(tuple(cut["removed"]), tuple(cut["days"]), int(cut["before"])),
            told=bool(raw.get("told")),
            dropped=bool(raw.get("dropped")),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_held(file: Path, held: HeldImport) -> None:
    """Keep `held` for the meeting in `file` (whole or not at all: written aside, then moved)."""
    raw = {
        "slug": held.slug,
        "version": held.version,
        "data": base64.b64encode(held.data).decode("ascii"),
        "cut": {
            "removed": list(held.cut.removed),
            "days": list(held.cut.days),
            "before": held.cut.before,
        },
        "told": held.told,
        "dropped": held.dropped,
    }
    path = held_path(file)
    aside = path.with_name(path.name + ".tmp")
    aside.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    os.replace(aside, path)


def mark_held(file: Path, version: str, *, told: bool = False, dropped: bool = False) -> bool:
    """Mark the held `version` told or dropped; False when it is no longer the one held."""
    held = read_held(file)
    if held is None or held.version != version:
        return False
    write_held(file, replace(held, told=held.told or told, dropped=held.dropped or dropped))
    return True


def clear_held(file: Path) -> None:
    """Nothing is held any more (a version was applied)."""
    held_path(file).unlink(missing_ok=True)
