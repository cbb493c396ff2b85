"""What every `amphi` command shares: a refusal for the operator, and the settings or exit 2."""

from __future__ import annotations

import sys

from bot.core.config import ConfigError, Settings, load_settings, read_environment

EXIT_USAGE = 2


def fail(message: str) -> int:
    """Print `message` for the operator and return the exit status for bad configuration."""
    print(f"amphi: {message}", file=sys.stderr)
    return EXIT_USAGE


def settings_or_exit(*, require_discord: bool = False) -> Settings:
    """The settings, or exit 2 naming what is missing (no traceback)."""
    try:
        return load_settings(read_environment(), require_discord=require_discord)
    except ConfigError as error:
        raise SystemExit(fail(str(error))) from None
