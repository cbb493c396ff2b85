"""Settings from the environment (and `.env`), validated once, with secrets kept out of logs."""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

ENV_EXAMPLE = ".env.example"

TOKEN_HELP = (
    "Create an application at https://discord.com/developers/applications, open its Bot page, "
    "press 'Reset Token' and copy the token; then put DISCORD_TOKEN=<the token> in the file .env "
    f"at the project's root (copy {ENV_EXAMPLE} to .env and fill it in)."
)

GUILD_HELP = (
    "Turn on Developer Mode in Discord (User Settings → Advanced), right-click your "
    "server and choose 'Copy Server ID', then put DISCORD_GUILD_ID=<the id> in .env."
)


class ConfigError(Exception):
    """A missing or invalid setting; the message names the variable and what to do."""

    def __init__(self, variable: str, problem: str, hint: str = "") -> None:
        self.variable = variable
        hint = hint or f"See {ENV_EXAMPLE} for every setting and its meaning."
        super().__init__(f"{variable} {problem}. {hint}")


class Secret:
    """A string that never shows itself in a repr, a str or a log line."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret itself, for the one place that needs it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Ref:
    """A channel or role named in the configuration, by id (digits) or by name."""

    raw: str

    @property
    def id(self) -> int | None:
        """The id, when the setting is one."""
        return int(self.raw) if self.raw.isdigit() else None

    def matches(self, item_id: int, name: str) -> bool:
        """Whether a guild's channel or role is the one this setting names."""
        if self.id is not None:
            return item_id == self.id
        return name.casefold() == self.raw.casefold().lstrip("#@")

    def __str__(self) -> str:
        return self.raw


@dataclass(frozen=True)
class Settings:
    """Every setting of SPEC's configuration table."""

    discord_token: Secret | None = None
    guild_id: int | None = None
    database_url: str = "sqlite:///data/amphi.sqlite3"
    meetings_path: Path = Path("data/meetings")
    announcements_channel: Ref = Ref("announcements")
    qa_channel: Ref = Ref("questions")
    moderation_channel: Ref = Ref("moderation")
    review_channel: Ref = Ref("proposals")  # the organizers' review cards of the call
    organizer_role: Ref = Ref("Organizer")
    moderator_role: Ref = Ref("Moderator")
    in_person_role: Ref = Ref("In person")
    remote_role: Ref = Ref("Remote")
    remote_link: Secret | None = field(default=None)
    log_level: str = "INFO"
    log_json: bool = False  # LOG_FORMAT=json: one JSON object a line, for log collectors
    health_file: Path | None = None  # touched while connected, for container health checks
    lease_seconds: float = 10.0  # the active's lease on the store; standbys take it once it lapses
    dm_rate: float = 20.0  # DMs a second in broadcasts
    watch_seconds: float = 15.0  # how often the meeting files and followed sources are checked
    notice_delay_seconds: float = 180.0  # a change notice waits this long for more edits
    notice_min_gap_seconds: float = 1800.0  # the least time between two change notices
    # Where the scheduled events happen: a stage or a voice channel (None: at the venue).
    stage_channel: Ref | None = None
    voice_channel: Ref | None = None
    # The web pages (bot.web): served while the bot runs when web_port is set (0: any free port).
    web_port: int | None = None
    web_host: str = "127.0.0.1"
    public_url: str | None = None  # the address links use; None: http://localhost:<port>
    web_secret: Secret | None = None  # signs the room screen's and the dashboard's keys
    discord_invite: str | None = None  # the public page's link to the server (an invite)

    @property
    def live_events(self) -> bool:
        """Whether the scheduled events are in a channel, started and ended by the bot."""
        return self.stage_channel is not None or self.voice_channel is not None

    def secrets(self) -> list[str]:
        """The values that must never reach the log (the token, the video link, the web secret)."""
        kept = (self.discord_token, self.remote_link, self.web_secret)
        return [s.reveal() for s in kept if s is not None]

    def channel_refs(self) -> dict[str, Ref]:
        """The configured channels by setting name."""
        return {
            "ANNOUNCEMENTS_CHANNEL": self.announcements_channel,
            "QA_CHANNEL": self.qa_channel,
            "MODERATION_CHANNEL": self.moderation_channel,
        }

    def role_refs(self) -> dict[str, Ref]:
        """The configured roles by setting name."""
        return {
            "ORGANIZER_ROLE": self.organizer_role,
            "MODERATOR_ROLE": self.moderator_role,
            "IN_PERSON_ROLE": self.in_person_role,
            "REMOTE_ROLE": self.remote_role,
        }


