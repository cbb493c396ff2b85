"""A fake Discord (API v10 REST + gateway) for running the real discord.py client in tests."""

from .event_model import FakeScheduledEvent
from .fixtures import fake_discord, running_bot, start_test_bot, stop_test_bot
from .gateway import GatewayEvent
from .interactions import InteractionResult
from .latency import DISCORD_LIKE, Latency
from .messages import FakeMessage
from .server import ENV_VAR, SITECUSTOMIZE_DIR, FakeDiscord, RequestRecord, Unhandled
from .state import FakeChannel, FakeMember, FakeRole

__all__ = [
    "DISCORD_LIKE",
    "ENV_VAR",
    "SITECUSTOMIZE_DIR",
    "FakeChannel",
    "FakeDiscord",
    "FakeMember",
    "FakeMessage",
    "FakeRole",
    "FakeScheduledEvent",
    "GatewayEvent",
    "InteractionResult",
    "Latency",
    "RequestRecord",
    "Unhandled",
    "fake_discord",
    "running_bot",
    "start_test_bot",
    "stop_test_bot",
]
