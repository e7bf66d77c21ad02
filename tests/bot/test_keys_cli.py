"""`fumblebot keys create|list|revoke` on the data folder a running Core serves.

The Core app runs on the same SQLite file throughout: the key the command
line issues opens it, and the revocation closes it on the next request,
with no restart.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx2
import pytest

from bot.cli import main
from storage import db
from storage.app import create_app
from storage.models import Campaign
from storage.settings import CoreSettings


async def _campaign(url: str) -> str:
    engine = db.create_engine(url)
    try:
        async with db.sessionmaker(engine).begin() as session:
            campaign = Campaign(id=uuid.uuid4(), name="Tuesday", external_key="tue", settings={})
            session.add(campaign)
        return str(campaign.id)
    finally:
        await engine.dispose()


async def _status(url: str, key: str, path: str) -> int:
    app = create_app(CoreSettings(database_url=url))
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://core") as http:
            response = await http.get(path, headers={"Authorization": f"Bearer {key}"})
            return response.status_code


def test_keys_issued_listed_and_revoked_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FUMBLEBOT_PATHS_DATA_DIR", str(tmp_path))
    url = f"sqlite+aiosqlite:///{tmp_path}/core.sqlite3"
    assert main(["migrate", "upgrade"]) == 0
    campaign = asyncio.run(_campaign(url))
    capsys.readouterr()
    assert main(["keys", "create", "--campaign", "tue", "--label", "obs"]) == 0
    said = capsys.readouterr()
    key = said.out.strip()
    assert key.startswith("fbk_")
    assert "only time the key is shown" in said.err
    assert asyncio.run(_status(url, key, "/campaigns")) == 200
    assert asyncio.run(_status(url, key, f"/campaigns/{campaign}")) == 200
    assert main(["keys", "list"]) == 0
    listed = capsys.readouterr().out
    key_id = listed.split()[0]
    assert f"campaigns {campaign}" in listed
    assert "'obs'" in listed
    assert "last used" in listed
    assert key.rsplit("_", 1)[1] not in listed
    assert main(["keys", "revoke", key_id]) == 0
    assert capsys.readouterr().out.startswith(f"revoked {key_id}")
    assert asyncio.run(_status(url, key, "/campaigns")) == 401


def test_keys_commands_refuse_what_they_cannot_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FUMBLEBOT_PATHS_DATA_DIR", str(tmp_path))
    assert main(["migrate", "upgrade"]) == 0
    capsys.readouterr()
    assert main(["keys", "create", "--campaign", "nope"]) == 2
    assert "campaigns[0]" in capsys.readouterr().err
    assert main(["keys", "create", "--role", "admin", "--campaign", "x"]) == 2
    assert "admin key sees every campaign" in capsys.readouterr().err
    assert main(["keys", "revoke", "not-an-id"]) == 2
    assert main(["keys", "revoke", str(uuid.uuid4())]) == 2
    assert "issued no key" in capsys.readouterr().err
    assert main(["keys", "list"]) == 0
    assert "no keys issued" in capsys.readouterr().out
