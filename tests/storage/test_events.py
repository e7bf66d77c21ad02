"""Every event type lands in its table, once, linked to what it names."""

from __future__ import annotations

import json
from typing import Any

import httpx2
from starlette.applications import Starlette

from core_client import (
    AiConversation,
    AiMessage,
    AiProvider,
    AiUsage,
    CampaignUpserted,
    CharacterUpserted,
    ChatMessage,
    CoreClient,
    EventType,
    GameLinkUpserted,
    Platform,
    SessionEnded,
    SessionNote,
    SessionStarted,
    UserUpserted,
    VttAccountLinked,
    VttAccountRevoked,
    VttPlatform,
    signing,
)
from core_client.contract import codec
from core_client.contract.receipts import DeliveryReceipt
from storage import models
from storage.app import create_app
from storage.crypto import CredentialCipher
from storage.handlers.users import account_context
from storage.settings import CoreSettings
from tests.support.core import count, d20_roll, rows, stored_rolls


async def test_campaign_character_link_and_session_are_stored_and_linked(
    core_client: CoreClient, core_app: Starlette
) -> None:
    events = [
        CampaignUpserted(key="guild:1", name="Curse of Strahd", gm_discord_id="900").event(),
        CharacterUpserted(
            name="Ireena",
            source_platform=Platform.ROLL20,
            source_id="-Mchar1",
            campaign_id="guild:1",
            stats={"hp": 14, "ac": 12},
            source={"attribs": []},
        ).event(),
        GameLinkUpserted(
            campaign_id="guild:1", platform=VttPlatform.ROLL20, game_id="g-42"
        ).event(),
        SessionStarted(session_id="s1", campaign_id="guild:1", participants=("900",)).event(),
        SessionNote(session_id="s1", text="The party met Ireena.").event(),
    ]
    assert await core_client.deliver(events) == DeliveryReceipt(5, 0)
    [campaign] = await rows(core_app, models.Campaign)
    [character] = await rows(core_app, models.Character)
    [link] = await rows(core_app, models.GameLink)
    [session] = await rows(core_app, models.GameSession)
    assert (campaign.name, campaign.guild_id, campaign.version) == ("Curse of Strahd", "1", 1)
    assert campaign.gm_user_id is not None
    assert (character.campaign_id, character.stats, character.roll20_json) == (
        campaign.id,
        {"hp": 14, "ac": 12},
        None,
    )
    assert (link.campaign_id, link.vtt_game_id, link.sync_rolls) == (campaign.id, "g-42", True)
    assert session.campaign_id == campaign.id
    assert [n["text"] for n in session.notes] == ["The party met Ireena."]
    assert session.version == 2  # started, then a note


async def test_a_roll_is_linked_to_campaign_user_character_and_open_session(
    core_client: CoreClient, core_app: Starlette
) -> None:
    await core_client.deliver(
        [
            CampaignUpserted(key="guild:1", name="C").event(),
            CharacterUpserted(
                name="Ireena", source_platform=Platform.DISCORD, campaign_id="guild:1"
            ).event(),
            SessionStarted(session_id="s1", campaign_id="guild:1").event(),
            d20_roll(20, character="Ireena"),
        ]
    )
    [roll] = await stored_rolls(core_app)
    [campaign] = await rows(core_app, models.Campaign)
    [character] = await rows(core_app, models.Character)
    [session] = await rows(core_app, models.GameSession)
    [user] = await rows(core_app, models.User)
    assert (roll.campaign_id, roll.character_id, roll.session_id, roll.user_id) == (
        campaign.id,
        character.id,
        session.id,
        user.id,
    )
    assert user.discord_id == "1001"
    assert (roll.crit, roll.crit_type) == (True, "crit")  # the nat20 preset


DISCORD = Platform.DISCORD


async def test_a_roll_names_its_character_by_id_within_its_own_campaign_only(
    core_client: CoreClient, core_app: Starlette
) -> None:
    await core_client.deliver(
        [
            CampaignUpserted(key="guild:1", name="Mine").event(),
            CampaignUpserted(key="guild:2", name="Theirs").event(),
            CharacterUpserted(
                name="Vex", source_platform=Platform.DISCORD, campaign_id="guild:1"
            ).event(),
            CharacterUpserted(
                name="Pike", source_platform=Platform.DISCORD, campaign_id="guild:2"
            ).event(),
        ]
    )
    by_name = {c.name: c for c in await rows(core_app, models.Character)}
    vex, pike = str(by_name["Vex"].id), str(by_name["Pike"].id)

    # Its id links within the roll's campaign; another table's id links nothing,
    # and then the name still may.
    await core_client.deliver(
        [
            d20_roll(10, character_id=vex, occurred_at=1.0),
            d20_roll(10, character_id=pike, occurred_at=2.0),
            d20_roll(10, character="Vex", character_id=pike, occurred_at=3.0),
        ]
    )
    assert [r.character_id for r in await stored_rolls(core_app)] == [
        by_name["Vex"].id,
        None,
        by_name["Vex"].id,
    ]


