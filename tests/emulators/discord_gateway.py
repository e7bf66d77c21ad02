"""Gateway (websocket) half of the Discord emulator.

Implements HELLO / IDENTIFY -> READY + GUILD_CREATE / HEARTBEAT -> ACK / RESUME (with replay) /
REQUEST_GUILD_MEMBERS -> GUILD_MEMBERS_CHUNK, ``compress=zlib-stream`` (one shared compressor per
connection, every frame ends with a sync flush) and ``encoding=json``. Outgoing frames go through a
per-connection queue so synchronous code (``emu.add_guild`` ...) can dispatch in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from .discord_models import JSON, Intent
from .discord_state import DiscordState

OP_DISPATCH, OP_HEARTBEAT, OP_IDENTIFY, OP_PRESENCE = 0, 1, 2, 3
OP_RESUME, OP_RECONNECT, OP_REQUEST_MEMBERS, OP_INVALID_SESSION = 6, 7, 8, 9
OP_HELLO, OP_HEARTBEAT_ACK = 10, 11
REPLAY_LOG_MAX = 1000

PayloadFactory = Callable[["GatewaySession"], JSON | None]


class GatewayConnection:
    """One websocket. Frames are serialised (and compressed) by a single writer task."""

    def __init__(self, ws: web.WebSocketResponse, *, zlib_stream: bool) -> None:
        self.ws = ws
        self._compressor = zlib.compressobj() if zlib_stream else None
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._writer = asyncio.create_task(self._write_loop(), name="discord-emulator-gw-writer")
        self.session: GatewaySession | None = None
        self.close_code: int | None = None

    def enqueue(self, frame: JSON) -> None:
        self._queue.put_nowait(json.dumps(frame, separators=(",", ":")))

    async def _write_loop(self) -> None:
        while (text := await self._queue.get()) is not None:
            try:
                if self._compressor is None:
                    await self.ws.send_str(text)
                else:
                    data = self._compressor.compress(text.encode())
                    data += self._compressor.flush(zlib.Z_SYNC_FLUSH)
                    await self.ws.send_bytes(data)
            except (ConnectionError, RuntimeError):
                return

    async def close(self, code: int, message: str = "") -> None:
        """Flush queued frames, then close the socket with ``code``."""
        self.close_code = code
        await self.stop_writer()
        await self.ws.close(code=code, message=message.encode())

    async def stop_writer(self) -> None:
        if not self._writer.done():
            self._queue.put_nowait(None)
            try:
                await asyncio.wait_for(asyncio.shield(self._writer), 2.0)
            except TimeoutError:
                self._writer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._writer


@dataclass(eq=False)
class GatewaySession:
    """An identified session; survives disconnects so it can be RESUMEd."""

    id: str
    intents: int
    shard: tuple[int, int] | None
    connection: GatewayConnection | None = None
    seq: int = 0
    ready: bool = False
    log: list[JSON] = field(default_factory=list)
    events: list[tuple[str, JSON]] = field(default_factory=list)

    def dispatch(self, event: str, data: JSON) -> None:
        self.seq += 1
        frame: JSON = {"op": OP_DISPATCH, "t": event, "s": self.seq, "d": data}
        self.log.append(frame)
        del self.log[:-REPLAY_LOG_MAX]
        self.events.append((event, data))
        if self.connection is not None:
            self.connection.enqueue(frame)

    def has_intent(self, intent: int) -> bool:
        return bool(self.intents & intent)

    def handles_guild(self, guild_id: int) -> bool:
        if self.shard is None:
            return True
        shard_id, shard_count = self.shard
        return (guild_id >> 22) % shard_count == shard_id


class GatewayServer:
    def __init__(self, state: DiscordState, *, heartbeat_interval_ms: int) -> None:
        self.state = state
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.url = ""
        self.connections: set[GatewayConnection] = set()
        self.sessions: dict[str, GatewaySession] = {}
        self.presence_updates: list[JSON] = []
        self.identify_payloads: list[JSON] = []
        self.resumes = 0

    # -- public helpers ----------------------------------------------------------
    def ready_sessions(self) -> list[GatewaySession]:
        return [s for s in self.sessions.values() if s.ready and s.connection is not None]

    def dispatch(
        self,
        event: str,
        data: JSON | PayloadFactory,
        *,
        intent: int = 0,
        guild_id: int | None = None,
    ) -> int:
        """Send a DISPATCH to every live (or resumable) session allowed to see it."""
        count = 0
        for session in list(self.sessions.values()):
            if not session.ready or (intent and not session.has_intent(intent)):
                continue
            if guild_id is not None and not session.handles_guild(guild_id):
                continue
            payload = data(session) if callable(data) else data
            if payload is not None:
                session.dispatch(event, payload)
                count += 1
        return count

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT to every connection (the client should RESUME)."""
        for conn in list(self.connections):
            conn.enqueue({"op": OP_RECONNECT, "d": None})

    async def close_all(self, code: int = 1001) -> None:
        for conn in list(self.connections):
            with contextlib.suppress(Exception):
                await conn.close(code)

    # -- websocket handler -----------------------------------------------------------
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        conn = GatewayConnection(ws, zlib_stream=request.query.get("compress") == "zlib-stream")
        self.connections.add(conn)
        try:
            if request.query.get("encoding", "json") != "json":
                await conn.close(4002, "Only encoding=json is emulated")
                return ws
            conn.enqueue({"op": OP_HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
            async for msg in ws:
                if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                    continue
                try:
                    payload = json.loads(msg.data)
                except ValueError:
                    await conn.close(4002, "Decode error")
                    break
                await self._on_payload(conn, payload)
        finally:
            self.connections.discard(conn)
            await conn.stop_writer()
            session = conn.session
            if session is not None and session.connection is conn:
                session.connection = None
                if ws.close_code in (1000, 1001) and conn.close_code is None:
                    # a clean client close ends the session, like Discord does
                    self.sessions.pop(session.id, None)
            self.state.notify()
        return ws

    async def _on_payload(self, conn: GatewayConnection, payload: JSON) -> None:
        op, data = payload.get("op"), payload.get("d")
        if op == OP_HEARTBEAT:
            conn.enqueue({"op": OP_HEARTBEAT_ACK, "d": None})
        elif op == OP_IDENTIFY:
            await self._identify(conn, data or {})
        elif op == OP_RESUME:
            await self._resume(conn, data or {})
        elif conn.session is None:
            await conn.close(4003, "Not authenticated.")
        elif op == OP_REQUEST_MEMBERS:
            self._request_members(conn.session, data or {})
        elif op == OP_PRESENCE:
            self.presence_updates.append(data or {})
        elif op not in (4, 5):
            await conn.close(4001, "Unknown opcode.")

    async def _identify(self, conn: GatewayConnection, data: JSON) -> None:
        self.identify_payloads.append(data)
        if conn.session is not None:
            await conn.close(4005, "Already authenticated.")
            return
        if data.get("token") != self.state.bot_token:
            await conn.close(4004, "Authentication failed.")
            return
        if not isinstance(data.get("intents"), int):
            await conn.close(4013, "Invalid intent(s).")
            return
        if data["intents"] & Intent.PRIVILEGED & ~self.state.privileged_intents:
            await conn.close(4014, "Disallowed intent(s).")
            return
        raw_shard = data.get("shard")
        shard = (int(raw_shard[0]), int(raw_shard[1])) if raw_shard else None
        session = GatewaySession(id=secrets.token_hex(16), intents=data["intents"], shard=shard)
        session.connection = conn
        conn.session = session
        self.sessions[session.id] = session
        guilds = [g for g in self.state.guilds.values() if session.handles_guild(g.id)]
        ready: JSON = {
            "v": 10,
            "user": {**self.state.bot_user.to_payload(), "verified": True, "mfa_enabled": False},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.url,
            "application": {"id": str(self.state.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "_trace": ["discord-emulator"],
        }
        if shard is not None:
            ready["shard"] = list(shard)
        session.dispatch("READY", ready)
        all_members = session.has_intent(Intent.GUILD_PRESENCES)
        for guild in guilds:
            payload = guild.create_payload(bot_id=self.state.bot_user.id, all_members=all_members)
            session.dispatch("GUILD_CREATE", payload)
        session.ready = True
        self.state.notify()

    async def _resume(self, conn: GatewayConnection, data: JSON) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or data.get("token") != self.state.bot_token:
            conn.enqueue({"op": OP_INVALID_SESSION, "d": False})
            return
        if session.connection is not None and session.connection is not conn:
            session.connection.session = None
            await session.connection.close(4000, "Session resumed elsewhere")
        session.connection = conn
        conn.session = session
        last_seq = int(data.get("seq") or 0)
        for frame in session.log:
            if frame["s"] > last_seq:
                conn.enqueue(frame)
        session.dispatch("RESUMED", {"_trace": ["discord-emulator"]})
        self.resumes += 1
        self.state.notify()

    def _request_members(self, session: GatewaySession, data: JSON) -> None:
        guild = self.state.guilds.get(int(data.get("guild_id") or 0))
        if guild is None:
            return
        members = list(guild.members.values())
        not_found: list[str] = []
        if data.get("user_ids"):
            wanted = [int(u) for u in data["user_ids"]]
            not_found = [str(u) for u in wanted if u not in guild.members]
            members = [m for m in members if m.id in wanted]
        else:
            query = str(data.get("query") or "").lower()
            members = [
                m
                for m in members
                if m.user.username.lower().startswith(query)
                or (m.nick or "").lower().startswith(query)
            ]
        limit = int(data.get("limit") or 0)
        if limit:
            members = members[:limit]
        chunk: dict[str, Any] = {
            "guild_id": str(guild.id),
            "members": [m.to_payload() for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": not_found,
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        session.dispatch("GUILD_MEMBERS_CHUNK", chunk)
