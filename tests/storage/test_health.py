"""Core's /health: the database answers, takes writes, and its schema is current."""

from __future__ import annotations

from pathlib import Path

import httpx2

from storage import db


async def test_health_reports_a_writable_current_database(core_http: httpx2.AsyncClient) -> None:
    response = await core_http.get("/health")
    assert response.status_code == 200
    report = response.json()
    assert report["writable"] is True
    assert report["ok"] is True


async def test_a_database_that_refuses_writes_is_not_healthy(tmp_path: Path) -> None:
    path = tmp_path / "core.sqlite3"
    engine = db.create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await db.upgrade(engine)
    finally:
        await engine.dispose()
    # Root ignores file modes, so open it read-only the way SQLite itself allows.
    read_only = db.create_engine(f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true")
    try:
        report = await db.check(read_only)
    finally:
        await read_only.dispose()
    assert report["database"] == "ok"
    assert report["migrations_current"] is True
    assert report["writable"] is False
    assert report["ok"] is False
