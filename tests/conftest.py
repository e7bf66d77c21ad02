"""Fixtures shared by every test: real Core and bridge apps on fresh databases."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import httpx2
import pytest
from starlette.applications import Starlette

from core_client import CoreClient, Outbox, signing
from storage.app import create_app as create_core_app
from storage.crypto import generate_key
from storage.settings import CoreSettings


@pytest.fixture
def webhook_secret() -> str:
    """Return a fresh webhook signing secret."""
    return signing.generate_secret()


@pytest.fixture
def core_api_key() -> str:
    """Return a service API key for Core's query API."""
    return "svc_" + secrets.token_urlsafe(24)


@pytest.fixture
def core_database_url(tmp_path: Path) -> str:
    """Return the URL of an empty SQLite database (storage tests add PostgreSQL)."""
    return f"sqlite+aiosqlite:///{tmp_path}/core.sqlite3"


@pytest.fixture
def core_settings(core_database_url: str, webhook_secret: str, core_api_key: str) -> CoreSettings:
    """Return Core's settings for a test: one service API key, an encryption key."""
    return CoreSettings(
        database_url=core_database_url,
        signing_secrets=(webhook_secret,),
        api_keys=(core_api_key,),
        encryption_key=generate_key(),
    )


@pytest.fixture
async def core_app(core_settings: CoreSettings) -> AsyncIterator[Starlette]:
    """Run Core's app with its lifespan (migrations applied)."""
    app = create_core_app(core_settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def core_http(core_app: Starlette) -> AsyncIterator[httpx2.AsyncClient]:
    """Return an HTTP client wired to the in-process Core app."""
    transport = httpx2.ASGITransport(app=core_app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://core") as client:
        yield client


@pytest.fixture
def core_client(
    core_http: httpx2.AsyncClient, webhook_secret: str, core_api_key: str
) -> CoreClient:
    """Return the SDK client talking to the in-process Core, with the service key."""
    return CoreClient(
        "http://core", core_http, signing_secrets=[webhook_secret], api_key=core_api_key
    )


@pytest.fixture
async def outbox(tmp_path: Path, core_client: CoreClient) -> AsyncIterator[Outbox]:
    """Return a durable outbox delivering to the in-process Core."""
    async with Outbox(tmp_path / "outbox.sqlite3", core_client.deliver, base_delay=0.05) as box:
        yield box