def read_environment(env_file: Path | None = Path(".env")) -> dict[str, str]:
    """The process environment over the values of `.env` (the environment wins)."""
    values: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ)
    return values


class Refused(Exception):
    """What a parser says of a value it refuses; `load_settings` names the variable."""

    def __init__(self, problem: str, hint: str = "") -> None:
        super().__init__(problem)
        self.problem = problem
        self.hint = hint


Parser = Callable[[str], Any]


def bot_token(raw: str) -> Secret:
    """A bot token, kept secret; a value with spaces, or too short, is not one."""
    if " " in raw or len(raw) < 20:
        raise Refused("does not look like a bot token", TOKEN_HELP)
    return Secret(raw)


def server_id(raw: str) -> int:
    """A Discord server's id: digits only (a server's name will not do)."""
    if not (raw.isascii() and raw.isdigit()):  # int() refuses some of Unicode's digits
        raise Refused(f"must be a server id (digits), not {raw!r}")
    return int(raw)


def store_url(raw: str) -> str:
    """A SQLAlchemy URL; a bare file path is the usual slip."""
    if "://" not in raw:
        raise Refused(f"must be a SQLAlchemy URL such as sqlite:///data/amphi.sqlite3, not {raw!r}")
    return raw


def log_level(raw: str) -> str:
    """A level `logging` knows by name, in capitals."""
    if not isinstance(logging.getLevelName(raw.upper()), int):
        raise Refused(f"must be DEBUG, INFO, WARNING or ERROR, not {raw!r}")
    return raw.upper()


def json_lines(raw: str) -> bool:
    """LOG_FORMAT: whether the log is one JSON object a line (`json`) or plain `text`."""
    if raw.lower() not in ("text", "json"):
        raise Refused(f"must be text or json, not {raw!r}")
    return raw.lower() == "json"


def secret_web_address(raw: str) -> Secret:
    """A web address kept secret; the refusal never repeats the value."""
    if not raw.startswith(("https://", "http://")):
        raise Refused("must be a web address starting with https://")
    return Secret(raw)


def port(raw: str) -> int:
    """A TCP port from 1 to 65535 (0: any free one, which tests and rehearsals use)."""
    if not (raw.isascii() and raw.isdigit()) or int(raw) > 65535:
        raise Refused(f"must be a port number from 1 to 65535, not {raw!r}")
    return int(raw)


def web_address(raw: str) -> str:
    """A public web address (http:// or https://), without its trailing slash."""
    if not raw.startswith(("https://", "http://")) or " " in raw:
        raise Refused(f"must be a web address starting with https:// or http://, not {raw!r}")
    return raw.rstrip("/")


def web_secret(raw: str) -> Secret:
    """The key that signs the web pages' links: long enough not to be guessed."""
    if len(raw) < 16:
        raise Refused(
            "must be at least 16 characters long",
            "Put a long random value in .env, e.g. the output of: "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'",
        )
    return Secret(raw)


