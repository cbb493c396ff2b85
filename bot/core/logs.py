"""What the log may hold: no secret, and no member's words, at any level.

discord.py logs every REST body and gateway event at DEBUG: the video link in the DMs that carry
it, the author of an anonymous question, every option a member typed. Those two loggers stay at
INFO whatever LOG_LEVEL says, and the secrets Amphi knows are blanked in every record.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

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
        cleaned = message
        for secret in self.secrets:
            cleaned = cleaned.replace(secret, REDACTED)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def keep_secrets_out(level: int, secrets: Iterable[str]) -> None:
    """After the handlers are set up: payload loggers at INFO at most, secrets blanked."""
    for name in PAYLOAD_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.INFO))
    redact = Redact(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
