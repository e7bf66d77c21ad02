"""The VTT bridge: what browser extensions in Roll20, Foundry VTT, D&D Beyond
and Owlbear Rodeo talk to, and what the bot shares its event bus with.

For the bot: `/link` calls `create_pairing_code`, `/unlink` calls
`unlink_user`; relaying uses the topics and event builders of
`bridge.events`; `open_backends` opens the bus and store both sides share.
Names load on first use, so reading `bridge.settings` costs no Redis client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core_client.lazy import lazy_exports

if TYPE_CHECKING:
    from bridge.backends import Backends, open_backends
    from bridge.events import Origin, Viewer, chat_event, game_topic, roll_event, visible_to
    from bridge.links import unlink_user
    from bridge.pairing import PairingCode, create_pairing_code

# Keep in step with the imports above (tests/core_client/test_lazy.py checks).
EXPORTS = {
    "bridge.backends": ("Backends", "open_backends"),
    "bridge.events": ("Origin", "Viewer", "chat_event", "game_topic", "roll_event", "visible_to"),
    "bridge.links": ("unlink_user",),
    "bridge.pairing": ("PairingCode", "create_pairing_code"),
}
if not TYPE_CHECKING:  # hidden from mypy, which would then accept any name
    __getattr__ = lazy_exports(__name__, EXPORTS)

__all__ = [
    "Backends",
    "Origin",
    "PairingCode",
    "Viewer",
    "chat_event",
    "create_pairing_code",
    "game_topic",
    "open_backends",
    "roll_event",
    "unlink_user",
    "visible_to",
]
