"""Discord's size limits on what a bot sends; the fake refuses what Discord would (400, 50035)."""

from __future__ import annotations

from typing import Any

from .messages import walk_components

CONTENT = 2000
EMBEDS = 10
EMBED_TOTAL = 6000
TITLE = 256
DESCRIPTION = 4096
FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER = 2048
BUTTON_LABEL = 80
CUSTOM_ID = 100
CHOICES = 25
CHOICE_NAME = 100
THREAD_NAME = 100


def _embed_problems(embeds: list[dict[str, Any]]) -> list[str]:
    problems = []
    if len(embeds) > EMBEDS:
        problems.append(f"{len(embeds)} embeds (at most {EMBEDS})")
    total = 0
    for index, embed in enumerate(embeds):
        title, description = embed.get("title") or "", embed.get("description") or ""
        footer = (embed.get("footer") or {}).get("text") or ""
        fields = embed.get("fields") or []
        total += len(title) + len(description) + len(footer)
        for name, value, limit in [
            ("title", title, TITLE),
            ("description", description, DESCRIPTION),
            ("footer", footer, FOOTER),
        ]:
            if len(value) > limit:
                problems.append(f"embeds[{index}].{name}: {len(value)} > {limit}")
        if len(fields) > FIELDS:
            problems.append(f"embeds[{index}]: {len(fields)} fields (at most {FIELDS})")
        for field in fields:
            name, value = field.get("name") or "", field.get("value") or ""
            total += len(name) + len(value)
            if len(name) > FIELD_NAME or len(value) > FIELD_VALUE:
                problems.append(f"embeds[{index}]: a field over {FIELD_NAME}/{FIELD_VALUE}")
    if total > EMBED_TOTAL:
        problems.append(f"embeds: {total} characters in all (at most {EMBED_TOTAL})")
    return problems


def message_problems(payload: dict[str, Any]) -> list[str]:
    """What Discord would refuse in a message payload (create or edit)."""
    problems = []
    content = payload.get("content") or ""
    if len(content) > CONTENT:
        problems.append(f"content: {len(content)} characters (at most {CONTENT})")
    problems += _embed_problems(payload.get("embeds") or [])
    for component in walk_components(payload.get("components") or []):
        if len(component.get("label") or "") > BUTTON_LABEL:
            problems.append(f"a component label over {BUTTON_LABEL} characters")
        if len(component.get("custom_id") or "") > CUSTOM_ID:
            problems.append(f"a custom_id over {CUSTOM_ID} characters")
    return problems


def choices_problems(data: dict[str, Any]) -> list[str]:
    """What Discord would refuse in an autocomplete answer."""
    choices = data.get("choices") or []
    problems = [f"{len(choices)} choices (at most {CHOICES})"] if len(choices) > CHOICES else []
    problems += [
        f"a choice name of {len(c.get('name') or '')} characters"
        for c in choices
        if not 1 <= len(c.get("name") or "") <= CHOICE_NAME
    ]
    return problems
