from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bot.config import describe, load, template
from bot.config.load import keys, sections
from bot.errors import ConfigError
from storage.settings import ApiKeyGrant

REPO = Path(__file__).resolve().parents[2]


def test_shipped_config_toml_holds_every_setting_at_its_default() -> None:
    # Regenerate with: fumblebot check-config --template > config.toml
    assert (REPO / "config.toml").read_text() == template()
    assert load(REPO / "config.toml", {}) == load(None, {})
    with (REPO / "config.toml").open("rb") as fh:
        shipped = tomllib.load(fh)
    for section, kind in sections():
        in_file = {k.name for k in keys(section, kind) if not k.secret}
        assert set(shipped[section]) == in_file, section


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[core]\nport = 9000\n[bridge]\ncors_origins = ['https://a']\n")
    env = {"FUMBLEBOT_CORE_PORT": "9100", "FUMBLEBOT_DISCORD_SYNC_COMMANDS": "false"}
    settings = load(path, env)
    assert settings.core.port == 9100
    assert settings.bridge.cors_origins == ("https://a",)
    assert settings.discord.sync_commands is False


@pytest.mark.parametrize(
    ("toml", "env", "message"),
    [
        ("[core]\nport = 'x'\n", {}, "core.port: 'x' is a str, not a int"),
        ("[core]\nport = 70000\n", {}, "core.port: 70000 is above 65535"),
        ("[core]\nprot = 1\n", {}, "core.prot: unknown setting"),
        ("[nope]\n", {}, "[nope]: unknown section"),
        ("[discord]\ntoken = 'abc'\n", {}, "discord.token: secrets are not read from config.toml"),
        ("[core\n", {}, "invalid TOML"),
        ("", {"FUMBLEBOT_CORE_PORT": "eighty"}, "core.port (from FUMBLEBOT_CORE_PORT)"),
        ("", {"FUMBLEBOT_BRIDGE_EVENT_BUS": "kafka"}, "use one of: memory, redis"),
        (
            "",
            {"FUMBLEBOT_CORE_PROT": "9000"},
            "FUMBLEBOT_CORE_PROT: unknown setting. Fix: did you mean FUMBLEBOT_CORE_PORT?",
        ),
        ("", {"FUMBLEBOT_LOGGING_LEVEL": "LOUD"}, "logging.level (from FUMBLEBOT_LOGGING_LEVEL)"),
        ("", {"FUMBLEBOT_WEBHOOK_SECRETS": "whsec_short"}, "FUMBLEBOT_WEBHOOK_SECRETS"),
        (
            "[core]\ndatabase_url = 'postgresql+asyncpg://u:hunter2@db/x'\n",
            {},
            "core.database_url: holds a password",
        ),
        (
            "[bridge]\nredis_url = 'redis://:hunter2@cache:6379/0'\n",
            {},
            "bridge.redis_url: holds a password",
        ),
        ("[bridge]\ncors_origins = ['*']\n", {}, "bridge.cors_origins: '*' would let every"),
        ("", {"FUMBLEBOT_BRIDGE_CORS_ORIGINS": "https://a,*"}, "bridge.cors_origins (from"),
        (
            "[bridge]\ncors_origins = ['https://foundry.example.com/game']\n",
            {},
            "bridge.cors_origins: 'https://foundry.example.com/game' is not an origin",
        ),
    ],
)
def test_bad_settings_stop_with_one_line_naming_the_key(
    tmp_path: Path, toml: str, env: dict[str, str], message: str
) -> None:
    path = tmp_path / "c.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as info:
        load(path, env)
    text = str(info.value)
    assert message in text
    assert "\n" not in text
    assert "Fix:" in text
    assert "hunter2" not in text


def test_describe_masks_secrets() -> None:
    secret = "whsec_" + "QUJD" * 8
    env = {"FUMBLEBOT_DISCORD_TOKEN": "tok-123", "FUMBLEBOT_WEBHOOK_SECRETS": secret}
    settings = load(None, env)
    text = describe(settings)
    assert "tok-123" not in text
    assert secret not in text
    assert 'token = "<set: FUMBLEBOT_DISCORD_TOKEN>"' in text
    assert "openai_api_key = # not set" in text


def test_scoped_api_keys_come_from_the_environment_with_their_campaigns() -> None:
    env = {"FUMBLEBOT_CORE_SCOPED_API_KEYS": " k-one:camp-a,camp-b\n k-two:camp-c "}
    settings = load(None, env)
    assert settings.core.scoped_api_keys == (
        ApiKeyGrant("k-one", ("camp-a", "camp-b")),
        ApiKeyGrant("k-two", ("camp-c",)),
    )
    assert "k-one" not in repr(settings) + describe(settings)


@pytest.mark.parametrize("entry", ["hunter2", "hunter2:", ":camp-a"])
def test_a_malformed_scoped_api_key_names_the_variable_not_the_key(entry: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(None, {"FUMBLEBOT_CORE_SCOPED_API_KEYS": entry})
    assert "(from FUMBLEBOT_CORE_SCOPED_API_KEYS)" in str(info.value)
    assert "hunter2" not in str(info.value)


def test_dice_limits_refuse_what_the_engine_cannot_take() -> None:
    # The engine's own ceiling, not a second one in the configuration.
    with pytest.raises(ConfigError, match=r"dice\.max_depth .*: 150 is above 100"):
        load(None, {"FUMBLEBOT_DICE_MAX_DEPTH": "150"})