def number(
    described: str, *, most: float, least: float | None = None, above: float | None = None
) -> Parser:
    """A parser of a number up to `most`, and from `least` (or over `above`); the refusal
    says `must be a number of <described>`."""

    def parse(raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            value = math.nan  # refused below, like any number out of range
        low_ok = (least is None or value >= least) and (above is None or value > above)
        if not (low_ok and value <= most):
            raise Refused(f"must be a number of {described}, not {raw!r}")
        return value

    return parse


@dataclass(frozen=True)
class Setting:
    """One line of the configuration table: an environment variable, the Settings field it
    fills, how its text is read, and the text taken when it is unset or blank (none: the
    field is None)."""

    variable: str
    field: str
    parse: Parser
    default: str = ""
    #: For `amphi run`, which cannot start without it: how to get it.
    needed_to_run: str = ""


# Read in this order: with several settings wrong, the first one here is the one named.
SETTINGS = (
    Setting("DISCORD_TOKEN", "discord_token", bot_token, needed_to_run=TOKEN_HELP),
    Setting("DISCORD_GUILD_ID", "guild_id", server_id, needed_to_run=GUILD_HELP),
    Setting("DATABASE_URL", "database_url", store_url, "sqlite:///data/amphi.sqlite3"),
    Setting("LOG_LEVEL", "log_level", log_level, "INFO"),
    Setting("LOG_FORMAT", "log_json", json_lines, "text"),
    Setting("ANNOUNCEMENTS_CHANNEL", "announcements_channel", Ref, "announcements"),
    Setting("QA_CHANNEL", "qa_channel", Ref, "questions"),
    Setting("MODERATION_CHANNEL", "moderation_channel", Ref, "moderation"),
    Setting("REVIEW_CHANNEL", "review_channel", Ref, "proposals"),
    Setting("ORGANIZER_ROLE", "organizer_role", Ref, "Organizer"),
    Setting("MODERATOR_ROLE", "moderator_role", Ref, "Moderator"),
    Setting("IN_PERSON_ROLE", "in_person_role", Ref, "In person"),
    Setting("REMOTE_ROLE", "remote_role", Ref, "Remote"),
    Setting("REMOTE_LINK", "remote_link", secret_web_address),
    Setting("DM_RATE", "dm_rate", number("DMs a second from 0.1 to 40", above=0, most=40), "20"),
    Setting(
        "AMPHI_WATCH_SECONDS",
        "watch_seconds",
        number("seconds from 0.1 to 3600", least=0.1, most=3600),
        "15",
    ),
    Setting(
        "CHANGE_NOTICE_DELAY",
        "notice_delay_seconds",
        number("seconds from 0 to 3600", least=0, most=3600),
        "180",
    ),
    Setting(
        "CHANGE_NOTICE_MIN_GAP",
        "notice_min_gap_seconds",
        number("seconds from 0 to 86400", least=0, most=86400),
        "1800",
    ),
    Setting("STAGE_CHANNEL", "stage_channel", Ref),
    Setting("VOICE_CHANNEL", "voice_channel", Ref),
    Setting("AMPHI_MEETINGS", "meetings_path", Path, "data/meetings"),
    Setting("AMPHI_HEALTH_FILE", "health_file", Path),
    Setting(
        "AMPHI_LEASE_SECONDS",
        "lease_seconds",
        number("seconds from 3 to 300", least=3, most=300),
        "10",
    ),
    Setting("WEB_PORT", "web_port", port),
    Setting("WEB_HOST", "web_host", str, "127.0.0.1"),
    Setting("PUBLIC_URL", "public_url", web_address),
    Setting("WEB_SECRET", "web_secret", web_secret),
    Setting("DISCORD_INVITE", "discord_invite", web_address),
)


def load_settings(env: Mapping[str, str], *, require_discord: bool = False) -> Settings:
    """Validate the settings; `require_discord` is for `amphi run`, which needs token and guild."""
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = env.get(setting.variable, "").strip() or setting.default
        if not raw and require_discord and setting.needed_to_run:
            raise ConfigError(setting.variable, "is not set", setting.needed_to_run)
        try:
            values[setting.field] = setting.parse(raw) if raw else None
        except Refused as refused:
            raise ConfigError(setting.variable, refused.problem, refused.hint) from None
    if values["stage_channel"] and values["voice_channel"]:
        raise ConfigError(
            "VOICE_CHANNEL",
            "is set together with STAGE_CHANNEL",
            "The scheduled events happen in one place: keep one of the two.",
        )
    return Settings(**values)