async def test_a_roll_for_an_unknown_campaign_is_stored_unlinked(
    core_client: CoreClient, core_app: Starlette
) -> None:
    await core_client.deliver([d20_roll(1, campaign="dm:77")])
    [roll] = await stored_rolls(core_app)
    assert (roll.campaign_key, roll.campaign_id, roll.fumble) == ("dm:77", None, True)
    assert await count(core_app, models.Campaign) == 0


async def test_a_vtt_roll_resolves_its_campaign_through_a_game_link(
    core_client: CoreClient, core_app: Starlette
) -> None:
    await core_client.deliver(
        [
            GameLinkUpserted(
                campaign_id="guild:1", platform=VttPlatform.FOUNDRY, game_id="w1"
            ).event()
        ]
    )
    event = d20_roll(7, campaign="bridge-campaign-x", platform=Platform.FOUNDRY, actor="p1")
    event.data["game_id"] = "w1"  # type: ignore[index]
    await core_client.deliver([event])
    [roll] = await stored_rolls(core_app)
    [campaign] = await rows(core_app, models.Campaign)
    assert roll.campaign_id == campaign.id


async def test_switching_a_preset_off_stops_it_marking_rolls(
    core_client: CoreClient, core_app: Starlette
) -> None:
    await core_client.deliver([CampaignUpserted(key="guild:1", name="C").event()])
    campaign = await core_client.campaign_by_key("guild:1")
    assert campaign is not None
    await core_client.set_crit_preset(campaign["id"], "nat20", enabled=False)
    await core_client.set_crit_preset(campaign["id"], "crit-range-19", enabled=True)
    rules = await core_client.crit_rules(campaign["id"])
    assert sorted(rules["in_force"]) == ["crit-range-19", "nat1"]
    assert len(rules["presets"]) == 5
    await core_client.deliver([d20_roll(20), d20_roll(19, campaign="other")])
    by_campaign = {r.campaign_key: r for r in await stored_rolls(core_app)}
    assert by_campaign["guild:1"].crit is True  # 19-20 is on instead of nat20
    assert by_campaign["other"].crit is False  # presets' defaults: 19 is no crit


async def test_a_rule_switched_on_judges_the_same_dice_anew(
    core_client: CoreClient, core_app: Starlette
) -> None:
    # Verdicts are remembered across deliveries (storage.critrules.Judged):
    # by the rules in force, never by campaign alone.
    await core_client.deliver([CampaignUpserted(key="guild:1", name="C").event()])
    campaign = await core_client.campaign_by_key("guild:1")
    assert campaign is not None
    await core_client.deliver([d20_roll(19)])
    await core_client.set_crit_preset(campaign["id"], "crit-range-19", enabled=True)
    await core_client.deliver([d20_roll(19)])
    await core_client.set_crit_preset(campaign["id"], "crit-range-19", enabled=False)
    await core_client.deliver([d20_roll(19)])
    rolls = sorted(await stored_rolls(core_app), key=lambda r: r.rolled_at)
    assert [r.crit for r in rolls] == [False, True, False]


async def test_chat_and_ai_are_stored(core_client: CoreClient, core_app: Starlette) -> None:
    await core_client.deliver(
        [
            ChatMessage(campaign_id="guild:1", platform=Platform.ROLL20, text="hello").event(),
            AiConversation(
                conversation_id="conv-1",
                provider=AiProvider.OPENAI,
                model="gpt-x",
                messages=(
                    AiMessage("user", "Who is Strahd?"),
                    AiMessage("assistant", "A vampire."),
                ),
                prompt_tokens=10,
                completion_tokens=5,
                user_discord_id="1001",
            ).event(),
            AiUsage(
                provider=AiProvider.OPENAI,
                model="gpt-x",
                prompt_tokens=10,
                completion_tokens=5,
                conversation_id="conv-1",
            ).event(),
        ]
    )
    [chat] = await rows(core_app, models.ChatMessage)
    [conversation] = await rows(core_app, models.AiConversation)
    [usage] = await rows(core_app, models.AiUsage)
    assert chat.text == "hello"
    assert len(conversation.messages) == 2
    assert conversation.user_id is not None
    assert usage.conversation_id == conversation.id


async def test_vtt_credentials_are_encrypted_at_rest_and_dropped_on_revoke(
    core_client: CoreClient, core_app: Starlette, core_settings: CoreSettings
) -> None:
    secret = {"session_cookie": "very-secret-value"}
    linked = VttAccountLinked(
        discord_user_id="1001",
        platform=VttPlatform.ROLL20,
        platform_user_id="r20-5",
        credentials=secret,
    )
    await core_client.deliver([linked.event()])
    [account] = await rows(core_app, models.VttAccount)
    assert account.credentials is not None
    assert b"very-secret-value" not in account.credentials
    assert core_settings.encryption_key is not None
    cipher = CredentialCipher(core_settings.encryption_key)
    assert cipher.decrypt(account.credentials, account_context("roll20", "r20-5")) == secret
    await core_client.deliver([VttAccountRevoked(VttPlatform.ROLL20, "r20-5").event()])
    [account] = await rows(core_app, models.VttAccount)
    assert (account.credentials, account.revoked_at is not None) == (None, True)


