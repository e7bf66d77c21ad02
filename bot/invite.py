"""The invite URL `fumblebot invite` prints: exactly the scopes and permissions the bot uses.

Each permission is here because a cog does something that needs it; nothing
is asked "just in case", so an admin can read the list and agree to it.
What the bot sends as interaction replies (every slash command's answer, its
embeds, the `/roll stats` chart) needs no channel permission at all, and DMs
(private rolls to the GM) need none either: only what the bot does in a
channel by itself is listed.

The application id is the bot user's id, which a bot token carries in its
first segment (base64 of the decimal id), so the token alone is enough; the
id can also be given outright. Importing this module costs nothing: it must
not pull in discord.py (tests/bot/test_cli_imports.py).
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import quote, urlencode

from bot.errors import ConfigError

AUTHORIZE_URL = "https://discord.com/oauth2/authorize"

# `bot` adds the bot user to the server; `applications.commands` lets it
# register slash commands there.
SCOPES = ("bot", "applications.commands")

# Permission bits (Discord's documented values), each with why the bot needs it.
PERMISSIONS: dict[str, tuple[int, str]] = {
    "View Channel": (1 << 10, "see messages in linked channels (chat relay, inline [[rolls]])"),
    "Send Messages": (1 << 11, "answer inline [[rolls]] in the channel"),
    "Read Message History": (
        1 << 16,
        "reply to the message an inline roll came from (Discord requires it for replies)",
    ),
    "Manage Webhooks": (
        1 << 29,
        "post relayed VTT lines and /ic say under the speaker's name through a channel webhook",
    ),
}


def permission_bits() -> int:
    """Return the permissions integer of the invite."""
    bits = 0
    for value, _ in PERMISSIONS.values():
        bits |= value
    return bits


def invite_url(application_id: int) -> str:
    """Return the URL that adds the bot to a server with its scopes and permissions."""
    query = {
        "client_id": str(application_id),
        "scope": " ".join(SCOPES),
        "permissions": str(permission_bits()),
    }
    return f"{AUTHORIZE_URL}?{urlencode(query, quote_via=quote)}"


def application_id_from_token(token: str) -> int:
    """Return the bot's application id, read from the first segment of its token."""
    first = token.split(".", 1)[0]
    try:
        decoded = base64.b64decode(first + "=" * (-len(first) % 4), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise _not_a_token() from exc
    if not decoded.isdigit():
        raise _not_a_token()
    return int(decoded)


def _not_a_token() -> ConfigError:
    return ConfigError(
        "FUMBLEBOT_DISCORD_TOKEN",
        "does not look like a bot token, so it names no application",
        "copy the token again from the Developer Portal, or pass --application-id",
    )


def describe() -> str:
    """Return the permissions asked for, one line each with the reason."""
    return "\n".join(f"  {name}: {why}" for name, (_, why) in PERMISSIONS.items())
