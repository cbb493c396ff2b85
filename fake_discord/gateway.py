"""Gateway websocket of the fake Discord: JSON frames, zlib-stream compressed."""

from __future__ import annotations

import asyncio
import json
import secrets
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from aiohttp import WSMsgType, web

from .latency import DelayedSender, Latency

if TYPE_CHECKING:
    from .server import FakeDiscord

DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, RESUME, REQUEST_MEMBERS = 0, 1, 2, 3, 6, 8
INVALID_SESSION, HELLO, HEARTBEAT_ACK = 9, 10, 11
HEARTBEAT_INTERVAL_MS = 41250

# Intent bits the fake honours when deciding whether to send an event.
GUILDS, GUILD_MEMBERS, GUILD_MESSAGES, DIRECT_MESSAGES = 1 << 0, 1 << 1, 1 << 9, 1 << 12
GUILD_SCHEDULED_EVENTS = 1 << 16


GatewayEventKind = Literal["opened", "identified", "resumed", "closed"]


@dataclass(frozen=True)
class GatewayEvent:
    """One step of a gateway connection's life, at the fake's loop time.

    ``opened``: the websocket was accepted; ``identified``: IDENTIFY was answered with READY;
    ``resumed``: RESUME was answered with RESUMED; ``closed``: the socket ended, from either side
    (a killed client included). ``session_id`` is the session the connection identified or resumed
    (None on ``opened``, and on ``closed`` if it never did)."""

    at: float
    kind: GatewayEventKind
    connection: int  # 1, 2, 3… in the order the fake accepted the websockets
    session_id: str | None = None


