"""The test support's TCP proxy: forwarding, a stalled line that heals in order, and a cut."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from tests.support.tcp_proxy import TcpProxy

SILENCE = 0.3  # how long a stalled line must stay silent


@dataclass
class EchoServer:
    """Echoes every byte back; remembers what it received and its open connections."""

    port: int = 0
    received: bytearray = field(default_factory=bytearray)
    writers: list[asyncio.StreamWriter] = field(default_factory=list)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Echo until the client goes."""
        self.writers.append(writer)
        try:
            while data := await reader.read(65536):
                self.received += data
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()


@pytest.fixture
async def echo() -> AsyncIterator[EchoServer]:
    """An echo server on a free port of 127.0.0.1."""
    server = EchoServer()
    listening = await asyncio.start_server(server.serve, "127.0.0.1", 0)
    server.port = listening.sockets[0].getsockname()[1]
    async with listening:
        yield server
        for writer in server.writers:
            writer.close()


async def nothing_arrives(reader: asyncio.StreamReader) -> bool:
    """True if no byte and no end of stream arrive within SILENCE."""
    try:
        await asyncio.wait_for(reader.read(1), SILENCE)
    except TimeoutError:
        return True
    return False


async def test_a_stalled_line_holds_both_ways_then_delivers_in_order(echo: EchoServer) -> None:
    with TcpProxy(echo.port) as proxy:
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        writer.write(b"hello")
        assert await asyncio.wait_for(reader.readexactly(5), 2) == b"hello"

        proxy.stall()
        writer.write(b"one,")
        await writer.drain()
        writer.write(b"two,")
        await writer.drain()
        echo.writers[0].write(b"push,")  # the server speaks first, during the stall
        assert await nothing_arrives(reader)
        assert bytes(echo.received) == b"hello"  # nor did anything reach the server
        assert not reader.at_eof() and proxy.open_connections == 1

        proxy.restore()
        held = await asyncio.wait_for(reader.readexactly(len(b"push,one,two,")), 2)
        assert held == b"push,one,two,"
        assert bytes(echo.received) == b"helloone,two,"
        writer.write(b"after")
        assert await asyncio.wait_for(reader.readexactly(5), 2) == b"after"
        writer.close()


async def test_a_connection_opened_during_a_stall_waits_for_the_restore(echo: EchoServer) -> None:
    with TcpProxy(echo.port) as proxy:
        proxy.stall()
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        writer.write(b"early")
        assert await nothing_arrives(reader)
        assert echo.writers == [] and proxy.forwarded == 0 and proxy.refused == 0

        proxy.restore()
        assert await asyncio.wait_for(reader.readexactly(5), 2) == b"early"
        assert len(echo.writers) == 1 and proxy.forwarded == 1
        writer.close()


async def test_an_end_of_stream_during_a_stall_passes_once_restored(echo: EchoServer) -> None:
    with TcpProxy(echo.port) as proxy:
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        writer.write(b"x")
        assert await asyncio.wait_for(reader.readexactly(1), 2) == b"x"
        proxy.stall()
        echo.writers[0].close()  # the server hangs up while the line is silent
        assert await nothing_arrives(reader)
        assert not reader.at_eof()
        proxy.restore()
        assert await asyncio.wait_for(reader.read(1), 2) == b""
        writer.close()


async def test_a_cut_closes_open_connections_and_refuses_new_ones(echo: EchoServer) -> None:
    with TcpProxy(echo.port) as proxy:
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        writer.write(b"x")
        assert await asyncio.wait_for(reader.readexactly(1), 2) == b"x"

        proxy.cut()
        with pytest.raises((ConnectionError, asyncio.IncompleteReadError)):
            # A reset, or an end of stream: either way the connection is gone.
            await asyncio.wait_for(reader.readexactly(1), 2)
        late_reader, late = await asyncio.open_connection("127.0.0.1", proxy.port)
        with pytest.raises((ConnectionError, asyncio.IncompleteReadError)):
            await asyncio.wait_for(late_reader.readexactly(1), 2)
        assert proxy.refused == 1 and proxy.open_connections == 0

        proxy.restore()
        again_reader, again = await asyncio.open_connection("127.0.0.1", proxy.port)
        again.write(b"y")
        assert await asyncio.wait_for(again_reader.readexactly(1), 2) == b"y"
        for w in (writer, late, again):
            w.close()


async def test_a_cut_during_a_stall_closes_the_held_connections(echo: EchoServer) -> None:
    with TcpProxy(echo.port) as proxy:
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        writer.write(b"x")
        assert await asyncio.wait_for(reader.readexactly(1), 2) == b"x"
        proxy.stall()
        held_reader, held = await asyncio.open_connection("127.0.0.1", proxy.port)
        writer.write(b"lost")
        assert await nothing_arrives(reader)

        proxy.cut()
        for r in (reader, held_reader):
            with pytest.raises((ConnectionError, asyncio.IncompleteReadError)):
                await asyncio.wait_for(r.readexactly(1), 2)
        assert bytes(echo.received) == b"x" and proxy.refused == 1
        for w in (writer, held):
            w.close()
