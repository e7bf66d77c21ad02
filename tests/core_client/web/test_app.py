"""The toolkit in a small Starlette app: bodies, keys and the handlers' one shape."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx2
import msgspec
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core_client.web import HttpError, exception_handlers, read_json, require_key
from tests.support.bad_bodies import JSON, BadBody, assert_refusal, bad_bodies

LIMIT = 200_000
KEY = "k-right"


class Note(msgspec.Struct, forbid_unknown_fields=True):
    text: str


async def echo(request: Request) -> JSONResponse:
    return JSONResponse({"got": await read_json(request, LIMIT)})


async def note(request: Request) -> JSONResponse:
    require_key(request, [KEY, "k-other"])
    body = await read_json(request, LIMIT, Note)
    return JSONResponse({"text": body.text})


async def refuse(_request: Request) -> JSONResponse:
    raise HttpError("no tea today", status=418, code="teapot", headers={"X-Why": "tea"})


async def crash(_request: Request) -> JSONResponse:
    raise RuntimeError("secret internal detail /etc/passwd")


APP = Starlette(
    routes=[
        Route("/echo", echo, methods=["POST"]),
        Route("/note", note, methods=["POST"]),
        Route("/refuse", refuse, methods=["GET"]),
        Route("/crash", crash, methods=["GET"]),
    ],
    exception_handlers=exception_handlers(),
)


@pytest.fixture
async def http() -> AsyncIterator[httpx2.AsyncClient]:
    # raise_app_exceptions=False: Starlette re-raises after answering a 500,
    # and we want to read that answer.
    transport = httpx2.ASGITransport(app=APP, raise_app_exceptions=False)
    async with httpx2.AsyncClient(transport=transport, base_url="http://app") as client:
        yield client


async def test_a_good_body_is_decoded(http: httpx2.AsyncClient) -> None:
    response = await http.post("/echo", json={"a": [1, "two", None]})
    assert response.json() == {"got": {"a": [1, "two", None]}}
    headers = {"content-type": "Application/JSON; charset=utf-8"}
    assert (await http.post("/echo", content=b"[1]", headers=headers)).json() == {"got": [1]}


@pytest.mark.parametrize("bad", bad_bodies(LIMIT), ids=lambda b: b.name)
async def test_every_bad_body_is_a_json_4xx(http: httpx2.AsyncClient, bad: BadBody) -> None:
    response = await http.post("/echo", content=bad.content, headers=bad.headers())
    assert_refusal(response, bad.status, bad.code)


async def test_an_oversized_body_is_refused_by_its_declared_length(
    http: httpx2.AsyncClient,
) -> None:
    async def forever() -> AsyncIterator[bytes]:
        yield b"[" + b"1," * LIMIT
        raise AssertionError("the reader kept reading past the limit")

    headers = {"content-type": JSON, "content-length": str(10**30)}
    response = await http.post("/echo", content=forever(), headers=headers)
    assert_refusal(response, 413, "body_too_large")


async def test_a_typed_body_names_the_field(http: httpx2.AsyncClient) -> None:
    auth = {"authorization": f"Bearer {KEY}"}
    assert (await http.post("/note", json={"text": "hi"}, headers=auth)).json() == {"text": "hi"}
    error = assert_refusal(
        await http.post("/note", json={"text": 5}, headers=auth), 422, "invalid_body"
    )
    assert error["field"] == "text"


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        b"Bearer",
        b"Bearer k-wrong",
        b"Basic k-right",
        b"Bearer k-right-and-more",
        b"Bearer k-righ",
        "Bearer k-rïght".encode(),
        b"Bearer \xff\xfe",
    ],
)
async def test_the_key_check_refuses_in_the_one_shape(
    http: httpx2.AsyncClient, authorization: bytes | None
) -> None:
    headers = {"authorization": authorization} if authorization is not None else {}
    response = await http.post("/note", json={"text": "hi"}, headers=headers)
    assert_refusal(response, 401, "unauthorized")
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_the_key_is_checked_before_the_body_is_read(http: httpx2.AsyncClient) -> None:
    response = await http.post("/note", content=b"[" * 100_000, headers={"content-type": JSON})
    assert_refusal(response, 401, "unauthorized")


async def test_any_configured_key_is_accepted(http: httpx2.AsyncClient) -> None:
    response = await http.post(
        "/note", json={"text": "x"}, headers={"authorization": "Bearer k-other"}
    )
    assert response.status_code == 200


async def test_a_refusal_keeps_its_status_code_and_headers(http: httpx2.AsyncClient) -> None:
    response = await http.get("/refuse")
    assert_refusal(response, 418, "teapot")
    assert response.headers["x-why"] == "tea"


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [("GET", "/nowhere", 404, "not_found"), ("DELETE", "/echo", 405, "method_not_allowed")],
)
async def test_starlettes_own_refusals_are_json(
    http: httpx2.AsyncClient, method: str, path: str, status: int, code: str
) -> None:
    response = await http.request(method, path)
    assert_refusal(response, status, code)
    if status == 405:
        assert response.headers["allow"] == "POST"


async def test_a_bug_is_a_500_in_the_same_shape_without_its_details(
    http: httpx2.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = await http.get("/crash")
    assert_refusal(response, 500, "internal_error")
    assert "passwd" not in response.text
    assert "RuntimeError" not in response.text
    assert "RuntimeError" in caplog.text  # the log has what the caller must not see
