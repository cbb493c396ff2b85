"""A TCP proxy that can cut or stall the line, to make a server briefly unreachable in a test.

`TcpProxy(5432)` listens on 127.0.0.1 at a free port (`proxy.port`) and forwards each connection
to 127.0.0.1:5432. `cut()` closes every open connection, both ways, and closes each new one as soon
as it is accepted; `restore()` forwards again. The proxy runs its own event loop in a thread, so it
keeps forwarding while the caller's event loop is blocked (Amphi opens its store synchronously).

`stall()` is a network partition rather than a reset: the line goes silent both ways and nothing
is closed. Open connections stay open but no byte crosses, in either direction, and neither does an
end of stream or a reset; new connections are accepted, but the target is not reached. What is sent
meanwhile is held, not dropped (beyond the proxy's buffers, TCP's flow control holds the sender).
`restore()` heals the partition: the held bytes are delivered in the order they were sent, new
connections reach the target, and anything that ended meanwhile ends now. `cut()` during a stall
closes everything, held connections included, and the held bytes are lost.

    with TcpProxy(5432) as proxy:
        url = f"postgresql+psycopg://postgres@127.0.0.1:{proxy.port}/db"
        ...
        proxy.cut()  # or proxy.stall()
        ...
        proxy.restore()
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any


class TcpProxy:
    """Forwards 127.0.0.1:`port` to the target, but not while `cut()` or `stall()`ed."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.forwarded = 0  # connections forwarded so far
        self.refused = 0  # connections closed on arrival while cut
        self._is_cut = False
        self._flowing = asyncio.Event()  # cleared while stalled: pipes hold what they read
        self._flowing.set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task] = set()
        self._server: asyncio.Server | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tcp-proxy")

    def __enter__(self) -> TcpProxy:
        self._thread.start()
        self._on_loop(self._listen())
        return self

    def __exit__(self, *_exc: object) -> None:
        self._on_loop(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    @property
    def open_connections(self) -> int:
        """Connections being forwarded now."""
        return len(self._writers) // 2

    def cut(self) -> None:
        """Close every open connection in both directions; close new ones until `restore()`."""
        self._on_loop(self._cut())

    def stall(self) -> None:
        """Stop forwarding both ways without closing anything, holding the bytes until
        `restore()`; new connections are accepted and held too."""
        self._on_loop(self._stall())

    def restore(self) -> None:
        """Forward again: new connections, and what a stall held, in order."""
        self._on_loop(self._restore())

    def _on_loop(self, coroutine: Coroutine[Any, Any, None]) -> None:
        # Wait for the proxy's loop, so that a cut is complete when cut() returns.
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=5)

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _cut(self) -> None:
        self._is_cut = True
        # Wake what a stall holds: each finds the line cut and gives up (see _forward, _pipe).
        self._flowing.set()
        for writer in list(self._writers):
            writer.transport.abort()

    async def _stall(self) -> None:
        self._is_cut = False
        self._flowing.clear()

    async def _restore(self) -> None:
        self._is_cut = False
        self._flowing.set()

    async def _shutdown(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._cut()
        await asyncio.gather(*self._handlers, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, client: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            await self._forward(reader, client)
        finally:
            self._handlers.discard(task)

    async def _forward(self, reader: asyncio.StreamReader, client: asyncio.StreamWriter) -> None:
        upstream = None
        await self._flowing.wait()  # a stalled line holds the new connection unanswered
        if not self._is_cut:
            try:
                upstream_reader, upstream = await asyncio.open_connection(*self.target)
            except OSError:
                upstream = None
        # Checked after connecting too: a cut may have come while the upstream was opening.
        if upstream is None or self._is_cut:
            self.refused += 1
            client.transport.abort()
            if upstream is not None:
                upstream.transport.abort()
            return
        self.forwarded += 1
        pair = {client, upstream}
        self._writers |= pair
        try:
            await asyncio.gather(self._pipe(reader, upstream), self._pipe(upstream_reader, client))
        finally:
            self._writers -= pair

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                # While stalled, hold this chunk; what follows waits in the reader, in order.
                await self._flowing.wait()
                if self._is_cut:
                    return
                writer.write(data)
                await writer.drain()
        except OSError:  # the other side, or a cut, reset the connection
            pass
        finally:
            # A stalled line carries no end of stream either: it passes once restored.
            await self._flowing.wait()
            # Either side ending ends the pair: the peer of a half-closed socket learns it at once.
            writer.close()