async def test_credentials_are_refused_when_core_has_no_encryption_key(
    core_settings: CoreSettings, webhook_secret: str
) -> None:
    settings = CoreSettings(
        database_url=core_settings.database_url,
        signing_secrets=core_settings.signing_secrets,
        encryption_key=None,
    )
    app = create_app(settings)
    event = VttAccountLinked("1", VttPlatform.FOUNDRY, "f1", credentials={"k": "v"}).event()
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://core") as http:
            client = CoreClient("http://core", http, signing_secrets=[webhook_secret])
            response = await _post(client, http, webhook_secret, [codec.to_builtins(event)])
        assert response.status_code == 422
        assert response.json()["error"]["field"] == "credentials"
        assert await count(app, models.VttAccount) == 0


async def test_replaying_an_upsert_changes_nothing(
    core_client: CoreClient, core_app: Starlette
) -> None:
    event = UserUpserted("1001", "Alice").event()
    await core_client.deliver([event])
    assert await core_client.deliver([event]) == DeliveryReceipt(0, 1)
    [user] = await rows(core_app, models.User)
    assert (user.display_name, user.version) == ("Alice", 1)
    await core_client.deliver([UserUpserted("1001", "Alice").event()])  # a new event, same facts
    [user] = await rows(core_app, models.User)
    assert user.version == 1


async def test_session_end_for_an_unknown_session_is_kept(
    core_client: CoreClient, core_app: Starlette
) -> None:
    await core_client.deliver([SessionEnded("lost-start", ended_at=1_700_000_000).event()])
    [session] = await rows(core_app, models.GameSession)
    assert session.ended_at is not None


MALFORMED: list[tuple[EventType, dict[str, Any], str]] = [
    (EventType.CHAT_MESSAGE, {"campaign_id": "c", "platform": "roll20"}, "text"),
    (EventType.CHAT_MESSAGE, {"campaign_id": "c", "platform": "icq", "text": "x"}, "platform"),
    (
        EventType.AI_USAGE,
        {"provider": "openai", "model": "m", "prompt_tokens": -1},
        "prompt_tokens",
    ),
    (
        EventType.AI_CONVERSATION,
        {
            "conversation_id": "c",
            "provider": "openai",
            "model": "m",
            "messages": [{"role": "user"}],
        },
        "messages[0].content",
    ),
    (EventType.USER_UPSERTED, {"discord_id": 5}, "discord_id"),
    (EventType.VTT_ACCOUNT_LINKED, {"discord_user_id": "1", "platform": "myspace"}, "platform"),
    (EventType.VTT_ACCOUNT_REVOKED, {"platform": "roll20"}, "platform_user_id"),
    (
        EventType.SESSION_STARTED,
        {"session_id": "s", "campaign_id": "c", "participants": [1]},
        "participants[0]",
    ),
    (EventType.SESSION_ENDED, {"session_id": "s", "ended_at": "yesterday"}, "ended_at"),
    (EventType.SESSION_NOTE, {"session_id": "s", "text": "x" * 4001}, "text"),
    (
        EventType.CHARACTER_UPSERTED,
        {"name": "A", "source_platform": "roll20", "stats": []},
        "stats",
    ),
    (EventType.CAMPAIGN_UPSERTED, {"key": "k"}, "name"),
    (EventType.GAME_LINK_UPSERTED, {"campaign_id": "c", "sync_chat": "yes"}, "sync_chat"),
]


async def test_a_malformed_payload_is_refused_naming_the_field(
    core_client: CoreClient, core_http: httpx2.AsyncClient, core_app: Starlette, webhook_secret: str
) -> None:
    # One table, one database: each bad event is refused alone, its neighbour stored.
    for n, (kind, data, field) in enumerate(MALFORMED):
        good = codec.to_builtins(d20_roll(n % 20 + 1))
        bad = {"id": f"evt_bad_{n}", "type": kind.value, "occurred_at": 1.0, "data": data}
        response = await _post(core_client, core_http, webhook_secret, [good, bad])
        assert response.status_code == 200, kind
        refused = [(r["index"], r["id"], r["field"]) for r in response.json()["refused"]]
        assert refused == [(1, f"evt_bad_{n}", field)], kind
        alone = await _post(core_client, core_http, webhook_secret, [bad])
        assert alone.status_code == 422, kind
        assert alone.json()["error"]["field"] == field, kind
    assert await count(core_app, models.WebhookEvent) == len(MALFORMED)


async def _post(
    _client: CoreClient, http: httpx2.AsyncClient, secret: str, events: list[Any]
) -> httpx2.Response:
    body = json.dumps({"events": events}).encode()
    headers = signing.sign([secret], "msg_raw", body).as_dict()
    headers["content-type"] = "application/json"
    return await http.post("/webhooks", content=body, headers=headers)
