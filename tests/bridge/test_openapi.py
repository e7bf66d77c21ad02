"""The OpenAPI document describes exactly the routes the bridge serves."""

from __future__ import annotations

from pathlib import Path

import yaml
from starlette.routing import Route

from bridge.app import create_app
from bridge.formats import FORMATS
from bridge.settings import BridgeSettings
from core_client import Event

DOC = Path(__file__).resolve().parents[2] / "docs" / "bridge-openapi.yaml"


class _Nowhere:
    async def put(self, event: Event) -> None:
        pass


def test_every_vtt_route_is_documented_and_nothing_else() -> None:
    doc = yaml.safe_load(DOC.read_text())
    app = create_app(BridgeSettings(), reporter=_Nowhere())
    served = {
        (route.path, method.lower())
        for route in app.routes
        if isinstance(route, Route) and not route.path.startswith("/v1/")
        for method in route.methods or ()
        if method != "HEAD"
    }
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert documented == served


def test_the_documented_formats_are_the_served_ones() -> None:
    doc = yaml.safe_load(DOC.read_text())
    assert sorted(doc["components"]["schemas"]["RollFormat"]["enum"]) == sorted(FORMATS)