class Connection:
    """One websocket; it owns the zlib stream, so frames must be compressed in send order."""

    def __init__(
        self,
        ws: web.WebSocketResponse,
        compress: bool,
        latency: Latency | None = None,
        number: int = 0,
    ) -> None:
        self.ws = ws
        self.number = number
        # The session this socket identified or resumed: it is live from then until it closes.
        self.session_id: str | None = None
        self._zlib = zlib.compressobj() if compress else None
        self._lock = asyncio.Lock()
        self._delayed = DelayedSender(latency, self._send_now) if latency else None

    async def send(self, frame: dict[str, Any]) -> None:
        """Send one frame (after the network's delay, if the fake has one); dropped silently if
        the socket is closing."""
        if self._delayed is not None:
            self._delayed.put(frame)
        else:
            await self._send_now(frame)

    async def _send_now(self, frame: dict[str, Any]) -> None:
        text = json.dumps(frame)
        async with self._lock:
            if self.ws.closed:
                return
            if self._zlib is None:
                await self.ws.send_str(text)
            else:
                data = self._zlib.compress(text.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
                await self.ws.send_bytes(data)


@dataclass(eq=False)
class Session:
    """A gateway session; it outlives connections so that RESUME can replay missed events."""

    id: str
    identify: dict[str, Any]
    seq: int = 0
    log: list[dict[str, Any]] = field(default_factory=list)
    conn: Connection | None = None
    ready: bool = False

    @property
    def intents(self) -> int:
        """Intents the client identified with."""
        return int(self.identify.get("intents", 0))


class Gateway:
    """Serves the websocket and keeps the bot's session."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.sessions: dict[str, Session] = {}
        self.session: Session | None = None
        self.connections: set[Connection] = set()
        self.identify_count = 0
        self.resume_count = 0
        self.presence: dict[str, Any] | None = None
        self.connect_queries: list[dict[str, str]] = []
        # Loop time of the first HELLO: when the gateway first answered a client.
        self.first_hello_at: float | None = None
        # Every connection's opened / identified / resumed / closed, in order.
        self.timeline: list[GatewayEvent] = []
        # The most connections that were identified or resumed and still open at one moment.
        self.most_live_sessions = 0
        self._accepted = 0

    def live_sessions(self) -> int:
        """Connections identified or resumed and not closed yet."""
        return sum(1 for conn in self.connections if conn.session_id is not None)

    def identified_at(self, connection: int) -> float | None:
        """When connection ``connection`` (numbered from 1) first got READY, if it did."""
        return self._first("identified", connection)

    def closed_at(self, connection: int) -> float | None:
        """When connection ``connection`` closed, if it has."""
        return self._first("closed", connection)

    def live_intervals(self) -> list[tuple[int, float, float | None]]:
        """(connection, identified or resumed at, closed at or None) per live-ever connection."""
        started: dict[int, float] = {}
        for event in self.timeline:
            if event.kind in ("identified", "resumed"):
                started.setdefault(event.connection, event.at)
        return [(n, at, self.closed_at(n)) for n, at in started.items()]

    def _first(self, kind: GatewayEventKind, connection: int) -> float | None:
        return next(
            (e.at for e in self.timeline if e.kind == kind and e.connection == connection), None
        )

    def _record(self, kind: GatewayEventKind, conn: Connection) -> None:
        now = asyncio.get_running_loop().time()
        self.timeline.append(GatewayEvent(now, kind, conn.number, conn.session_id))
        self.most_live_sessions = max(self.most_live_sessions, self.live_sessions())
        self.fake.changes.notify()

    @property
    def connected(self) -> bool:
        """Whether the current session has an open, identified or resumed socket."""
        session = self.session
        conn = session.conn if session else None
        return session is not None and session.ready and conn is not None and not conn.ws.closed

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """aiohttp handler of ``GET /`` (the websocket)."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.connect_queries.append(dict(request.query))
        self._accepted += 1
        compress = request.query.get("compress") == "zlib-stream"
        conn = Connection(ws, compress, self.fake.latency, self._accepted)
        self.connections.add(conn)
        self._record("opened", conn)
        try:
            hello = {"heartbeat_interval": HEARTBEAT_INTERVAL_MS, "_trace": ["fake-discord"]}
            await conn.send({"op": HELLO, "d": hello, "s": None, "t": None})
            if self.first_hello_at is None:
                self.first_hello_at = asyncio.get_running_loop().time()
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._receive(conn, json.loads(msg.data))
        finally:
            # Reached however the socket ends: a close frame, the fake's drop, or a reset TCP
            # connection (a killed client), for which aiohttp ends the receive loop at once.
            self.connections.discard(conn)
            for session in self.sessions.values():
                if session.conn is conn:
                    session.conn = None
            self._record("closed", conn)
        return ws

    async def _receive(self, conn: Connection, frame: dict[str, Any]) -> None:
        op, data = frame.get("op"), frame.get("d") or {}
        if op == HEARTBEAT:
            await conn.send({"op": HEARTBEAT_ACK, "d": None, "s": None, "t": None})
        elif op == IDENTIFY:
            await self._identify(conn, data)
        elif op == RESUME:
            await self._resume(conn, data)
        elif op == REQUEST_MEMBERS:
            await self._send_members(data)
        elif op == PRESENCE:
            self.presence = data

    async def _identify(self, conn: Connection, data: dict[str, Any]) -> None:
        session = Session(secrets.token_hex(16), data, conn=conn)
        self.sessions[session.id] = session
        self.session = session
        self.identify_count += 1
        fake = self.fake
        ready: dict[str, Any] = {
            "v": 10,
            "user": fake.bot_user,
            "guilds": [{"id": str(fake.guild_id), "unavailable": True}],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": fake.gateway_url,
            "application": {"id": str(fake.application_id), "flags": 0},
            "private_channels": [],
            "presences": [],
            "relationships": [],
            "user_settings": {},
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["fake"],
            "auth": {},
            "_trace": ["fake-discord"],
        }
        if "shard" in data:
            ready["shard"] = data["shard"]
        await self.dispatch("READY", ready)
        conn.session_id = session.id
        self._record("identified", conn)
        fake.automate_events()  # GUILD_CREATE carries the events' statuses as they are now
        await self.dispatch("GUILD_CREATE", fake.state.guild_payload())
        session.ready = True
        fake.changes.notify()

    async def _resume(self, conn: Connection, data: dict[str, Any]) -> None:
        session = self.sessions.get(data.get("session_id", ""))
        if session is None:
            await conn.send({"op": INVALID_SESSION, "d": False, "s": None, "t": None})
            return
        self.session = session
        self.resume_count += 1
        seen = data.get("seq") or 0
        # Replay until caught up: events dispatched meanwhile are only logged, not sent.
        while pending := [f for f in session.log if f["s"] > seen]:
            for frame in pending:
                await conn.send(frame)
                seen = frame["s"]
        session.conn = conn
        await self.dispatch("RESUMED", {"_trace": ["fake-discord"]})
        conn.session_id = session.id
        self._record("resumed", conn)

    async def _send_members(self, data: dict[str, Any]) -> None:
        state = self.fake.state
        members = list(state.members.values())
        if data.get("user_ids"):
            wanted = {int(u) for u in data["user_ids"]}
            members = [m for m in members if m.id in wanted]
        elif data.get("query"):
            members = [m for m in members if m.name.startswith(data["query"])]
        if data.get("limit"):
            members = members[: data["limit"]]
        chunk: dict[str, Any] = {
            "guild_id": str(state.guild_id),
            "members": [state.member_payload(m) for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        await self.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    async def dispatch(self, event: str, data: dict[str, Any], intent: int | None = None) -> bool:
        """Send a dispatch event to the current session (queued for RESUME if disconnected)."""
        session = self.session
        if session is None or (intent is not None and not session.intents & intent):
            return False
        session.seq += 1
        frame = {"op": DISPATCH, "t": event, "s": session.seq, "d": data}
        session.log.append(frame)
        if session.conn is not None:
            await session.conn.send(frame)
        return True

    async def drop(self, code: int = 4000) -> None:
        """Close the current socket the way a Discord-side disconnect does."""
        if self.session is None or self.session.conn is None:
            raise RuntimeError("fake Discord: no gateway connection to drop")
        conn, self.session.conn = self.session.conn, None
        self.fake.changes.notify()
        await conn.ws.close(code=code, message=b"fake Discord dropped the connection")

    async def close(self) -> None:
        """Close every open socket."""
        for conn in list(self.connections):
            await conn.ws.close(code=1001, message=b"fake Discord shutting down")
