"""Every closed set of strings that crosses a boundary, declared once.

Bot, bridge and Core all import these; a value one of them sends is a value
the others accept, because there is no second list to drift from.
"""

from __future__ import annotations

import enum


class Platform(enum.StrEnum):
    """Where a roll, chat line or character came from."""

    DISCORD = "discord"
    ROLL20 = "roll20"
    FOUNDRY = "foundry"
    DNDBEYOND = "dndbeyond"
    BEYOND20 = "beyond20"
    OWLBEAR = "owlbear"
    DICECLOUD = "dicecloud"  # character sheets only: DiceCloud has no roll feed
    BRIDGE = "bridge"


class VttPlatform(enum.StrEnum):
    """The VTTs a player can link an account on, or a game can live on."""

    ROLL20 = "roll20"
    FOUNDRY = "foundry"
    DNDBEYOND = "dndbeyond"
    OWLBEAR = "owlbear"


class Visibility(enum.StrEnum):
    """Who may see a roll."""

    PUBLIC = "public"
    # The rule for every VTT is written once, in bridge/formats/__init__.py.
    PRIVATE = "private"  # the roller and the GM (Roll20's gmrollresult, a Foundry whisper)
    GM = "gm"  # the GM only, the roller not shown the result (Foundry's blind roll)


class AiProvider(enum.StrEnum):
    """The AI providers `/ask` can use."""

    OPENAI = "openai"
    ANTHROPIC = "anthropic"
    OTHER = "other"


class KeyRole(enum.StrEnum):
    """What an API key Core issued may do on Core's query API.

    `query` matches the configured keys: without campaigns it sees every
    campaign (as FUMBLEBOT_CORE_API_KEY), with them only those (as
    `scoped_api_keys`). `admin` also issues, lists and revokes keys, as the
    configured FUMBLEBOT_CORE_API_KEY keys do; it is never scoped.
    """

    QUERY = "query"
    ADMIN = "admin"


class AiRole(enum.StrEnum):
    """Who said one turn of an AI conversation."""

    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"


class EventType(enum.StrEnum):
    """The closed set of events Core accepts."""

    ROLL_RECORDED = "roll.recorded"
    CHAT_MESSAGE = "chat.message"
    AI_USAGE = "ai.usage"
    AI_CONVERSATION = "ai.conversation"
    USER_UPSERTED = "user.upserted"
    VTT_ACCOUNT_LINKED = "vtt.account_linked"
    VTT_ACCOUNT_REVOKED = "vtt.account_revoked"
    SESSION_STARTED = "session.started"
    SESSION_ENDED = "session.ended"
    SESSION_NOTE = "session.note"
    CHARACTER_UPSERTED = "character.upserted"
    CAMPAIGN_UPSERTED = "campaign.upserted"
    GAME_LINK_UPSERTED = "game_link.upserted"


class BusType(enum.StrEnum):
    """The closed set of bus event types."""

    ROLL = "roll"
    CHAT = "chat"
    LINK = "link"
    TOKEN_REVOKED = "token.revoked"


class LinkAction(enum.StrEnum):
    """What happened to a player's VTT link."""

    LINKED = "linked"
    UNLINKED = "unlinked"


class Reads(enum.StrEnum):
    """Which result a rule reads."""

    HIGHEST = "highest"
    LOWEST = "lowest"
    TOTAL = "total"
    ANY = "any"


class Comparison(enum.StrEnum):
    """How a rule compares the result it read."""

    EQ = "eq"
    GE = "ge"
    LE = "le"
    MAX = "max"  # the die shows its largest face; the threshold is ignored
    MIN = "min"  # the die shows 1
