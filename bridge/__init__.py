"""The VTT bridge: what browser extensions in Roll20, Foundry VTT, D&D Beyond
and Owlbear Rodeo talk to, and what the bot shares its event bus with.

For the bot: `/link` calls `create_pairing_code`, `/unlink` calls
`unlink_user`; relaying uses the topics and event builders of
`bridge.events`; `open_backends` opens the bus and store both sides share.
"""

from __future__ import annotations

from bridge.backends import Backends, open_backends
from bridge.events import Origin, Viewer, chat_event, game_topic, roll_event, visible_to
from bridge.links import unlink_user
from bridge.pairing import PairingCode, create_pairing_code

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
