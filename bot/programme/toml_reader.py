"""Reading a TOML file with every problem reported at once, each with its key and what was
expected there: the machinery under the meeting files."""

from __future__ import annotations

import difflib
import json
import tomllib
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

FILE_KEY = "(file)"


@dataclass(frozen=True)
class FileProblem:
    """One problem in a meeting file: where it is and what was expected there."""

    path: str
    key: str
    expected: str

    def __str__(self) -> str:
        return f"{self.path}: {self.key}: {self.expected}"


def toml_kind(value: Any) -> str:
    """The TOML type of a value as tomllib returns it."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, datetime):
        return "offset date-time" if value.tzinfo else "local date-time"
    kinds: tuple[tuple[type, str], ...] = ((str, "string"), (int, "integer"), (float, "float"))
    kinds += ((date, "local date"), (time, "local time"), (list, "array"), (dict, "table"))
    return next((name for kind, name in kinds if isinstance(value, kind)), type(value).__name__)


def spelled(value: Any) -> str:
    """A value as the file spells it, shortened."""
    if isinstance(value, str):
        return json.dumps(value if len(value) <= 60 else value[:57] + "...", ensure_ascii=False)
    if isinstance(value, bool):
        return str(value).lower()
    return value.isoformat() if isinstance(value, (date, time)) else repr(value)


def described(value: Any) -> str:
    """What was found, for a value of the wrong type: its TOML type, and the value if short."""
    kind = toml_kind(value)
    shown = "" if isinstance(value, dict) else spelled(value)
    shown = f"of {len(value)} item(s)" if isinstance(value, list) else shown
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} {shown}".rstrip()


@dataclass(frozen=True)
class Kind:
    """What a key accepts: its description, the TOML types, a check of the value, a conversion."""

    expected: str
    types: Collection[str]
    valid: Callable[[Any], Any] = lambda value: True
    convert: Callable[[Any], Any] = lambda value: value


class Reader:
    """Collects the problems of one file."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self.problems: list[FileProblem] = []

    def problem(self, key: str, expected: str) -> None:
        self.problems.append(FileProblem(self.path, key, expected))

    def bad_time(self, key: str, expected: str, got: time) -> None:
        self.problem(key, f'expected {expected}, got "{got:%H:%M}"')

    def value(self, key: str, kind: Kind, value: Any) -> Any:
        """The converted value, or None after reporting why it is not acceptable."""
        if toml_kind(value) not in kind.types:
            self.problem(key, f"expected {kind.expected}, got {described(value)}")
        elif not kind.valid(value):
            self.problem(key, f"expected {kind.expected}, got {spelled(value)}")
        else:
            return kind.convert(value)
        return None

    def load(self, path: Path) -> Table | None:
        try:
            return Table(self, "", tomllib.loads(path.read_bytes().decode("utf-8")))
        except OSError as error:
            self.problem(FILE_KEY, f"expected a readable meeting file, got: {error.strerror}")
        except UnicodeDecodeError as error:
            self.problem(FILE_KEY, f"expected UTF-8 text, got an undecodable byte at {error.start}")
        except tomllib.TOMLDecodeError as error:
            self.problem(FILE_KEY, f"expected valid TOML, got: {error}")
        return None


class Table:
    """A TOML table being read; `done()` reports the keys that were never asked for."""

    def __init__(self, reader: Reader, prefix: str, data: dict[str, Any]) -> None:
        self.r, self.prefix, self.data = reader, prefix, data
        self.names: list[str] = []

    def key(self, name: str) -> str:
        self.names.append(name)
        return f"{self.prefix}.{name}" if self.prefix else name

    def get(self, name: str, kind: Kind, *, required: bool = False) -> Any:
        """The converted value; None when absent (a problem when required) or not acceptable."""
        key = self.key(name)
        if name in self.data:
            return self.r.value(key, kind, self.data[name])
        if required:
            self.r.problem(key, f"expected {kind.expected}, got nothing (missing)")
        return None

    def tables(self, name: str, what: str) -> list[Table]:
        """The tables of an array of tables; absent means none."""
        key, value = self.key(name), self.data.get(name, [])
        if not isinstance(value, list):
            self.r.problem(key, f"expected an array of tables ({what}), got {described(value)}")
            return []
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                self.r.problem(
                    f"{key}[{index}]", f"expected a table ({what}), got {described(item)}"
                )
        return [Table(self.r, f"{key}[{i}]", t) for i, t in enumerate(value) if type(t) is dict]

    def done(self) -> None:
        for name in self.data:
            if name not in self.names:
                close = difflib.get_close_matches(name, self.names, n=1)
                hint = f' (did you mean "{close[0]}"?)' if close else ""
                expected = f"expected one of: {', '.join(self.names)}{hint}"
                self.r.problem(f"{self.prefix}.{name}" if self.prefix else name, expected)
