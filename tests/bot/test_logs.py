"""`[logging] format = "json"` writes JSON lines; state on disk is its owner's alone."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.relay.pending import PendingLines
from bridge.store_sqlite import SqliteStore
from core_client.outbox_store import OutboxStore


def _fumblebot(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FUMBLEBOT_")}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env={**clean, **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        # A permissive umask, as on many servers: the modes must not depend on it.
        preexec_fn=lambda: os.umask(0o022),
    )


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_json_lines_carry_time_level_logger_and_message(tmp_path: Path) -> None:
    env = {"FUMBLEBOT_PATHS_DATA_DIR": str(tmp_path / "data"), "FUMBLEBOT_LOGGING_FORMAT": "json"}
    done = _fumblebot(tmp_path, "migrate", "upgrade", **env)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    assert lines
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    ours = [line for line in lines if line["logger"] == "storage.db"]
    assert ours[0]["level"] == "INFO"
    assert ours[0]["message"].startswith("database schema at revision")


def test_text_stays_the_default(tmp_path: Path) -> None:
    done = _fumblebot(tmp_path, "migrate", "upgrade", FUMBLEBOT_PATHS_DATA_DIR=str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "INFO    storage.db: database schema at revision" in done.stderr


def test_the_data_dir_and_core_database_are_created_for_their_owner(tmp_path: Path) -> None:
    data = tmp_path / "state" / "data"
    done = _fumblebot(tmp_path, "migrate", "upgrade", FUMBLEBOT_PATHS_DATA_DIR=str(data))
    assert done.returncode == 0, done.stderr
    assert _mode(data) == 0o700
    assert _mode(data.parent) == 0o700
    assert _mode(data / "core.sqlite3") == 0o600


# Every SQLite file a deployment writes: the outbox (reports), the bridge's
# state (link tokens), the relay's queue (players' chat lines).
OPENERS: dict[str, Callable[[Path], Awaitable[Any]]] = {
    "outbox.sqlite3": OutboxStore.open,
    "bridge.sqlite3": SqliteStore.open,
    "relay.sqlite3": PendingLines.open,
}


@pytest.mark.parametrize("name", sorted(OPENERS))
async def test_each_state_file_is_created_for_its_owner(tmp_path: Path, name: str) -> None:
    old = os.umask(0o022)
    try:
        store = await OPENERS[name](tmp_path / "fresh" / name)
        await store.close()
    finally:
        os.umask(old)
    assert _mode(tmp_path / "fresh") == 0o700
    assert _mode(tmp_path / "fresh" / name) == 0o600
