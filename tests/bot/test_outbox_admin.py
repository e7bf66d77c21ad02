"""`fumblebot outbox`: list, retry and drop dead letters, run in process.

The story: Core has no encryption key, so it refuses a VTT account link that
carries credentials; the operator sets the key, then puts the dead letter
back with `fumblebot outbox retry`, and the outbox delivers it.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import httpx2
import pytest

from bot.cli import main
from core_client import CoreClient, Event, Outbox, VttAccountLinked, VttPlatform
from storage import models
from storage.app import create_app
from storage.crypto import generate_key
from storage.settings import CoreSettings
from tests.support.core import count, d20_roll, poison_roll


def _core(tmp_path: Path, secret: str, *, encryption_key: str | None) -> CoreSettings:
    return CoreSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/core.sqlite3",
        signing_secrets=(secret,),
        encryption_key=encryption_key,
    )


async def _deliver(settings: CoreSettings, outbox: Path, events: list[Event]) -> int:
    """Run an outbox against a real Core until it is drained; return VTT accounts stored."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://core") as http:
            client = CoreClient("http://core", http, signing_secrets=settings.signing_secrets)
            async with Outbox(outbox, client.deliver, base_delay=0.05) as box:
                for event in events:
                    await box.put(event)
                assert await box.flush(timeout=10)
        return await count(app, models.VttAccount)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the CLI's settings at a fresh data folder."""
    for name in list(os.environ):
        if name.startswith("FUMBLEBOT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("FUMBLEBOT_PATHS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)  # no ./config.toml here
    return tmp_path / "data"


def test_show_says_so_when_nothing_was_ever_queued(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["outbox"]) == 0
    assert "nothing was ever queued" in capsys.readouterr().out
    assert not (data_dir / "outbox.sqlite3").exists()  # looking creates nothing


def test_dead_letters_are_listed_retried_and_dropped(
    data_dir: Path, tmp_path: Path, webhook_secret: str, capsys: pytest.CaptureFixture[str]
) -> None:
    outbox = data_dir / "outbox.sqlite3"
    link = VttAccountLinked("7", VttPlatform.FOUNDRY, "f-7", credentials={"token": "t"}).event()
    poison = poison_roll()
    keyless = _core(tmp_path, webhook_secret, encryption_key=None)
    assert asyncio.run(_deliver(keyless, outbox, [link, d20_roll(5), poison])) == 0

    assert main(["outbox"]) == 0
    shown = capsys.readouterr().out
    assert "queue: 0 event(s)" in shown
    assert "dead letters: 2" in shown
    assert f"{link.id}  vtt.account_linked" in shown
    assert "credentials: Core cannot store credentials" in shown  # Core's field and reason
    assert f"{poison.id}  roll.recorded" in shown

    assert main(["outbox", "drop", "--all"]) == 2  # not without --yes
    assert "--yes" in capsys.readouterr().err
    assert main(["outbox", "retry", "evt_no_such_event"]) == 2
    assert "no dead letter with id evt_no_such_event" in capsys.readouterr().err

    assert main(["outbox", "retry", link.id]) == 0
    assert link.id in capsys.readouterr().out
    assert main(["outbox"]) == 0
    shown = capsys.readouterr().out
    assert ("queue: 1 event(s)" in shown, "dead letters: 1" in shown) == (True, True)

    # The operator gave Core its key: the requeued link now goes through.
    keyed = _core(tmp_path, webhook_secret, encryption_key=generate_key())
    assert asyncio.run(_deliver(keyed, outbox, [])) == 1

    assert main(["outbox", "drop", poison.id]) == 0
    assert main(["outbox"]) == 0
    shown = capsys.readouterr().out
    assert "queue: 0 event(s)" in shown
    assert "dead letters: 0" in shown


def test_drop_all_with_yes_empties_the_dead_letters(
    data_dir: Path, tmp_path: Path, webhook_secret: str, capsys: pytest.CaptureFixture[str]
) -> None:
    outbox = data_dir / "outbox.sqlite3"
    keyless = _core(tmp_path, webhook_secret, encryption_key=None)
    asyncio.run(_deliver(keyless, outbox, [poison_roll(), poison_roll()]))
    assert main(["outbox", "drop", "--all", "--yes"]) == 0
    assert "dropped 2 dead letter(s)" in capsys.readouterr().out
    assert main(["outbox", "retry", "--all"]) == 0
    assert "requeued 0 dead letter(s)" in capsys.readouterr().out
