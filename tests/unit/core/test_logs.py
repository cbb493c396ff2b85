"""LOG_LEVEL=DEBUG keeps secrets and members' words out of the log."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.core.logs import PAYLOAD_LOGGERS, REDACTED, keep_secrets_out

LINK = "https://video.example/secret-room"
TOKEN = "MTIzNDU2Nzg5.token.secret"


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """A root handler as `amphi run` sets one up, at DEBUG; restored afterwards."""
    root = logging.getLogger()
    output = io.StringIO()
    handler = logging.StreamHandler(output)
    levels = {name: logging.getLogger(name).level for name in ("", *PAYLOAD_LOGGERS)}
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    keep_secrets_out(logging.DEBUG, [LINK, TOKEN, ""])
    yield output
    root.removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def test_discord_payloads_stay_out_of_a_debug_log(log_output) -> None:
    logging.getLogger("discord.http").debug("POST /channels/1/messages with {'content': 'hi'}")
    logging.getLogger("discord.gateway").debug("WebSocket Event: {'author': 'anonymous asker'}")
    logging.getLogger("discord.http").info("rate limited, retrying")
    logging.getLogger("bot.posts").debug("planned 12 posts")
    text = log_output.getvalue()
    assert "anonymous asker" not in text and "'content'" not in text
    assert "rate limited" in text and "planned 12 posts" in text


def test_secrets_are_blanked_at_every_level(log_output) -> None:
    logging.getLogger("bot.anything").warning("sent %s to %d people", LINK, 3)
    logging.getLogger("discord.client").error("login with %s failed", TOKEN)
    text = log_output.getvalue()
    assert LINK not in text and TOKEN not in text
    assert f"sent {REDACTED} to 3 people" in text and f"login with {REDACTED} failed" in text


def test_json_lines_carry_the_record_with_secrets_blanked(log_output) -> None:
    import json

    from bot.core.logs import JsonLines

    handler = next(h for h in logging.getLogger().handlers if getattr(h, "stream", 0) is log_output)
    handler.setFormatter(JsonLines())
    try:
        raise ValueError(f"the link {LINK} leaked")
    except ValueError:
        logging.getLogger("bot.test").exception("Sending %s failed", LINK)
    logging.getLogger("cogs.test").warning("Café: %d places", 3)
    first, second = (json.loads(line) for line in log_output.getvalue().splitlines())
    assert first["level"] == "ERROR" and first["logger"] == "bot.test"
    assert first["message"] == f"Sending {REDACTED} failed"
    assert first["time"].endswith("+00:00")
    assert "ValueError: the link [redacted] leaked" in first["exception"]
    assert LINK not in log_output.getvalue()
    assert second == {**second, "level": "WARNING", "message": "Café: 3 places"}
