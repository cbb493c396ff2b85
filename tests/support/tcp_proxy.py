"""A TCP proxy that can cut the line, to make a server briefly unreachable in a test.

`TcpProxy(5432)` listens on 127.0.0.1 at a free port (`proxy.port`) and forwards each connection
to 127.0.0.1:5432. `cut()` closes every open connection, both ways, and closes each new one as soon
as it is accepted; `restore()` forwards again. The proxy runs its own event loop in a thread, so it
keeps forwarding while the caller's event loop is blocked (Amphi opens its store synchronously).

    with TcpProxy(5432) as proxy:
        url = f"postgresql+psycopg://postgres@127.0.0.1:{proxy.port}/db"
        ...
        proxy.cut()
        ...
        proxy.restore()
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any


class TcpProxy:
    """Forwards 127.0.0.1:`port` to the target until `cut()`, and again after `restore()`."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.forwarded = 0  # connections forwarded so far
        self.refused = 0  # connections closed on arrival while cut
        self._is_cut = False
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

    def restore(self) -> None:
        """Forward new connections again."""
        self._on_loop(self._restore())

    def _on_loop(self, coroutine: Coroutine[Any, Any, None]) -> None:
        # Wait for the proxy's loop, so that a cut is complete when cut() returns.
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=5)

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _cut(self) -> None:
        self._is_cut = True
        for writer in list(self._writers):
            writer.transport.abort()

    async def _restore(self) -> None:
        self._is_cut = False

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

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except OSError:  # the other side, or a cut, reset the connection
            pass
        finally:
            # Either side ending ends the pair: the peer of a half-closed socket learns it at once.
            writer.close()
