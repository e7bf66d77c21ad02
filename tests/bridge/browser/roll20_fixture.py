"""A stand-in for Roll20's editor: its chat markup, its chat box, and a shared chat log.

Roll20 shows every message of a game in every player's browser; this app
does the same for the browser tests: each fixture page (`/editor/?player=
...&name=...&gm=1`) polls the one log and renders new messages with Roll20's
markup (`fixtures/roll20_fixture.js`), and its send button posts what was
typed here, where `/r`, `/gmroll`, `/w gm` and `[[...]]` are rolled or
whispered as Roll20 would. Tests may also add a message as a player's
Roll20 would (`add`), and read the log to count what arrived.
"""

from __future__ import annotations

import random
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bridge.assets import extension_dir

FIXTURES = Path(__file__).parent / "fixtures"
_DICE = re.compile(r"^(\d{0,3})d(\d{1,4})(k[hl]1)?([+-]\d{1,4})?$")
_INLINE = re.compile(r"\[\[\s*([^\]]{1,40}?)\s*\]\]")
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def message_id() -> str:
    """Return an id shaped like Roll20's (`-N` and 18 URL-safe characters)."""
    return "-N" + "".join(secrets.choice(_ALPHABET) for _ in range(18))


@dataclass
class ChatLog:
    """The game's chat, as Roll20's servers hold it."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    rng: random.Random = field(default_factory=random.Random)

    def add(self, message: dict[str, Any]) -> dict[str, Any]:
        """Append a message (given its kind and fields); return it with its id."""
        stored = {"id": message_id(), **message, "seq": len(self.messages) + 1}
        self.messages.append(stored)
        return stored

    def said(self, who: str, player: str, text: str) -> dict[str, Any]:
        """Turn what a player typed into the message Roll20 would show."""
        base = {"who": who, "playerid": player}
        for command, whisper in (("/r ", False), ("/roll ", False), ("/gmroll ", True)):
            if text.startswith(command):
                roll = self.roll(text.removeprefix(command).strip())
                return self.add({**base, "kind": "rollresult", "roll": roll, "whisper": whisper})
        if text.lower().startswith("/w gm "):
            return self.add({**base, "kind": "general", "text": text[6:], "whisper": True})
        inline = [self.inline(m.group(1)) for m in _INLINE.finditer(text)]
        if inline:
            return self.add(
                {**base, "kind": "general", "text": _INLINE.sub("", text), "inline": inline}
            )
        return self.add({**base, "kind": "general", "text": text})

    def roll(self, formula: str) -> dict[str, Any]:
        """Roll `NdS[kh1|kl1][+M]` as Roll20 would, dice and all."""
        found = _DICE.fullmatch(formula.replace(" ", ""))
        if found is None:
            raise ValueError(f"the fixture cannot roll {formula!r}")
        count, sides = int(found.group(1) or 1), int(found.group(2))
        values = [self.rng.randint(1, sides) for _ in range(count)]
        kept = list(range(count))
        if found.group(3):
            best = (max if found.group(3) == "kh1" else min)(range(count), key=values.__getitem__)
            kept = [best]
        modifier = int(found.group(4) or 0)
        dice = [
            {"sides": sides, "value": v, "dropped": i not in kept} for i, v in enumerate(values)
        ]
        total = sum(values[i] for i in kept) + modifier
        return {"formula": formula, "dice": dice, "modifier": modifier, "total": total}

    def inline(self, formula: str) -> dict[str, Any]:
        """Roll an inline `[[...]]` and give it Roll20's tooltip."""
        roll = self.roll(formula)
        die = roll["dice"][0]
        crit = " critsuccess" if die["value"] == die["sides"] else ""
        fail = " critfail" if die["value"] == 1 else ""
        spans = "+".join(
            f'<span class="basicdiceroll{crit if d["value"] == d["sides"] else ""}'
            f'{fail if d["value"] == 1 else ""}">{d["value"]}</span>'
            for d in roll["dice"]
        )
        sign = f"{roll['modifier']:+d}" if roll["modifier"] else ""
        title = f"Rolling {formula} = ({spans}){sign}"
        return {"title": title, "total": roll["total"], "crit": bool(crit), "fail": bool(fail)}


def create_app(log: ChatLog) -> Starlette:
    """Serve the fixture editor page, its script, the chat log, and the extension's lib/."""

    async def editor(_: Request) -> Response:
        return FileResponse(FIXTURES / "roll20_editor.html")

    async def messages(request: Request) -> Response:
        after = int(request.query_params.get("after", "0"))
        return JSONResponse([m for m in log.messages if m["seq"] > after])

    async def send(request: Request) -> Response:
        body = await request.json()
        return JSONResponse(log.said(body["who"], body["playerid"], body["text"]), status_code=201)

    return Starlette(
        routes=[
            Route("/editor/", editor),
            Route("/fixture/messages", messages),
            Route("/fixture/send", send, methods=["POST"]),
            Mount("/static", StaticFiles(directory=FIXTURES)),
            Mount("/lib", StaticFiles(directory=extension_dir() / "lib")),
        ]
    )
