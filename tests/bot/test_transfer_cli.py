"""`fumblebot export` and `import` move a campaign between two data folders."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from bot.cli import main
from storage import db
from storage.models import Campaign


def _use(monkeypatch: pytest.MonkeyPatch, data: Path) -> None:
    monkeypatch.setenv("FUMBLEBOT_PATHS_DATA_DIR", str(data))


async def _campaign(data: Path) -> None:
    engine = db.create_engine(f"sqlite+aiosqlite:///{data}/core.sqlite3")
    try:
        async with db.sessionmaker(engine).begin() as session:
            session.add(Campaign(id=uuid.uuid4(), name="Tuesday", external_key="tue", settings={}))
    finally:
        await engine.dispose()


def test_a_campaign_exported_from_one_core_imports_into_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    source, target, file = tmp_path / "a", tmp_path / "b", tmp_path / "tue.json"
    for data in (source, target):
        _use(monkeypatch, data)
        assert main(["migrate", "upgrade"]) == 0
    asyncio.run(_campaign(source))
    _use(monkeypatch, source)
    assert main(["export", "tue", "-o", str(file)]) == 0
    _use(monkeypatch, target)
    capsys.readouterr()
    assert main(["import", str(file)]) == 0
    assert capsys.readouterr().out.startswith("imported campaign ")
    assert main(["export", "tue"]) == 0
    assert capsys.readouterr().out == file.read_text()
    assert main(["import", str(file)]) == 2  # once is enough
    assert "already holds campaign" in capsys.readouterr().err
    assert main(["export", "nope"]) == 2
    assert "no campaign 'nope'" in capsys.readouterr().err
