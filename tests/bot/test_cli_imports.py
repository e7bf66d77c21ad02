"""`fumblebot roll` and `check-config` import only what they use, and so does `run`.

Each runs in a fresh interpreter, which then reports the top-level packages
it has loaded; no timing is asserted (bench/startup.py measures that, and
bench/idle_rss.py what `run` holds in memory).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

# What `run` needs and these commands must not pay for: the AI SDKs take
# about a second to import, the web and database stacks a few hundred ms.
HEAVY = {
    "aiosqlite",
    "anthropic",
    "discord",
    "httpx2",
    "openai",
    "pydantic",
    "redis",
    "sqlalchemy",
    "starlette",
    "uvicorn",
}
PROBE = """
import json, sys
{run}
print(json.dumps(sorted({{m.partition(".")[0] for m in sys.modules}})))
"""


def loaded(run: str, tmp_path: Path) -> set[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUMBLEBOT_")}
    env["FUMBLEBOT_PATHS_DATA_DIR"] = str(tmp_path)
    code = PROBE.format(run=run)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return set(json.loads(out.stdout.splitlines()[-1]))


def command(args: Sequence[str]) -> str:
    return f"from bot.cli import main\nassert main({list(args)!r}) == 0"


@pytest.mark.parametrize(
    "args",
    [
        ["roll", "4d6kh3", "--seed", "1"],
        ["check-config"],
        ["check-config", "--template"],
        ["invite", "--application-id", "42"],
    ],
)
def test_a_light_command_imports_none_of_the_heavy_packages(
    args: list[str], tmp_path: Path
) -> None:
    assert loaded(command(args), tmp_path) & HEAVY == set()


def test_the_probe_sees_what_the_composition_root_imports(tmp_path: Path) -> None:
    # The control: if this failed, the test above could not fail either.
    assert {"starlette", "sqlalchemy", "uvicorn"} <= loaded("import bot.serve", tmp_path)
    assert "discord" in loaded("import bot.bot", tmp_path)


def test_the_ai_sdks_load_only_with_their_provider(tmp_path: Path) -> None:
    build = "from bot.ai import AISettings, build_provider\nbuild_provider(AISettings({}))"
    assert loaded(build.format(""), tmp_path) & {"openai", "anthropic"} == set()
    chosen = loaded(build.format("provider='anthropic', anthropic_api_key='k'"), tmp_path)
    assert "anthropic" in chosen
    assert "openai" not in chosen


RUN_PROBE = """
import json, os, signal, sys, threading, time, urllib.request

def watch():
    for url in {health!r}:  # Core answers once it has migrated, the bridge once it serves
        for _ in range(1200):
            try:
                urllib.request.urlopen(url, timeout=1)
                break
            except Exception:
                time.sleep(0.05)
    print(json.dumps(sorted(sys.modules)), flush=True)
    os.kill(os.getpid(), signal.SIGINT)

threading.Thread(target=watch, daemon=True).start()
from bot.cli import main
main(["run"])
"""


def served(data_dir: Path) -> set[str]:
    """Run `fumblebot run` on `data_dir` until it serves; return every module it loaded."""
    core_port, bridge_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUMBLEBOT_")}
    env |= {
        "FUMBLEBOT_PATHS_DATA_DIR": str(data_dir),
        "FUMBLEBOT_CORE_PORT": str(core_port),
        "FUMBLEBOT_BRIDGE_PORT": str(bridge_port),
    }
    health = [f"http://127.0.0.1:{port}/health" for port in (core_port, bridge_port)]
    code = RUN_PROBE.format(health=health)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=data_dir, capture_output=True, text=True
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("[")]
    assert lines, out.stderr
    return set(json.loads(lines[-1]))


def packages(modules: set[str]) -> set[str]:
    return {m.partition(".")[0] for m in modules}


def test_run_without_ai_loads_no_ai_sdk_and_no_pydantic(tmp_path: Path) -> None:
    # `fumblebot run`, serving, with AI not configured: the SDKs (and the
    # pydantic they bring) stay out of the process until AI is used.
    loaded = packages(served(tmp_path))
    assert {"uvicorn", "starlette", "bridge", "storage"} <= loaded  # it really served
    assert loaded & {"openai", "anthropic", "pydantic"} == set()


def test_run_on_a_database_at_head_loads_no_alembic_and_nothing_its_settings_leave_off(
    tmp_path: Path,
) -> None:
    # The first start creates Core's database, so it migrates: Alembic loads
    # (the control: the probe does see it).
    assert "alembic" in packages(served(tmp_path))
    # Every later start finds the schema at head and reads that with one query.
    modules = served(tmp_path)
    assert {"uvicorn", "starlette", "bridge", "storage"} <= packages(modules)
    # No token, the in-process bus, SQLite, no encryption key: no discord.py
    # (nor its aiohttp), no Redis client, no PostgreSQL dialect, no cryptography.
    unused = {"alembic", "mako", "pygments", "discord", "aiohttp", "redis", "asyncpg"}
    unused |= {"cryptography"}
    assert packages(modules) & unused == set()
    assert "sqlalchemy.dialects.postgresql" not in modules


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
