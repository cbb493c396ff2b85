"""What the log may hold: no secret, and no member's words, at any level.

discord.py logs every REST body and gateway event at DEBUG: the video link in the DMs that carry
it, the author of an anonymous question, every option a member typed. Those two loggers stay at
INFO whatever LOG_LEVEL says, and the secrets Amphi knows are blanked in every record.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime

#: The loggers that write payloads at DEBUG.
PAYLOAD_LOGGERS = ("discord.http", "discord.gateway", "discord.webhook.async_")
REDACTED = "[redacted]"


class Redact(logging.Filter):
    """Blanks each secret wherever it appears in a record's message."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        cleaned = self.clean(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            # Formatters print exc_text when it is set: a traceback may quote a secret too.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.clean(record.exc_text)
        return True

    def clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text


def keep_secrets_out(level: int, secrets: Iterable[str]) -> None:
    """After the handlers are set up: payload loggers at INFO at most, secrets blanked."""
    for name in PAYLOAD_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.INFO))
    redact = Redact(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)


class JsonLines(logging.Formatter):
    """One JSON object a line (LOG_FORMAT=json): time (UTC), level, logger, message, exception."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            data["exception"] = record.exc_text
        return json.dumps(data, ensure_ascii=False)
