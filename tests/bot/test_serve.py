"""What the composition root fills in before it opens anything: `serve.resolve`."""

from __future__ import annotations

import pytest

from bot.collector import CORE_YOUNG_THRESHOLD
from bot.config import load
from bot.errors import ConfigError
from bot.serve import Roles, loop_runner, resolve, young_threshold

BOTH = Roles(core=True, service=True)
SERVICE = Roles(core=False, service=True)
SECRET = "whsec_" + "QUJD" * 8


def test_one_process_mints_the_keys_both_ends_share() -> None:
    settings = resolve(load(None, {"FUMBLEBOT_PATHS_DATA_DIR": "/srv/fb"}), BOTH)
    core = settings.core
    assert len(core.signing_secrets) == 1
    assert len(core.api_keys) == 1
    # Only what the process presents itself is minted: nothing in it calls
    # the bridge's /v1 routes or /ai/chat, so those stay closed.
    assert settings.bridge.service_keys == ()
    assert settings.ai.chat_keys == ()
    assert core.database_url == "sqlite+aiosqlite:////srv/fb/core.sqlite3"
    assert core.url == "http://127.0.0.1:8710"


def test_configured_keys_are_kept_each_for_its_own_role() -> None:
    env = {
        "FUMBLEBOT_WEBHOOK_SECRETS": SECRET,
        "FUMBLEBOT_CORE_API_KEY": "key-new key-old",
        "FUMBLEBOT_BRIDGE_SERVICE_KEYS": "extension-gateway",
        "FUMBLEBOT_AI_CHAT_KEYS": "chat-new chat-old",
        "FUMBLEBOT_CORE_URL": "http://core.internal:9000",
    }
    settings = resolve(load(None, env), SERVICE)
    assert settings.core.signing_secrets == (SECRET,)
    assert settings.core.api_keys == ("key-new", "key-old")
    assert settings.bridge.service_keys == ("extension-gateway",)
    assert settings.ai.chat_keys == ("chat-new", "chat-old")
    assert settings.core_url == "http://core.internal:9000"


def test_a_service_without_core_in_its_process_needs_the_shared_secret() -> None:
    with pytest.raises(ConfigError, match="FUMBLEBOT_WEBHOOK_SECRETS"):
        resolve(load(None, {}), SERVICE)


def test_the_server_runs_on_uvloop_where_it_is_installed() -> None:
    # The benchmarks' servers run on uvloop; `fumblebot run` must too, or
    # their figures describe another program.
    uvloop = pytest.importorskip("uvloop")
    assert loop_runner() is uvloop.run


def test_only_core_alone_collects_its_youngest_generation_less_often() -> None:
    # A process with streams keeps CPython's threshold: its stream p99 depends on it.
    assert young_threshold(Roles(core=True, service=False)) == CORE_YOUNG_THRESHOLD
    assert young_threshold(Roles(core=True, service=True)) is None
    assert young_threshold(Roles(core=False, service=True)) is None
