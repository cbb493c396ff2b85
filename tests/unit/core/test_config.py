"""Settings: defaults, validation naming the variable, secrets kept out of reprs."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from bot.client import missing_resources
from bot.core.config import SETTINGS, ConfigError, Ref, Settings, load_settings, read_environment
from bot.core.permissions import Standing, standing

TOKEN = "MTAxMjM0NTY3ODkwMTIzNDU2.Gabcde.fake-token-for-tests-only"


def test_defaults_without_discord() -> None:
    settings = load_settings({})
    assert settings.discord_token is None
    assert settings.database_url == "sqlite:///data/amphi.sqlite3"
    assert settings.meetings_path == Path("data/meetings")
    assert settings.announcements_channel == Ref("announcements")
    assert settings.organizer_role.raw == "Organizer"
    assert settings.remote_link is None


def test_run_requires_a_token_and_says_where_to_get_it() -> None:
    with pytest.raises(ConfigError) as error:
        load_settings({"DISCORD_GUILD_ID": "1"}, require_discord=True)
    assert error.value.variable == "DISCORD_TOKEN"
    assert "developers/applications" in str(error.value)
    assert ".env" in str(error.value)


def test_run_requires_the_guild() -> None:
    with pytest.raises(ConfigError) as error:
        load_settings({"DISCORD_TOKEN": TOKEN}, require_discord=True)
    assert error.value.variable == "DISCORD_GUILD_ID"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DISCORD_GUILD_ID", "my-server"),
        ("DISCORD_TOKEN", "short"),
        ("DATABASE_URL", "data/amphi.sqlite3"),
        ("LOG_LEVEL", "LOUD"),
        ("REMOTE_LINK", "zoom meeting 123"),
    ],
)
def test_invalid_values_name_their_variable(variable: str, value: str) -> None:
    env = {"DISCORD_TOKEN": TOKEN, "DISCORD_GUILD_ID": "42", variable: value}
    with pytest.raises(ConfigError) as error:
        load_settings(env, require_discord=True)
    assert error.value.variable == variable
    assert str(error.value).startswith(variable)
    assert ".env" in str(error.value)


def test_secrets_never_show() -> None:
    settings = load_settings(
        {"DISCORD_TOKEN": TOKEN, "DISCORD_GUILD_ID": "42", "REMOTE_LINK": "https://v.example/s3"}
    )
    assert TOKEN not in repr(settings)
    assert "v.example" not in repr(settings)
    assert settings.discord_token is not None
    assert settings.discord_token.reveal() == TOKEN
    assert settings.guild_id == 42


def test_dotenv_is_read_and_the_environment_wins(tmp_path: Path, monkeypatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("QA_CHANNEL=ask-here\nLOG_LEVEL=DEBUG\n")
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    settings = load_settings(read_environment(env_file))
    assert settings.qa_channel.raw == "ask-here"
    assert settings.log_level == "WARNING"


def test_refs_match_by_id_or_name() -> None:
    assert Ref("123").matches(123, "whatever")
    assert not Ref("123").matches(124, "123")
    assert Ref("#Announcements").matches(9, "announcements")
    assert not Ref("announcements").matches(9, "general")


def test_missing_channels_and_roles_are_named() -> None:
    settings = load_settings({"MODERATOR_ROLE": "555"})
    channels = [(1, "announcements"), (2, "questions")]
    roles = [(10, "Organizer"), (11, "In person"), (12, "Remote"), (13, "Moderator")]
    assert missing_resources(settings, channels, roles) == [
        "MODERATION_CHANNEL='moderation'",
        "MODERATOR_ROLE='555'",
    ]


def test_standing_ladder() -> None:
    settings = load_settings({})
    assert standing(settings, administrator=True, roles=[]) is Standing.ORGANIZER
    assert standing(settings, administrator=False, roles=[(1, "Organizer")]) is Standing.ORGANIZER
    assert standing(settings, administrator=False, roles=[(2, "moderator")]) is Standing.MODERATOR
    assert standing(settings, administrator=False, roles=[(3, "Remote")]) is Standing.ATTENDEE


def test_log_format_and_the_health_file() -> None:
    env = {"DISCORD_TOKEN": TOKEN, "DISCORD_GUILD_ID": "42"}
    assert load_settings(env).log_json is False
    assert load_settings(env).health_file is None
    chosen = load_settings({**env, "LOG_FORMAT": "JSON", "AMPHI_HEALTH_FILE": "/tmp/amphi-health"})
    assert chosen.log_json is True and str(chosen.health_file) == "/tmp/amphi-health"
    with pytest.raises(ConfigError) as error:
        load_settings({**env, "LOG_FORMAT": "xml"})
    assert error.value.variable == "LOG_FORMAT" and "text or json" in str(error.value)


def test_the_table_fills_every_field_once_with_the_same_defaults() -> None:
    assert sorted(s.field for s in SETTINGS) == sorted(f.name for f in fields(Settings))
    assert len({s.variable for s in SETTINGS}) == len(SETTINGS)
    assert load_settings({}) == Settings()


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("DM_RATE", "0.05", 0.05),
        ("DM_RATE", "40", 40.0),
        ("AMPHI_WATCH_SECONDS", "0.1", 0.1),
        ("AMPHI_WATCH_SECONDS", "3600", 3600.0),
        ("CHANGE_NOTICE_DELAY", "0", 0.0),
        ("CHANGE_NOTICE_DELAY", " 3600 ", 3600.0),
        ("CHANGE_NOTICE_MIN_GAP", "0", 0.0),
        ("CHANGE_NOTICE_MIN_GAP", "86400", 86400.0),
    ],
)
def test_numbers_at_their_bounds_are_taken(variable: str, value: str, expected: float) -> None:
    field = next(s.field for s in SETTINGS if s.variable == variable)
    assert getattr(load_settings({variable: value}), field) == expected


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("DM_RATE", "0", "DMs a second from 0.1 to 40"),
        ("DM_RATE", "40.5", "DMs a second from 0.1 to 40"),
        ("DM_RATE", "fast", "DMs a second from 0.1 to 40"),
        ("AMPHI_WATCH_SECONDS", "0.05", "seconds from 0.1 to 3600"),
        ("AMPHI_WATCH_SECONDS", "nan", "seconds from 0.1 to 3600"),
        ("CHANGE_NOTICE_DELAY", "-1", "seconds from 0 to 3600"),
        ("CHANGE_NOTICE_DELAY", "3601", "seconds from 0 to 3600"),
        ("CHANGE_NOTICE_DELAY", "3 min", "seconds from 0 to 3600"),
        ("CHANGE_NOTICE_MIN_GAP", "86401", "seconds from 0 to 86400"),
    ],
)
def test_numbers_out_of_range_are_refused_with_the_range(
    variable: str, value: str, said: str
) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings({variable: value})
    assert error.value.variable == variable
    assert str(error.value).startswith(f"{variable} must be a number of {said}, not {value!r}.")


def test_a_stage_and_a_voice_channel_together_are_refused() -> None:
    assert load_settings({"STAGE_CHANNEL": "Main stage"}).live_events
    assert not load_settings({}).live_events
    with pytest.raises(ConfigError) as error:
        load_settings({"STAGE_CHANNEL": "Main stage", "VOICE_CHANNEL": "Hall"})
    assert error.value.variable == "VOICE_CHANNEL"
    assert "STAGE_CHANNEL" in str(error.value) and "keep one of the two" in str(error.value)


def test_a_refused_video_link_is_not_repeated() -> None:
    with pytest.raises(ConfigError) as error:
        load_settings({"REMOTE_LINK": "zoom.example/j/123?pwd=s3cret"})
    assert "s3cret" not in str(error.value)


def test_a_server_id_in_other_digits_is_refused_not_a_crash() -> None:
    with pytest.raises(ConfigError) as error:
        load_settings({"DISCORD_GUILD_ID": "١٢³"})
    assert error.value.variable == "DISCORD_GUILD_ID"


def test_the_first_wrong_setting_of_the_table_is_the_one_named() -> None:
    with pytest.raises(ConfigError) as error:
        load_settings({"DM_RATE": "x", "LOG_LEVEL": "LOUD", "DATABASE_URL": "here"})
    assert error.value.variable == "DATABASE_URL"


def test_the_web_pages_are_off_unless_a_port_is_set() -> None:
    off = load_settings({})
    assert (off.web_port, off.web_host, off.public_url, off.web_secret) == (
        None,
        "127.0.0.1",
        None,
        None,
    )
    on = load_settings(
        {
            "WEB_PORT": "8080",
            "WEB_HOST": "0.0.0.0",
            "PUBLIC_URL": "https://meeting.example.org/",
            "WEB_SECRET": "s3cret-value-long-enough",
        }
    )
    assert (on.web_port, on.web_host, on.public_url) == (
        8080,
        "0.0.0.0",
        "https://meeting.example.org",
    )
    assert "s3cret" not in repr(on) and "s3cret-value-long-enough" in on.secrets()


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("WEB_PORT", "http", "must be a port number from 1 to 65535"),
        ("WEB_PORT", "70000", "must be a port number from 1 to 65535"),
        ("PUBLIC_URL", "meeting.example.org", "must be a web address"),
        ("WEB_SECRET", "short", "at least 16 characters"),
    ],
)
def test_bad_web_settings_are_refused_by_name(variable: str, value: str, said: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({variable: value})
    assert refused.value.variable == variable and said in str(refused.value)
    if variable == "WEB_SECRET":
        assert value not in str(refused.value)
