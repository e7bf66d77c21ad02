"""Run the real `fumblebot` as a child process, with discord.py aimed at the Discord emulator.

Restarts are tested the way they happen: the process is started, stopped with
a signal and started again on the same data directory. As a script
(`python -m tests.support.fumblebot_process REST GATEWAY -- ARGS...`) this
module points discord.py at an emulator the test runs on loopback, then hands
over to `bot.cli.main` unchanged.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx2

from tests.emulators.discord_api import DiscordEmulator


def free_port() -> int:
    """Return a free loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    """Return this environment for a `fumblebot` child: none of ours, data in `tmp_path`.

    The caller's FUMBLEBOT_ variables and AI keys are dropped, so a
    developer's own configuration never leaks into a test's process.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUMBLEBOT_")}
    env.pop("OPENAI_API_KEY", None)
    env.pop("ANTHROPIC_API_KEY", None)
    env["FUMBLEBOT_PATHS_DATA_DIR"] = str(tmp_path / "data")
    return env | extra


@dataclass(frozen=True, slots=True)
class RunEnv:
    """The environment of one `fumblebot run` on free ports, and where it serves."""

    env: dict[str, str]
    core_url: str
    bridge_url: str


def run_env(tmp_path: Path, **extra: str) -> RunEnv:
    """Return `env_for(tmp_path, **extra)` with Core and the bridge on free ports."""
    core_port, bridge_port = free_port(), free_port()
    env = env_for(
        tmp_path,
        FUMBLEBOT_CORE_PORT=str(core_port),
        FUMBLEBOT_BRIDGE_PORT=str(bridge_port),
        **extra,
    )
    return RunEnv(env, f"http://127.0.0.1:{core_port}", f"http://127.0.0.1:{bridge_port}")


@dataclass
class FumbleBotProcess:
    """One `fumblebot` child process; `start` and `stop` may be called again."""

    env: Mapping[str, str]
    args: Sequence[str] = ("run",)
    emu: DiscordEmulator | None = None
    stderr: list[str] = field(default_factory=list)
    _proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        """Start the process; return once it runs (use `wait_healthy` for its servers)."""
        prefix: list[str] = []
        if self.emu is not None:
            prefix = ["-m", "tests.support.fumblebot_process", self.emu.rest_base,
                      self.emu.gateway_url, "--"]  # fmt: skip
        else:
            prefix = ["-m", "bot.cli"]
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable, *prefix, *self.args, env=dict(self.env),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> tuple[int, str]:
        """Signal the process and wait for it; return its exit status and stderr."""
        assert self._proc is not None, "not started"
        if self._proc.returncode is None:
            self._proc.send_signal(sig)
        _, err = await asyncio.wait_for(self._proc.communicate(), timeout)
        text = err.decode()
        self.stderr.append(text)
        code = self._proc.returncode or 0
        self._proc = None
        return code, text

    async def wait_exit(self, timeout: float = 30) -> tuple[int, str]:
        """Wait for the process to end by itself; return its exit status and stderr."""
        assert self._proc is not None, "not started"
        _, err = await asyncio.wait_for(self._proc.communicate(), timeout)
        code = self._proc.returncode or 0
        self._proc = None
        return code, err.decode()


async def wait_healthy(http: httpx2.AsyncClient, url: str, attempts: int = 1200) -> None:
    """Poll a `/health` URL until it answers ok."""
    # Patient: on the shared 2-core box, importing `run`'s stack alone took 7-14 s.
    for _ in range(attempts):
        try:
            response = await http.get(url)
            if response.status_code == 200 and response.json()["ok"]:
                return
        except httpx2.TransportError:
            pass
        await asyncio.sleep(0.05)
    raise AssertionError(f"{url} never became healthy")


def _launch(argv: Sequence[str]) -> int:
    import discord.gateway
    import discord.http
    import yarl

    rest, gateway, separator, *args = argv
    assert separator == "--", "usage: REST GATEWAY -- FUMBLEBOT_ARGS..."
    discord.http.Route.BASE = rest
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    from bot.cli import main

    return main(args)


if __name__ == "__main__":
    sys.exit(_launch(sys.argv[1:]))
