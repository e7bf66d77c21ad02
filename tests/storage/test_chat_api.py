"""Chat history: `GET /chat`, oldest first, paged, and scoped by the caller's key."""

from __future__ import annotations

import httpx2
import pytest

from core_client import CampaignUpserted, ChatMessage, CoreClient, Event, EventType, Platform
from core_client.contract import codec
from core_client.errors import CoreClientError
from tests.support.core import SCOPED_KEY, client_with_key

T0 = 1_800_000_000.0


def chat(text: str, at: float, campaign: str = "guild:1", author: str = "Mira") -> Event:
    line = ChatMessage(campaign, Platform.ROLL20, text, author_id="-P1", author_name=author)
    return Event(EventType.CHAT_MESSAGE, codec.to_builtins(line), occurred_at=at)


async def _campaign_id(core: CoreClient, key: str) -> str:
    campaign = await core.campaign_by_key(key)
    assert campaign is not None
    return campaign["id"]


async def test_chat_reads_forwards_from_since_a_page_at_a_time(core_client: CoreClient) -> None:
    # Lines share timestamps, so the cursor must break ties by id.
    lines = [chat(f"line {i}", T0 + i // 2) for i in range(7)]
    await core_client.deliver([CampaignUpserted(key="guild:1", name="A").event(), *lines])
    campaign_id = await _campaign_id(core_client, "guild:1")
    seen, cursor = [], None
    while True:
        page = await core_client.chat(campaign_id, since=T0 + 1, limit=2, cursor=cursor)
        seen += [(m["sent_at"], m["text"]) for m in page["chat"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(t for _, t in seen) == [f"line {i}" for i in range(2, 7)]  # each once
    assert [at for at, _ in seen] == sorted(at for at, _ in seen)  # oldest first
    assert {m["author_name"] for m in (await core_client.chat(campaign_id))["chat"]} == {"Mira"}
    window = await core_client.chat(campaign_id, since=T0 + 1, until=T0 + 2)
    assert sorted(m["text"] for m in window["chat"]) == ["line 2", "line 3"]  # same instant


async def test_a_scoped_key_sees_only_its_campaigns_chat(
    core_client: CoreClient, core_http: httpx2.AsyncClient
) -> None:
    await core_client.deliver(
        [
            CampaignUpserted(key="guild:1", name="Mine").event(),
            CampaignUpserted(key="guild:2", name="Theirs").event(),
            chat("ours", T0),
            chat("secret plans", T0, campaign="guild:2"),
        ]
    )
    scoped = client_with_key(core_http, SCOPED_KEY)
    assert [m["text"] for m in (await scoped.chat())["chat"]] == ["ours"]
    other = await _campaign_id(core_client, "guild:2")
    assert (await scoped.chat(other))["chat"] == []
    assert len((await core_client.chat())["chat"]) == 2  # the service key sees both


@pytest.mark.parametrize(
    ("params", "field"),
    [({"since": "yesterday"}, "since"), ({"until": "soon"}, "until"),
     ({"campaign_id": "nope"}, "campaign_id"), ({"limit": "0"}, "limit"), ({"cursor": "!!"}, None)],
)  # fmt: skip
async def test_bad_parameters_are_refused_naming_them(
    core_http: httpx2.AsyncClient, core_api_key: str, params: dict[str, str], field: str | None
) -> None:
    headers = {"authorization": f"Bearer {core_api_key}"}
    response = await core_http.get("/chat", params=params, headers=headers)
    assert response.status_code == 400
    assert response.json()["error"].get("field") == field


async def test_a_stranger_is_refused(core_http: httpx2.AsyncClient) -> None:
    with pytest.raises(CoreClientError):
        await client_with_key(core_http, "not-a-key").chat()
