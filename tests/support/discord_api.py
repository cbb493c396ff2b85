"""Requests held against Discord's published API description (tests/support/discord_api/):
what real Discord accepts, as opposed to what the double lets through.

Each request must match an operation of the document, and its JSON payload must fit the
operation's schema. Two rules the document does not state are checked too: command and option
names are lower case (Discord's name pattern), and localization keys are Discord's locales.
discord.py sends snowflakes as JSON integers where the document says strings; Discord accepts both.
"""

from __future__ import annotations

import copy
import functools
import gzip
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC = Path(__file__).with_name("discord_api") / "openapi.json.gz"
URI = "urn:discord-api"
#: Discord's documented pattern for command and option names (lower case where a case exists).
NAME = re.compile(r"^[-_'\w]{1,32}$")


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    schema: str | None  # a JSON pointer to the request's JSON schema


class DiscordApi:
    """The operations of Discord's HTTP API and the schemas of their payloads."""

    def __init__(self, spec: dict[str, Any]) -> None:
        spec = copy.deepcopy(spec)
        # discord.py sends snowflakes as integers; Discord takes both forms.
        snowflake = spec["components"]["schemas"]["SnowflakeType"]
        spec["components"]["schemas"]["SnowflakeType"] = {
            "anyOf": [snowflake, {"type": "integer", "minimum": 0}]
        }
        self.locales = {
            entry["const"]
            for entry in spec["components"]["schemas"]["AvailableLocalesEnum"]["oneOf"]
        }
        resource = Resource.from_contents(spec, default_specification=DRAFT202012)
        self.registry = Registry().with_resource(URI, resource)
        self.operations: list[Operation] = []
        for template, item in spec["paths"].items():
            regex = re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template))
            for method, operation in item.items():
                if method == "parameters":
                    continue
                content = (operation.get("requestBody") or {}).get("content") or {}
                pointer = None
                if "application/json" in content:
                    escaped = template.replace("~", "~0").replace("/", "~1")
                    pointer = (
                        f"/paths/{escaped}/{method}/requestBody/content/application~1json/schema"
                    )
                self.operations.append(
                    Operation(method.upper(), template, re.compile(f"^{regex}$"), pointer)
                )
        # Literal segments first: /users/@me/channels before /users/{user_id}/...
        self.operations.sort(key=lambda o: o.template.count("{"))

    def operation(self, method: str, path: str) -> Operation | None:
        return next(
            (o for o in self.operations if o.method == method and o.pattern.match(path)), None
        )

    def problems(self, method: str, path: str, body: Any) -> list[str]:
        """What Discord would refuse in this request (empty: nothing)."""
        found = self.operation(method, path)
        if found is None:
            return [f"{method} {path}: no such operation in Discord's API"]
        if body is None or found.schema is None:
            return []
        validator = Draft202012Validator({"$ref": URI + "#" + found.schema}, registry=self.registry)
        said = [
            f"{method} {found.template}: {'/'.join(map(str, e.absolute_path)) or 'body'}: "
            f"{e.message[:300]}"
            for e in sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
        ]
        if found.template.endswith("/commands") and isinstance(body, list):
            said += [f"{method} {found.template}: {p}" for p in self.command_problems(body)]
        return said

    def command_problems(self, commands: Iterable[dict[str, Any]]) -> Iterator[str]:
        """Names Discord's pattern refuses, and localizations to locales it does not know."""
        for entry in walk_commands(commands):
            name = entry.get("name", "")
            if not NAME.match(name) or name != name.lower():
                yield f"name {name!r} is not a valid command or option name"
            for key in ("name_localizations", "description_localizations"):
                for locale, text in (entry.get(key) or {}).items():
                    if locale not in self.locales:
                        yield f"{name}: {key} has an unknown locale {locale!r}"
                    elif key == "name_localizations" and (
                        not NAME.match(text) or text != text.lower()
                    ):
                        yield f"{name}: the {locale} name {text!r} is not a valid name"


def walk_commands(entries: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for entry in entries:
        yield entry
        yield from walk_commands(entry.get("options") or [])


@functools.cache
def discord_api() -> DiscordApi:
    """The document, loaded once per test session."""
    with gzip.open(SPEC, "rt", encoding="utf-8") as compressed:
        return DiscordApi(json.load(compressed))


def invalid_requests(records: Iterable[Any]) -> list[str]:
    """The problems of the double's recorded requests (`RequestRecord`s), each once."""
    api = discord_api()
    seen: dict[str, None] = {}
    for record in records:
        for problem in api.problems(record.method, record.path, record.body):
            seen.setdefault(problem)
    return list(seen)
