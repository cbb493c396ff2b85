"""Settings from the environment (and `.env`), validated once, with secrets kept out of logs."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

ENV_EXAMPLE = ".env.example"

TOKEN_HELP = (
    "Create an application at https://discord.com/developers/applications, open its Bot page, "
    "press 'Reset Token' and copy the token; then put DISCORD_TOKEN=<the token> in the file .env "
    f"at the project's root (copy {ENV_EXAMPLE} to .env and fill it in)."
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
    organizer_role: Ref = Ref("Organizer")
    moderator_role: Ref = Ref("Moderator")
    in_person_role: Ref = Ref("In person")
    remote_role: Ref = Ref("Remote")
    remote_link: Secret | None = field(default=None)
    log_level: str = "INFO"
    log_json: bool = False  # LOG_FORMAT=json: one JSON object a line, for log collectors
    health_file: Path | None = None  # touched while connected, for container health checks
    dm_rate: float = 20.0  # DMs a second in broadcasts
    watch_seconds: float = 15.0  # how often the meeting files and followed sources are checked
    notice_delay_seconds: float = 180.0  # a change notice waits this long for more edits
    # Where the scheduled events happen: a stage or a voice channel (None: at the venue).
    stage_channel: Ref | None = None
    voice_channel: Ref | None = None

    @property
    def live_events(self) -> bool:
        """Whether the scheduled events are in a channel, started and ended by the bot."""
        return self.stage_channel is not None or self.voice_channel is not None

    def secrets(self) -> list[str]:
        """The values that must never reach the log (the token, the video link)."""
        return [s.reveal() for s in (self.discord_token, self.remote_link) if s is not None]

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


def load_settings(env: Mapping[str, str], *, require_discord: bool = False) -> Settings:
    """Validate the settings; `require_discord` is for `amphi run`, which needs token and guild."""

    def get(name: str) -> str:
        return env.get(name, "").strip()

    token = get("DISCORD_TOKEN")
    if require_discord and not token:
        raise ConfigError("DISCORD_TOKEN", "is not set", TOKEN_HELP)
    if token and (" " in token or len(token) < 20):
        raise ConfigError("DISCORD_TOKEN", "does not look like a bot token", TOKEN_HELP)

    guild_raw = get("DISCORD_GUILD_ID")
    if require_discord and not guild_raw:
        raise ConfigError(
            "DISCORD_GUILD_ID",
            "is not set",
            "Turn on Developer Mode in Discord (User Settings → Advanced), right-click your "
            "server and choose 'Copy Server ID', then put DISCORD_GUILD_ID=<the id> in .env.",
        )
    if guild_raw and not guild_raw.isdigit():
        raise ConfigError("DISCORD_GUILD_ID", f"must be a server id (digits), not {guild_raw!r}")

    database_url = get("DATABASE_URL") or Settings.database_url
    if "://" not in database_url:
        raise ConfigError(
            "DATABASE_URL",
            f"must be a SQLAlchemy URL such as sqlite:///data/amphi.sqlite3, not {database_url!r}",
        )

    log_level = (get("LOG_LEVEL") or "INFO").upper()
    if not isinstance(logging.getLevelName(log_level), int):
        raise ConfigError(
            "LOG_LEVEL", f"must be DEBUG, INFO, WARNING or ERROR, not {get('LOG_LEVEL')!r}"
        )

    log_format = (get("LOG_FORMAT") or "text").lower()
    if log_format not in ("text", "json"):
        raise ConfigError("LOG_FORMAT", f"must be text or json, not {get('LOG_FORMAT')!r}")

    refs = {}
    for name, default in [
        ("ANNOUNCEMENTS_CHANNEL", "announcements"),
        ("QA_CHANNEL", "questions"),
        ("MODERATION_CHANNEL", "moderation"),
        ("ORGANIZER_ROLE", "Organizer"),
        ("MODERATOR_ROLE", "Moderator"),
        ("IN_PERSON_ROLE", "In person"),
        ("REMOTE_ROLE", "Remote"),
    ]:
        refs[name] = Ref(get(name) or default)

    remote_link = get("REMOTE_LINK")
    if remote_link and not remote_link.startswith(("https://", "http://")):
        raise ConfigError("REMOTE_LINK", "must be a web address starting with https://")

    dm_rate_raw = get("DM_RATE") or "20"
    try:
        dm_rate = float(dm_rate_raw)
    except ValueError:
        dm_rate = 0.0
    if not 0 < dm_rate <= 40:
        raise ConfigError(
            "DM_RATE", f"must be a number of DMs a second from 0.1 to 40, not {dm_rate_raw!r}"
        )

    watch_raw = get("AMPHI_WATCH_SECONDS") or "15"
    try:
        watch_seconds = float(watch_raw)
    except ValueError:
        watch_seconds = 0.0
    if not 0.1 <= watch_seconds <= 3600:
        raise ConfigError(
            "AMPHI_WATCH_SECONDS",
            f"must be a number of seconds from 0.1 to 3600, not {watch_raw!r}",
        )

    delay_raw = get("CHANGE_NOTICE_DELAY") or "180"
    try:
        notice_delay = float(delay_raw)
    except ValueError:
        notice_delay = -1.0
    if not 0 <= notice_delay <= 3600:
        raise ConfigError(
            "CHANGE_NOTICE_DELAY",
            f"must be a number of seconds from 0 to 3600, not {delay_raw!r}",
        )

    stage, voice = get("STAGE_CHANNEL"), get("VOICE_CHANNEL")
    if stage and voice:
        raise ConfigError(
            "VOICE_CHANNEL",
            "is set together with STAGE_CHANNEL",
            "The scheduled events happen in one place: keep one of the two.",
        )

    return Settings(
        discord_token=Secret(token) if token else None,
        guild_id=int(guild_raw) if guild_raw else None,
        database_url=database_url,
        meetings_path=Path(get("AMPHI_MEETINGS") or Settings.meetings_path),
        announcements_channel=refs["ANNOUNCEMENTS_CHANNEL"],
        qa_channel=refs["QA_CHANNEL"],
        moderation_channel=refs["MODERATION_CHANNEL"],
        organizer_role=refs["ORGANIZER_ROLE"],
        moderator_role=refs["MODERATOR_ROLE"],
        in_person_role=refs["IN_PERSON_ROLE"],
        remote_role=refs["REMOTE_ROLE"],
        remote_link=Secret(remote_link) if remote_link else None,
        log_level=log_level,
        log_json=log_format == "json",
        health_file=Path(get("AMPHI_HEALTH_FILE")) if get("AMPHI_HEALTH_FILE") else None,
        dm_rate=dm_rate,
        watch_seconds=watch_seconds,
        notice_delay_seconds=notice_delay,
        stage_channel=Ref(stage) if stage else None,
        voice_channel=Ref(voice) if voice else None,
    )
