"""The `fumblebot` command line, run as a real process."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path

import httpx2
import pytest
from redis.exceptions import RedisError

from core_client import signing
from tests.support.fumblebot_process import env_for, free_port, run_env, wait_healthy
from tests.support.services import REDIS_URL, unavailable

ROLL = {"platform": "foundry", "formula": "1d20", "total": 11}
SERVICE_KEY = "test-service-key"
BRIDGE_KEY = "test-bridge-key"


async def fumblebot(args: Sequence[str], env: dict[str, str]) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_roll_prints_a_breakdown(tmp_path: Path) -> None:
    args = ["roll", "4d6kh3", "Strength", "--seed", "7"]
    code, out, err = await fumblebot(args, env_for(tmp_path))
    assert code == 0, err
    assert "4d6kh3" in out
    assert "~~" in out  # the dropped die is struck through


async def test_roll_with_bad_notation_says_where(tmp_path: Path) -> None:
    code, _, err = await fumblebot(["roll", "2d"], env_for(tmp_path))
    assert code == 1
    assert "Traceback" not in err
    assert "column" in err.lower()


async def test_invalid_setting_stops_start_up_with_one_line(tmp_path: Path) -> None:
    env = env_for(tmp_path, FUMBLEBOT_CORE_PORT="eighty")
    code, _, err = await fumblebot(["run"], env)
    assert code == 2
    assert err.strip().count("\n") == 0
    assert "core.port (from FUMBLEBOT_CORE_PORT)" in err


async def test_check_config_masks_secrets(tmp_path: Path) -> None:
    env = env_for(tmp_path, FUMBLEBOT_DISCORD_TOKEN="super-secret-token")
    code, out, err = await fumblebot(["check-config"], env)
    assert code == 0, err
    assert "super-secret-token" not in out + err
    assert "[core]" in out
    assert "port = 8710" in out


async def test_service_without_a_shared_secret_refuses_to_start(tmp_path: Path) -> None:
    code, _, err = await fumblebot(["service"], env_for(tmp_path))
    assert code == 2
    assert "FUMBLEBOT_WEBHOOK_SECRETS" in err


@pytest.mark.parametrize("bus", ["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def test_run_serves_core_and_bridge_end_to_end(tmp_path: Path, bus: str) -> None:
    if bus == "redis":
        await require_redis()
    run = run_env(
        tmp_path,
        FUMBLEBOT_OUTBOX_MAX_DELAY="0.2",
        FUMBLEBOT_BRIDGE_EVENT_BUS=bus,
        FUMBLEBOT_BRIDGE_SERVICE_KEYS=BRIDGE_KEY,
        FUMBLEBOT_BRIDGE_REDIS_URL=REDIS_URL,
        FUMBLEBOT_BRIDGE_REDIS_PREFIX=f"fb:test:{uuid.uuid4().hex[:8]}",
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run",
        env=run.env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        async with httpx2.AsyncClient(timeout=2) as http:
            await wait_healthy(http, f"{run.core_url}/health")
            await wait_healthy(http, f"{run.bridge_url}/health")
            response = await http.post(
                f"{run.bridge_url}/v1/campaigns/table-1/rolls",
                json=ROLL,
                headers={"Authorization": f"Bearer {BRIDGE_KEY}"},
            )
            assert response.status_code == 202
        db = tmp_path / "data" / "core.sqlite3"
        for _ in range(100):
            if stored_formulas(db):
                break
            await asyncio.sleep(0.05)
        assert stored_formulas(db) == [("1d20", "table-1")]
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    text = err.decode()
    assert proc.returncode == 0, text
    assert "Discord is off: set FUMBLEBOT_DISCORD_TOKEN" in text
    assert "Traceback" not in text


async def test_a_scoped_api_key_from_the_environment_reaches_core(tmp_path: Path) -> None:
    port = free_port()
    env = env_for(
        tmp_path,
        FUMBLEBOT_CORE_PORT=str(port),
        FUMBLEBOT_WEBHOOK_SECRETS=signing.generate_secret(),
        FUMBLEBOT_CORE_API_KEY=SERVICE_KEY,
        FUMBLEBOT_CORE_SCOPED_API_KEYS="tuesday-key:tuesday,other-table",
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "core",
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        async with httpx2.AsyncClient(base_url=base, timeout=2) as http:
            await wait_healthy(http, f"{base}/health")
            service = {"Authorization": f"Bearer {SERVICE_KEY}"}
            for key in ("tuesday", "friday"):
                body = {"name": key.title(), "external_key": key}
                created = await http.post("/campaigns", json=body, headers=service)
                assert created.status_code == 201, created.text
            scoped = {"Authorization": "Bearer tuesday-key"}
            seen = (await http.get("/campaigns", headers=scoped)).json()["campaigns"]
            assert [c["external_key"] for c in seen] == ["tuesday"]
            stranger = await http.get("/campaigns", headers={"Authorization": "Bearer nope"})
            assert stranger.status_code == 401
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()


async def require_redis() -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (OSError, RedisError) as exc:
        unavailable(f"Redis at {REDIS_URL}", exc)
    finally:
        await client.aclose()


def stored_formulas(db: Path) -> list[tuple[str, str]]:
    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        return list(conn.execute("SELECT formula, campaign_key FROM rolls"))
